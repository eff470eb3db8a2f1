"""Exercise checks for notebook 04 (pooling).

- :func:`check_max_pool1d`: write 1d max pooling with kernel = stride, without ``F.max_pool1d``.
- :func:`check_pooled_prediction`: predict the max-pooled values of :data:`POOL_INPUT`.
- :func:`check_pool_sizes`: predict the output lengths of a pooling, floor and ceil modes.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F

from course_utils.arithmetic import pool_output_size
from course_utils.exercises import (
    Feedback,
    check_function,
    correct,
    fmt,
    int_tuple,
    not_implemented,
    wrong,
)


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


POOL_INPUT = torch.tensor([1.0, 4.0, 2.0, 2.0, 0.0, 3.0, 5.0, 1.0, 7.0])


def check_pooled_prediction(answer) -> Feedback:
    """Check the predicted result of max pooling :data:`POOL_INPUT` with kernel 2 (stride 2)."""
    what = "max pooling of (1, 4, 2, 2, 0, 3, 5, 1, 7) with kernel 2"
    if answer is ... or answer is None:
        return not_implemented("your predicted values as a list")
    expected = F.max_pool1d(POOL_INPUT[None], 2)[0]
    try:
        got = torch.as_tensor(answer, dtype=torch.float32).flatten()
    except (TypeError, ValueError, RuntimeError):
        return wrong(f"expected a list of numbers, got {fmt(answer)}")
    if got.shape == expected.shape and torch.equal(got, expected):
        return correct(f"{what} = {fmt(expected)}: the last 7 has no partner and is dropped.")
    if len(got) == 5 and torch.equal(got[:4], expected):
        return wrong(f"{what}: expected {len(expected)} values, got 5: a window that does not "
                     "fit (here the lone 7) is dropped, as the floor in the size formula says.")
    if len(got) == len(POOL_INPUT) - 1:
        return wrong(f"{what}: got {len(got)} values, which is a stride of 1: the stride of "
                     "pooling defaults to the kernel size.")
    average = F.avg_pool1d(POOL_INPUT[None], 2)[0]
    if got.shape == average.shape and torch.allclose(got, average):
        return wrong(f"{what}: these are averages; max pooling keeps the largest value.")
    return wrong(f"{what}: expected a different result than {fmt(got)}.")


POOL_SIZE_QUESTION = (
    "nn.MaxPool1d(3, stride=2) on a length-10 signal, with ceil_mode False and True"
)


def check_pool_sizes(answer) -> Feedback:
    """Check a predicted pair (length with floor, length with ceil) for the question above."""
    what = f"the output lengths of {POOL_SIZE_QUESTION}"
    if answer is ... or answer is None:
        return not_implemented("your predicted pair (length with floor, length with ceil)")
    expected = (pool_output_size(10, 3, 2), pool_output_size(10, 3, 2, ceil_mode=True))
    got = int_tuple(answer)
    if got is None:
        return wrong(f"expected a pair of ints, got {fmt(answer)}")
    if got == expected:
        return correct(f"{what} are {expected}: ⌊7/2⌋ + 1 = 4 and ⌈7/2⌉ + 1 = 5.")
    if got == expected[::-1]:
        return wrong(f"{what}: the pair is the wrong way round; ceil can only add windows.")
    if got == (3, 4):
        return wrong(f"{what}: with stride 2, the window positions are 0, 2, 4, 6 (and 8 in "
                     "ceil mode); count them again.")
    return wrong(f"{what}: expected a different pair than {fmt(got)}; use "
                 "⌊(L − k) / s⌋ + 1 and its ceil version.")
