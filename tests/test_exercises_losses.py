"""Checkers of notebook 05's exercises: right answers pass, typical wrong ones get feedback."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn
from torch.nn import functional as F

from course_utils.exercises.losses import (
    CONFIDENT_MISTAKE,
    check_cross_entropy,
    cross_entropy_cases,
    mistake_loss,
)
from course_utils.exercises.questions import check_answer


def stable(scores, target):
    shifted = scores - scores.max(dim=1, keepdim=True).values
    log_p = shifted - torch.log(torch.exp(shifted).sum(dim=1, keepdim=True))
    return -log_p[torch.arange(len(target)), target].mean()


def with_a_loop(scores, target):
    """Another right answer: one sample at a time, the shift inside the loop."""
    losses = []
    for row, label in zip(scores, target, strict=True):
        top = row.max()
        losses.append(top + torch.log(torch.exp(row - top).sum()) - row[label])
    return torch.stack(losses).mean()


def naive(scores, target):
    p = torch.exp(scores) / torch.exp(scores).sum(dim=1, keepdim=True)
    return -torch.log(p[torch.arange(len(target)), target]).mean()


def overflow_only_guarded(scores, target):
    """Right when some score is positive, naive otherwise: only the underflow case fails."""
    return stable(scores, target) if scores.max() > 0 else naive(scores, target)


def per_sample(scores, target):
    shifted = scores - scores.max(dim=1, keepdim=True).values
    log_p = shifted - torch.log(torch.exp(shifted).sum(dim=1, keepdim=True))
    return -log_p[torch.arange(len(target)), target]


def stub(scores, target):
    raise NotImplementedError("Student exercise: the cross-entropy from its formula")


def test_cases_include_the_lecture_and_extreme_scores():
    cases = cross_entropy_cases()
    first = nn.CrossEntropyLoss()(cases[0]["scores"], cases[0]["target"])
    assert abs(first.item() - 2.514101028442383) < 1e-6
    assert any(torch.isinf(torch.exp(c["scores"])).any() for c in cases)
    assert any((torch.exp(c["scores"]).sum(dim=1) == 0).any() for c in cases)
    assert all(torch.isfinite(nn.CrossEntropyLoss()(c["scores"], c["target"])) for c in cases)


@pytest.mark.parametrize("answer", [stable, with_a_loop])
def test_right_answers_pass(answer):
    feedback = check_cross_entropy(answer)
    assert feedback.passed, feedback.message
    assert f"all {len(cross_entropy_cases())} cases" in feedback.message


def test_the_stub_is_not_implemented():
    feedback = check_cross_entropy(stub)
    assert not feedback.passed and not feedback.implemented
    assert "Not implemented yet" in feedback.message


@pytest.mark.parametrize(
    ("answer", "expected_text"),
    [
        (naive, "torch.exp of a score of 1000 is inf in float32"),
        (overflow_only_guarded, "every torch.exp of a row underflows to 0"),
        (per_sample, "returned the per-sample losses"),
        (lambda s, t: per_sample(s, t).sum(), "summed over the samples"),
        (lambda s, t: -stable(s, t), "the sign"),
        (lambda s, t: stable(s, t) / math.log(10), "took log10"),
        (lambda s, t: stable(s, t).item(), "expected a torch.Tensor, got float"),
        (lambda s, t: stable(s, t).double(), "expected dtype torch.float32"),
        (lambda s, t: stable(s, t) + 1, "expected 2.514, got 3.514"),
        (lambda s, t: 1 / 0, "raised ZeroDivisionError"),
        ("stable", "expected a function"),
    ],
)
def test_wrong_answers_get_feedback(answer, expected_text):
    feedback = check_cross_entropy(answer)
    assert not feedback.passed and feedback.implemented
    assert expected_text in feedback.message, feedback.message


def test_the_overflow_hint_says_what_to_do():
    message = check_cross_entropy(naive).message
    assert "subtracting each row's largest score" in message
    assert "got nan" in message or "got inf" in message


@pytest.mark.parametrize(
    "shortcut",
    [
        F.cross_entropy,
        lambda s, t: F.nll_loss(F.log_softmax(s, dim=1), t),
        lambda s, t: -s.log_softmax(dim=1)[torch.arange(len(t)), t].mean(),
        lambda s, t: (torch.logsumexp(s, dim=1) - s[torch.arange(len(t)), t]).mean(),
        lambda s, t: nn.CrossEntropyLoss()(s, t),
        lambda s, t: (torch.special.logsumexp(s, 1) - s[torch.arange(len(t)), t]).mean(),
        lambda s, t: -torch.distributions.Categorical(logits=s).log_prob(t).mean(),
        lambda s, t: nn.NLLLoss()(nn.LogSoftmax(dim=1)(s), t),
        lambda s, t: torch.ops.aten._log_softmax(s, 1, False)[torch.arange(len(t)), t].neg()
        .mean(),
    ],
)
def test_right_values_through_a_shortcut_are_not_accepted(shortcut):
    feedback = check_cross_entropy(shortcut)
    assert not feedback.passed and feedback.message.startswith("you called ")
    assert (": the exercise asks you to write the formula yourself, with exp, log, max, sum and "
            "indexing, without") in feedback.message


def test_the_log_of_a_softmax_is_refused_and_fails_on_large_scores():
    feedback = check_cross_entropy(
        lambda s, t: -torch.log(F.softmax(s, dim=1)[torch.arange(len(t)), t]).mean()
    )
    assert feedback.message.startswith("you called F.softmax")
    assert float(F.softmax(torch.tensor([1000.0, 0.0, -1000.0]), dim=0)[1]) == 0.0
    by_hand = check_cross_entropy(naive)  # the same softmax, by hand
    assert "probabilities as small as exp(-2000) round to 0" in by_hand.message


def test_a_change_to_the_learners_tensors_is_refused():
    def in_place(scores, target):
        scores -= scores.max(dim=1, keepdim=True).values  # the caller's scores change
        log_p = scores - torch.log(torch.exp(scores).sum(dim=1, keepdim=True))
        return -log_p[torch.arange(len(target)), target].mean()

    feedback = check_cross_entropy(in_place)
    assert not feedback.passed and "changed its input scores in place" in feedback.message
    assert abs(nn.CrossEntropyLoss()(*cross_entropy_cases()[0].values()).item() - 2.5141) < 1e-4


def test_one_shift_for_the_whole_batch_is_caught():
    def batch_max(scores, target):
        shifted = scores - scores.max()
        log_p = shifted - torch.log(torch.exp(shifted).sum(dim=1, keepdim=True))
        return -log_p[torch.arange(len(target)), target].mean()

    feedback = check_cross_entropy(batch_max)
    assert not feedback.passed and "largest score of the whole batch" in feedback.message


# The question: a confident mistake -------------------------------------------------------------


def test_the_confident_mistake_costs_about_the_margin():
    by_hand = math.log(math.exp(0) + math.exp(5) + math.exp(0)) - 0
    assert abs(mistake_loss() - by_hand) < 1e-5
    assert CONFIDENT_MISTAKE.right_choice() == "c"
    feedback = check_answer(CONFIDENT_MISTAKE, "c")
    assert feedback.passed and f"{by_hand:.3f}" in feedback.message


@pytest.mark.parametrize("letter", ["a", "b", "d"])
def test_the_other_choices_are_explained(letter):
    feedback = check_answer(CONFIDENT_MISTAKE, letter)
    assert not feedback.passed and feedback.message.startswith(f"Not quite ({letter})")


def test_the_confident_right_answer_costs_what_choice_a_says():
    right = -math.log(math.exp(5) / (math.exp(5) + 2))
    assert f"{right:.3f}" in CONFIDENT_MISTAKE.why["a"]
