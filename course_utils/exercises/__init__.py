"""Exercise checks: run a learner's answer on cases and answer like a tutor.

An exercise in a notebook is a function the learner writes (committed as a stub that raises
``NotImplementedError``) or a value they predict. A checker returns a :class:`Feedback`:
``passed`` is True only for a right answer, and its text, shown as the cell's output, says
"not implemented yet", or names the first case that went wrong, what was expected and what came.
Checkers never raise on a wrong answer, so a notebook committed with its exercises unsolved
still runs top to bottom.

Two things every checker shares live here:

- :class:`Guard` watches the learner's code while it runs: what it calls that the exercise
  forbids (:class:`Forbidden`: PyTorch operations seen both as Python calls, ``F.conv1d``, and
  at the dispatcher, ``torch.ops.aten.convolution``, however they were reached; Python
  functions such as ``course_utils``' own references; building a layer), whether it changes its
  inputs in place (:func:`run`), and how much it does (:func:`steps`: a loop over positions
  does more on a larger input, a vectorised answer does not).
- :class:`Slip`: a typical wrong answer, as code, with the hint its checker gives. Each checker
  module keeps its list of slips beside its checker, names a slip when the learner's result is
  what that slip gives (:func:`slip_hint`), and chooses its cases so that every slip shows
  (:func:`cases_showing`); the tests hand every slip to its checker.

The checkers for each notebook live beside this module (``convolution``, ``arithmetic``, ...).
"""

from __future__ import annotations

import inspect
import math
import re
import sys
import types
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import torch
from torch import nn
from torch.nn import functional as F
from torch.overrides import TorchFunctionMode
from torch.utils._python_dispatch import TorchDispatchMode


@dataclass
class Feedback:
    """The outcome of a check: ``passed``, ``implemented`` and a message for the learner."""

    passed: bool
    message: str
    implemented: bool = True
    details: dict = field(default_factory=dict)

    def __bool__(self) -> bool:
        return self.passed

    def __repr__(self) -> str:
        return self.message

    def _repr_markdown_(self) -> str:
        return ("✅ " if self.passed else ("✏️ " if not self.implemented else "❌ ")) + self.message


def correct(what: str) -> Feedback:
    return Feedback(True, f"Correct: {what}")


def not_implemented(what: str) -> Feedback:
    return Feedback(
        False,
        f"Not implemented yet: write {what}, then run this cell again.",
        implemented=False,
    )


def wrong(message: str, **details) -> Feedback:
    return Feedback(False, message, details=details)


def attempt(
    what: str, who: str, fn: Callable, /, *args, **kwargs
) -> tuple[object, Feedback | None]:
    """Call the learner's ``fn(*args, **kwargs)``: ``(result, None)``, or ``(None, feedback)``.

    ``NotImplementedError`` (the committed stub) answers "not implemented yet" for ``what``;
    any other exception becomes "``who`` raised TypeError: ...", e.g. with ``who`` =
    "for x = (1, 2) your function".
    """
    try:
        return fn(*args, **kwargs), None
    except NotImplementedError:
        return None, not_implemented(what)
    except Exception as err:  # the learner's code failing is feedback, not a crash
        return None, wrong(f"{who} raised {type(err).__name__}: {err}")


def int_tuple(answer) -> tuple[int, ...] | None:
    """A predicted shape or sequence as a tuple of ints, or None if it is not one."""
    try:
        return tuple(int(v) for v in answer)
    except (TypeError, ValueError):
        return None


def fmt(value, decimals: int = 4) -> str:
    """A short, readable rendering of a tensor, number or sequence for feedback messages."""
    if isinstance(value, torch.Tensor):
        value = value.detach().cpu()
        if value.numel() > 12:
            return f"a tensor of shape {tuple(value.shape)}"
        if value.dim() == 0:
            return fmt(value.item(), decimals)
        return "(" + ", ".join(fmt(v, decimals) for v in value) + ")"
    if isinstance(value, float):
        if math.isfinite(value) and value == int(value):
            return str(int(value))
        return f"{value:.{decimals}g}"
    if isinstance(value, (list, tuple)):
        return "(" + ", ".join(fmt(v, decimals) for v in value) + ")"
    return repr(value)


