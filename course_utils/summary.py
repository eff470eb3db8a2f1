"""A network's size, layer by layer, measured from the network itself (notebook 07).

:func:`summarize` runs one forward pass on a single zero image and records every step: leaf
modules (``nn.Conv2d``, ``nn.Linear``, ...) through forward hooks, and the functional calls
between them (``F.max_pool2d``, ``F.relu``, ``x.view``) through a ``TorchFunctionMode``, since
those are not modules and hooks never see them. Each row gives the operation, its parameters,
its products (multiply-accumulates, biases not counted) and the size of the tensor it outputs.
A parameter is counted once, in the row that first uses it: a leaf module's own, or one that a
module holds beside its children and passes to a call in its ``forward`` (``x.mul(self.scale)``).
Parameters the pass never uses (an auxiliary classifier that runs only in training) are listed
apart, so that the table holds every parameter of the model. Nothing in the table is typed in:
change the network and the table changes with it. It runs on the meta device too (shapes only).
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Iterator
from dataclasses import dataclass, field

import torch
from torch import nn
from torch.nn import functional as F
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
    """A layer's argument: ``3`` for ``(3, 3)``, ``(5, 3)``, ``'same'``."""
    if isinstance(value, (tuple, list)) and value and all(v == value[0] for v in value):
        value = value[0]
    return str(tuple(value)) if isinstance(value, (tuple, list)) else repr(value)


def module_label(module: nn.Module) -> str:
    """How the lecture writes a layer, e.g. ``nn.Conv2d(1, 32, kernel_size=5)``: one line,
    ``nn.`` for PyTorch's own layers only."""
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
    prefix = "nn." if type(module).__module__.startswith("torch.nn") else ""
    return prefix + " ".join(repr(module).split())


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


def _is_default(value, default) -> bool:
    if isinstance(value, torch.Tensor) or isinstance(default, torch.Tensor):
        return value is default
    try:
        return bool(value == default)
    except Exception:  # values that cannot be compared are kept
        return False


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
    return {k: v for k, v in given.items() if not (k in defaults and _is_default(v, defaults[k]))}


