"""Exercise checks for notebook 06 (building modules, and the parameters that go missing).

1. :func:`check_repaired`: rewrite :class:`HiddenHeads`, whose layers ``parameters()`` cannot
   see, so that every layer and the trainable temperature are registered.
2. :func:`check_stack`: write ``Stack(widths)``, any number of fully connected layers, so that
   all of them are trained, saved and moved.
3. :data:`DICT_STATE`: what ``state_dict()`` holds for a layer kept in a plain dict (a question,
   its right choice read off a real ``state_dict()``).

The slips each checker names are listed beside it (:data:`REPAIRED_SLIPS`,
:data:`STACK_SLIPS`), as the classes a learner would write.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise

import torch
from torch import nn
from torch.nn import functional as F

from course_utils.exercises import (
    Feedback,
    Forbidden,
    Slip,
    correct,
    fmt,
    run,
    wrong,
)
from course_utils.exercises.questions import Question
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


def held_tensors(model: HiddenHeads) -> list[torch.Tensor]:
    """Every tensor a :class:`HiddenHeads` holds, read from where it hides them, in layer order."""
    layers = [*model.trunk, *model.heads.values()]
    return [p for layer in layers for p in layer.parameters()] + [model.temperature]


def _shapes(tensors) -> list[tuple[int, ...]]:
    return sorted(tuple(t.shape) for t in tensors)


def _listed(shapes: list[tuple[int, ...]]) -> str:
    return "[" + ", ".join(str(s) for s in shapes) + "]"


def _differ(got, expected: torch.Tensor) -> str | None:
    """None if ``got`` is ``expected`` (a tensor of its shape and values), else how it differs."""
    if not isinstance(got, torch.Tensor):
        return f"expected a tensor, got {fmt(got)}"
    if got.shape != expected.shape:
        return f"expected shape {tuple(expected.shape)}, got {tuple(got.shape)}"
    if got.dtype != expected.dtype:
        return f"expected dtype {expected.dtype}, got {got.dtype}"
    gap = (got.detach() - expected.detach()).abs().max().item()
    if gap > 1e-5:
        return f"the outputs differ from the right ones by up to {gap:.3g}"
    return None


def _load_by_shape(model: nn.Module, tensors: list[torch.Tensor]) -> None:
    """Copy ``tensors`` into ``model``'s parameters, matched by shape, in order within a shape."""
    pending = {}
    for t in tensors:
        pending.setdefault(tuple(t.shape), []).append(t)
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(pending[tuple(p.shape)].pop(0))


def _multiset_gap(got: list, expected: list) -> tuple[list, list]:
    """What ``expected`` holds that ``got`` lacks, and what ``got`` holds beyond it."""
    missing, extra = list(expected), []
    for item in got:
        if item in missing:
            missing.remove(item)
        else:
            extra.append(item)
    return missing, extra


def _shape_problem(model: nn.Module, shapes: list, expected: list) -> str:
    """How the parameter shapes differ from HiddenHeads' (and what a buffer there means)."""
    missing, extra = _multiset_gap(shapes, expected)
    text = (f"expected parameters of shapes {_listed(expected)} (in any order), got "
            f"{_listed(shapes)}: keep the same layers, only store them differently")
    if missing:
        text += f" (missing: {_listed(missing)}"
        text += f"; not expected: {_listed(extra)})" if extra else ")"
    if [b for b in model.buffers() if tuple(b.shape) in missing]:
        text += ("; the one of shape (1,) is a buffer: saved, but not trained; the temperature "
                 "is trained, so make it an nn.Parameter")
    return text


def _forward_variants(reference: HiddenHeads, x: torch.Tensor) -> dict[str, dict]:
    """What HiddenHeads' layers compute with a usual slip in the forward, by hint."""
    def run_trunk(relu: bool):
        h = x
        for layer in reference.trunk:
            h = F.relu(layer(h)) if relu else layer(h)
        return h

    t = reference.temperature
    plain, trunk = run_trunk(False), run_trunk(True)
    return {
        "left out the ReLUs after the trunk's layers": {
            n: head(plain) / t for n, head in reference.heads.items()},
        "multiplied the scores by the temperature: they are divided by it": {
            n: head(trunk) * t for n, head in reference.heads.items()},
    }


