"""Checkers of notebook 03's exercises: right answers pass, typical wrong ones get a true hint."""

from __future__ import annotations

import math
import re

import pytest
import torch
from torch import nn

import course_utils.arithmetic
from course_utils.exercises.arithmetic import (
    STRIDE_FIRST,
    STRIDE_LAST,
    STRIDE_ORDER_QUESTION,
    check_output_size,
    check_receptive_field,
    check_unread_cells,
    unread_by_pytorch,
)
from course_utils.exercises.questions import check_answer


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


def ceil(size, kernel, stride, padding, dilation):
    return math.ceil((size + 2 * padding - dilation * (kernel - 1) - 1) / stride) + 1


def no_dilation(size, kernel, stride, padding, dilation):
    return (size + 2 * padding - kernel) // stride + 1


def padding_once(size, kernel, stride, padding, dilation):
    return (size + padding - dilation * (kernel - 1) - 1) // stride + 1


def no_plus_one(size, kernel, stride, padding, dilation):
    return (size + 2 * padding - dilation * (kernel - 1) - 1) // stride


def no_stride(size, kernel, stride, padding, dilation):
    return size + 2 * padding - dilation * (kernel - 1)


def float_division(size, kernel, stride, padding, dilation):
    return (size + 2 * padding - dilation * (kernel - 1) - 1) / stride + 1


CASE = re.compile(r"for size=(\d+), kernel=(\d+), stride=(\d+), padding=(\d+), dilation=(\d+)")


def _reported_case(message: str) -> dict:
    names = ("size", "kernel", "stride", "padding", "dilation")
    return dict(zip(names, map(int, CASE.search(message).groups()), strict=True))


def test_output_size_a_float_and_an_unexplained_answer():
    feedback = check_output_size(float_division)
    assert not feedback.passed and "expected an int" in feedback.message
    feedback = check_output_size(lambda size, kernel, stride, padding, dilation: size + 100)
    assert not feedback.passed and "it looks like" not in feedback.message
    assert feedback.message.endswith(".")


def test_output_size_crash_and_non_function_are_feedback():
    feedback = check_output_size(lambda size, kernel, stride, padding, dilation: 1 / 0)
    assert not feedback.passed and "ZeroDivisionError" in feedback.message
    feedback = check_output_size(3)
    assert not feedback.passed and "expected a function" in feedback.message


def windows_read(size, kernel, stride, padding, dilation, n_out=None):
    """Cells read, by walking the windows (an oracle independent of autograd)."""
    if n_out is None:
        n_out = right_output_size(size, kernel, stride, padding, dilation)
    return {o * stride - padding + j * dilation for o in range(n_out) for j in range(kernel)}


def right_unread(size, kernel, stride, padding, dilation):
    read = windows_read(size, kernel, stride, padding, dilation)
    return [i for i in range(size) if i not in read]


@pytest.mark.parametrize(
    ("size", "kernel", "stride", "padding", "dilation", "unread"),
    [(6, 3, 2, 0, 1, [5]), (11, 2, 3, 0, 1, [2, 5, 8]), (10, 3, 2, 2, 2, [1, 3, 5, 7, 9]),
     (7, 3, 1, 1, 1, [])],
)
def test_the_probe_finds_the_unread_cells_worked_out_by_hand(
    size, kernel, stride, padding, dilation, unread
):
    assert unread_by_pytorch(size, kernel, stride, padding, dilation) == unread


def test_unread_cells_right_answers_pass_in_any_container():
    assert check_unread_cells(right_unread).passed
    as_set = check_unread_cells(lambda *case: set(right_unread(*case)))
    as_tensor = check_unread_cells(lambda *case: torch.tensor(right_unread(*case)))
    assert as_set.passed and as_tensor.passed


