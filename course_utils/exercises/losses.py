"""Exercise checks for notebook 05 (modules and losses).

- :func:`check_cross_entropy`: write the cross-entropy loss from its formula, without PyTorch's
  softmax or loss functions (:data:`FROM_THE_FORMULA`), so that it also holds for scores in the
  thousands; a wrong answer that one of :data:`CROSS_ENTROPY_SLIPS` explains gets its hint.
- :data:`CONFIDENT_MISTAKE`: what cross-entropy a confident wrong prediction costs (a question,
  its right choice computed with ``F.cross_entropy``).
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable

import torch
from torch import nn
from torch.nn import functional as F

from course_utils.exercises import (
    IN_PLACE,
    SOFTMAX_AND_LOSSES,
    Feedback,
    Forbidden,
    Slip,
    compare_tensors,
    correct,
    fmt,
    in_place,
    run,
    slip_hint,
    wrong,
)
from course_utils.exercises.questions import Question


def cross_entropy_cases() -> list[dict[str, torch.Tensor]]:
    """The cases the checker tries: the lecture's, random ones, and scores in the thousands."""
    gen = torch.Generator().manual_seed(5)
    cases = [dict(scores=torch.tensor([[-1.0, -3.0, 4.0], [-3.0, 3.0, -1.0]]),
                  target=torch.tensor([0, 1]))]
    for n, c, scale in [(1, 2, 1.0), (5, 4, 3.0), (64, 10, 2.0)]:
        cases.append(dict(scores=scale * torch.randn(n, c, generator=gen),
                          target=torch.randint(0, c, (n,), generator=gen)))
    # exp overflows to inf in the first, underflows to 0 in the second
    cases.append(dict(scores=torch.tensor([[1000.0, 0.0, -1000.0]]), target=torch.tensor([1])))
    cases.append(dict(scores=torch.tensor([[-1000.0, -999.0, -1000.0], [-1000.0, -1000.0, -999.0]]),
                      target=torch.tensor([0, 2])))
    # rows 2000 apart: one shift for the whole batch leaves every exp of the second row 0
    cases.append(dict(scores=torch.tensor([[1000.0, 0.0, -5.0], [-1000.0, -1001.0, -1002.0]]),
                      target=torch.tensor([0, 1])))
    return cases