def _check_repaired_model(cls, model: nn.Module) -> Feedback | None:
    """None if ``model`` (built from ``cls``) is a right repair, else the feedback."""
    hidden = find_hidden(model)
    if hidden:
        listed = "".join(f"\n- {h}" for h in hidden)
        return wrong(f"parameters() still misses {len(hidden)} thing(s):{listed}")
    reference = HiddenHeads()
    with torch.no_grad():
        reference.temperature.fill_(1.5)  # so that a forgotten division shows
    expected_tensors = held_tensors(reference)
    shapes = _shapes(model.parameters())
    if shapes != _shapes(expected_tensors):
        return wrong(_shape_problem(model, shapes, _shapes(expected_tensors)))
    x = torch.randn(5, reference.trunk[0].in_features)
    try:
        out = model(x)
    except Exception as err:
        return wrong(f"model(x) with x of shape {fmt(tuple(x.shape))} raised "
                     f"{type(err).__name__}: {err}")
    expected = reference(x)
    if not isinstance(out, dict) or set(out) != set(expected):
        return wrong(f"expected forward to return a dict with keys {', '.join(map(repr, expected))}"
                     f", got {fmt(out)}")
    for name, value in expected.items():
        if not isinstance(out[name], torch.Tensor) or out[name].shape != value.shape:
            got = tuple(out[name].shape) if isinstance(out[name], torch.Tensor) else out[name]
            return wrong(f"expected out[{name!r}] of shape {tuple(value.shape)} for 5 inputs, "
                         f"got {fmt(got)}")
    total = sum(o.sum() for o in out.values())
    if total.requires_grad:
        total.backward()
    unused = [n for n, p in model.named_parameters() if p.grad is None]
    if unused:
        return wrong(
            f"these parameters are registered but forward never uses them: {', '.join(unused)}"
        )
    _load_by_shape(model, expected_tensors)
    out = model(x)
    for name, value in expected.items():
        problem = _differ(out[name], value)
        if problem is not None:
            slips = [hint for hint, variant in _forward_variants(reference, x).items()
                     if _differ(out[name], variant[name]) is None]
            hint = f": it looks like you {' or '.join(slips)}" if slips else ""
            return wrong(f"with HiddenHeads' weights and a temperature of 1.5, out[{name!r}] is "
                         f"not what HiddenHeads computes: {problem}{hint}")
    return None


def _from_the_course(cls: type) -> Feedback | None:
    """A refusal if ``cls`` is, or derives from, one of the course's classes (the checker's
    own right answers among them); :class:`HiddenHeads`, the one to repair, aside."""
    for base in cls.__mro__:
        if base.__module__.startswith("course_utils.") and base is not HiddenHeads:
            return wrong(f"{cls.__name__} is, or derives from, {base.__module__}."
                         f"{base.__qualname__}, the course's own: the exercise asks you to write "
                         "the class yourself")
    return None


def check_repaired(cls) -> Feedback:
    """Check a learner's repaired version of :class:`HiddenHeads`; never raises.

    ``cls`` is an ``nn.Module`` subclass built with no arguments, mapping ``N×20`` to a dict
    ``{"digit": N×10, "parity": N×2}``. Right if nothing is hidden from ``parameters()``, the
    parameter shapes are those :class:`HiddenHeads` holds (any names, any order), every
    parameter receives a gradient, and with the same numbers it computes what HiddenHeads does.
    """
    what = "a version of HiddenHeads whose layers and temperature are all registered"
    if not (isinstance(cls, type) and issubclass(cls, nn.Module)):
        return wrong(f"expected a class deriving from nn.Module, got {fmt(cls)}")
    torch.manual_seed(0)
    model, failed = run(what, f"building {cls.__name__}()", cls, {})
    if failed is not None:
        return failed
    try:
        problem = _check_repaired_model(cls, model)
    except Exception as err:  # the learner's module failing is feedback
        return wrong(f"checking {cls.__name__} raised {type(err).__name__}: {err}")
    if problem is not None:
        return problem
    refused = _from_the_course(cls)
    if refused is not None:
        return refused
    return correct(
        f"{cls.__name__} registers all {len(list(model.parameters()))} parameters "
        f"({sum(p.numel() for p in model.parameters()):,} numbers), each gets a gradient, "
        "and it computes what HiddenHeads does."
    )