def _describe_inputs(inputs: Mapping[str, object]) -> str:
    """``x = (1, 2) and u = (3,)``: the inputs of a case, as feedback names them."""
    return " and ".join(f"{k} = {fmt(v)}" for k, v in inputs.items())


def compare_tensors(
    got, expected: torch.Tensor, inputs: Mapping[str, object], atol: float = 1e-4
) -> Feedback | None:
    """None if ``got`` equals ``expected`` (shape, dtype, values), else a Feedback saying how."""
    where = f"for {_describe_inputs(inputs)}" if inputs else "here"
    if not isinstance(got, torch.Tensor):
        return wrong(f"{where} expected a torch.Tensor, got {type(got).__name__}: {fmt(got)}")
    if tuple(got.shape) != tuple(expected.shape):
        return wrong(
            f"{where} expected shape {tuple(expected.shape)}, got shape {tuple(got.shape)} "
            f"(expected {fmt(expected)}, got {fmt(got)})"
        )
    if got.dtype != expected.dtype:
        return wrong(f"{where} expected dtype {expected.dtype}, got {got.dtype}")
    if not torch.allclose(got.detach().cpu(), expected.detach().cpu(), atol=atol, rtol=1e-4):
        return wrong(f"{where} expected {fmt(expected)}, got {fmt(got)}")
    return None


# ---------------------------------------------------------------------------------------------
# Typical slips


@dataclass(frozen=True)
class Slip:
    """A typical wrong answer to an exercise, as a learner would hand it in, and its hint.

    ``answer``: the wrong function, class or value. ``hint``: what the checker's message says
    when it is handed this answer. ``by_result``: the checker names the slip whenever an
    answer's result is this slip's on the case that went wrong (:func:`slip_hint`); when False,
    the checker recognises it by what it does (its type, an input changed in place, an error,
    a loop) and its own message holds ``hint``.
    """

    hint: str
    answer: object
    by_result: bool = True


def same(got, expected, atol: float = 1e-4) -> bool:
    """Whether ``got`` is ``expected``: tensors of one shape and dtype whose values agree
    (NaN with NaN), sequences item by item, anything else by ``==``; never raises."""
    if isinstance(expected, torch.Tensor):
        return (isinstance(got, torch.Tensor) and got.shape == expected.shape
                and got.dtype == expected.dtype
                and torch.allclose(got.detach().cpu(), expected.detach().cpu(), atol=atol,
                                   rtol=1e-4, equal_nan=True))
    if isinstance(expected, (tuple, list)):
        return (isinstance(got, (tuple, list)) and len(got) == len(expected)
                and all(same(g, e, atol) for g, e in zip(got, expected, strict=True)))
    if isinstance(got, torch.Tensor):
        return False
    try:
        return bool(got == expected) and type(got) is type(expected)
    except Exception:  # an answer that cannot even be compared is not the slip
        return False


def slip_hint(
    slips: Iterable[Slip], got, result_of: Callable[[Slip], object], atol: float = 1e-4
) -> str:
    """``": it looks like you <hint>."`` for every slip whose result is ``got``, else ``"."``.

    ``result_of(slip)`` gives what the slip gives on the case that went wrong (a slip that
    raises there gives nothing); tensors agree within ``atol``.
    """
    named: list[str] = []
    for slip in slips:
        if not slip.by_result or slip.hint in named:
            continue
        try:
            theirs = result_of(slip)
        except Exception:  # a slip that fails on this case is not what the learner did
            continue
        if same(got, theirs, atol):
            named.append(slip.hint)
    return f": it looks like you {' or '.join(named)}." if named else "."


def cases_showing(
    slips: Iterable[Slip],
    reference: Callable,
    cases: Iterable[Mapping[str, object]],
    candidates: Iterable[Mapping[str, object]],
) -> list[dict]:
    """``cases``, and for each function slip that none of them shows, the first candidate that does.

    A case shows a slip when ``slip.answer(*case.values())`` returns something other than
    ``reference(**case)``. ``candidates`` are read only as far as needed. ``ValueError`` if no
    candidate shows some slip (then it is no slip).
    """
    chosen = [(dict(c), reference(**c)) for c in cases]
    candidates = iter(candidates)

    def shows(slip: Slip, case: dict, expected) -> bool:
        try:
            theirs = slip.answer(*case.values())
        except Exception:  # a case where the slip fails cannot name it
            return False
        return not same(theirs, expected)

    for slip in slips:
        if not slip.by_result or any(shows(slip, c, e) for c, e in chosen):
            continue
        for candidate in map(dict, candidates):
            expected = reference(**candidate)
            if shows(slip, candidate, expected):
                chosen.append((candidate, expected))
                break
        else:
            raise ValueError(f"no candidate case tells the slip {slip.hint!r} from the answer")
    return [c for c, _ in chosen]


