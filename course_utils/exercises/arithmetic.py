"""Exercise checks for notebook 03 (stride, padding, dilation, receptive fields).

- :func:`check_output_size`: write the output-size formula as a function.
- :func:`check_receptive_field`: write the receptive-field recursion as a function.
- :func:`check_conv_shape`: predict the shape a given ``nn.Conv2d`` produces.

Each returns a :class:`~course_utils.exercises.Feedback`; a wrong answer gets a hint naming
the usual slip (rounding up, padding counted once, dilation or strides forgotten).
"""

from __future__ import annotations

import numbers
import random
from collections.abc import Callable

from course_utils.arithmetic import conv_output_size, receptive_field
from course_utils.exercises import (
    Feedback,
    attempt,
    correct,
    fmt,
    int_tuple,
    not_implemented,
    wrong,
)

OUTPUT_SIZE_CASES = [
    dict(size=32, kernel=5, stride=1, padding=0, dilation=1),
    dict(size=3, kernel=3, stride=2, padding=2, dilation=1),
    dict(size=5, kernel=3, stride=2, padding=1, dilation=1),
    dict(size=20, kernel=3, stride=1, padding=0, dilation=4),
    dict(size=28, kernel=5, stride=3, padding=2, dilation=1),
    dict(size=10, kernel=4, stride=3, padding=0, dilation=1),
    dict(size=17, kernel=3, stride=2, padding=1, dilation=2),
    dict(size=7, kernel=1, stride=1, padding=0, dilation=1),
]


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
        "forgot the stride": top + 1,
    }


def _random_cases(n: int, seed: int) -> list[dict]:
    rng = random.Random(seed)
    cases = []
    while len(cases) < n:
        case = dict(size=rng.randint(1, 40), kernel=rng.randint(1, 7), stride=rng.randint(1, 4),
                    padding=rng.randint(0, 3), dilation=rng.randint(1, 3))
        try:
            conv_output_size(**case)
        except ValueError:
            continue
        cases.append(case)
    return cases


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
            hint = next((slip for slip, value in _output_size_slips(**case).items()
                         if value == got), "")
            return wrong(f"for {_show(case)} expected {expected}, got {got}"
                         + (f": it looks like you {hint}." if hint else "."))
    return correct(f"{what} agrees with PyTorch on all {len(cases)} cases.")


def _show(case: dict) -> str:
    return ", ".join(f"{k}={v}" for k, v in case.items())


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
    for layers in _stacks(100, seed=4):
        expected = receptive_field(layers)
        got, failed = attempt(what, f"for layers = {layers} your function", fn, list(layers))
        if failed is not None:
            return failed
        if got != expected:
            hint = ""
            if got == receptive_field([(k, 1, d) for k, _, d in layers]):
                hint = (": it looks like you ignored the strides (each one multiplies the step "
                        "between the cells the later layers see)")
            elif got == receptive_field([(k, s, 1) for k, s, _ in layers]):
                hint = ": it looks like you ignored the dilations (a kernel spans 1 + (k-1)d)"
            return wrong(f"for layers = {layers} expected {expected}, got {fmt(got)}{hint}.")
    return correct(f"{what} agrees with course_utils.arithmetic on all {len(_stacks(100, 4))} "
                   "stacks.")


CONV_SHAPE_QUESTION = (
    "nn.Conv2d(3, 8, kernel_size=5, stride=2, padding=1) applied to a 1×3×32×32 batch"
)
CONV_SHAPE_ANSWER = (1, 8, 15, 15)


def check_conv_shape(answer) -> Feedback:
    """Check a predicted output shape for :data:`CONV_SHAPE_QUESTION` (a tuple of 4 ints)."""
    what = f"the output shape of {CONV_SHAPE_QUESTION}"
    if answer is ... or answer is None:
        return not_implemented("your predicted shape as a tuple")
    got = int_tuple(answer)
    if got is None:
        return wrong(f"expected a tuple of 4 ints (N, D, H, W), got {fmt(answer)}")
    if got == CONV_SHAPE_ANSWER:
        return correct(f"{what} is {CONV_SHAPE_ANSWER}: ⌊(32 + 2 − 5) / 2⌋ + 1 = 15.")
    hints = {
        (1, 8, 14, 14): "you left out the padding",
        (1, 8, 16, 16): "you rounded up; PyTorch floors the division",
        (1, 3, 15, 15): "the number of channels out is the conv's second argument (8)",
        (8, 3, 15, 15): "the batch size stays first; the channels come second",
        (1, 8, 28, 28): "you used a stride of 1",
    }
    hint = hints.get(got, "")
    return wrong(f"{what}: expected a different shape than {fmt(got)}"
                 + (f": it looks like {hint}." if hint else "; work out H and W with the formula."))
