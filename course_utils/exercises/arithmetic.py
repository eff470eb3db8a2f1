"""Exercise checks for notebook 03 (stride, padding, dilation, receptive fields).

- :func:`check_output_size`: write the output-size formula as a function.
- :func:`check_unread_cells`: list the input cells a convolution never reads.
- :func:`check_receptive_field`: write the receptive-field recursion as a function.
- :data:`STRIDE_ORDER_QUESTION`: two stacks with the same weights, the stride first or last.

Each checker returns a :class:`~course_utils.exercises.Feedback`. The right answers come from
PyTorch or ``course_utils.arithmetic``; a wrong answer gets a hint only where it is exactly what
a named slip computes (each slip is computed, never guessed).
"""

from __future__ import annotations

import numbers
import random
from collections.abc import Callable

import torch
import torch.nn.functional as F

from course_utils.arithmetic import conv_output_size, receptive_field
from course_utils.exercises import Feedback, attempt, correct, fmt, wrong
from course_utils.exercises.questions import Question

PARAMETERS = ("size", "kernel", "stride", "padding", "dilation")


def _cases(*rows: tuple[int, ...]) -> list[dict]:
    return [dict(zip(PARAMETERS, row, strict=True)) for row in rows]


OUTPUT_SIZE_CASES = _cases(
    (32, 5, 1, 0, 1), (3, 3, 2, 2, 1), (5, 3, 2, 1, 1), (20, 3, 1, 0, 4), (28, 5, 3, 2, 1),
    (10, 4, 3, 0, 1), (17, 3, 2, 1, 2), (7, 1, 1, 0, 1),
)


