"""Exercise checks for notebook 04 (pooling).

- :func:`check_max_pool1d`: write 1d max pooling with kernel = stride, without ``F.max_pool1d``.
- :func:`check_pooled_prediction`: predict max pooling of :data:`POOL_INPUT` with overlapping
  windows (:data:`POOL_KERNEL`, :data:`POOL_STRIDE`).
- :func:`check_pool_sizes`: predict the output lengths of a pooling, floor and ceil modes.
- :data:`SHIFT_QUESTION`: what a one-cell shift does to a max-pooled signal.

The right answers come from PyTorch; a wrong answer gets a hint only where it is exactly what a
named slip computes.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn

from course_utils.exercises import (
    Feedback,
    check_function,
    correct,
    fmt,
    int_tuple,
    not_implemented,
    wrong,
)
from course_utils.exercises.questions import Question


def _pool_cases() -> list[dict]:
    gen = torch.Generator().manual_seed(5)
    shapes = [((1, 1, 8), 2), ((1, 1, 9), 2), ((2, 3, 12), 3), ((4, 1, 7), 7), ((1, 2, 10), 4),
              ((3, 2, 5), 1)]
    return [dict(x=torch.randn(*shape, generator=gen), kernel=k) for shape, k in shapes]


def check_max_pool1d(fn: Callable) -> Feedback:
    """Check ``fn(x, kernel)`` on ``N×C×L`` tensors against ``F.max_pool1d(x, kernel)``."""
    return check_function(
        fn,
        _pool_cases(),
        reference=lambda x, kernel: F.max_pool1d(x, kernel),
        what="max_pool1d(x, kernel)",
    )


def _named_slip(slips: dict[str, object], matches: Callable[[object], bool]) -> str:
    """": it looks like you <slip>." for every slip whose result ``matches``, else "."."""
    named = [slip for slip, value in slips.items() if matches(value)]
    return f": it looks like you {' or '.join(named)}." if named else "."


POOL_INPUT = torch.tensor([3.0, 1.0, 7.0, 1.0, 5.0, 9.0, 2.0, 6.0, 5.0])
POOL_KERNEL, POOL_STRIDE = 3, 2
POOL_QUESTION = (f"F.max_pool1d(x, kernel_size={POOL_KERNEL}, stride={POOL_STRIDE}) "
                 f"for x = {fmt(POOL_INPUT)}")


def check_pooled_prediction(answer) -> Feedback:
    """Check the predicted values of :data:`POOL_QUESTION` (a list of numbers)."""
    what = POOL_QUESTION
    if answer is ... or answer is None:
        return not_implemented("your predicted values as a list")
    x, k, s = POOL_INPUT[None], POOL_KERNEL, POOL_STRIDE
    expected = F.max_pool1d(x, k, s)[0]
    try:
        got = torch.as_tensor(answer, dtype=torch.float32).flatten()
    except (TypeError, ValueError, RuntimeError):
        return wrong(f"expected a list of numbers, got {fmt(answer)}")
    if got.shape == expected.shape and torch.equal(got, expected):
        shared = f"{k - s} value" + ("s" if k - s > 1 else "")
        return correct(f"{what} = {fmt(expected)}: windows of {k} start every {s} values, so "
                       f"neighbouring windows share {shared}, and a value on the border can "
                       "win in both.")
    slips = {
        f"used the kernel as the stride (here the stride is {s}: the windows overlap)":
            F.max_pool1d(x, k)[0],
        "moved the window one value at a time (a stride of 1)": F.max_pool1d(x, k, 1)[0],
        f"used windows of {s} (the kernel is {k}, the stride {s})": F.max_pool1d(x, s, s)[0],
        "averaged the windows (max pooling keeps the largest value)": F.avg_pool1d(x, k, s)[0],
    }
    hint = _named_slip(slips, lambda v: v.shape == got.shape
                       and torch.allclose(v, got, atol=0.01))
    return wrong(f"{what}: expected a different result than {fmt(got)}" + hint)


POOL_SIZE_LENGTH, POOL_SIZE_KERNEL, POOL_SIZE_STRIDE = 12, 3, 2
POOL_SIZE_QUESTION = (
    f"nn.MaxPool1d({POOL_SIZE_KERNEL}, stride={POOL_SIZE_STRIDE}) on a length-"
    f"{POOL_SIZE_LENGTH} signal, with ceil_mode False and True"
)


def _pytorch_pool_length(length: int, kernel: int, stride: int, ceil_mode: bool) -> int:
    pool = nn.MaxPool1d(kernel, stride=stride, ceil_mode=ceil_mode)
    return pool(torch.zeros(1, 1, length)).shape[-1]


def check_pool_sizes(answer) -> Feedback:
    """Check a predicted pair (length with floor, length with ceil) for the question above."""
    what = f"the output lengths of {POOL_SIZE_QUESTION}"
    if answer is ... or answer is None:
        return not_implemented("your predicted pair (length with floor, length with ceil)")
    length, k, s = POOL_SIZE_LENGTH, POOL_SIZE_KERNEL, POOL_SIZE_STRIDE
    expected = tuple(_pytorch_pool_length(length, k, s, ceil) for ceil in (False, True))
    got = int_tuple(answer)
    if got is None or len(got) != 2:
        return wrong(f"expected a pair of ints (floor, ceil), got {fmt(answer)}")
    if got == expected:
        starts = [str(i * s) for i in range(expected[1])]
        extra = (f"; ceil mode adds the window(s) starting at {', '.join(starts[expected[0]:])}, "
                 "which begin inside the signal but run past its end"
                 if expected[1] > expected[0] else "; ceil mode adds none here")
        return correct(f"{what} are {expected}: windows start at "
                       f"{', '.join(starts[:expected[0]])}{extra}.")
    slips = {
        "wrote the pair the wrong way round (ceil can only add windows)": expected[::-1],
        "forgot the + 1 (the first window counts too)": (
            (length - k) // s, math.ceil((length - k) / s)),
        f"used the kernel as the stride (the stride is {s})": tuple(
            _pytorch_pool_length(length, k, k, ceil) for ceil in (False, True)),
        "divided the whole length by the stride (the last window must fit: use L − k)": (
            length // s, math.ceil(length / s)),
    }
    return wrong(f"{what}: expected a different pair than {fmt(got)}"
                 + _named_slip(slips, lambda v: v == got))


SHIFT_LENGTH, SHIFT_KERNEL = 8, 2


def shift_outcomes(length: int = SHIFT_LENGTH, kernel: int = SHIFT_KERNEL) -> dict[str, int]:
    """How often max pooling a one-hot signal is unchanged / moved by one cell by a shift of 1.

    Over every position of the single 1 that a shift to the right keeps in the signal.
    """
    outcomes = {"unchanged": 0, "moved": 0, "other": 0}
    for position in range(length - 1):
        signal = torch.zeros(1, 1, length)
        signal[..., position] = 1.0
        before = F.max_pool1d(signal, kernel)
        after = F.max_pool1d(signal.roll(1, dims=-1), kernel)
        if torch.equal(after, before):
            outcomes["unchanged"] += 1
        elif torch.equal(after, before.roll(1, dims=-1)):
            outcomes["moved"] += 1
        else:
            outcomes["other"] += 1
    return outcomes


def _shift_question() -> Question:
    counts = shift_outcomes()
    n, same, moved = sum(counts.values()), counts["unchanged"], counts["moved"]
    tally = (f"Of the {n} places the value can take here, {same} keep it in its window after "
             f"the shift (pooled signal unchanged) and {moved} carry it into the next window "
             "(pooled signal moved by one cell)")

    def right() -> str:
        return "c" if same and moved else ("a" if same else "b")

    return Question(
        prompt=(f"A signal of length {SHIFT_LENGTH} is zero except for one value of 1. It is "
                f"max pooled with kernel {SHIFT_KERNEL} (stride {SHIFT_KERNEL}), then shifted "
                "one cell to the right and pooled again. What happens to the pooled signal?"),
        choices={
            "a": "Nothing: max pooling makes the result invariant to the shift.",
            "b": "It moves by one cell, like the input.",
            "c": "It depends on where the 1 sits in its window: unchanged or moved by one cell.",
            "d": "It moves by half a cell.",
        },
        why={
            "a": f"{tally}: the result is unchanged only in the first case.",
            "b": f"{tally}: it moves with the input only in the second case.",
            "c": f"{tally}: pooling buys invariance to the shifts that stay inside a window.",
            "d": f"A pooled signal has one cell per window, so it cannot move by half. {tally}.",
        },
        right=right,
    )


SHIFT_QUESTION = _shift_question()
