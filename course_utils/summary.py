"""A network's size, layer by layer, measured from the network itself (notebook 07).

:func:`summarize` runs one forward pass on a single zero image and records every step: leaf
modules (``nn.Conv2d``, ``nn.Linear``, ...) through forward hooks, and the functional calls
between them (``F.max_pool2d``, ``F.relu``, ``x.view``) through a ``TorchFunctionMode``, since
those are not modules and hooks never see them. Each row gives the operation, its parameters,
its products (multiply-accumulates, biases not counted) and the size of the tensor it outputs.
Nothing in the table is typed in: change the network and the table changes with it.
"""

from __future__ import annotations

import inspect
import math
from dataclasses import dataclass

import torch
from torch import nn
from torch.overrides import TorchFunctionMode


@dataclass(frozen=True)
class Row:
    """One step of the forward pass: ``operation``, ``parameters``, ``products``, output size."""

    operation: str
    parameters: int
    products: int
    output_shape: tuple[int, ...]


def size_text(shape: tuple[int, ...]) -> str:
    """``(32, 24, 24)`` as ``"32×24×24"``."""
    return "×".join(str(s) for s in shape)


def _scalar_text(value) -> str:
    if isinstance(value, (tuple, list)) and len(set(value)) == 1:
        value = value[0]
    return str(tuple(value)) if isinstance(value, (tuple, list)) else repr(value)


def module_label(module: nn.Module) -> str:
    """How the lecture writes a layer, e.g. ``nn.Conv2d(1, 32, kernel_size=5)``."""
    if isinstance(module, nn.Conv2d):
        text = f"nn.Conv2d({module.in_channels}, {module.out_channels}, "
        text += f"kernel_size={_scalar_text(module.kernel_size)}"
        for name, default in (("stride", 1), ("padding", 0), ("dilation", 1), ("groups", 1)):
            value = getattr(module, name)
            if _scalar_text(value) != repr(default):
                text += f", {name}={_scalar_text(value)}"
        return text + ")"
    if isinstance(module, nn.Linear):
        return f"nn.Linear({module.in_features}, {module.out_features})"
    return f"nn.{module!r}"


def module_products(module: nn.Module, output_shape: tuple[int, ...]) -> int:
    """Multiply-accumulates of a conv or linear layer for one sample (biases not counted).

    ``output_shape`` is the layer's output size for one sample (no batch dimension).
    """
    outputs = math.prod(output_shape)
    if isinstance(module, nn.modules.conv._ConvNd):
        return outputs * (module.in_channels // module.groups) * math.prod(module.kernel_size)
    if isinstance(module, nn.Linear):
        return outputs * module.in_features
    return 0


def _pool_signature(
    input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False
):
    """The arguments of ``F.max_pool2d`` (a dispatcher whose own signature is ``*args``)."""


def _without_defaults(func, args, kwargs) -> dict:
    """The arguments after the first, by name, leaving out those equal to their default.

    Positional arguments of functions without a Python signature are keyed ``#1``, ``#2``...
    """
    try:
        params = list(inspect.signature(func).parameters.values())
    except (TypeError, ValueError):
        params = []
    if any(p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD) for p in params) or not params:
        name = getattr(func, "__name__", "").lstrip("_")
        if not name.startswith(("max_pool", "avg_pool")):
            return {f"#{i}": a for i, a in enumerate(args[1:], 1)} | dict(kwargs)
        params = list(inspect.signature(_pool_signature).parameters.values())
    given = {p.name: a for p, a in zip(params[1:], args[1:], strict=False)} | dict(kwargs)
    defaults = {p.name: p.default for p in params}
    return {k: v for k, v in given.items() if not (k in defaults and defaults[k] == v)}


