"""Exercise checks: run a learner's answer on cases and answer like a tutor.

An exercise in a notebook is a function the learner writes (committed as a stub that raises
``NotImplementedError``) or a value they predict. A checker returns a :class:`Feedback`:
``passed`` is True only for a right answer, and its text, shown as the cell's output, says
"not implemented yet", or names the first case that went wrong, what was expected and what came.
Checkers never raise on a wrong answer, so a notebook committed with its exercises unsolved
still runs top to bottom.

The checkers for each notebook live beside this module (``convolution``, ``arithmetic``, ...).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

import torch


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


def check_function(
    fn: Callable,
    cases: Iterable[Mapping[str, object]],
    reference: Callable,
    what: str,
    atol: float = 1e-4,
) -> Feedback:
    """Call ``fn(**case)`` and ``reference(**case)`` on each case and compare the tensors."""
    if not callable(fn):
        return wrong(f"expected a function ({what}), got {type(fn).__name__}")
    n = 0
    for case in cases:
        expected = reference(**case)
        args = {k: (v.clone() if isinstance(v, torch.Tensor) else v) for k, v in case.items()}
        got, failed = attempt(what, f"for {_describe_inputs(case)} your function", fn, **args)
        if failed is not None:
            return failed
        problem = compare_tensors(got, expected, case, atol=atol)
        if problem is not None:
            return problem
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
            same = len(got) == len(expected) and all(
                abs(g - e) <= tolerance for g, e in zip(got, expected, strict=True)
            )
        except TypeError:
            same = False
    else:
        try:
            same = abs(got - expected) <= tolerance
        except TypeError:
            same = False
    if same:
        return correct(f"{what} = {fmt(expected)}")
    return wrong(f"{what}: expected {fmt(expected)}, got {fmt(got)}")
