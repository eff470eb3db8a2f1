"""Exercise checks for notebook 06 (modules and their pitfalls).

1. :func:`check_repaired`: rewrite :class:`HiddenHeads`, whose layers ``parameters()`` cannot
   see, so that every layer and the trainable temperature are registered.
2. :func:`check_layer_shapes`: predict, without running them, the shapes of the weights and
   outputs of :data:`SHAPES_CONV` and :data:`SHAPES_LINEAR` on the inputs given.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn
from torch.nn import functional as F

from course_utils.exercises import Feedback, attempt, correct, fmt, not_implemented, wrong
from course_utils.registration import find_hidden


class HiddenHeads(nn.Module):
    """A trunk of two layers and two heads: ``N×20`` features to ``{"digit": N×10, "parity": N×2}``.

    Buggy on purpose: the layers sit in a plain list and a plain dict, and the temperature is a
    plain tensor, so ``parameters()`` yields nothing and an optimizer would train nothing.
    """

    def __init__(self):
        super().__init__()
        self.trunk = [nn.Linear(20, 32), nn.Linear(32, 32)]
        self.heads = {"digit": nn.Linear(32, 10), "parity": nn.Linear(32, 2)}
        self.temperature = torch.ones(1, requires_grad=True)

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        for layer in self.trunk:
            x = F.relu(layer(x))
        return {name: head(x) / self.temperature for name, head in self.heads.items()}


# Parameter shapes a repaired HiddenHeads must have (any names, any order): 2,125 numbers.
REPAIRED_SHAPES = sorted(
    [(32, 20), (32,), (32, 32), (32,), (10, 32), (10,), (2, 32), (2,), (1,)]
)
_HEAD_SHAPES = {"digit": 10, "parity": 2}


def _shapes(model: nn.Module) -> list[tuple[int, ...]]:
    return sorted(tuple(p.shape) for p in model.parameters())


def check_repaired(cls) -> Feedback:
    """Check a learner's repaired version of :class:`HiddenHeads`.

    ``cls`` is an ``nn.Module`` subclass built with no arguments, mapping ``N×20`` to a dict
    ``{"digit": N×10, "parity": N×2}``. Right if nothing is hidden from ``parameters()``, the
    parameter shapes are those of :class:`HiddenHeads` (any names, any order) and every
    parameter receives a gradient.
    """
    what = "a version of HiddenHeads whose layers and temperature are all registered"
    if not (isinstance(cls, type) and issubclass(cls, nn.Module)):
        return wrong(f"expected a class deriving from nn.Module, got {fmt(cls)}")
    try:
        torch.manual_seed(0)
        model = cls()
    except NotImplementedError:
        return not_implemented(what)
    except Exception as err:  # the learner's constructor failing is feedback
        return wrong(f"building {cls.__name__}() raised {type(err).__name__}: {err}")
    hidden = find_hidden(model)
    if hidden:
        listed = "".join(f"\n- {h}" for h in hidden)
        return wrong(f"parameters() still misses {len(hidden)} thing(s):{listed}")
    shapes = _shapes(model)
    if shapes != REPAIRED_SHAPES:
        return wrong(
            f"expected parameters of shapes {fmt(REPAIRED_SHAPES)} (in any order), "
            f"got {fmt(shapes)}: keep the same layers, only store them differently"
        )
    x = torch.randn(5, 20)
    try:
        out = model(x)
    except Exception as err:
        return wrong(f"model(x) with x of shape 5×20 raised {type(err).__name__}: {err}")
    if not isinstance(out, dict) or set(out) != set(_HEAD_SHAPES):
        return wrong(
            f"expected forward to return a dict with keys 'digit' and 'parity', got {fmt(out)}"
        )
    for name, width in _HEAD_SHAPES.items():
        if not isinstance(out[name], torch.Tensor) or tuple(out[name].shape) != (5, width):
            got = tuple(out[name].shape) if isinstance(out[name], torch.Tensor) else out[name]
            return wrong(f"expected out[{name!r}] of shape (5, {width}) for 5 inputs, got {got}")
    sum(o.sum() for o in out.values()).backward()
    unused = [n for n, p in model.named_parameters() if p.grad is None]
    if unused:
        return wrong(
            f"these parameters are registered but forward never uses them: {', '.join(unused)}"
        )
    return correct(
        f"{cls.__name__} registers all {len(shapes)} parameters "
        f"({sum(p.numel() for p in model.parameters()):,} numbers), and each gets a gradient."
    )


SHAPES_CONV = {
    "in_channels": 3, "out_channels": 8, "kernel_size": (5, 3), "stride": 2, "padding": 1
}
SHAPES_CONV_INPUT = (16, 3, 32, 32)
SHAPES_LINEAR = {"in_features": 12, "out_features": 5}
SHAPES_LINEAR_INPUT = (2, 3, 12)

SHAPE_KEYS = ("conv weight", "conv bias", "conv output", "linear output")

# Typical slips, and what to say about them.
_HINTS = {
    ("conv weight", (3, 8, 5, 3)): "a conv weight is out_channels × in_channels × kh × kw",
    ("conv weight", (8, 3, 3, 5)): "kernel_size=(5, 3) is (height, width)",
    ("conv bias", (3,)): "there is one bias per output channel",
    ("conv output", (16, 8, 28, 30)): "that is with stride 1 and no padding",
    ("conv output", (16, 8, 30, 32)): "that is with stride 1: stride 2 halves each size",
    ("conv output", (16, 8, 14, 15)): "that forgets the padding of 1 on each side",
    ("conv output", (16, 8, 16, 15)): "kernel_size=(5, 3) is (height, width)",
    ("linear output", (2, 5)): "nn.Linear keeps every leading dimension, not only the first",
    ("linear output", (6, 5)): "nn.Linear does not flatten the leading dimensions",
    ("linear output", (2, 3, 12)): "out_features replaces the last dimension",
}


def expected_shapes() -> dict[str, tuple[int, ...]]:
    """The right answers, by building the layers and running them (the reference)."""
    conv = nn.Conv2d(**SHAPES_CONV)
    linear = nn.Linear(**SHAPES_LINEAR)
    with torch.no_grad():
        conv_out = conv(torch.zeros(SHAPES_CONV_INPUT))
        linear_out = linear(torch.zeros(SHAPES_LINEAR_INPUT))
    return {
        "conv weight": tuple(conv.weight.shape),
        "conv bias": tuple(conv.bias.shape),
        "conv output": tuple(conv_out.shape),
        "linear output": tuple(linear_out.shape),
    }


def _as_shape(value) -> tuple[int, ...] | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return (value,)
    try:
        shape = tuple(value)
    except TypeError:
        return None
    if all(isinstance(v, int) and not isinstance(v, bool) for v in shape):
        return shape
    return None


def check_layer_shapes(predict: Callable[[], dict]) -> Feedback:
    """Check a learner's ``predict()``: a dict from each of :data:`SHAPE_KEYS` to a shape.

    Shapes are tuples of ints (a ``torch.Size`` or a list is fine too). The reference runs
    ``nn.Conv2d(**SHAPES_CONV)`` on a ``16×3×32×32`` input and ``nn.Linear(**SHAPES_LINEAR)``
    on a ``2×3×12`` input.
    """
    what = "predicted_shapes(), returning the four shapes"
    if not callable(predict):
        return wrong(f"expected a function returning a dict of shapes, got {fmt(predict)}")
    answers, failed = attempt(what, "your function", predict)
    if failed is not None:
        return failed
    if not isinstance(answers, dict):
        return wrong(f"expected a dict with keys {', '.join(SHAPE_KEYS)}, got {fmt(answers)}")
    missing = [k for k in SHAPE_KEYS if k not in answers]
    if missing:
        return wrong(f"the dict lacks the key(s) {', '.join(map(repr, missing))}")
    for key, right in expected_shapes().items():
        got = _as_shape(answers[key])
        if got is None:
            return wrong(f"{key}: expected a shape (a tuple of ints), got {fmt(answers[key])}")
        if got != right:
            hint = _HINTS.get((key, got))
            return wrong(f"{key}: expected {right}, got {got}" + (f" ({hint})" if hint else ""))
    listed = ", ".join(f"{k} {v}" for k, v in expected_shapes().items())
    return correct(f"all four shapes: {listed}")
