"""Exercise checks for notebook 05 (modules and losses).

- :func:`check_cross_entropy`: write the cross-entropy loss from its formula, without PyTorch's
  softmax or loss functions, so that it also holds for scores in the thousands.
- :data:`CONFIDENT_MISTAKE`: what cross-entropy a confident wrong prediction costs (a question,
  its right choice computed with ``F.cross_entropy``).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
from torch.nn import functional as F
from torch.overrides import TorchFunctionMode

from course_utils.exercises import Feedback, attempt, compare_tensors, correct, fmt, wrong
from course_utils.exercises.questions import Question

# What the exercise asks to write by hand: using any of these computes the loss for you.
SHORTCUTS = frozenset(
    {"cross_entropy", "nll_loss", "log_softmax", "softmax", "softmin", "logsumexp"}
)


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
    return cases


def _reference(scores: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    return torch.nn.CrossEntropyLoss()(scores, target)


class _Shortcuts(TorchFunctionMode):
    """Records which of :data:`SHORTCUTS` the code run under it calls."""

    def __init__(self):
        super().__init__()
        self.used: set[str] = set()

    def __torch_function__(self, func, types, args=(), kwargs=None):
        name = getattr(func, "__name__", "")
        if name in SHORTCUTS:
            self.used.add(name)
        return func(*args, **(kwargs or {}))


def _slip(got: torch.Tensor, expected: torch.Tensor, scores: torch.Tensor) -> str | None:
    """What a wrong answer most likely did, when it matches a typical slip (else None)."""

    def near(a: torch.Tensor, b: torch.Tensor) -> bool:
        return a.shape == b.shape and bool(torch.allclose(a, b, atol=1e-4, rtol=1e-4))

    got = got.detach().float()
    n = len(scores)
    if not torch.isfinite(got).all() and torch.isfinite(expected):
        exps = torch.exp(scores)
        if torch.isinf(exps).any():
            gap = fmt(scores.min() - scores.max())
            cause = (f"torch.exp of a score of {fmt(scores.max())} is inf in float32, and "
                     f"probabilities as small as exp({gap}) round to 0")
        else:
            cause = "every torch.exp of a row underflows to 0, so its sum is 0"
        return (f"{cause}; subtracting each row's largest score from the row leaves the loss "
                "unchanged and keeps every exp at most 1; take the log before dividing")
    if got.shape == (n,) and n > 1 and near(got.mean(), expected):
        return "these are the per-sample losses: the criterion returns their mean"
    if n > 1 and near(got, expected * n):
        return f"that is the sum over the {n} samples: the criterion returns the mean"
    if near(got, -expected):
        return "the sign: the loss is minus the log-probability of the right class"
    if near(got, expected / math.log(10)):
        return "that is log10: the formula uses the natural logarithm, torch.log"
    return None


def check_cross_entropy(fn: Callable) -> Feedback:
    """Check ``fn(scores, target)`` (``N×C`` floats, ``N`` labels) against ``nn.CrossEntropyLoss``.

    Right if it agrees on every case of :func:`cross_entropy_cases` (a 0-dim float tensor, the
    mean over samples) without calling any of :data:`SHORTCUTS`.
    """
    what = "cross_entropy(scores, target) from the formula"
    if not callable(fn):
        return wrong(f"expected a function ({what}), got {fmt(fn)}")
    mode = _Shortcuts()
    for case in cross_entropy_cases():
        expected = _reference(**case)
        shown = {"scores": case["scores"], "target": case["target"]}
        with mode:
            got, failed = attempt(what, f"for scores = {fmt(case['scores'])} your function",
                                  fn, case["scores"].clone(), case["target"].clone())
        if failed is not None:
            return failed
        problem = compare_tensors(got, expected, shown)
        if problem is not None:
            slip = _slip(got, expected, case["scores"]) if isinstance(got, torch.Tensor) else None
            return wrong(problem.message + (f" ({slip})" if slip else ""))
    if mode.used:
        return wrong(
            f"the values are right, but computed with {', '.join(sorted(mode.used))}: the "
            "exercise is to write the formula yourself with exp, log, max, sum and indexing"
        )
    n = len(cross_entropy_cases())
    return correct(f"{what} agrees with nn.CrossEntropyLoss on all {n} cases, scores in the "
                   "thousands included.")


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
