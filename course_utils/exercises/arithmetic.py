"""Exercise checks for notebook 03 (stride, padding, dilation, receptive fields).

- :func:`check_output_size`: write the output-size formula as a function.
- :func:`check_unread_cells`: list the input cells a convolution never reads.
- :func:`check_receptive_field`: write the receptive-field recursion as a function.
- :data:`STRIDE_ORDER_QUESTION`: two stacks with the same weights, the stride first or last.

Each checker returns a :class:`~course_utils.exercises.Feedback`. The right answers come from
PyTorch or ``course_utils.arithmetic``, which the learner's answers must not call (nor measure
a PyTorch layer: :data:`FORMULA`, :data:`FROM_THE_WINDOWS`). A wrong answer gets a hint only
where it is exactly what one of the listed slips (``*_SLIPS``) computes, and the cases are
chosen so that each slip shows.
"""

from __future__ import annotations

import numbers
import random
import sys
from collections.abc import Callable
from functools import cache

import torch
import torch.nn.functional as F

import course_utils.arithmetic
from course_utils.arithmetic import conv_output_size, receptive_field
from course_utils.exercises import (
    ANY_OPERATION,
    CONVOLUTION,
    MAX_POOLING,
    Feedback,
    Forbidden,
    Slip,
    cases_showing,
    correct,
    fmt,
    run,
    slip_hint,
    wrong,
)
from course_utils.exercises.questions import Question

PARAMETERS = ("size", "kernel", "stride", "padding", "dilation")

FORMULA = Forbidden(ANY_OPERATION, python=(course_utils.arithmetic, sys.modules[__name__]),
                    layers=True, task="work it out in integer arithmetic")
"""``output_size`` and ``receptive_field_of`` are formulas: no ``course_utils.arithmetic``
(the reference) nor this checker's code, no PyTorch at all (a layer built and measured)."""


def _cases(*rows: tuple[int, ...]) -> list[dict]:
    return [dict(zip(PARAMETERS, row, strict=True)) for row in rows]


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