def _tensors(value) -> Iterator[torch.Tensor]:
    """The tensors in a call's arguments or result, nested in lists, tuples and dicts."""
    if isinstance(value, torch.Tensor):
        yield value
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _tensors(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _tensors(item)


class _Names:
    """How a call's arguments are written: the first activation is ``x``, the others and the
    parameters by their shape (``tensor 1×64×56×56``, ``Parameter 96×1×1``)."""

    def __init__(self):
        self.x = None

    def __call__(self, value, scalar: bool = False) -> str:
        if isinstance(value, torch.Tensor):
            if isinstance(value, nn.Parameter):
                return f"Parameter {size_text(tuple(value.shape))}"
            if self.x is None or self.x is value:
                self.x = value
                return "x"
            return f"tensor {size_text(tuple(value.shape))}"
        if isinstance(value, slice):
            parts = ["" if v is None else self(v) for v in (value.start, value.stop, value.step)]
            return ":".join(parts[:2] if value.step is None else parts)
        if value is Ellipsis:
            return "..."
        if isinstance(value, (tuple, list)) and any(True for _ in _tensors(value)):
            shown = [self(v) for v in value]
            if len(shown) > 4:
                shown = [*shown[:2], f"… {len(shown)} in all"]
            return ("[{}]" if isinstance(value, list) else "({})").format(", ".join(shown))
        if scalar:
            return _scalar_text(value)
        if isinstance(value, (tuple, list)):
            inner = ", ".join(self(v) for v in value)
            return f"({inner},)" if isinstance(value, tuple) and len(value) == 1 else (
                f"({inner})" if isinstance(value, tuple) else f"[{inner}]")
        return repr(value)


def _function_label(func, args, kwargs) -> str:
    names = _Names()
    full = getattr(func, "__name__", repr(func))
    if getattr(torch.Tensor, full, None) is func:  # a method: x.view(-1, 256), x[:, 0]
        receiver = names(args[0])
        if full == "__getitem__":  # an index is never the activation
            index = args[1] if isinstance(args[1], tuple) else (args[1],)
            names.x = names.x if names.x is not None else args[0]
            return f"{receiver}[{', '.join(names(i) for i in index)}]"
        rest = [names(a) for a in args[1:]] + [f"{k}={names(v)}" for k, v in (kwargs or {}).items()]
        method = full[2:-2] if full.startswith("__") and full.endswith("__") else full
        return f"{receiver}.{method}({', '.join(rest)})"
    name = full.lstrip("_")
    if name == "max_pool2d_with_indices":
        name = "max_pool2d"
    given = _without_defaults(func, args, kwargs or {})
    if name.startswith(("max_pool", "avg_pool")) and given.get("stride") in (
        None, given.get("kernel_size"), [], ()
    ):
        given.pop("stride", None)
    first = names(args[0]) if args else ""
    rest = [(f"{k}=" if k[0] != "#" else "") + names(v, scalar=True) for k, v in given.items()]
    module = getattr(func, "__module__", "") or ""
    functional = module.startswith("torch.nn.functional") or getattr(F, name, None) is func
    prefix = "F" if functional else "torch"
    return f"{prefix}.{name}({', '.join([first, *rest] if args else rest)})"


class _Recorder(TorchFunctionMode):
    """Records top-level tensor functions called outside the leaf modules being hooked, and
    counts each parameter once, in the first step that uses it."""

    def __init__(self, rows: list):
        super().__init__()
        # imported by the first summary, not by course_utils.summary: torch.utils.flop_counter
        # imports triton (0.3 s of a kernel's start), and notebooks that only draw blocks never
        # summarise
        from torch.utils.flop_counter import FlopCounterMode

        self.flop_counter = FlopCounterMode
        self.rows = rows
        self.depth = 0
        self.counted: set[int] = set()

    def first_uses(self, parameters) -> int:
        """How many numbers ``parameters`` hold that no earlier step counted (now counted)."""
        fresh = [p for p in parameters if id(p) not in self.counted]
        self.counted.update(id(p) for p in fresh)
        return sum(p.numel() for p in fresh)

    def __torch_function__(self, func, types, args=(), kwargs=None):
        if self.depth or getattr(func, "__name__", "") == "__get__":
            # inside a leaf module, or an attribute read (x.shape)
            return func(*args, **(kwargs or {}))
        with self.flop_counter(display=False) as flops:  # the products of F.linear, x @ w...
            result = func(*args, **(kwargs or {}))
        given = list(_tensors(list(args))) + list(_tensors(kwargs or {}))
        out = next(_tensors(result), None)
        if given and out is not None and not isinstance(result, nn.Parameter):
            parameters = self.first_uses(t for t in given if isinstance(t, nn.Parameter))
            label = _function_label(func, args, kwargs)
            products = flops.get_total_flops() // 2  # a multiply-accumulate is 2 operations
            self.rows.append(Row(label, parameters, products, tuple(out.shape[1:])))
        return result


def _unused_rows(model: nn.Module, counted: set[int]) -> list[Row]:
    """A row for each part of ``model`` whose parameters the pass never used: the outermost
    module all of whose parameters went unused, or a single parameter."""
    rows, covered = [], set()
    for name, module in model.named_modules():
        if any(name == c or name.startswith(c + ".") for c in covered if c):
            continue
        held = list(module.parameters())
        if held and not any(id(p) in counted for p in held) and name:
            covered.add(name)
            counted.update(id(p) for p in held)
            rows.append(Row(f"{name} ({type(module).__name__}): not used in this forward pass",
                            sum(p.numel() for p in held), 0, ()))
            continue
        for key, p in module.named_parameters(recurse=False):
            if id(p) not in counted:
                counted.add(id(p))
                where = f"{name}.{key}" if name else key
                rows.append(Row(f"{where} (Parameter {size_text(tuple(p.shape))}): not used in "
                                "this forward pass", p.numel(), 0, ()))
    return rows


@dataclass
class Summary:
    """The table of a network: ``input_shape`` (one sample), one :class:`Row` per step, and
    ``unused``: a row for each part of the model the pass never used (no output size)."""

    input_shape: tuple[int, ...]
    rows: list[Row]
    unused: list[Row] = field(default_factory=list)

    @property
    def total_parameters(self) -> int:
        """Every parameter of the model, each counted once, used in the pass or not."""
        return sum(r.parameters for r in self.rows + self.unused)

    @property
    def total_products(self) -> int:
        return sum(r.products for r in self.rows)

    def text(self) -> str:
        """The table as aligned text: sizes interleaved with operations, as in the lecture."""
        rows = self.rows + self.unused
        width = max(len(r.operation) for r in rows) + 2 if rows else 10
        lines = [f"{'Tensor sizes / operations':<{width}}{'parameters':>12}{'products':>12}"]
        lines.append(size_text(self.input_shape))
        for r in self.rows:
            lines.append(f"  {r.operation:<{width - 2}}{r.parameters:>12,}{r.products:>12,}")
            lines.append(size_text(r.output_shape))
        for r in self.unused:
            lines.append(f"  {r.operation:<{width - 2}}{r.parameters:>12,}{r.products:>12,}")
        lines.append(f"{'Total':<{width}}{self.total_parameters:>12,}{self.total_products:>12,}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.text()


def summarize(model: nn.Module, input_shape=(1, 28, 28)) -> Summary:
    """The layer table of ``model`` for one input of shape ``input_shape`` (``C×H×W``).

    Runs ``model`` once (eval mode, no gradients) on a ``1×C×H×W`` zero tensor, on the device
    of its parameters (the meta device too). Leaf modules give their parameters and products;
    functional calls in ``forward`` (pooling, activations, reshapes) appear as rows with no
    products, and with the parameters they are the first to use. Sizes leave out the batch
    dimension. Parameters the pass does not use are listed in ``unused``.
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
            out = next(_tensors(output), None)
            out_shape = tuple(out.shape[1:]) if out is not None else ()
            params = recorder.first_uses(module.parameters(recurse=False))
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
    return Summary(shape, rows, _unused_rows(model, recorder.counted))
