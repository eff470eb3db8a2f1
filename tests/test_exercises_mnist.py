"""Tests for notebook 07's exercise checkers and questions: right answers pass, slips are named."""

from __future__ import annotations

import torch
from squares import squares_data
from torch import nn

from course_utils.exercises.mnist import (
    COUNT_CASES,
    COUNTS_SLIPS,
    EVAL_MODE_QUESTION,
    LECTURE_PARAMETERS,
    VALIDATION_QUESTION,
    check_counts,
    check_smaller_net,
    reference_counts,
)
from course_utils.exercises.questions import check_answer
from course_utils.models import LectureNet


def right_counts(c1, c2, hidden):
    """By hand: 5×5 kernels, 24×24 then 4×4 conv outputs, 2×2 maps into fc1."""
    params = c1 * 26 + c2 * (25 * c1 + 1) + hidden * (4 * c2 + 1) + 10 * (hidden + 1)
    products = c1 * 576 * 25 + c2 * c1 * 16 * 25 + hidden * 4 * c2 + 10 * hidden
    return params, products


def test_reference_counts_match_the_lecture():
    assert LECTURE_PARAMETERS == 105_506
    assert reference_counts(32, 64, 200) == (105_506, 1_333_200)
    assert all(reference_counts(*case) == right_counts(*case) for case in COUNT_CASES)


def test_check_counts_accepts_the_right_formula():
    feedback = check_counts(right_counts)
    assert feedback.passed and feedback.message.startswith("Correct")


def test_check_counts_not_implemented():
    def stub(c1, c2, hidden):
        raise NotImplementedError("Student exercise: count")

    feedback = check_counts(stub)
    assert not feedback.passed and not feedback.implemented


def test_the_slips_are_the_hand_computed_ones():
    right = right_counts(32, 64, 200)
    got = [slip.answer(32, 64, 200) for slip in COUNTS_SLIPS]
    assert got == [
        (105_506 - (32 + 64 + 200 + 10), 1_333_200),
        (105_506, 1_333_200 + 32 * 24 * 24 + 64 * 4 * 4 + 200 + 10),
        (105_506 - 64 * 31 * 25, 1_333_200 - 64 * 16 * 31 * 25),
        (105_506, 1_333_200 + 32 * (28 * 28 - 24 * 24) * 25),
        (105_506 + 200 * 64 * 12, 1_333_200 + 200 * 64 * 12),
        (105_506 - 2010, 1_333_200 - 2000),
        right[::-1],
    ]


def test_check_counts_names_typical_mistakes():
    def lecture_only(c1, c2, hidden):
        return 105_506, 1_333_200

    def crashes(c1, c2, hidden):
        return 1 / 0

    flat = check_counts(COUNTS_SLIPS[2].answer).message
    assert "parameters" in flat and "each spans all c1 input maps" in flat
    lecture = check_counts(lecture_only).message
    assert lecture.startswith("for c1=16, c2=32, hidden=100 expected 27,158 parameters, got")
    assert "it looks like" not in lecture  # no hint for a slip it does not recognise
    assert "ZeroDivisionError" in check_counts(crashes).message
    assert "pair" in check_counts(lambda c1, c2, hidden: 5).message
    assert "expected a function" in check_counts("not a function").message


def test_check_counts_refuses_measuring_the_network():
    from course_utils.summary import summarize

    def measured(c1, c2, hidden):
        table = summarize(LectureNet(c1, c2, hidden))
        return table.total_parameters, table.total_products

    def built(c1, c2, hidden):
        layers = [nn.Conv2d(1, c1, 5), nn.Conv2d(c1, c2, 5), nn.Linear(4 * c2, hidden),
                  nn.Linear(hidden, 10)]
        return sum(p.numel() for m in layers for p in m.parameters()), 0

    message = check_counts(measured).message
    assert message.startswith("you called course_utils.models.LectureNet, "
                              "course_utils.summary.summarize, ")
    assert check_counts(built).message.startswith("you called nn.Conv2d")
    assert check_counts(reference_counts).message.startswith(
        "you called course_utils.exercises.mnist.reference_counts: the exercise asks you to "
        "work the counts out in integer arithmetic without it")


def test_check_smaller_net_accepts_a_small_net_that_learns():
    data = squares_data(256, 64, 0)
    feedback = check_smaller_net(
        lambda: LectureNet(8, 16, 32), data, min_accuracy=0.5, epochs=3, batch_size=16
    )
    assert feedback.passed, feedback.message
    assert feedback.details["parameters"] < 105_506 // 2
    assert "of the validation digits right" in feedback.message


def test_check_smaller_net_refuses_typical_wrong_answers():
    data = squares_data(256, 64, 0)

    class Stub(nn.Module):
        def __init__(self):
            raise NotImplementedError("Student exercise: a smaller net")

    assert not check_smaller_net(Stub, data).implemented
    too_big = check_smaller_net(LectureNet, data)
    assert not too_big.passed and "105,506 parameters; at most 52,753" in too_big.message
    wrong_shape = check_smaller_net(lambda: nn.Sequential(nn.Flatten(), nn.Linear(784, 5)), data)
    assert not wrong_shape.passed and "2×10" in wrong_shape.message
    not_module = check_smaller_net(lambda: "net", data)
    assert not not_module.passed and "nn.Module" in not_module.message
    bad_forward = check_smaller_net(lambda: nn.Linear(3, 10), data)
    assert not bad_forward.passed and "raised" in bad_forward.message
    weak = check_smaller_net(
        lambda: nn.Sequential(nn.Flatten(), nn.Linear(784, 10)), data, min_accuracy=0.999
    )
    assert not weak.passed and "validation digits right; at least 99.9%" in weak.message
    assert not check_smaller_net(42, data).passed


def test_the_eval_mode_question_is_answered_by_measurement():
    state = torch.random.get_rng_state()
    assert EVAL_MODE_QUESTION.right_choice() == "a"
    assert torch.equal(state, torch.random.get_rng_state())  # the caller's randomness untouched
    assert check_answer(EVAL_MODE_QUESTION, "a").passed
    for letter in "bcd":
        feedback = check_answer(EVAL_MODE_QUESTION, letter)
        assert not feedback.passed and feedback.message.startswith(f"Not quite ({letter})")


def test_the_validation_question():
    assert check_answer(VALIDATION_QUESTION, "b").passed
    assert "honest estimate" in check_answer(VALIDATION_QUESTION, "a").message
    assert not check_answer(VALIDATION_QUESTION, ...).implemented
