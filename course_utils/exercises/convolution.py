"""Checkers for the convolution exercises (notebooks 01 and 02).

Each checker runs the learner's answer on a few cases, small and readable first, compares it
with PyTorch, and answers with a :class:`~course_utils.exercises.Feedback`; when an answer is
wrong in a typical way (a flipped kernel, an output one too long or short, another dtype) the
message adds a hint.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
import torch.nn.functional as F
from torch import nn

from course_utils.exercises import (
    Feedback,
    attempt,
    check_value,
    compare_tensors,
    correct,
    fmt,
    int_tuple,
    not_implemented,
    wrong,
)


def _ints(generator: torch.Generator, *shape: int) -> torch.Tensor:
    """Small integer values stored as float32, so that messages stay readable."""
    return torch.randint(-3, 4, shape, generator=generator).float()


def conv1d_cases(batched: bool = False, seed: int = 0) -> list[dict[str, torch.Tensor]]:
    """Cases ``{"x": ..., "u": ...}`` for a conv1d exercise: the lecture's two examples, then
    random ones of several lengths ``W`` and widths ``w`` (including ``w = 1`` and ``w = W``).

    ``batched``: ``x`` is ``N×C×W`` and ``u`` is ``D×C×w`` (as ``F.conv1d``); otherwise
    ``x`` is ``(W,)`` and ``u`` is ``(w,)``.
    """
    g = torch.Generator().manual_seed(seed)
    if not batched:
        cases = [
            {"x": torch.tensor([1.0, 2, 3, 4]), "u": torch.tensor([3.0, 2])},
            {"x": torch.tensor([0.0, 0, 0, 0, 1, 2, 3, 4, 4, 4, 4]), "u": torch.tensor([-1.0, 1])},
        ]
        sizes = [(6, 3), (5, 1), (7, 7), (10, 4), (9, 2)]
        cases += [{"x": _ints(g, big), "u": _ints(g, small)} for big, small in sizes]
        cases.append({"x": torch.randn(200, generator=g), "u": torch.randn(9, generator=g)})
        return cases
    cases = [{"x": torch.tensor([[[1.0, 2, 3, 4]]]), "u": torch.tensor([[[3.0, 2]]])}]
    shapes = [  # (N, C, W), (D, w)
        ((1, 2, 6), (1, 3)),
        ((2, 1, 5), (3, 2)),
        ((2, 3, 7), (2, 7)),
        ((3, 2, 8), (4, 1)),
        ((2, 3, 12), (5, 4)),
    ]
    for (n, c, big), (d, small) in shapes:
        cases.append({"x": _ints(g, n, c, big), "u": _ints(g, d, c, small)})
    cases.append({"x": torch.randn(4, 3, 100, generator=g), "u": torch.randn(6, 3, 7, generator=g)})
    return cases


def conv1d_reference(x: torch.Tensor, u: torch.Tensor) -> torch.Tensor:
    """``F.conv1d`` on ``(W,)`` and ``(w,)`` vectors, or on ``N×C×W`` and ``D×C×w`` tensors."""
    if x.dim() == 1:
        return F.conv1d(x.view(1, 1, -1), u.view(1, 1, -1)).view(-1)
    return F.conv1d(x, u)


def _run(fn: Callable, case: dict, what: str):
    """(result, None) or (None, Feedback) when the learner's function did not return."""
    args = {k: v.clone() for k, v in case.items()}
    inputs = " and ".join(f"{k} = {fmt(v)}" for k, v in case.items())
    return attempt(what, f"for {inputs} your function", fn, **args)


def _hint(problem: Feedback, got, expected: torch.Tensor, flipped: torch.Tensor, size: str):
    """Add a tutor's hint to ``problem`` for the usual mistakes."""
    if not isinstance(got, torch.Tensor):
        return problem
    if got.shape == flipped.shape and not torch.allclose(flipped, expected):
        if torch.allclose(got.detach().to(flipped.dtype), flipped, atol=1e-4):
            problem.message += (
                ". Hint: this is what a flipped kernel gives (numpy.convolve's convention); "
                "here the kernel is read in the same order as the signal."
            )
            return problem
    if got.dim() == expected.dim() and got.shape != expected.shape:
        problem.message += f". Hint: each output should have {size} values."
    elif got.shape == expected.shape and got.dtype != expected.dtype:
        problem.message += ". Hint: keep the input's dtype (float32): do not convert the result."
    return problem