def _repaired_slips() -> tuple[Slip, ...]:
    """The slips of exercise 1, as the classes a learner writes (a right repair, the base of
    the others, stays inside this function)."""

    class Repaired(nn.Module):
        """A right repair, the base of the slips below."""

        def __init__(self):
            super().__init__()
            self.trunk = nn.ModuleList([nn.Linear(20, 32), nn.Linear(32, 32)])
            self.heads = nn.ModuleDict({"digit": nn.Linear(32, 10), "parity": nn.Linear(32, 2)})
            self.temperature = nn.Parameter(torch.ones(1))

        def forward(self, x):
            for layer in self.trunk:
                x = F.relu(layer(x))
            return {name: head(x) / self.temperature for name, head in self.heads.items()}

    class TrunkInList(Repaired):
        def __init__(self):
            nn.Module.__init__(self)
            self.trunk = [nn.Linear(20, 32), nn.Linear(32, 32)]
            self.heads = nn.ModuleDict({"digit": nn.Linear(32, 10), "parity": nn.Linear(32, 2)})
            self.temperature = nn.Parameter(torch.ones(1))

    class HeadsInDict(Repaired):
        def __init__(self):
            nn.Module.__init__(self)
            self.trunk = nn.ModuleList([nn.Linear(20, 32), nn.Linear(32, 32)])
            self.heads = {"digit": nn.Linear(32, 10), "parity": nn.Linear(32, 2)}
            self.temperature = nn.Parameter(torch.ones(1))

    class PlainTemperature(Repaired):
        def __init__(self):
            super().__init__()
            del self.temperature
            self.temperature = torch.ones(1, requires_grad=True)

    class BufferTemperature(Repaired):
        def __init__(self):
            super().__init__()
            del self.temperature
            self.register_buffer("temperature", torch.ones(1))

    class NoTemperature(Repaired):
        def __init__(self):
            super().__init__()
            del self.temperature

        def forward(self, x):
            for layer in self.trunk:
                x = F.relu(layer(x))
            return {name: head(x) for name, head in self.heads.items()}

    class UnusedTemperature(Repaired):
        def forward(self, x):
            for layer in self.trunk:
                x = F.relu(layer(x))
            return {name: head(x) for name, head in self.heads.items()}

    class TimesTemperature(Repaired):
        def forward(self, x):
            for layer in self.trunk:
                x = F.relu(layer(x))
            return {name: head(x) * self.temperature for name, head in self.heads.items()}

    class NoRelu(Repaired):
        def forward(self, x):
            for layer in self.trunk:
                x = layer(x)
            return {name: head(x) / self.temperature for name, head in self.heads.items()}

    class ReturnsTuple(Repaired):
        def forward(self, x):
            out = super().forward(x)
            return out["digit"], out["parity"]

    class NoSuperInit(Repaired):
        def __init__(self):
            self.trunk = nn.ModuleList([nn.Linear(20, 32), nn.Linear(32, 32)])

    return (
        Slip("in a plain list", TrunkInList, by_result=False),
        Slip("in a plain dict", HeadsInDict, by_result=False),
        Slip("temperature: a tensor (1 number) as a plain attribute", PlainTemperature,
             by_result=False),
        Slip("a buffer: saved, but not trained", BufferTemperature, by_result=False),
        Slip("(missing: [(1,)])", NoTemperature, by_result=False),
        Slip("never uses them: temperature", UnusedTemperature, by_result=False),
        Slip("multiplied the scores by the temperature", TimesTemperature, by_result=False),
        Slip("left out the ReLUs", NoRelu, by_result=False),
        Slip("a dict with keys", ReturnsTuple, by_result=False),
        Slip("Module.__init__() call", NoSuperInit, by_result=False),
        Slip("a class deriving from nn.Module", Repaired(), by_result=False),
    )


