"""Convolution arithmetic: output sizes and receptive fields (notebooks 03 and 04).

All sizes are per dimension and follow PyTorch's floor semantics: ``nn.Conv1d/2d`` and
``nn.MaxPool1d/2d`` (with ``ceil_mode`` for pooling).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable, Sequence
from dataclasses import dataclass


def _check_int(name: str, value, minimum: int) -> int:
    """``value`` as an int if it is an integer (not a bool) >= ``minimum``, else ValueError."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValueError(
            f"{name} must be an integer >= {minimum}, got {value!r} ({type(value).__name__})"
        )
    if value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value}")
    return int(value)


def effective_kernel_size(kernel: int, dilation: int = 1) -> int:
    """Width covered by a kernel of ``kernel`` taps spread ``dilation`` apart: 1 + (k-1)d."""
    kernel = _check_int("kernel", kernel, 1)
    dilation = _check_int("dilation", dilation, 1)
    return 1 + (kernel - 1) * dilation


def conv_output_size(
    size: int, kernel: int, stride: int = 1, padding: int = 0, dilation: int = 1
) -> int:
    """Output length of a convolution along one dimension, as ``nn.Conv2d`` computes it.

    ``floor((size + 2*padding - dilation*(kernel-1) - 1) / stride) + 1``.
    Raises ``ValueError`` for a stride of 0, negative padding, non-integers, or a (dilated)
    kernel wider than the padded input.
    """
    size = _check_int("size", size, 1)
    stride = _check_int("stride", stride, 1)
    padding = _check_int("padding", padding, 0)
    span = effective_kernel_size(kernel, dilation)
    padded = size + 2 * padding
    if span > padded:
        raise ValueError(
            f"the kernel covers {span} cells (kernel {kernel}, dilation {dilation}) but the "
            f"padded input has only {padded} (size {size} + 2 x padding {padding}): "
            "expected a kernel no wider than the padded input"
        )
    return (padded - span) // stride + 1


def pool_output_size(
    size: int,
    kernel: int,
    stride: int | None = None,
    padding: int = 0,
    dilation: int = 1,
    ceil_mode: bool = False,
) -> int:
    """Output length of ``nn.MaxPool1d/2d`` along one dimension (``stride`` defaults to kernel).

    With ``ceil_mode`` the division rounds up, but, as in PyTorch, a last window that would
    start inside the right padding is dropped. Padding must be at most half the kernel.
    A window wider than the padded input raises ``ValueError`` even with ``ceil_mode``
    (PyTorch then still returns one clipped window; the course treats it as a mistake).
    """
    stride = kernel if stride is None else stride
    size = _check_int("size", size, 1)
    kernel = _check_int("kernel", kernel, 1)
    stride = _check_int("stride", stride, 1)
    padding = _check_int("padding", padding, 0)
    if not isinstance(ceil_mode, bool):
        raise ValueError(f"ceil_mode must be True or False, got {ceil_mode!r}")
    if padding > kernel // 2:
        raise ValueError(
            f"pooling padding must be at most half the kernel ({kernel // 2}), got {padding}"
        )
    span = effective_kernel_size(kernel, dilation)
    padded = size + 2 * padding
    if span > padded:
        raise ValueError(
            f"the pooling window covers {span} cells but the padded input has only {padded}: "
            "expected a window no wider than the padded input"
        )
    rounding = math.ceil if ceil_mode else math.floor
    out = rounding((padded - span) / stride) + 1
    if ceil_mode and (out - 1) * stride >= size + padding:
        out -= 1
    return out


def conv_output_shape(
    shape: Sequence[int], kernel, stride=1, padding=0, dilation=1
) -> tuple[int, ...]:
    """Output shape over several dimensions; each argument is an int or one value per dim."""
    shape = tuple(shape)
    params = [_per_dim(name, v, len(shape)) for name, v in (
        ("kernel", kernel), ("stride", stride), ("padding", padding), ("dilation", dilation))]
    return tuple(conv_output_size(s, *p) for s, *p in zip(shape, *params, strict=True))


def window_positions(
    index: int, size: int, kernel: int, stride: int = 1, padding: int = 0, dilation: int = 1
) -> list[int]:
    """Input positions (one dimension) that output ``index`` of a convolution reads.

    Tap ``j`` (0 <= j < kernel) reads position ``index*stride - padding + j*dilation`` of the
    unpadded input; a position below 0 or at least ``size`` falls in the zero padding. All
    ``kernel`` positions are returned, padding included, so ``len(result) == kernel``.
    """
    out = conv_output_size(size, kernel, stride, padding, dilation)
    index = _check_int("index", index, 0)
    if index >= out:
        raise ValueError(f"index must be below the output size {out}, got {index}")
    start = index * stride - padding
    return [start + j * dilation for j in range(kernel)]


def _per_dim(name: str, value, ndim: int) -> tuple:
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        return (int(value),) * ndim
    try:
        value = tuple(value)
    except TypeError:
        raise ValueError(
            f"{name} must be an int or {ndim} ints, got {value!r} ({type(value).__name__})"
        ) from None
    if len(value) != ndim:
        raise ValueError(f"{name} must be an int or {ndim} ints, got {value!r}")
    return value


@dataclass(frozen=True)
class Layer:
    """One layer of a stack, for receptive-field arithmetic (convolution or pooling alike)."""

    kernel: int
    stride: int = 1
    dilation: int = 1

    def __post_init__(self):
        _check_int("kernel", self.kernel, 1)
        _check_int("stride", self.stride, 1)
        _check_int("dilation", self.dilation, 1)


def receptive_fields(layers: Iterable[Layer | tuple]) -> list[int]:
    """Receptive field (in input cells, one dimension) after each layer of a stack.

    Each layer is a :class:`Layer` or a tuple ``(kernel, stride=1, dilation=1)``. The field
    grows by ``(effective kernel - 1) x (product of the strides before it)``.
    """
    fields, field, jump = [], 1, 1
    for layer in layers:
        if not isinstance(layer, Layer):
            if not isinstance(layer, (tuple, list)) or not 1 <= len(layer) <= 3:
                raise ValueError(
                    "each layer must be a Layer or a tuple (kernel, stride=1, dilation=1), "
                    f"got {layer!r}"
                )
            layer = Layer(*layer)
        field += (effective_kernel_size(layer.kernel, layer.dilation) - 1) * jump
        jump *= layer.stride
        fields.append(field)
    return fields


def receptive_field(layers: Iterable[Layer | tuple]) -> int:
    """Receptive field of the last layer of a stack (1 for an empty stack)."""
    fields = receptive_fields(layers)
    return fields[-1] if fields else 1
