"""Checkers of notebook 04's exercises: right answers pass, typical wrong ones get a true hint."""

from __future__ import annotations

import math

import pytest
import torch

from course_utils.exercises.pooling import (
    POOL_INPUT,
    POOL_KERNEL,
    POOL_SIZE_KERNEL,
    POOL_SIZE_LENGTH,
    POOL_SIZE_STRIDE,
    POOL_STRIDE,
    SHIFT_KERNEL,
    SHIFT_LENGTH,
    SHIFT_QUESTION,
    check_max_pool1d,
    check_pool_sizes,
    check_pooled_prediction,
    shift_outcomes,
)
from course_utils.exercises.questions import check_answer


def right_max_pool1d(x, kernel):
    n, c, length = x.shape
    usable = length // kernel * kernel
    return x[..., :usable].reshape(n, c, length // kernel, kernel).max(dim=-1).values


def test_max_pool1d_right_answer_passes():
    assert check_max_pool1d(right_max_pool1d).passed


def test_max_pool1d_stub_and_wrong_answers():
    def stub(x, kernel):
        raise NotImplementedError("Student exercise")

    assert check_max_pool1d(stub).message == (
        "Not implemented yet: write max_pool1d(x, kernel), then run this cell again.")

    def average(x, kernel):
        usable = x.shape[-1] // kernel * kernel
        return x[..., :usable].reshape(*x.shape[:2], -1, kernel).mean(dim=-1)

    def crashes_on_ragged_length(x, kernel):
        return x.reshape(*x.shape[:2], -1, kernel).max(dim=-1).values

    for fn, phrase in [(average, "averaged each window"),
                       (crashes_on_ragged_length, "raised RuntimeError"),
                       (crashes_on_ragged_length, "(here L = 9, kernel = 2)")]:
        feedback = check_max_pool1d(fn)
        assert not feedback.passed and feedback.implemented
        assert phrase in feedback.message, (fn.__name__, feedback.message)


@pytest.mark.parametrize(
    ("shortcut", "named"),
    [(lambda x, kernel: torch.nn.functional.max_pool1d(x, kernel), "F.max_pool1d"),
     (lambda x, kernel: torch.nn.functional.max_pool1d(x, kernel, ceil_mode=True),
      "F.max_pool1d"),
     (lambda x, kernel: torch.nn.MaxPool1d(kernel)(x), "nn.MaxPool1d"),
     (lambda x, kernel: torch.nn.functional.max_pool2d(x[:, :, None], (1, kernel))[:, :, 0],
      "F.max_pool2d"),
     (lambda x, kernel: torch.nn.functional.adaptive_max_pool1d(x, x.shape[-1] // kernel),
      "F.adaptive_max_pool1d"),
     (lambda x, kernel: torch.ops.aten.max_pool1d(x, [kernel]), "torch.ops.aten.max_pool1d")],
    ids=["F", "ceil", "layer", "2d", "adaptive", "aten"],
)
def test_pytorchs_max_pooling_is_refused(shortcut, named):
    feedback = check_max_pool1d(shortcut)
    assert not feedback.passed and feedback.message.startswith(f"you called {named}")


def windows(values, kernel, stride):
    """The windows of a pooling, by hand (an oracle independent of F.max_pool1d)."""
    return [values[i:i + kernel] for i in range(0, len(values) - kernel + 1, stride)]


VALUES = POOL_INPUT.tolist()


def test_pooled_prediction_right_answer():
    right = [max(w) for w in windows(VALUES, POOL_KERNEL, POOL_STRIDE)]
    assert check_pooled_prediction(right).passed
    assert check_pooled_prediction(torch.tensor(right)).passed
    assert not check_pooled_prediction(...).implemented


@pytest.mark.parametrize(
    ("answer", "phrase"),
    [([max(w) for w in windows(VALUES, POOL_KERNEL, POOL_KERNEL)], "used the kernel as the"),
     ([max(w) for w in windows(VALUES, POOL_KERNEL, 1)], "a stride of 1"),
     ([max(w) for w in windows(VALUES, POOL_STRIDE, POOL_STRIDE)], "used windows of"),
     ([round(sum(w) / len(w), 2) for w in windows(VALUES, POOL_KERNEL, POOL_STRIDE)],
      "averaged the windows")],
)
def test_pooled_prediction_slips_are_named(answer, phrase):
    feedback = check_pooled_prediction(answer)
    assert not feedback.passed and feedback.implemented
    assert phrase in feedback.message and feedback.message.count("it looks like") == 1


def test_pooled_prediction_unexplained_and_malformed_answers():
    feedback = check_pooled_prediction([1, 2, 3, 4])
    assert not feedback.passed and "different result" in feedback.message
    assert "it looks like" not in feedback.message
    feedback = check_pooled_prediction("four")
    assert not feedback.passed and "expected a list of numbers" in feedback.message


def by_hand_lengths(length, kernel, stride):
    """(floor, ceil) output lengths from the window starts, counted by hand."""
    floor = len(range(0, length - kernel + 1, stride))
    ceil = len([start for start in range(0, length, stride)
                if start < length and start + kernel - stride < length])
    return floor, ceil


def test_pool_sizes():
    length, kernel, stride = POOL_SIZE_LENGTH, POOL_SIZE_KERNEL, POOL_SIZE_STRIDE
    right = by_hand_lengths(length, kernel, stride)
    feedback = check_pool_sizes(right)
    assert feedback.passed and f"are {right}" in feedback.message
    assert not check_pool_sizes(...).implemented
    slips = [
        (right[::-1], "wrong way round"),
        (((length - kernel) // stride, math.ceil((length - kernel) / stride)), "+ 1"),
        (by_hand_lengths(length, kernel, kernel), "used the kernel as the stride"),
        ((length // stride, math.ceil(length / stride)), "divided the whole length"),
    ]
    assert len({answer for answer, _ in slips} | {right}) == len(slips) + 1  # all distinct
    for answer, phrase in slips:
        feedback = check_pool_sizes(answer)
        assert not feedback.passed and phrase in feedback.message, answer
        assert feedback.message.count("it looks like") == 1
    for answer, phrase in [((3, 3), "different pair"), (7, "expected a pair of ints"),
                           ((1, 2, 3), "expected a pair of ints")]:
        feedback = check_pool_sizes(answer)
        assert not feedback.passed and phrase in feedback.message, answer


def test_shift_outcomes_match_the_windows_by_hand():
    same = sum(p // SHIFT_KERNEL == (p + 1) // SHIFT_KERNEL for p in range(SHIFT_LENGTH - 1))
    moved = SHIFT_LENGTH - 1 - same
    assert shift_outcomes() == {"unchanged": same, "moved": moved, "other": 0}
    assert same and moved


def test_shift_question():
    outcomes = shift_outcomes()
    assert SHIFT_QUESTION.right_choice() == "c"  # both outcomes occur (the test above)
    tally = (f"{outcomes['unchanged']} keep it in its window after the shift (pooled signal "
             f"unchanged) and {outcomes['moved']} carry it into the next window")
    for letter in SHIFT_QUESTION.choices:
        feedback = check_answer(SHIFT_QUESTION, letter)
        assert feedback.passed == (letter == "c") and tally in feedback.message
    assert not check_answer(SHIFT_QUESTION, ...).implemented