# ---------------------------------------------------------------------------------------------
# What an exercise forbids, and the guard that sees it

# Names (leading underscores dropped) of PyTorch functions and aten operations, as patterns.
CONVOLUTION = r"\w*conv(\dd|_transpose\dd|olution|_tbc|_depthwise\dd)\w*"
MAX_POOLING = r"\w*max_pool\dd\w*"
SOFTMAX_AND_LOSSES = (r"(special_)?(log_?softmax|softmax|softmin|logsumexp)\w*"
                      r"|nll_loss\w*|cross_entropy\w*")
ANY_OPERATION = r".+"


@dataclass(frozen=True)
class Forbidden:
    """What an exercise asks the learner to compute without.

    ``operations``: a pattern for the names of PyTorch functions and aten operations
    (``CONVOLUTION``...), matched in full after leading underscores. ``python``: functions,
    classes (every method) or whole modules that must not run, each alone or as
    ``(thing, name shown)``. ``layers``: building any ``nn.Module``. ``task``: what the
    exercise asks, completing "the exercise asks you to ...".
    """

    operations: str = ""
    python: tuple = ()
    layers: bool = False
    task: str = "compute it"

    def forbids_operation(self, name: str) -> bool:
        return bool(self.operations) and re.fullmatch(self.operations, name.lstrip("_")) is not None

    def message(self, used: Sequence[str]) -> str:
        them = "it" if len(used) == 1 else "them"
        names = ", ".join(used[:3]) + (f" and {len(used) - 3} more" if len(used) > 3 else "")
        return f"you called {names}: the exercise asks you to {self.task} without {them}"


def _class_name(cls: type) -> str:
    """``nn.Conv2d`` for PyTorch's layers, the class's own name for the others."""
    return f"nn.{cls.__name__}" if cls.__module__.startswith("torch.nn") else cls.__qualname__


def function_name(func) -> str:
    """The name a learner calls a PyTorch function by: ``F.conv1d``, ``x.softmax``,
    ``torch.special.logsumexp``, ``torch.flatten``."""
    name = getattr(func, "__name__", repr(func))
    module = getattr(func, "__module__", None) or ""
    if module.startswith("torch._ops."):
        return f"torch.ops.{module.rpartition('.')[2]}.{name}"
    if getattr(F, name.lstrip("_"), None) is func or module == F.__name__:
        return f"F.{name.lstrip('_')}"
    if getattr(torch.Tensor, name, None) is func:
        return f"x.{name}"
    if name.startswith("special_"):
        return f"torch.special.{name.removeprefix('special_')}"
    if module.startswith("torch._C."):
        return f"{module}.{name}"
    return f"torch.{name}"


def _codes(things: Iterable) -> dict[types.CodeType, str]:
    """The code objects of ``things`` (see :attr:`Forbidden.python`), each with its name."""
    codes: dict[types.CodeType, str] = {}

    def add(thing, name: str) -> None:
        if isinstance(thing, types.ModuleType):
            for value in vars(thing).values():
                if getattr(value, "__module__", None) == thing.__name__ and (
                        inspect.isfunction(value) or inspect.isclass(value)):
                    add(value, f"{thing.__name__}.{value.__qualname__}")
        elif inspect.isclass(thing):  # a layer is "called" whichever of its methods runs
            layer = issubclass(thing, nn.Module)
            for key, value in vars(thing).items():
                value = getattr(value, "__func__", getattr(value, "fget", value))
                if inspect.isfunction(value):
                    codes.setdefault(value.__code__,
                                     name if layer or key == "__init__" else f"{name}.{key}")
        else:
            function = getattr(thing, "_implementation", None) or inspect.unwrap(thing)
            code = getattr(function, "__code__", None)
            if code is not None:
                codes.setdefault(code, name)

    for entry in things:
        thing, name = entry if isinstance(entry, tuple) else (entry, None)
        if name is None and isinstance(thing, types.ModuleType):
            name = thing.__name__
        elif name is None:
            name = (_class_name(thing) if inspect.isclass(thing) and issubclass(thing, nn.Module)
                    else f"{thing.__module__}.{thing.__qualname__}")
        add(thing, name)
    return codes


