"""Tests for notebook 07's exercise checkers: right answers pass, typical wrong ones do not."""

from __future__ import annotations

import torch
from torch import nn

from course_utils.exercises.mnist import (
    COUNT_CASES,
    VariantNet,
    check_counts,
    check_smaller_net,
    reference_counts,
)
from course_utils.models import LectureNet
from course_utils.training import MnistData


def right_counts(c1, c2, hidden):
    params = c1 * 26 + c2 * (25 * c1 + 1) + hidden * (4 * c2 + 1) + 10 * (hidden + 1)
    products = c1 * 576 * 25 + c2 * c1 * 16 * 25 + hidden * 4 * c2 + 10 * hidden
    return params, products


def test_reference_counts_match_the_lecture():
    assert reference_counts(32, 64, 200) == (105_506, 1_333_200)
    assert all(reference_counts(*case) == right_counts(*case) for case in COUNT_CASES)


def test_check_counts_accepts_the_right_formula():
    feedback = check_counts(right_counts)
    assert feedback.passed and "Correct" in feedback.message


def test_check_counts_not_implemented():
    def stub(c1, c2, hidden):
        raise NotImplementedError("Student exercise: count")

    feedback = check_counts(stub)
    assert not feedback.passed and not feedback.implemented


def test_check_counts_names_typical_mistakes():
    def no_biases(c1, c2, hidden):
        p, q = right_counts(c1, c2, hidden)
        return p - (c1 + c2 + hidden + 10), q

    def bias_products(c1, c2, hidden):
        p, q = right_counts(c1, c2, hidden)
        return p, q + c1 * 576 + c2 * 16 + hidden + 10

    def lecture_only(c1, c2, hidden):
        return 105_506, 1_333_200

    def crashes(c1, c2, hidden):
        return 1 / 0

    assert "biases are missing" in check_counts(no_biases).message
    assert "do not count the biases" in check_counts(bias_products).message
    assert "for c1=16" in check_counts(lecture_only).message
    assert "ZeroDivisionError" in check_counts(crashes).message
    assert "pair" in check_counts(lambda c1, c2, hidden: 5).message
    assert not check_counts("not a function").passed


def easy_data() -> MnistData:
    """A bright 6×6 square at one of 10 places; the label is the place."""
    g = torch.Generator().manual_seed(0)
    y = torch.randint(0, 10, (320,), generator=g)
    x = torch.randn(320, 1, 28, 28, generator=g) * 0.3
    for i, label in enumerate(y.tolist()):
        r, c = divmod(label, 5)
        x[i, 0, 4 + 12 * r : 10 + 12 * r, 2 + 5 * c : 8 + 5 * c] += 2.0
    return MnistData(x[:256], y[:256], x[256:], y[256:])


def test_check_smaller_net_accepts_a_small_net_that_learns():
    feedback = check_smaller_net(
        lambda: VariantNet(8, 16, 32), easy_data(), min_accuracy=0.5, epochs=3, batch_size=16
    )
    assert feedback.passed, feedback.message
    assert feedback.details["parameters"] < 105_506 // 2


def test_check_smaller_net_refuses_typical_wrong_answers():
    data = easy_data()

    class Stub(nn.Module):
        def __init__(self):
            raise NotImplementedError("Student exercise: a smaller net")

    assert not check_smaller_net(Stub, data).implemented
    too_big = check_smaller_net(LectureNet, data)
    assert not too_big.passed and "105,506 parameters" in too_big.message
    wrong_shape = check_smaller_net(lambda: nn.Sequential(nn.Flatten(), nn.Linear(784, 5)), data)
    assert not wrong_shape.passed and "2×10" in wrong_shape.message
    not_module = check_smaller_net(lambda: "net", data)
    assert not not_module.passed and "nn.Module" in not_module.message
    bad_forward = check_smaller_net(lambda: nn.Linear(3, 10), data)
    assert not bad_forward.passed and "raised" in bad_forward.message
    weak = check_smaller_net(
        lambda: nn.Sequential(nn.Flatten(), nn.Linear(784, 10)), data, min_accuracy=0.999
    )
    assert not weak.passed and "at least 99.9%" in weak.message
    assert not check_smaller_net(42, data).passed