REPAIRED_SLIPS = _repaired_slips()
"""Slips of exercise 1 (``Repaired``), each a class a learner writes (or its instance)."""


# Exercise 2: Stack(widths) --------------------------------------------------------------------

STACK_WIDTHS = ((2, 64, 2), (2, 16, 16, 2), (5, 3), (4, 8, 8, 8, 3))


def reference_stack(widths: Sequence[int]) -> nn.Sequential:
    """``Linear(w0, w1), ReLU, Linear(w1, w2), ..., Linear(w[-2], w[-1])``: no ReLU at the end."""
    if len(widths) < 2 or not all(isinstance(w, int) and w > 0 for w in widths):
        raise ValueError(f"expected at least two positive int widths, got {widths!r}")
    layers: list[nn.Module] = []
    for n_in, n_out in pairwise(widths):
        if layers:
            layers.append(nn.ReLU())
        layers.append(nn.Linear(n_in, n_out))
    return nn.Sequential(*layers)


OWN_LAYERS = Forbidden(python=(reference_stack,), task="build the layers yourself")
"""``Stack`` builds its own layers: not the checker's :func:`reference_stack`."""


def _stack_slip(got: torch.Tensor, reference: nn.Sequential, x: torch.Tensor) -> str | None:
    """Name the usual slip when ``got`` is what a misplaced or missing ReLU computes."""
    with torch.no_grad():
        expected = reference(x)
        linear_only = x
        for layer in reference:
            if isinstance(layer, nn.Linear):
                linear_only = layer(linear_only)
    if torch.allclose(got, F.relu(expected), atol=1e-5):
        return "no ReLU after the last layer: class scores must be free to be negative"
    if torch.allclose(got, linear_only, atol=1e-5):
        return "put a ReLU between consecutive layers: without it the stack is one linear map"
    return None


def _check_one_stack(cls, widths: tuple[int, ...]) -> Feedback | None:
    """None if ``cls(widths)`` is right, else the feedback for the first problem found."""
    where = f"for widths {list(widths)}"
    torch.manual_seed(0)
    model, failed = run("Stack(widths)", f"{where}, building Stack", cls,
                        {"widths": list(widths)}, OWN_LAYERS)
    if failed is not None:
        return failed
    if not isinstance(model, nn.Module):
        return wrong(f"{where} Stack(widths) gave a {type(model).__name__}, not an nn.Module")
    hidden = find_hidden(model)
    if hidden:
        listed = "".join(f"\n- {h}" for h in hidden)
        return wrong(f"{where} parameters() misses {len(hidden)} thing(s):{listed}")
    reference = reference_stack(widths)
    shapes = [tuple(p.shape) for p in model.parameters()]
    expected_shapes = [tuple(p.shape) for p in reference.parameters()]
    if shapes != expected_shapes:
        if sorted(shapes) == sorted(expected_shapes):
            hint = " in the order the layers run"
        elif shapes == [s for s in expected_shapes if len(s) == 2]:
            hint = " (the layers have no bias: nn.Linear adds one unless bias=False)"
        else:
            hint = ""
        return wrong(f"{where} expected parameters of shapes {_listed(expected_shapes)}{hint}, "
                     f"got {_listed(shapes)}")
    with torch.no_grad():
        for mine, theirs in zip(reference.parameters(), model.parameters(), strict=True):
            mine.copy_(theirs)
    x = torch.randn(7, widths[0], generator=torch.Generator().manual_seed(1))
    got, failed = run("Stack.forward", f"{where}, model(x) with x of shape 7×{widths[0]}",
                      model, {"x": x}, OWN_LAYERS)
    if failed is not None:
        return failed
    problem = _differ(got, reference(x))
    if problem is not None:
        slip = _stack_slip(got, reference, x) if "outputs differ" in problem else None
        return wrong(f"{where}, compared with Linear and ReLU layers holding the same weights: "
                     f"{problem}" + (f" ({slip})" if slip else ""))
    if got.requires_grad:
        got.sum().backward()
    unused = [n for n, p in model.named_parameters() if p.grad is None]
    if unused:
        return wrong(f"{where} these parameters get no gradient (forward never uses them): "
                     f"{', '.join(unused)}")
    torch.manual_seed(1)
    copy = cls(list(widths))
    copy.load_state_dict(model.state_dict())
    if not torch.equal(copy(x), got):
        return wrong(f"{where} a Stack loaded from model.state_dict() computes something else: "
                     "some of what forward uses is not saved")
    model.to(torch.float64)
    left = [n for n, p in model.named_parameters() if p.dtype != torch.float64]
    if left:
        return wrong(f"{where} model.to(torch.float64) left behind: {', '.join(left)}")
    return None