def test_unread_cells_stub_crash_and_bad_type():
    def stub(size, kernel, stride, padding, dilation):
        raise NotImplementedError("Student exercise")

    assert not check_unread_cells(stub).implemented
    feedback = check_unread_cells(lambda *case: [][1])
    assert not feedback.passed and "raised IndexError" in feedback.message
    feedback = check_unread_cells(lambda *case: 3)
    assert not feedback.passed and "expected a list of cell indices (ints), got int" in (
        feedback.message)
    feedback = check_unread_cells(lambda *case: [0.5])
    assert not feedback.passed and "expected a list of cell indices" in feedback.message
    assert not check_unread_cells("cells").passed


def unread_no_padding(size, kernel, stride, padding, dilation):
    return right_unread(size, kernel, stride, 0, dilation)


def unread_no_dilation(size, kernel, stride, padding, dilation):
    return right_unread(size, kernel, stride, padding, 1)


def unread_tail_only(size, kernel, stride, padding, dilation):
    last = max(windows_read(size, kernel, stride, padding, dilation) & set(range(size)))
    return list(range(last + 1, size))


def unread_rounded_up(size, kernel, stride, padding, dilation):
    n_out = ceil(size, kernel, stride, padding, dilation)
    read = windows_read(size, kernel, stride, padding, dilation, n_out)
    return [i for i in range(size) if i not in read]


def unread_padded_positions(size, kernel, stride, padding, dilation):
    return [i + padding for i in right_unread(size, kernel, stride, padding, dilation)]


def conv_output_length(size, kernel, stride, padding, dilation):
    conv = nn.Conv1d(1, 1, kernel, stride=stride, padding=padding, dilation=dilation)
    return conv(torch.zeros(1, 1, size)).shape[-1]


@pytest.mark.parametrize(
    ("check", "right", "slip", "phrase"),
    [(check_output_size, conv_output_length, ceil, "rounded up"),
     (check_output_size, conv_output_length, no_dilation, "forgot the dilation"),
     (check_output_size, conv_output_length, padding_once, "counted the padding once"),
     (check_output_size, conv_output_length, no_plus_one, "forgot the + 1"),
     (check_output_size, conv_output_length, no_stride, "forgot the stride"),
     (check_unread_cells, right_unread, unread_no_padding, "forgot the padding"),
     (check_unread_cells, right_unread, unread_no_dilation, "forgot the dilation"),
     (check_unread_cells, right_unread, unread_tail_only,
      "listed only the cells after the last window"),
     (check_unread_cells, right_unread, unread_rounded_up,
      "missed the cells after the last window"),
     (check_unread_cells, right_unread, unread_padded_positions,
      "counted positions in the padded input")],
    ids=lambda v: getattr(v, "__name__", None),
)
def test_a_slip_is_named_where_the_answer_is_exactly_that_slip(check, right, slip, phrase):
    feedback = check(slip)
    assert not feedback.passed and feedback.implemented
    assert phrase in feedback.message, feedback.message
    case = _reported_case(feedback.message)
    assert f"{right(**case)}, got {slip(**case)}: it looks like" in feedback.message


def test_unread_cells_an_unexplained_answer_gets_no_hint():
    feedback = check_unread_cells(lambda size, **_: [size + 5])
    assert not feedback.passed and "it looks like" not in feedback.message


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

    def no_dilations(layers):
        return right_receptive_field([(k, s, 1) for k, s, _ in layers])

    feedback = check_receptive_field(no_strides)
    assert not feedback.passed and "ignored the strides" in feedback.message
    feedback = check_receptive_field(no_dilations)
    assert not feedback.passed and "ignored the dilations" in feedback.message
    feedback = check_receptive_field(lambda layers: len(layers))
    assert not feedback.passed and "expected" in feedback.message
    assert "it looks like" not in feedback.message


def test_receptive_field_stub():
    def stub(layers):
        raise NotImplementedError("Student exercise")

    assert not check_receptive_field(stub).implemented