_MODULE_INIT = nn.Module.__init__.__code__


class _Calls(TorchFunctionMode):
    """The Python side of a :class:`Guard`: PyTorch functions as the learner calls them."""

    def __init__(self, guard: Guard):
        super().__init__()
        self.guard = guard

    def __torch_function__(self, func, types, args=(), kwargs=None):
        guard, name = self.guard, getattr(func, "__name__", "")
        if guard.quiet or name == "__get__" or not guard.forbidden.forbids_operation(name):
            return func(*args, **(kwargs or {}))  # reading an attribute (x.shape) is no call
        guard.record(function_name(func))
        guard.inside += 1
        try:
            return func(*args, **(kwargs or {}))
        finally:
            guard.inside -= 1


class _Operations(TorchDispatchMode):
    """The dispatcher side of a :class:`Guard`: every aten operation, however it was reached."""

    def __init__(self, guard: Guard):
        super().__init__()
        self.guard = guard

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        guard = self.guard
        guard.steps += 1
        name = func.overloadpacket.__name__
        if not guard.quiet and guard.forbidden.forbids_operation(name):
            guard.record(f"torch.ops.aten.{name}")
        return func(*args, **(kwargs or {}))


class Guard:
    """Watches the code run inside it: what it calls that ``forbidden`` names, and how much.

    ``used``: the forbidden things called, in order, each once; a forbidden call's own inner
    calls are not listed (``nn.Conv1d``, not also the ``F.conv1d`` it runs). ``steps``: the
    aten operations dispatched and, with ``count_lines``, the Python lines run (a loop over
    positions makes both grow with the input; a vectorised answer does not).
    """

    def __init__(self, forbidden: Forbidden | None = None, count_lines: bool = False):
        self.forbidden = forbidden or Forbidden()
        self.count_lines = count_lines
        self.used: list[str] = []
        self.steps = 0
        self.inside = 0  # forbidden PyTorch calls under way
        self._within: list[types.FrameType] = []  # forbidden Python calls under way
        self._codes = _codes(self.forbidden.python)
        self._modes = (_Calls(self), _Operations(self))
        self._previous = (None, None)

    @property
    def quiet(self) -> bool:
        """True inside a forbidden call, whose inner calls are its own business."""
        return bool(self.inside or self._within)

    def record(self, name: str) -> None:
        if name not in self.used:
            self.used.append(name)

    def _profile(self, frame, event, arg):
        if event == "call" and not self.quiet:
            name = self._codes.get(frame.f_code)
            if name is None and self.forbidden.layers and frame.f_code is _MODULE_INIT:
                frame, name = self._outermost_init(frame)
            if name is not None:
                self.record(name)
                self._within.append(frame)
        elif event == "return" and self._within and frame is self._within[-1]:
            self._within.pop()
        if self._previous[0] is not None:
            self._previous[0](frame, event, arg)

    @staticmethod
    def _outermost_init(frame):
        """The ``__init__`` frame of the class being built (``LectureNet``, not ``nn.Module``)."""
        built = frame.f_locals.get("self")
        while (frame.f_back is not None and frame.f_back.f_code.co_name == "__init__"
               and frame.f_back.f_locals.get("self") is built):
            frame = frame.f_back
        return frame, _class_name(type(built))

    def _trace(self, frame, event, arg):
        return self._line

    def _line(self, frame, event, arg):
        if event == "line":
            self.steps += 1
        return self._line

    def __enter__(self) -> Guard:
        for mode in self._modes:
            mode.__enter__()
        self._previous = (sys.getprofile(), sys.gettrace())
        sys.setprofile(self._profile)
        if self.count_lines:
            sys.settrace(self._trace)
        return self

    def __exit__(self, *exc) -> None:
        if self.count_lines:
            sys.settrace(self._previous[1])
        sys.setprofile(self._previous[0])
        for mode in reversed(self._modes):
            mode.__exit__(*exc)