def _output_size_slips(size, kernel, stride, padding, dilation) -> dict[str, int]:
    """What the usual wrong formulas give, to name the slip in the feedback."""
    top = size + 2 * padding - dilation * (kernel - 1) - 1
    return {
        "rounded up instead of down (PyTorch floors the division)": -(-top // stride) + 1,
        "forgot the dilation (the kernel spans 1 + (k-1)d cells)": (
            size + 2 * padding - kernel) // stride + 1,
        "counted the padding once (it is added on both sides)": (
            size + padding - dilation * (kernel - 1) - 1) // stride + 1,
        "forgot the + 1 (the first position counts too)": top // stride,
        "forgot the stride (the kernel moves s cells at a time)": top + 1,
    }


def _hint(slips: dict[str, object], got) -> str:
    """": it looks like you <slip>." for every slip that gives exactly ``got``, else "."."""
    named = [slip for slip, value in slips.items() if value == got]
    return f": it looks like you {' or '.join(named)}." if named else "."


def _random_cases(n: int, seed: int, max_stride: int = 4) -> list[dict]:
    rng = random.Random(seed)
    cases = []
    while len(cases) < n:
        case = dict(size=rng.randint(1, 40), kernel=rng.randint(1, 7),
                    stride=rng.randint(1, max_stride), padding=rng.randint(0, 3),
                    dilation=rng.randint(1, 3))
        if _fits(**case):
            cases.append(case)
    return cases


def _fits(size, kernel, stride, padding, dilation) -> bool:
    try:
        conv_output_size(size, kernel, stride, padding, dilation)
    except ValueError:
        return False
    return True


def _show(case: dict) -> str:
    return ", ".join(f"{k}={v}" for k, v in case.items())


def check_output_size(fn: Callable) -> Feedback:
    """Check ``fn(size, kernel, stride, padding, dilation) -> int`` against ``nn.Conv2d``'s rule."""
    what = "output_size(size, kernel, stride, padding, dilation)"
    if not callable(fn):
        return wrong(f"expected a function ({what}), got {type(fn).__name__}")
    cases = OUTPUT_SIZE_CASES + _random_cases(200, seed=3)
    for case in cases:
        expected = conv_output_size(**case)
        got, failed = attempt(what, f"for {_show(case)} your function", fn, **case)
        if failed is not None:
            return failed
        if isinstance(got, bool) or not isinstance(got, numbers.Integral):
            return wrong(f"for {_show(case)} expected an int, got {type(got).__name__} "
                         f"{fmt(got)} (use // for a floor division)")
        if got != expected:
            return wrong(f"for {_show(case)} expected {expected}, got {got}"
                         + _hint(_output_size_slips(**case), got))
    return correct(f"{what} agrees with PyTorch on all {len(cases)} cases.")


def unread_by_pytorch(size, kernel, stride, padding, dilation) -> list[int]:
    """Input cells (0 to ``size``-1) that ``F.conv1d`` never reads: those its gradient misses."""
    x = torch.zeros(1, 1, size, requires_grad=True)
    F.conv1d(x, torch.ones(1, 1, kernel), stride=stride, padding=padding,
             dilation=dilation).sum().backward()
    return (x.grad[0, 0] == 0).nonzero().flatten().tolist()


UNREAD_CASES = _cases(
    (6, 3, 2, 0, 1), (11, 2, 3, 0, 1), (10, 3, 2, 2, 2), (13, 3, 4, 1, 1), (12, 2, 4, 0, 3),
    (7, 3, 1, 1, 1),
)


def _unread_slips(size, kernel, stride, padding, dilation) -> dict[str, list[int]]:
    """What the usual slips give for the unread cells, to name the slip in the feedback."""
    unread = unread_by_pytorch(size, kernel, stride, padding, dilation)
    last_read = max(set(range(size)) - set(unread), default=-1)
    slips = {
        "forgot the dilation (taps are d cells apart, and the cells between them are skipped)":
            unread_by_pytorch(size, kernel, stride, padding, 1),
        "listed only the cells after the last window (cells between windows, or between "
        "dilated taps, can be skipped too)": list(range(last_read + 1, size)),
        "missed the cells after the last window (the floor in the output size leaves them "
        "out)": [i for i in unread if i < last_read],
        "counted positions in the padded input (cell 0 is the first real cell, not the "
        "first zero)": [i + padding for i in unread],
    }
    if _fits(size, kernel, stride, 0, dilation):
        slips["forgot the padding (it moves every window p cells to the left)"] = (
            unread_by_pytorch(size, kernel, stride, 0, dilation))
    return slips


def _as_cells(answer) -> list[int] | None:
    """A learner's list (or set, tuple, tensor) of cell indices, sorted; None if it is not one."""
    if isinstance(answer, torch.Tensor):
        answer = answer.flatten().tolist()
    try:
        cells = [int(v) for v in answer]
    except (TypeError, ValueError):
        return None
    if any(isinstance(v, bool) or int(v) != v for v in answer):
        return None
    return sorted(cells)


def check_unread_cells(fn: Callable) -> Feedback:
    """Check ``fn(size, kernel, stride, padding, dilation)``: the cells a conv never reads."""
    what = "unread_cells(size, kernel, stride, padding, dilation)"
    if not callable(fn):
        return wrong(f"expected a function ({what}), got {type(fn).__name__}")
    cases = UNREAD_CASES + _random_cases(150, seed=7, max_stride=6)
    for case in cases:
        expected = unread_by_pytorch(**case)
        answer, failed = attempt(what, f"for {_show(case)} your function", fn, **case)
        if failed is not None:
            return failed
        got = _as_cells(answer)
        if got is None:
            return wrong(f"for {_show(case)} expected a list of cell indices (ints), got "
                         f"{type(answer).__name__} {fmt(answer)}")
        if got != expected:
            return wrong(f"for {_show(case)} expected the cells {expected}, got {got}"
                         + _hint(_unread_slips(**case), got))
    return correct(f"{what} agrees with a gradient probe of F.conv1d on all {len(cases)} "
                   "cases.")


def _stacks(n: int, seed: int) -> list[list[tuple[int, int, int]]]:
    rng = random.Random(seed)
    fixed = [[(3, 1, 1)] * 4, [(3, 1, d) for d in (1, 2, 4, 8)], [(2, 2, 1)] * 3,
             [(5, 1, 1), (2, 2, 1), (5, 1, 1), (2, 2, 1)]]
    return fixed + [
        [(rng.randint(1, 5), rng.randint(1, 3), rng.randint(1, 3))
         for _ in range(rng.randint(1, 5))]
        for _ in range(n)
    ]


def check_receptive_field(fn: Callable) -> Feedback:
    """Check ``fn(layers) -> int``: the receptive field of a stack of (kernel, stride, dilation)."""
    what = "receptive_field_of(layers)"
    if not callable(fn):
        return wrong(f"expected a function ({what}), got {type(fn).__name__}")
    stacks = _stacks(100, seed=4)
    for layers in stacks:
        expected = receptive_field(layers)
        got, failed = attempt(what, f"for layers = {layers} your function", fn, list(layers))
        if failed is not None:
            return failed
        if got != expected:
            slips = {
                "ignored the strides (each one multiplies the step between the cells the "
                "later layers see)": receptive_field([(k, 1, d) for k, _, d in layers]),
                "ignored the dilations (a kernel spans 1 + (k-1)d)":
                    receptive_field([(k, s, 1) for k, s, _ in layers]),
            }
            return wrong(f"for layers = {layers} expected {expected}, got {fmt(got)}"
                         + _hint(slips, got))
    return correct(f"{what} agrees with course_utils.arithmetic on all {len(stacks)} stacks.")


STRIDE_FIRST = [(3, 2, 1), (3, 1, 1), (3, 1, 1)]  # (kernel, stride, dilation)
STRIDE_LAST = [(3, 1, 1), (3, 1, 1), (3, 2, 1)]


def _stride_order_question() -> Question:
    first, last = receptive_field(STRIDE_FIRST), receptive_field(STRIDE_LAST)
    kernel, stride, _ = STRIDE_FIRST[0]
    fields = f"A's top unit sees {first} input cells, B's {last}"
    return Question(
        prompt=(f"Stacks A and B hold the same three {kernel}-tap convolutions, so the same "
                f"weights; one layer has stride {stride}. In A it is the first layer, in B "
                "the last. Along one dimension, whose top unit sees more of the input?"),
        choices={"a": "A, with the stride first", "b": "B, with the stride last",
                 "c": "Neither: the same layers see the same input"},
        why={
            "a": (f"{fields}. A stride multiplies the step of every layer above it: after "
                  f"it, each {kernel}-tap layer adds ({kernel} − 1) × {stride} = "
                  f"{(kernel - 1) * stride} cells instead of {kernel - 1}. Placed last, it "
                  "has no layer above it to widen."),
            "b": (f"{fields}. A stride widens only the layers above it, and in B no layer "
                  "sits above it."),
            "c": (f"Same weights, not the same field: {fields}. A stride multiplies the step "
                  "of the layers above it, so where it sits matters."),
        },
        right=lambda: "a" if first > last else ("b" if last > first else "c"),
    )


STRIDE_ORDER_QUESTION = _stride_order_question()