def check_stack(cls) -> Feedback:
    """Check a learner's ``Stack``: ``Stack(widths)`` maps ``N×widths[0]`` to ``N×widths[-1]``.

    Tried on each of :data:`STACK_WIDTHS`: nothing hidden from ``parameters()``, the parameters
    of :func:`reference_stack` in the order the layers run, the same outputs with the same
    weights, a gradient for every parameter, a ``state_dict()`` round trip and ``.to(float64)``.
    Never raises.
    """
    if not (isinstance(cls, type) and issubclass(cls, nn.Module)):
        return wrong(f"expected a class deriving from nn.Module, got {fmt(cls)}")
    for widths in STACK_WIDTHS:
        try:
            problem = _check_one_stack(cls, widths)
        except Exception as err:  # the learner's module failing is feedback
            return wrong(f"for widths {list(widths)} your Stack raised "
                         f"{type(err).__name__}: {err}")
        if problem is not None:
            return problem
    refused = _from_the_course(cls)
    if refused is not None:
        return refused
    tried = ", ".join(str(list(w)) for w in STACK_WIDTHS)
    return correct(f"for widths {tried}, every layer is registered in order, computes what it "
                   "should, gets a gradient, survives a state_dict() round trip and moves with "
                   ".to().")


def _stack_slips() -> tuple[Slip, ...]:
    """The slips of exercise 2, as the classes a learner writes (a right Stack, the base of
    the others, stays inside this function)."""

    class Stack(nn.Module):
        """A right Stack, the base of the slips below."""

        def __init__(self, widths):
            super().__init__()
            self.layers = nn.ModuleList(nn.Linear(a, b) for a, b in pairwise(widths))

        def forward(self, x):
            for layer in self.layers[:-1]:
                x = F.relu(layer(x))
            return self.layers[-1](x)

    class StackInList(Stack):
        def __init__(self, widths):
            nn.Module.__init__(self)
            self.layers = [nn.Linear(a, b) for a, b in pairwise(widths)]

    class StackInDict(Stack):
        def __init__(self, widths):
            nn.Module.__init__(self)
            self.named = {f"fc{i}": nn.Linear(a, b) for i, (a, b) in enumerate(pairwise(widths))}

        def forward(self, x):
            *hidden, last = self.named.values()
            for layer in hidden:
                x = F.relu(layer(x))
            return last(x)

    class ReluAtTheEnd(Stack):
        def forward(self, x):
            for layer in self.layers:
                x = F.relu(layer(x))
            return x

    class NoReluAtAll(Stack):
        def forward(self, x):
            for layer in self.layers:
                x = layer(x)
            return x

    class Reversed(Stack):
        """Registers the layers last first, then runs them first first."""

        def __init__(self, widths):
            super().__init__(widths)
            self.layers = nn.ModuleList(list(self.layers)[::-1])

        def forward(self, x):
            layers = list(self.layers)[::-1]
            for layer in layers[:-1]:
                x = F.relu(layer(x))
            return layers[-1](x)

    class TwoLayersAlways(nn.Module):
        """Right only when there are exactly two layers."""

        def __init__(self, widths):
            super().__init__()
            self.first = nn.Linear(widths[0], widths[1])
            self.last = nn.Linear(widths[1], widths[-1])

        def forward(self, x):
            return self.last(F.relu(self.first(x)))

    class NoBias(Stack):
        def __init__(self, widths):
            super().__init__(widths)
            self.layers = nn.ModuleList(nn.Linear(a, b, bias=False) for a, b in pairwise(widths))

    class HiddenScale(Stack):
        """Uses a trainable scale that is a plain tensor: hidden, so never trained nor saved."""

        def __init__(self, widths):
            super().__init__(widths)
            self.scale = torch.ones(1, requires_grad=True)

        def forward(self, x):
            return super().forward(x) * self.scale

    class SkipsTheLast(Stack):
        def forward(self, x):
            for layer in self.layers[:-1]:
                x = F.relu(layer(x))
            return x

    return (
        Slip("layers[0]: a module (192 numbers) in a plain list", StackInList, by_result=False),
        Slip("in a plain dict", StackInDict, by_result=False),
        Slip("scale: a tensor (1 number) as a plain attribute", HiddenScale, by_result=False),
        Slip("no ReLU after the last layer", ReluAtTheEnd, by_result=False),
        Slip("put a ReLU between consecutive layers", NoReluAtAll, by_result=False),
        Slip("in the order the layers run", Reversed, by_result=False),
        Slip("for widths [2, 16, 16, 2] expected parameters of shapes", TwoLayersAlways,
             by_result=False),
        Slip("the layers have no bias", NoBias, by_result=False),
        Slip("expected shape (7, 2), got (7, 64)", SkipsTheLast, by_result=False),
        Slip("a class deriving from nn.Module", Stack([2, 3]), by_result=False),
    )