def _function_label(func, args, kwargs) -> str:
    name = getattr(func, "__name__", repr(func)).lstrip("_")
    if name == "max_pool2d_with_indices":
        name = "max_pool2d"
    if getattr(torch.Tensor, name, None) is func:
        rest = [repr(a) for a in args[1:]] + [f"{k}={v!r}" for k, v in (kwargs or {}).items()]
        return f"x.{name}({', '.join(rest)})"
    given = _without_defaults(func, args, kwargs or {})
    if name.startswith(("max_pool", "avg_pool")) and given.get("stride") in (
        None, given.get("kernel_size"), [], ()
    ):
        given.pop("stride", None)
    rest = [(f"{k}=" if k[0] != "#" else "") + _scalar_text(v) for k, v in given.items()]
    module = getattr(func, "__module__", "") or ""
    prefix = "F" if module.startswith("torch.nn.functional") else "torch"
    return f"{prefix}.{name}({', '.join(['x'] + rest)})"


class _Recorder(TorchFunctionMode):
    """Records top-level tensor functions called outside the leaf modules being hooked."""

    def __init__(self, rows: list):
        super().__init__()
        self.rows = rows
        self.depth = 0

    def __torch_function__(self, func, types, args=(), kwargs=None):
        result = func(*args, **(kwargs or {}))
        if self.depth == 0 and isinstance(result, torch.Tensor) and args:
            if isinstance(args[0], torch.Tensor) and not isinstance(result, nn.Parameter):
                label = _function_label(func, args, kwargs)
                self.rows.append(Row(label, 0, 0, tuple(result.shape[1:])))
        return result


@dataclass
class Summary:
    """The table of a network: ``input_shape`` (one sample) and one :class:`Row` per step."""

    input_shape: tuple[int, ...]
    rows: list[Row]

    @property
    def total_parameters(self) -> int:
        return sum(r.parameters for r in self.rows)

    @property
    def total_products(self) -> int:
        return sum(r.products for r in self.rows)

    def text(self) -> str:
        """The table as aligned text: sizes interleaved with operations, as in the lecture."""
        width = max(len(r.operation) for r in self.rows) + 2 if self.rows else 10
        lines = [f"{'Tensor sizes / operations':<{width}}{'parameters':>12}{'products':>12}"]
        lines.append(size_text(self.input_shape))
        for r in self.rows:
            lines.append(f"  {r.operation:<{width - 2}}{r.parameters:>12,}{r.products:>12,}")
            lines.append(size_text(r.output_shape))
        lines.append(f"{'Total':<{width}}{self.total_parameters:>12,}{self.total_products:>12,}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.text()


def summarize(model: nn.Module, input_shape=(1, 28, 28)) -> Summary:
    """The layer table of ``model`` for one input of shape ``input_shape`` (``C×H×W``).

    Runs ``model`` once (eval mode, no gradients) on a ``1×C×H×W`` zero tensor. Leaf modules
    give their parameters and products; functional calls in ``forward`` (pooling, activations,
    reshapes) appear as rows with none. Sizes leave out the batch dimension.
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"expected an nn.Module, got {type(model).__name__}")
    try:
        shape = tuple(int(s) for s in input_shape)
    except (TypeError, ValueError) as err:
        raise TypeError(f"input_shape must be a tuple of ints, got {input_shape!r}") from err
    if not shape or any(s < 1 for s in shape):
        raise ValueError(f"input_shape must hold positive sizes, got {input_shape!r}")
    rows: list[Row] = []
    recorder = _Recorder(rows)
    leaves = [m for m in model.modules() if not list(m.children())]

    def pre_hook(_module, _inputs):
        recorder.depth += 1

    def post_hook(module, _inputs, output):
        if recorder.depth == 1:
            out_shape = tuple(output.shape[1:])
            params = sum(p.numel() for p in module.parameters(recurse=False))
            rows.append(
                Row(module_label(module), params, module_products(module, out_shape), out_shape)
            )
        recorder.depth -= 1

    handles = [m.register_forward_pre_hook(pre_hook) for m in leaves]
    handles += [m.register_forward_hook(post_hook) for m in leaves]
    was_training = model.training
    model.eval()
    try:
        device = next((p.device for p in model.parameters()), torch.device("cpu"))
        x = torch.zeros((1, *shape), device=device)
        with torch.no_grad(), recorder:
            model(x)
    finally:
        for h in handles:
            h.remove()
        model.train(was_training)
    return Summary(shape, rows)