IN_PLACE = "in place: the caller's tensor is not its to change"


def in_place(fn: Callable) -> Callable:
    """A slip: ``fn``, which then writes zeros into its first input (a tensor)."""

    def spoiling(x, *rest):
        result = fn(x, *rest)
        x.zero_()
        return result

    return spoiling


def run(
    what: str,
    who: str,
    fn: Callable,
    inputs: Mapping[str, object],
    forbidden: Forbidden | None = None,
) -> tuple[object, Feedback | None]:
    """Call the learner's ``fn(*inputs.values())`` under a :class:`Guard`.

    ``fn`` gets copies of the tensors. ``(result, None)`` when it returned, used nothing
    ``forbidden`` names and left its inputs alone; else ``(None, feedback)``: what it called,
    "not implemented yet", the error it raised (see :func:`attempt`), or which input it
    changed in place.
    """
    given = {k: (v.clone() if isinstance(v, torch.Tensor) else v) for k, v in inputs.items()}
    guard = Guard(forbidden)
    with guard:
        result, failed = attempt(what, who, fn, *given.values())
    if guard.used:
        return None, wrong(guard.forbidden.message(guard.used))
    if failed is not None:
        return None, failed
    changed = [k for k, v in inputs.items() if isinstance(v, torch.Tensor)
               and not (given[k].shape == v.shape and torch.equal(given[k], v))]
    if changed:
        return None, wrong(
            f"{who} changed its input {' and '.join(changed)} {IN_PLACE} (x -= ..., "
            "x[...] = ... and methods ending in _ write into it); compute on a copy "
            "(x.clone()) or with operations that return a new tensor"
        )
    return result, None


def steps(fn: Callable, inputs: Mapping[str, object]) -> int | None:
    """How many aten operations and Python lines ``fn(*inputs.values())`` runs (on copies of
    the tensors), or None if it raised."""
    given = [v.clone() if isinstance(v, torch.Tensor) else v for v in inputs.values()]
    guard = Guard(count_lines=True)
    try:
        with guard:
            fn(*given)
    except Exception:  # the learner's code failing is reported elsewhere
        return None
    return guard.steps


def check_function(
    fn: Callable,
    cases: Iterable[Mapping[str, object]],
    reference: Callable,
    what: str,
    atol: float = 1e-4,
    forbidden: Forbidden | None = None,
    slips: Sequence[Slip] = (),
) -> Feedback:
    """Call ``fn(*case.values())`` and ``reference(**case)`` on each case, compare the tensors.

    ``fn`` runs through :func:`run` (``forbidden``, inputs changed in place); a wrong result
    gets the hint of every one of ``slips`` that gives the same on that case.
    """
    if not callable(fn):
        return wrong(f"expected a function ({what}), got {type(fn).__name__}")
    n = 0
    for case in cases:
        expected = reference(**case)
        got, failed = run(what, f"for {_describe_inputs(case)} your function", fn, case, forbidden)
        if failed is not None:
            return failed
        problem = compare_tensors(got, expected, case, atol=atol)
        if problem is not None:
            hint = slip_hint(slips, got, lambda slip, case=case: slip.answer(*case.values()))
            return wrong(problem.message + hint)
        n += 1
    return correct(f"{what} agrees with the reference on all {n} cases.")


def check_value(got, expected, what: str, tolerance: float = 0.0) -> Feedback:
    """Compare a predicted number, tuple or tensor to the right one."""
    if got is ... or got is None:
        return not_implemented(what)
    if isinstance(expected, torch.Tensor):
        problem = compare_tensors(got, expected, {}, atol=tolerance or 1e-6)
        return problem or correct(f"{what} = {fmt(expected)}")
    if isinstance(expected, (tuple, list)):
        try:
            same_values = len(got) == len(expected) and all(
                abs(g - e) <= tolerance for g, e in zip(got, expected, strict=True)
            )
        except TypeError:
            same_values = False
    else:
        try:
            same_values = abs(got - expected) <= tolerance
        except TypeError:
            same_values = False
    if same_values:
        return correct(f"{what} = {fmt(expected)}")
    return wrong(f"{what}: expected {fmt(expected)}, got {fmt(got)}")
