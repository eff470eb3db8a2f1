"""Convolution geometry: output sizes, windows, footprints, receptive fields (notebooks 03, 04).

The one owner of the geometry: drawings, explorers (and the browser code they ship, which the
tests compare with this module) and exercise checkers ask here. One :class:`Axis` holds the
geometry of one axis (kernel, stride, padding, dilation, transposed or not). All sizes follow
PyTorch's floor semantics: ``nn.Conv1d/2d``, ``nn.ConvTranspose1d/2d``, ``nn.MaxPool1d/2d``.
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


def conv_transpose_output_size(
    size: int, kernel: int, stride: int = 1, padding: int = 0, dilation: int = 1
) -> int:
    """Output length of a transposed convolution (``nn.ConvTranspose2d``) along one dimension.

    ``(size - 1)*stride - 2*padding + dilation*(kernel-1) + 1``: each input cell spreads the
    kernel over the output, ``stride`` cells after the previous one, and ``padding`` crops
    the result on both sides. ``ValueError`` when nothing would be left.
    """
    size = _check_int("size", size, 1)
    stride = _check_int("stride", stride, 1)
    padding = _check_int("padding", padding, 0)
    span = effective_kernel_size(kernel, dilation)
    full = (size - 1) * stride + span
    if full - 2 * padding < 1:
        raise ValueError(
            f"the transposed convolution spreads {size} cells over {full} (kernel {kernel}, "
            f"stride {stride}, dilation {dilation}) and padding {padding} crops 2 x "
            f"{padding} of them: expected padding at most {(full - 1) // 2}"
        )
    return full - 2 * padding


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


@dataclass(frozen=True)
class Axis:
    """The geometry of one axis: ``kernel`` taps ``dilation`` apart, moved ``stride`` cells
    at a time over an input with ``padding`` zeros at each end; ``transposed`` for
    ``nn.ConvTranspose``. A stack of layers for receptive fields is a list of these too."""

    kernel: int
    stride: int = 1
    padding: int = 0
    dilation: int = 1
    transposed: bool = False

    def __post_init__(self):
        _check_int("kernel", self.kernel, 1)
        _check_int("stride", self.stride, 1)
        _check_int("padding", self.padding, 0)
        _check_int("dilation", self.dilation, 1)
        if not isinstance(self.transposed, bool):
            raise ValueError(f"transposed must be True or False, got {self.transposed!r}")

    @property
    def span(self) -> int:
        """Cells covered by the dilated kernel: ``1 + (kernel-1) * dilation``."""
        return effective_kernel_size(self.kernel, self.dilation)

    def output_size(self, size: int) -> int:
        """Output length for an input of ``size`` cells (``ValueError`` if impossible)."""
        solve = conv_transpose_output_size if self.transposed else conv_output_size
        return solve(size, self.kernel, self.stride, self.padding, self.dilation)

    def window(self, index: int, size: int) -> list[int | None]:
        """The input position each of the ``kernel`` taps of output ``index`` reads.

        Convolution: tap ``j`` reads ``index*stride - padding + j*dilation``, below 0 or from
        ``size`` on in the zero padding. Transposed: input cell ``i`` adds tap ``j`` to output
        ``i*stride - padding + j*dilation``, so tap ``j`` of output ``index`` reads
        ``(index + padding - j*dilation) / stride`` where that is an input cell, else None.
        """
        out = self.output_size(size)
        index = _check_int("index", index, 0)
        if index >= out:
            raise ValueError(f"index must be below the output size {out}, got {index}")
        if not self.transposed:
            start = index * self.stride - self.padding
            return [start + j * self.dilation for j in range(self.kernel)]
        taps = []
        for j in range(self.kernel):
            i, rest = divmod(index + self.padding - j * self.dilation, self.stride)
            taps.append(i if rest == 0 and 0 <= i < size else None)
        return taps

    def formula(self, size: int, name: str = "L") -> str:
        """The output-size formula for an input of ``size``, with the numbers filled in."""
        k, s, p, d = self.kernel, self.stride, self.padding, self.dilation
        out = self.output_size(size)
        if self.transposed:
            return (f"{name}_out = ({name} − 1)·s − 2p + d(k−1) + 1"
                    f" = ({size} − 1)·{s} − 2·{p} + {d}·({k}−1) + 1 = {out}")
        top = size + 2 * p - d * (k - 1) - 1
        return (f"{name}_out = ⌊({name} + 2p − d(k−1) − 1) / s⌋ + 1"
                f" = ⌊({size} + 2·{p} − {d}·({k}−1) − 1) / {s}⌋ + 1 = ⌊{top} / {s}⌋ + 1 = {out}")


def per_axis(name: str, value, ndim: int) -> tuple[int, ...]:
    """``value`` (an int, or one value per axis) as a tuple of ``ndim`` values."""
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


def conv_axes(kernel, stride=1, padding=0, dilation=1, transposed=False,
              ndim: int = 2) -> tuple[Axis, ...]:
    """One :class:`Axis` per dimension; each argument is an int or one value per dimension."""
    values = [per_axis(name, v, ndim) for name, v in (
        ("kernel", kernel), ("stride", stride), ("padding", padding), ("dilation", dilation))]
    return tuple(Axis(*v, transposed=transposed) for v in zip(*values, strict=True))


def conv_output_shape(
    shape: Sequence[int], kernel, stride=1, padding=0, dilation=1
) -> tuple[int, ...]:
    """Output shape over several dimensions; each argument is an int or one value per dim."""
    shape = tuple(shape)
    axes = conv_axes(kernel, stride, padding, dilation, ndim=len(shape))
    return tuple(axis.output_size(size) for axis, size in zip(axes, shape, strict=True))


def output_cell(position, shape: tuple[int, int]) -> tuple[int, int]:
    """``position`` (a row-major index or a pair (row, col)) as (row, col) inside ``shape``."""
    rows, cols = shape
    if isinstance(position, numbers.Integral) and not isinstance(position, bool):
        if not 0 <= position < rows * cols:
            raise ValueError(f"position must be in [0, {rows * cols - 1}] for a {rows}×{cols} "
                             f"output, got {position}")
        return divmod(int(position), cols)
    try:
        i, j = position
    except (TypeError, ValueError):
        raise ValueError(
            f"position must be an int (row-major index) or a pair (row, col), got {position!r}"
        ) from None
    if not (0 <= i < rows and 0 <= j < cols):
        raise ValueError(f"position must be inside the {rows}×{cols} output, got ({i}, {j})")
    return int(i), int(j)


def footprint(height: int, width: int, rows: Axis, cols: Axis, position=0) -> dict:
    """What output ``position`` of a 2d (transposed) convolution reads, as plain values.

    Keys: ``output`` (out_h, out_w), ``position`` (row, col), ``rows`` and ``cols`` (each
    tap's input row and column, from :meth:`Axis.window`), ``reads`` (the set of input cells
    (row, col) really read: padding and missing taps left out).
    """
    output = (rows.output_size(height), cols.output_size(width))
    i, j = output_cell(position, output)
    tap_rows, tap_cols = rows.window(i, height), cols.window(j, width)
    reads = {(r, c) for r in tap_rows for c in tap_cols
             if r is not None and c is not None and 0 <= r < height and 0 <= c < width}
    return dict(output=output, position=(i, j), rows=tap_rows, cols=tap_cols, reads=reads)


def as_axis(layer) -> Axis:
    """A layer of a stack, an :class:`Axis` or a tuple ``(kernel, stride=1, dilation=1)``,
    as an :class:`Axis` (``ValueError`` for anything else, or a transposed layer)."""
    if isinstance(layer, Axis):
        if layer.transposed:
            raise ValueError("receptive fields are for convolutions and pooling, "
                             f"not transposed convolutions: got {layer}")
        return layer
    if not isinstance(layer, (tuple, list)) or not 1 <= len(layer) <= 3:
        raise ValueError(
            f"each layer must be an Axis or a tuple (kernel, stride=1, dilation=1), got {layer!r}"
        )
    kernel, stride, dilation = (*layer, 1, 1)[:3]
    return Axis(kernel, stride, dilation=dilation)


def receptive_fields(layers: Iterable[Axis | tuple]) -> list[int]:
    """Receptive field (in input cells, one dimension) after each layer of a stack.

    Each layer is an :class:`Axis` or a tuple ``(kernel, stride=1, dilation=1)``. The field
    grows by ``(effective kernel - 1) x (product of the strides before it)``.
    """
    fields, field, jump = [], 1, 1
    for layer in map(as_axis, layers):
        field += (layer.span - 1) * jump
        jump *= layer.stride
        fields.append(field)
    return fields


def receptive_field(layers: Iterable[Axis | tuple]) -> int:
    """Receptive field of the last layer of a stack (1 for an empty stack)."""
    fields = receptive_fields(layers)
    return fields[-1] if fields else 1


def receptive_field_cone(layers: Sequence[Axis | tuple]) -> list[set[int]]:
    """The units of each level (input first) that the single top unit of a stack depends on.

    Valid (unpadded) convolutions: unit ``q`` of level ``l`` reads units
    ``q*stride + j*dilation`` (0 <= j < kernel) of level ``l-1``. Returns one set per level,
    ``len(layers) + 1`` in all, the last being ``{0}``; the first spans the receptive field.
    """
    levels = [{0}]
    for layer in reversed([as_axis(layer) for layer in layers]):
        levels.insert(0, {q * layer.stride + j * layer.dilation for q in levels[0]
                          for j in range(layer.kernel)})
    return levels