# The slips, written as a learner would (in integer arithmetic, as the exercise asks).
OUTPUT_SIZE_SLIPS = (
    Slip("rounded up instead of down (PyTorch floors the division)",
         lambda n, k, s, p, d: -(-(n + 2 * p - d * (k - 1) - 1) // s) + 1),
    Slip("rounded to the nearest instead of down (PyTorch floors the division)",
         lambda n, k, s, p, d: round((n + 2 * p - d * (k - 1) - 1) / s) + 1),
    Slip("forgot the − 1 (the kernel spans 1 + (k − 1)·d cells, not (k − 1)·d)",
         lambda n, k, s, p, d: (n + 2 * p - d * (k - 1)) // s + 1),
    Slip("forgot the dilation (the kernel spans 1 + (k − 1)·d cells)",
         lambda n, k, s, p, d: (n + 2 * p - k) // s + 1),
    Slip("multiplied the whole kernel by the dilation (it spans 1 + (k − 1)·d cells, not k·d)",
         lambda n, k, s, p, d: (n + 2 * p - d * k) // s + 1),
    Slip("counted the padding once (it is added on both sides)",
         lambda n, k, s, p, d: (n + p - d * (k - 1) - 1) // s + 1),
    Slip("forgot the + 1 (the first position counts too)",
         lambda n, k, s, p, d: (n + 2 * p - d * (k - 1) - 1) // s),
    Slip("forgot the stride (the kernel moves s cells at a time)",
         lambda n, k, s, p, d: n + 2 * p - d * (k - 1)),
    Slip("use // for a floor division",
         lambda n, k, s, p, d: (n + 2 * p - d * (k - 1) - 1) / s + 1, by_result=False),
)
"""Slips of ``output_size(size, kernel, stride, padding, dilation)``."""


@cache
def output_size_cases() -> list[dict]:
    """The lecture's and readable settings first, random ones, and one that shows each slip."""
    readable = _cases((32, 5, 1, 0, 1), (3, 3, 2, 2, 1), (5, 3, 2, 1, 1), (20, 3, 1, 0, 4),
                      (28, 5, 3, 2, 1), (10, 4, 3, 0, 1), (17, 3, 2, 1, 2), (7, 1, 1, 0, 1))
    return cases_showing(OUTPUT_SIZE_SLIPS, conv_output_size,
                         readable + _random_cases(200, seed=3), _random_cases(1000, seed=13))


def check_output_size(fn: Callable) -> Feedback:
    """Check ``fn(size, kernel, stride, padding, dilation) -> int`` against ``nn.Conv2d``'s rule."""
    what = "output_size(size, kernel, stride, padding, dilation)"
    if not callable(fn):
        return wrong(f"expected a function ({what}), got {type(fn).__name__}")
    for case in output_size_cases():
        expected = conv_output_size(**case)
        got, failed = run(what, f"for {_show(case)} your function", fn, case, FORMULA)
        if failed is not None:
            return failed
        if isinstance(got, bool) or not isinstance(got, numbers.Integral):
            return wrong(f"for {_show(case)} expected an int, got {type(got).__name__} "
                         f"{fmt(got)}: use // for a floor division")
        if got != expected:
            return wrong(f"for {_show(case)} expected {expected}, got {got}"
                         + slip_hint(OUTPUT_SIZE_SLIPS, got,
                                     lambda slip, case=case: slip.answer(*case.values())))
    return correct(f"{what} agrees with PyTorch on all {len(output_size_cases())} cases.")


def unread_by_pytorch(size, kernel, stride, padding, dilation) -> list[int]:
    """Input cells (0 to ``size``-1) that ``F.conv1d`` never reads: those its gradient misses."""
    x = torch.zeros(1, 1, size, requires_grad=True)
    F.conv1d(x, torch.ones(1, 1, kernel), stride=stride, padding=padding,
             dilation=dilation).sum().backward()
    return (x.grad[0, 0] == 0).nonzero().flatten().tolist()


FROM_THE_WINDOWS = Forbidden(
    rf"{CONVOLUTION}|{MAX_POOLING}|im2col\w*",
    python=(course_utils.arithmetic, sys.modules[__name__]),
    task="find them from the windows",
)
"""``unread_cells`` is worked out from the windows: no convolution, pooling or ``F.unfold``
to probe, nor the checker's own gradient probe, no ``course_utils.arithmetic``."""


def _unread_slips() -> tuple[Slip, ...]:
    """The slips of ``unread_cells``, written as a learner would, from the windows (the right
    answer they start from stays inside this function)."""
    def unread(size, kernel, stride, padding, dilation, outputs=None) -> list[int]:
        if outputs is None:
            outputs = (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1
        read = {o * stride - padding + j * dilation for o in range(outputs)
                for j in range(kernel)}
        return [i for i in range(size) if i not in read]

    def tail_only(size, kernel, stride, padding, dilation) -> list[int]:
        read = set(range(size)) - set(unread(size, kernel, stride, padding, dilation))
        return list(range(max(read, default=-1) + 1, size))

    def rounded_up(size, kernel, stride, padding, dilation) -> list[int]:
        outputs = -(-(size + 2 * padding - dilation * (kernel - 1) - 1) // stride) + 1
        return unread(size, kernel, stride, padding, dilation, outputs)

    return (
        Slip("forgot the padding (it moves every window p cells to the left)",
             lambda n, k, s, p, d: unread(n, k, s, 0, d)),
        Slip("forgot the dilation (taps are d cells apart, and the cells between them are "
             "skipped)", lambda n, k, s, p, d: unread(n, k, s, p, 1)),
        Slip("forgot the stride (windows start s cells apart, and the cells between them can be "
             "skipped)", lambda n, k, s, p, d: unread(n, k, 1, p, d)),
        Slip("listed only the cells after the last window (cells between windows, or between "
             "dilated taps, can be skipped too)", tail_only),
        Slip("missed the cells after the last window (the floor in the output size leaves them "
             "out)", rounded_up),
        Slip("counted positions in the padded input (cell 0 is the first real cell, not the "
             "first zero)", lambda n, k, s, p, d: [i + p for i in unread(n, k, s, p, d)]),
        Slip("listed the cells that are read: the exercise asks for those no window reads",
             lambda n, k, s, p, d: sorted(set(range(n)) - set(unread(n, k, s, p, d)))),
    )


UNREAD_SLIPS = _unread_slips()
"""Slips of ``unread_cells(size, kernel, stride, padding, dilation)``."""


@cache
def unread_cases() -> list[dict]:
    """Readable settings first, random ones, and one that shows each slip."""
    readable = _cases((6, 3, 2, 0, 1), (11, 2, 3, 0, 1), (10, 3, 2, 2, 2), (13, 3, 4, 1, 1),
                      (12, 2, 4, 0, 3), (7, 3, 1, 1, 1))
    return cases_showing(UNREAD_SLIPS, unread_by_pytorch,
                         readable + _random_cases(150, seed=7, max_stride=6),
                         _random_cases(500, seed=17, max_stride=6))


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
    for case in unread_cases():
        expected = unread_by_pytorch(**case)
        answer, failed = run(what, f"for {_show(case)} your function", fn, case,
                             FROM_THE_WINDOWS)
        if failed is not None:
            return failed
        got = _as_cells(answer)
        if got is None:
            return wrong(f"for {_show(case)} expected a list of cell indices (ints), got "
                         f"{type(answer).__name__} {fmt(answer)}")
        if got != expected:
            return wrong(f"for {_show(case)} expected the cells {expected}, got {got}"
                         + slip_hint(UNREAD_SLIPS, got,
                                     lambda slip, case=case: sorted(slip.answer(*case.values()))))
    return correct(f"{what} agrees with a gradient probe of F.conv1d on all {len(unread_cases())} "
                   "cases.")


def _receptive_field_slips() -> tuple[Slip, ...]:
    """The slips of ``receptive_field_of``, as a learner's recursion with a switch for each
    (the right one stays inside this function)."""
    def field_of(layers, own_stride: bool = False, start: int = 1, taps: int = 1) -> int:
        field, jump = start, 1
        for kernel, stride, dilation in layers:
            if own_stride:
                jump *= stride
            field += (kernel - taps) * dilation * jump
            if not own_stride:
                jump *= stride
        return field

    return (
        Slip("ignored the strides (each one multiplies the step between the cells the later "
             "layers see)", lambda layers: field_of([(k, 1, d) for k, _, d in layers])),
        Slip("ignored the dilations (a kernel spans 1 + (k-1)d)",
             lambda layers: field_of([(k, s, 1) for k, s, _ in layers])),
        Slip("let a layer's stride widen its own kernel (a stride only spreads the layers after "
             "it)", lambda layers: field_of(layers, own_stride=True)),
        Slip("started from 0 (a unit sees at least its own cell: start from 1)",
             lambda layers: field_of(layers, start=0)),
        Slip("added k cells per layer instead of k − 1 (the first tap adds no cell)",
             lambda layers: field_of(layers, taps=0)),
    )


RECEPTIVE_FIELD_SLIPS = _receptive_field_slips()
"""Slips of ``receptive_field_of(layers)``."""


def _stacks(n: int, seed: int) -> list[list[tuple[int, int, int]]]:
    rng = random.Random(seed)
    fixed = [[(3, 1, 1)] * 4, [(3, 1, d) for d in (1, 2, 4, 8)], [(2, 2, 1)] * 3,
             [(5, 1, 1), (2, 2, 1), (5, 1, 1), (2, 2, 1)]]
    return fixed + [
        [(rng.randint(1, 5), rng.randint(1, 3), rng.randint(1, 3))
         for _ in range(rng.randint(1, 5))]
        for _ in range(n)
    ]


@cache
def stacks() -> list[list[tuple[int, int, int]]]:
    """Readable stacks first, random ones, and one that shows each slip."""
    chosen = cases_showing(RECEPTIVE_FIELD_SLIPS, receptive_field,
                           [{"layers": layers} for layers in _stacks(100, seed=4)],
                           [{"layers": layers} for layers in _stacks(500, seed=14)])
    return [case["layers"] for case in chosen]


def check_receptive_field(fn: Callable) -> Feedback:
    """Check ``fn(layers) -> int``: the receptive field of a stack of (kernel, stride, dilation)."""
    what = "receptive_field_of(layers)"
    if not callable(fn):
        return wrong(f"expected a function ({what}), got {type(fn).__name__}")
    for layers in stacks():
        expected = receptive_field(layers)
        got, failed = run(what, f"for layers = {layers} your function", fn,
                          {"layers": list(layers)}, FORMULA)
        if failed is not None:
            return failed
        if got != expected:
            return wrong(f"for layers = {layers} expected {expected}, got {fmt(got)}"
                         + slip_hint(RECEPTIVE_FIELD_SLIPS, got,
                                     lambda slip, layers=layers: slip.answer(list(layers))))
    return correct(f"{what} agrees with course_utils.arithmetic on all {len(stacks())} stacks.")


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
