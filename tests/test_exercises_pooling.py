"""Checkers of notebook 04's exercises: right answers pass, typical wrong ones get a hint."""

from __future__ import annotations

import torch

from course_utils.exercises.pooling import (
    check_max_pool1d,
    check_pool_sizes,
    check_pooled_prediction,
)


def right_max_pool1d(x, kernel):
    n, c, length = x.shape
    usable = length // kernel * kernel
    return x[..., :usable].reshape(n, c, length // kernel, kernel).max(dim=-1).values


def test_max_pool1d_right_answer_passes():
    assert check_max_pool1d(right_max_pool1d).passed


def test_max_pool1d_stub_and_wrong_answers():
    def stub(x, kernel):
        raise NotImplementedError("Student exercise")

    assert not check_max_pool1d(stub).implemented

    def average(x, kernel):
        usable = x.shape[-1] // kernel * kernel
        return x[..., :usable].reshape(*x.shape[:2], -1, kernel).mean(dim=-1)

    def keeps_the_tail(x, kernel):
        return torch.nn.functional.max_pool1d(x, kernel, ceil_mode=True)

    def crashes_on_ragged_length(x, kernel):
        return x.reshape(*x.shape[:2], -1, kernel).max(dim=-1).values

    for fn, phrase in [(average, "expected"), (keeps_the_tail, "expected shape"),
                       (crashes_on_ragged_length, "raised RuntimeError")]:
        feedback = check_max_pool1d(fn)
        assert not feedback.passed and feedback.implemented
        assert phrase in feedback.message, (fn.__name__, feedback.message)


def test_pooled_prediction():
    assert check_pooled_prediction([4, 2, 3, 5]).passed
    assert check_pooled_prediction(torch.tensor([4.0, 2, 3, 5])).passed
    assert not check_pooled_prediction(...).implemented
    for answer, phrase in [([4, 2, 3, 5, 7], "dropped"), ([4, 4, 2, 2, 3, 5, 5, 7], "stride"),
                           ([2.5, 2, 1.5, 3], "averages"), ([1, 2, 3, 4], "different result"),
                           ("four", "expected a list of numbers")]:
        feedback = check_pooled_prediction(answer)
        assert not feedback.passed and phrase in feedback.message, answer


def test_pool_sizes():
    assert check_pool_sizes((4, 5)).passed
    assert not check_pool_sizes(...).implemented
    for answer, phrase in [((5, 4), "wrong way round"), ((3, 4), "count them again"),
                           ((4, 4), "different pair"), (7, "expected a pair of ints")]:
        feedback = check_pool_sizes(answer)
        assert not feedback.passed and phrase in feedback.message, answer
