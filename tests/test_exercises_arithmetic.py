"""Checkers of notebook 03's exercises: right answers pass, typical wrong ones get a hint."""

from __future__ import annotations

import math

from course_utils.exercises.arithmetic import (
    check_conv_shape,
    check_output_size,
    check_receptive_field,
)


def right_output_size(size, kernel, stride, padding, dilation):
    return (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1


def test_output_size_right_answer_passes():
    feedback = check_output_size(right_output_size)
    assert feedback.passed and feedback.message.startswith("Correct")


def test_output_size_stub_is_not_implemented_yet():
    def stub(size, kernel, stride, padding, dilation):
        raise NotImplementedError("Student exercise: write the formula")

    feedback = check_output_size(stub)
    assert not feedback.passed and not feedback.implemented
    assert "Not implemented yet" in feedback.message


def test_output_size_typical_slips_are_named():
    def ceil(size, kernel, stride, padding, dilation):
        return math.ceil((size + 2 * padding - dilation * (kernel - 1) - 1) / stride) + 1

    def no_dilation(size, kernel, stride, padding, dilation):
        return (size + 2 * padding - kernel) // stride + 1

    def padding_once(size, kernel, stride, padding, dilation):
        return (size + padding - dilation * (kernel - 1) - 1) // stride + 1

    def float_division(size, kernel, stride, padding, dilation):
        return (size + 2 * padding - dilation * (kernel - 1) - 1) / stride + 1

    cases = [(ceil, "rounded up"), (no_dilation, "forgot the dilation"),
             (padding_once, "counted the padding once"), (float_division, "expected an int")]
    for fn, phrase in cases:
        feedback = check_output_size(fn)
        assert not feedback.passed and feedback.implemented
        assert phrase in feedback.message, (fn.__name__, feedback.message)


def test_output_size_crash_and_non_function_are_feedback():
    feedback = check_output_size(lambda size, kernel, stride, padding, dilation: 1 / 0)
    assert not feedback.passed and "ZeroDivisionError" in feedback.message
    assert not check_output_size(3).passed


def right_receptive_field(layers):
    field, jump = 1, 1
    for kernel, stride, dilation in layers:
        field += (kernel - 1) * dilation * jump
        jump *= stride
    return field


def test_receptive_field_right_and_wrong():
    assert check_receptive_field(right_receptive_field).passed

    def no_strides(layers):
        return 1 + sum((k - 1) * d for k, _, d in layers)

    def no_dilation(layers):
        return right_receptive_field([(k, s, 1) for k, s, _ in layers])

    feedback = check_receptive_field(no_strides)
    assert not feedback.passed and "ignored the strides" in feedback.message
    feedback = check_receptive_field(no_dilation)
    assert not feedback.passed and "ignored the dilations" in feedback.message
    feedback = check_receptive_field(lambda layers: len(layers))
    assert not feedback.passed and "expected" in feedback.message


def test_receptive_field_stub():
    def stub(layers):
        raise NotImplementedError("Student exercise")

    assert not check_receptive_field(stub).implemented


def test_conv_shape_right_and_wrong():
    assert check_conv_shape((1, 8, 15, 15)).passed
    assert check_conv_shape([1, 8, 15, 15]).passed
    assert not check_conv_shape(...).implemented
    for answer, phrase in [((1, 8, 14, 14), "padding"), ((1, 8, 16, 16), "rounded up"),
                           ((1, 3, 15, 15), "channels"), ((2, 2), "different shape"),
                           ("abc", "expected a tuple of 4 ints")]:
        feedback = check_conv_shape(answer)
        assert not feedback.passed and phrase in feedback.message, answer
        assert "(1, 8, 15, 15)" not in feedback.message  # no giving the answer away