def check_conv1d(conv1d: Callable, batched: bool = False) -> Feedback:
    """Check a learner's ``conv1d(x, u)`` against ``F.conv1d``; never raises.

    ``batched=False``: ``x`` ``(W,)``, ``u`` ``(w,)`` → ``(W - w + 1,)``.
    ``batched=True``: ``x`` ``N×C×W``, ``u`` ``D×C×w`` → ``N×D×(W - w + 1)``.
    """
    what = "conv1d(x, u)"
    if not callable(conv1d):
        return wrong(f"expected a function {what}, got {type(conv1d).__name__}")
    cases = conv1d_cases(batched)
    for case in cases:
        got, failure = _run(conv1d, case, what)
        if failure is not None:
            return failure
        expected = conv1d_reference(**case)
        problem = compare_tensors(got, expected, case)
        if problem is not None:
            flipped = conv1d_reference(case["x"], case["u"].flip(-1))
            return _hint(problem, got, expected, flipped, "W - w + 1")
    kind = "N×C×W inputs with D×C×w kernels" if batched else "vectors"
    return correct(f"{what} agrees with F.conv1d on all {len(cases)} cases ({kind}).")


def conv2d_cases(seed: int = 0) -> list[dict[str, torch.Tensor]]:
    """Cases ``{"x": C×H×W, "k": D×C×h×w}`` for a conv2d exercise, small ones first."""
    g = torch.Generator().manual_seed(seed)
    shapes = [  # (C, H, W), (D, h, w)
        ((1, 3, 3), (1, 2, 2)),
        ((1, 3, 4), (1, 3, 3)),
        ((2, 4, 5), (3, 2, 3)),
        ((1, 3, 3), (2, 3, 3)),
        ((3, 6, 6), (2, 1, 1)),
    ]
    cases = [
        {"x": _ints(g, c, hh, ww), "k": _ints(g, d, c, h, w)} for (c, hh, ww), (d, h, w) in shapes
    ]
    cases.append(
        {"x": torch.randn(3, 28, 28, generator=g), "k": torch.randn(4, 3, 5, 3, generator=g)}
    )
    return cases


def check_conv2d(conv2d: Callable) -> Feedback:
    """Check a learner's ``conv2d(x, k)``, ``x`` ``C×H×W`` and ``k`` ``D×C×h×w`` →
    ``D×(H-h+1)×(W-w+1)``, against ``F.conv2d``; never raises."""
    what = "conv2d(x, k)"
    if not callable(conv2d):
        return wrong(f"expected a function {what}, got {type(conv2d).__name__}")
    cases = conv2d_cases()
    for case in cases:
        got, failure = _run(conv2d, case, what)
        if failure is not None:
            return failure
        expected = F.conv2d(case["x"].unsqueeze(0), case["k"])[0]
        problem = compare_tensors(got, expected, case)
        if problem is not None:
            flipped = F.conv2d(case["x"].unsqueeze(0), case["k"].flip(-1, -2))[0]
            return _hint(problem, got, expected, flipped, "D×(H-h+1)×(W-w+1)")
    return correct(f"{what} agrees with F.conv2d on all {len(cases)} cases.")


def output_shape(layer: nn.Module, input_shape: Sequence[int]) -> tuple[int, ...]:
    """The shape ``layer`` gives for an input of ``input_shape`` (found by running it on zeros)."""
    with torch.no_grad():
        return tuple(layer(torch.zeros(*input_shape)).shape)


def check_output_shape(predicted, layer: nn.Module, input_shape: Sequence[int]) -> Feedback:
    """Check a predicted output shape of ``layer`` on an input of ``input_shape``; never raises.

    ``predicted``: a tuple of ints (``...`` or None while the learner has not answered).
    """
    expected = output_shape(layer, input_shape)
    what = f"the output shape of {layer} on an input of shape {tuple(input_shape)}"
    if predicted is ... or predicted is None:
        return not_implemented("your prediction (a tuple of ints) in place of ...")
    as_ints = int_tuple(predicted)
    if as_ints is None:
        return wrong(f"expected a tuple of ints, got {fmt(predicted)}")
    predicted = as_ints
    feedback = check_value(predicted, expected, what)
    if feedback.passed:
        return correct(f"{what} is {expected}.")
    if len(predicted) != len(expected):
        feedback.message += (
            f". Hint: the output has {len(expected)} dimensions, like the input: "
            "batch, channels, height, width."
        )
    elif predicted[1] != expected[1]:
        feedback.message += ". Hint: there is one output channel per kernel (out_channels)."
    else:
        feedback.message += ". Hint: a kernel of size k shrinks that dimension by k - 1."
    return feedback