def _reference(scores: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    return torch.nn.CrossEntropyLoss()(scores, target)


FROM_THE_FORMULA = Forbidden(
    SOFTMAX_AND_LOSSES,
    python=(nn.CrossEntropyLoss, nn.NLLLoss, nn.LogSoftmax, nn.Softmax, nn.Softmin,
            sys.modules[__name__]),
    task="write the formula yourself, with exp, log, max, sum and indexing,",
)
"""The exercise asks for the formula: no softmax, log-softmax, logsumexp or loss of PyTorch's
(function, layer, method or aten operation), nothing of this checker's (its reference)."""


OVERFLOW, UNDERFLOW = "is inf in float32", "underflows to 0"


def _cross_entropy_slips() -> tuple[Slip, ...]:
    """The slips of ``cross_entropy``, written as a learner would, from the formula (the right
    answer they start from stays inside this function)."""
    def log_probabilities(scores, dim=1, shift=None):
        if shift is None:
            shift = scores.max(dim=dim, keepdim=True).values
        shifted = scores - shift
        return shifted - torch.log(torch.exp(shifted).sum(dim=dim, keepdim=True))

    def picked(log_p, target):
        return log_p[torch.arange(len(target)), target]

    def naive(scores, target):
        p = torch.exp(scores) / torch.exp(scores).sum(dim=1, keepdim=True)
        return -torch.log(picked(p, target)).mean()

    def right(scores, target):
        return -picked(log_probabilities(scores), target).mean()

    def not_added_back(scores, target):
        top = scores.max(dim=1).values
        return (torch.log(torch.exp(scores - top[:, None]).sum(dim=1))
                - picked(scores, target)).mean()

    return (
        Slip(OVERFLOW, naive, by_result=False),
        Slip(UNDERFLOW, lambda s, t: right(s, t) if s.max() > 0 else naive(s, t),
             by_result=False),
        Slip("subtracted the largest score of the whole batch: each row needs its own, or a row "
             "far below it has every exp round to 0",
             lambda s, t: -picked(log_probabilities(s, shift=s.max()), t).mean()),
        Slip("subtracted each row's largest score m from the scores but not from their "
             "log-sum-exp: log Σ exp(s) = m + log Σ exp(s − m)", not_added_back),
        Slip("returned the per-sample losses: the criterion returns their mean",
             lambda s, t: -picked(log_probabilities(s), t)),
        Slip("summed over the samples: the criterion returns the mean",
             lambda s, t: -picked(log_probabilities(s), t).sum()),
        Slip("normalised over the samples (dim=0): the softmax of a sample runs over its "
             "classes (dim=1)", lambda s, t: -picked(log_probabilities(s, dim=0), t).mean()),
        Slip("got the sign wrong: the loss is minus the log-probability of the right class",
             lambda s, t: -right(s, t)),
        Slip("took log10: the formula uses the natural logarithm, torch.log",
             lambda s, t: right(s, t) / math.log(10)),
        Slip("returned a Python float (.item()): return the 0-d tensor",
             lambda s, t: right(s, t).item()),
        Slip("converted the result to another dtype: keep float32",
             lambda s, t: right(s, t).double()),
        Slip(IN_PLACE, in_place(right), by_result=False),
    )


CROSS_ENTROPY_SLIPS = _cross_entropy_slips()
"""Slips of ``cross_entropy(scores, target)`` (notebook 05)."""


def _not_finite_hint(scores: torch.Tensor) -> str:
    """Why a formula gives inf or NaN where the loss is finite: exp overflows or underflows."""
    if torch.isinf(torch.exp(scores)).any():
        gap = fmt(scores.min() - scores.max())
        cause = (f"torch.exp of a score of {fmt(scores.max())} {OVERFLOW}, and "
                 f"probabilities as small as exp({gap}) round to 0")
    else:
        cause = f"every torch.exp of a row {UNDERFLOW}, so its sum is 0"
    return (f" ({cause}; subtracting each row's largest score from the row leaves the loss "
            "unchanged and keeps every exp at most 1; take the log before dividing)")


def check_cross_entropy(fn: Callable) -> Feedback:
    """Check ``fn(scores, target)`` (``N×C`` floats, ``N`` labels) against ``nn.CrossEntropyLoss``.

    Right if it agrees on every case of :func:`cross_entropy_cases` (a 0-dim float tensor, the
    mean over samples) without anything :data:`FROM_THE_FORMULA` forbids.
    """
    what = "cross_entropy(scores, target) from the formula"
    if not callable(fn):
        return wrong(f"expected a function ({what}), got {fmt(fn)}")
    cases = cross_entropy_cases()
    for case in cases:
        expected = _reference(**case)
        got, failed = run(what, f"for scores = {fmt(case['scores'])} your function", fn, case,
                          FROM_THE_FORMULA)
        if failed is not None:
            return failed
        problem = compare_tensors(got, expected, case)
        if problem is None:
            continue
        hint = slip_hint(CROSS_ENTROPY_SLIPS, got,
                         lambda slip, case=case: slip.answer(*case.values()))
        if (hint == "." and isinstance(got, torch.Tensor) and got.is_floating_point()
                and not torch.isfinite(got).all()):
            hint = _not_finite_hint(case["scores"])
        return wrong(problem.message + hint)
    return correct(f"{what} agrees with nn.CrossEntropyLoss on all {len(cases)} cases, scores in "
                   "the thousands included.")


# The question: a confident mistake. Scores for three classes; the right class is 0.
MISTAKE_SCORES = torch.tensor([[0.0, 5.0, 0.0]])
MISTAKE_TARGET = torch.tensor([0])
_MISTAKE_CHOICES = {"a": 0.01, "b": 1.0, "c": 5.0, "d": 148.4}


def mistake_loss() -> float:
    """The cross-entropy of :data:`MISTAKE_SCORES` for class 0, by ``F.cross_entropy``."""
    return F.cross_entropy(MISTAKE_SCORES, MISTAKE_TARGET).item()


def _confident_right_loss() -> float:
    """The same scores when the right class is the one scored 5."""
    return F.cross_entropy(MISTAKE_SCORES, MISTAKE_SCORES.argmax(dim=1)).item()


def _nearest_mistake_choice() -> str:
    loss = mistake_loss()
    return min(_MISTAKE_CHOICES, key=lambda k: abs(math.log(_MISTAKE_CHOICES[k] / loss)))


CONFIDENT_MISTAKE = Question(
    prompt=(
        "A classifier scores an image of class 0 with (0, 5, 0): it is sure of class 1, by a "
        "margin of 5. About how large is its cross-entropy loss for this image?"
    ),
    choices={
        "a": "about 0.01: one mistake among many costs little",
        "b": "about 1: the loss is at most 1, like an error",
        "c": "about 5: the margin by which the right class trails",
        "d": "about 148, that is e to the 5",
    },
    why={
        "a": "about 0.01 is what a confident right answer costs (with the right class ahead by "
             f"5, the loss is {_confident_right_loss():.3f}); a confident mistake costs the most.",
        "b": "the loss has no upper bound: minus the log of a probability grows without limit "
             "as the probability goes to 0.",
        "c": f"the loss is log(e^0 + e^5 + e^0) - 0 = 5 + log(1 + 2e^-5) = {mistake_loss():.3f}: "
             "for a confident mistake the loss is about the margin, and grows linearly with it. "
             "That is why one such sample dominates the mean.",
        "d": "e^5 is the ratio of the two probabilities; the loss takes its logarithm, so it is "
             "about 5.",
    },
    right=_nearest_mistake_choice,
)
