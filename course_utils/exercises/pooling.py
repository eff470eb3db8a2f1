"""Exercise checks for notebook 04 (pooling).

- :func:`check_max_pool1d`: write 1d max pooling with kernel = stride, without ``F.max_pool1d``.
- :func:`check_pooled_prediction`: predict max pooling of :data:`POOL_INPUT` with overlapping
  windows (:data:`POOL_KERNEL`, :data:`POOL_STRIDE`).
- :func:`check_pool_sizes`: predict the output lengths of a pooling, floor and ceil modes.
- :data:`SHIFT_QUESTION`: what a one-cell shift does to a max-pooled signal.

The right answers come from PyTorch; a wrong answer gets a hint only where it is exactly what
one of the listed slips (``*_SLIPS``) computes.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn

from course_utils.exercises import (
    IN_PLACE,
    MAX_POOLING,
    Feedback,
    Forbidden,
    Slip,
    check_function,
    correct,
    fmt,
    in_place,
    int_tuple,
    not_implemented,
    slip_hint,
    wrong,
)
from course_utils.exercises.questions import Question


def _pool_cases() -> list[dict]:
    gen = torch.Generator().manual_seed(5)
    shapes = [((1, 1, 8), 2), ((1, 1, 9), 2), ((2, 3, 12), 3), ((4, 1, 7), 7), ((1, 2, 10), 4),
              ((3, 2, 5), 1)]
    return [dict(x=torch.randn(*shape, generator=gen), kernel=k) for shape, k in shapes]


def max_pool1d_reference(x: torch.Tensor, kernel: int) -> torch.Tensor:
    """``F.max_pool1d(x, kernel)``: ``N×C×L`` to ``N×C×(L // kernel)``."""
    return F.max_pool1d(x, kernel)


WITHOUT_MAX_POOL = Forbidden(
    MAX_POOLING,
    python=(nn.MaxPool1d, nn.MaxPool2d, nn.MaxPool3d, nn.AdaptiveMaxPool1d, nn.AdaptiveMaxPool2d,
            sys.modules[__name__]),
)
"""``max_pool1d`` is written with tensor methods: no PyTorch max pooling (function, layer or
aten operation, adaptive or not), nothing of this checker's (its reference)."""


RAGGED = "did not drop the values left over"


def _max_pool1d_slips() -> tuple[Slip, ...]:
    """The slips of ``max_pool1d``, written as a learner would, with reshape as the exercise
    suggests (the right answer they start from stays inside this function)."""
    def windows(x, kernel):
        n, c, length = x.shape
        return x[..., : length // kernel * kernel].reshape(n, c, length // kernel, kernel)

    def pooled(x, kernel):
        return windows(x, kernel).max(dim=-1).values

    def keeps_the_tail(x, kernel):
        missing = -x.shape[-1] % kernel
        padded = torch.cat([x, x.new_full((*x.shape[:2], missing), -math.inf)], dim=-1)
        return padded.reshape(*x.shape[:2], -1, kernel).max(dim=-1).values

    return (
        Slip("averaged each window: max pooling keeps its largest value",
             lambda x, kernel: windows(x, kernel).mean(dim=-1)),
        Slip("kept the last, incomplete window: with the stride equal to the kernel, "
             "F.max_pool1d drops the L % kernel values left over", keeps_the_tail),
        Slip(f"{RAGGED}: when the kernel does not divide L, drop the last L % kernel values "
             "before the reshape, x[..., : L // kernel * kernel]",
             lambda x, kernel: x.reshape(*x.shape[:2], -1, kernel).max(dim=-1).values,
             by_result=False),
        Slip("dropped the first values: those left over are the last L % kernel",
             lambda x, kernel: pooled(x[..., x.shape[-1] % kernel:], kernel)),
        Slip("reshaped to (N, C, kernel, L // kernel): that gathers every (L // kernel)-th "
             "value; each window lies along the last dimension of reshape(N, C, L // kernel, "
             "kernel)", lambda x, kernel: x[..., : x.shape[-1] // kernel * kernel]
             .reshape(*x.shape[:2], kernel, -1).max(dim=-2).values),
        Slip("took the largest value over the wrong dimension: each window lies along the last "
             "one", lambda x, kernel: windows(x, kernel).max(dim=-2).values),
        Slip("returned what max(dim=...) gives, a (values, indices) pair: take its .values",
             lambda x, kernel: windows(x, kernel).max(dim=-1)),
        Slip("moved the window one value at a time: the stride equals the kernel, so windows "
             "do not overlap", lambda x, kernel: x.unfold(-1, kernel, 1).max(dim=-1).values),
        Slip("converted the result to another dtype: keep the input's (float32)",
             lambda x, kernel: pooled(x, kernel).double()),
        Slip(IN_PLACE, in_place(pooled), by_result=False),
    )


MAX_POOL1D_SLIPS = _max_pool1d_slips()
"""Slips of ``max_pool1d(x, kernel)`` (notebook 04)."""


def check_max_pool1d(fn: Callable) -> Feedback:
    """Check ``fn(x, kernel)`` on ``N×C×L`` tensors against ``F.max_pool1d(x, kernel)``,
    written without PyTorch's max pooling."""
    what = "max_pool1d(x, kernel)"
    cases = _pool_cases()
    for case in cases:
        feedback = check_function(fn, [case], max_pool1d_reference, what,
                                  forbidden=WITHOUT_MAX_POOL, slips=MAX_POOL1D_SLIPS)
        if feedback.passed:
            continue
        length, kernel = case["x"].shape[-1], case["kernel"]
        if feedback.implemented and " raised " in feedback.message and length % kernel:
            feedback.message += (f". It looks like you {MAX_POOL1D_SLIPS[2].hint} (here "
                                 f"L = {length}, kernel = {kernel})")
        return feedback
    return correct(f"{what} agrees with F.max_pool1d on all {len(cases)} cases.")


POOL_INPUT = torch.tensor([3.0, 1.0, 7.0, 1.0, 5.0, 9.0, 2.0, 6.0, 5.0])
POOL_KERNEL, POOL_STRIDE = 3, 2
POOL_QUESTION = (f"F.max_pool1d(x, kernel_size={POOL_KERNEL}, stride={POOL_STRIDE}) "
                 f"for x = {fmt(POOL_INPUT)}")


def _pooled(kernel: int, stride: int, pool=F.max_pool1d) -> torch.Tensor:
    return pool(POOL_INPUT[None], kernel, stride)[0]


POOLED_PREDICTION_SLIPS = (
    Slip(f"used the kernel as the stride (here the stride is {POOL_STRIDE}: the windows "
         "overlap)", _pooled(POOL_KERNEL, POOL_KERNEL)),
    Slip("moved the window one value at a time (a stride of 1)", _pooled(POOL_KERNEL, 1)),
    Slip(f"used windows of {POOL_STRIDE} (the kernel is {POOL_KERNEL}, the stride "
         f"{POOL_STRIDE})", _pooled(POOL_STRIDE, POOL_STRIDE)),
    Slip("averaged the windows (max pooling keeps the largest value)",
         _pooled(POOL_KERNEL, POOL_STRIDE, F.avg_pool1d)),
    Slip("kept the smallest value of each window (max pooling keeps the largest)",
         -F.max_pool1d(-POOL_INPUT[None], POOL_KERNEL, POOL_STRIDE)[0]),
    Slip("stopped a window early: the last window starts at "
         f"{(len(POOL_INPUT) - POOL_KERNEL) // POOL_STRIDE * POOL_STRIDE} and ends on the last "
         "value", _pooled(POOL_KERNEL, POOL_STRIDE)[:-1]),
)
"""Slips of the prediction of :data:`POOL_QUESTION`, each computed with PyTorch."""


def check_pooled_prediction(answer) -> Feedback:
    """Check the predicted values of :data:`POOL_QUESTION` (a list of numbers)."""
    what = POOL_QUESTION
    if answer is ... or answer is None:
        return not_implemented("your predicted values as a list")
    k, s = POOL_KERNEL, POOL_STRIDE
    expected = _pooled(k, s)
    try:
        got = torch.as_tensor(answer, dtype=torch.float32).flatten()
    except (TypeError, ValueError, RuntimeError):
        return wrong(f"expected a list of numbers, got {fmt(answer)}")
    if got.shape == expected.shape and torch.equal(got, expected):
        shared = f"{k - s} value" + ("s" if k - s > 1 else "")
        return correct(f"{what} = {fmt(expected)}: windows of {k} start every {s} values, so "
                       f"neighbouring windows share {shared}, and a value on the border can "
                       "win in both.")
    hint = slip_hint(POOLED_PREDICTION_SLIPS, got, lambda slip: slip.answer, atol=0.01)
    return wrong(f"{what}: expected a different result than {fmt(got)}" + hint)


POOL_SIZE_LENGTH, POOL_SIZE_KERNEL, POOL_SIZE_STRIDE = 12, 3, 2
POOL_SIZE_QUESTION = (
    f"nn.MaxPool1d({POOL_SIZE_KERNEL}, stride={POOL_SIZE_STRIDE}) on a length-"
    f"{POOL_SIZE_LENGTH} signal, with ceil_mode False and True"
)


def _pytorch_pool_length(length: int, kernel: int, stride: int, ceil_mode: bool) -> int:
    pool = nn.MaxPool1d(kernel, stride=stride, ceil_mode=ceil_mode)
    return pool(torch.zeros(1, 1, length)).shape[-1]


def _pool_sizes(length: int = POOL_SIZE_LENGTH, kernel: int = POOL_SIZE_KERNEL,
                stride: int = POOL_SIZE_STRIDE) -> tuple[int, int]:
    return tuple(_pytorch_pool_length(length, kernel, stride, ceil) for ceil in (False, True))


def _pool_size_slips() -> tuple[Slip, ...]:
    length, k, s = POOL_SIZE_LENGTH, POOL_SIZE_KERNEL, POOL_SIZE_STRIDE
    floor, ceil = _pool_sizes()
    return (
        Slip("wrote the pair the wrong way round (ceil can only add windows)", (ceil, floor)),
        Slip("forgot the + 1 (the first window counts too)",
             ((length - k) // s, math.ceil((length - k) / s))),
        Slip(f"used the kernel as the stride (the stride is {s})", _pool_sizes(stride=k)),
        Slip("divided the whole length by the stride (the last window must fit: use L − k)",
             (length // s, math.ceil(length / s))),
        Slip("rounded down with ceil_mode=True too (ceil mode keeps a last window that starts "
             "inside the signal)", (floor, floor)),
    )


POOL_SIZE_SLIPS = _pool_size_slips()
"""Slips of the pair asked by :data:`POOL_SIZE_QUESTION`, each computed."""


def check_pool_sizes(answer) -> Feedback:
    """Check a predicted pair (length with floor, length with ceil) for the question above."""
    what = f"the output lengths of {POOL_SIZE_QUESTION}"
    if answer is ... or answer is None:
        return not_implemented("your predicted pair (length with floor, length with ceil)")
    s = POOL_SIZE_STRIDE
    expected = _pool_sizes()
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
    return wrong(f"{what}: expected a different pair than {fmt(got)}"
                 + slip_hint(POOL_SIZE_SLIPS, got, lambda slip: slip.answer))


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