def measured_field(layers) -> int:
    """Width of the input a unit-weight nn.Conv1d stack's centre output depends on."""
    stack = nn.Sequential(*[nn.Conv1d(1, 1, k, stride=s, dilation=d, bias=False)
                            for k, s, d in layers])
    for conv in stack:
        nn.init.ones_(conv.weight)
    x = torch.zeros(1, 1, 64, requires_grad=True)
    y = stack(x)
    y[0, 0, y.shape[-1] // 2].backward()
    reached = x.grad[0, 0].nonzero().flatten()
    return int(reached.max() - reached.min() + 1)


def test_stride_order_question_agrees_with_a_gradient_probe():
    first, last = measured_field(STRIDE_FIRST), measured_field(STRIDE_LAST)
    assert (first, last) == (11, 7)  # 1 + 2 + 4 + 4 and 1 + 2 + 2 + 2, by hand
    assert STRIDE_ORDER_QUESTION.right_choice() == ("a" if first > last else "b")
    for letter in STRIDE_ORDER_QUESTION.choices:
        feedback = check_answer(STRIDE_ORDER_QUESTION, letter)
        assert feedback.passed == (letter == STRIDE_ORDER_QUESTION.right_choice())
        assert f"sees {first} input cells, B's {last}" in feedback.message
    assert not check_answer(STRIDE_ORDER_QUESTION, ...).implemented


def probe_unread(size, kernel, stride, padding, dilation):
    """Right, but with the checker's own gradient probe: what the exercise asks not to do."""
    x = torch.zeros(1, 1, size, requires_grad=True)
    conv = nn.Conv1d(1, 1, kernel, stride=stride, padding=padding, dilation=dilation, bias=False)
    conv(x).sum().backward()
    return (x.grad[0, 0] == 0).nonzero().flatten().tolist()


def measured_output_size(size, kernel, stride, padding, dilation):
    """Right, by building a layer on the meta device and measuring what it gives."""
    conv = nn.Conv1d(1, 1, kernel, stride=stride, padding=padding, dilation=dilation,
                     device="meta")
    return conv(torch.empty(1, 1, size, device="meta")).shape[-1]


def measured_with_unfold(size, kernel, stride, padding, dilation):
    span = dilation * (kernel - 1) + 1
    return torch.zeros(size + 2 * padding).unfold(0, span, stride).shape[0]


@pytest.mark.parametrize(
    ("check", "shortcut", "named"),
    [(check_output_size, course_utils.arithmetic.conv_output_size,
      "course_utils.arithmetic.conv_output_size"),
     (check_output_size, lambda *case: course_utils.arithmetic.conv_output_size(*case),
      "course_utils.arithmetic.conv_output_size"),
     (check_output_size, lambda n, k, s, p, d: course_utils.arithmetic.Axis(
         k, s, p, d).output_size(n), "course_utils.arithmetic.Axis"),
     (check_output_size, measured_output_size, "nn.Conv1d"),
     (check_output_size, measured_with_unfold, "torch.zeros"),
     (check_unread_cells, unread_by_pytorch,
      "course_utils.exercises.arithmetic.unread_by_pytorch"),
     (check_unread_cells, probe_unread, "F.conv1d"),
     (check_unread_cells, lambda n, k, s, p, d: [
         i for i in range(n) if (i, 0) not in course_utils.arithmetic.footprint(
             n, 1, course_utils.arithmetic.Axis(k, s, p, d), course_utils.arithmetic.Axis(1))
         ["reads"]], "course_utils.arithmetic.Axis"),
     (check_receptive_field, course_utils.arithmetic.receptive_field,
      "course_utils.arithmetic.receptive_field"),
     (check_receptive_field, lambda layers: measured_field(layers), "nn.Conv1d")],
    ids=["passed_in", "called", "axis", "layer", "unfold", "probe", "conv", "footprint",
         "field", "field_probe"],
)
def test_the_courses_answers_and_pytorch_measurements_are_refused(check, shortcut, named):
    feedback = check(shortcut)
    assert not feedback.passed and feedback.implemented
    assert feedback.message.startswith(f"you called {named}"), feedback.message