STACK_SLIPS = _stack_slips()
"""Slips of exercise 2 (``Stack``), each a class a learner writes (or its instance)."""


# The question: a layer kept in a plain dict, and state_dict() -------------------------------


class LayerInDict(nn.Module):
    """The question's module: a hidden layer in a plain dict, the output layer registered."""

    def __init__(self):
        super().__init__()
        self.layers = {"hidden": nn.Linear(2, 64)}
        self.out = nn.Linear(64, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.out(F.relu(self.layers["hidden"](x)))


def _what_state_dict_holds() -> str:
    """The right letter of :data:`DICT_STATE`, read off a real ``state_dict()``."""
    try:
        keys = list(LayerInDict().state_dict())
    except Exception:
        return "d"
    if any(k.startswith("layers.hidden.") for k in keys):
        return "a"
    return "c" if "layers" in keys else "b"


DICT_STATE = Question(
    prompt=(
        'A module keeps its hidden layer in a plain dict, self.layers = {"hidden": '
        "nn.Linear(2, 64)}, and its output layer as self.out = nn.Linear(64, 2). What does "
        "model.state_dict(), the usual thing to save with torch.save, hold for the hidden layer?"
    ),
    choices={
        "a": "'layers.hidden.weight' and 'layers.hidden.bias', like 'out.weight' and 'out.bias'",
        "b": "nothing: it holds 'out.weight' and 'out.bias' only",
        "c": "one entry, 'layers', holding the dict itself",
        "d": "nothing, because state_dict() raises an error about the plain dict",
    },
    why={
        "a": "that is what an nn.ModuleDict would give; a plain dict is invisible to the module.",
        "b": "state_dict() walks the same registry as parameters(): a layer in a plain dict is "
             "not in it, so it is neither trained nor saved, and nothing warns you.",
        "c": "state_dict() holds only tensors (parameters and buffers) from the registry; plain "
             "attributes are never saved, dicts included.",
        "d": "nothing checks plain attributes: no error, no warning; that is what makes the bug "
             "dangerous.",
    },
    right=_what_state_dict_holds,
)
