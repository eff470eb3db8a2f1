"""course_utils.exercises: the shared checking machinery answers like a tutor."""

import torch
import torch.nn.functional as F

from course_utils.exercises import Feedback, check_function, check_value, fmt


def _reference(x, u):
    return F.conv1d(x.view(1, 1, -1), u.view(1, 1, -1)).view(-1)


CASES = [
    {"x": torch.tensor([1.0, 2.0, 3.0, 4.0]), "u": torch.tensor([3.0, 2.0])},
    {"x": torch.arange(6.0), "u": torch.tensor([1.0, 0.0, -1.0])},
]


def test_a_right_answer_passes():
    feedback = check_function(_reference, CASES, _reference, "conv1d")
    assert feedback.passed and bool(feedback)
    assert "all 2 cases" in feedback.message


def test_a_stub_is_not_implemented_yet_and_does_not_raise():
    def stub(x, u):
        raise NotImplementedError("Student exercise: write conv1d")

    feedback = check_function(stub, CASES, _reference, "conv1d")
    assert not feedback.passed and not feedback.implemented
    assert feedback.message.startswith("Not implemented yet")


def test_a_wrong_answer_names_the_case_expected_and_got():
    def flipped(x, u):
        return _reference(x, u.flip(0))

    feedback = check_function(flipped, CASES, _reference, "conv1d")
    assert not feedback.passed and feedback.implemented
    assert feedback.message == (
        "for x = (1, 2, 3, 4) and u = (3, 2) expected (7, 12, 17), got (8, 13, 18)"
    )


def test_wrong_shape_dtype_and_type_are_each_named():
    shape = check_function(lambda x, u: _reference(x, u)[:-1], CASES, _reference, "conv1d")
    assert "expected shape (3,), got shape (2,)" in shape.message
    dtype = check_function(lambda x, u: _reference(x, u).double(), CASES, _reference, "conv1d")
    assert "expected dtype torch.float32, got torch.float64" in dtype.message
    kind = check_function(lambda x, u: [7, 12, 17], CASES, _reference, "conv1d")
    assert "expected a torch.Tensor, got list" in kind.message


def test_an_exception_in_the_answer_becomes_feedback():
    feedback = check_function(lambda x, u: x[100], CASES, _reference, "conv1d")
    assert not feedback.passed and "raised IndexError" in feedback.message


def test_the_learners_inputs_are_not_modified():
    x = CASES[0]["x"].clone()

    def vandal(x, u):
        x.zero_()
        return _reference(x, u)

    check_function(vandal, CASES[:1], _reference, "conv1d")
    assert torch.equal(CASES[0]["x"], x)


def test_check_value_for_numbers_tuples_and_placeholders():
    assert check_value(12, 12, "the output width").passed
    assert check_value((3, 3), (3, 3), "the output size").passed
    wrong = check_value((3, 4), (3, 3), "the output size")
    assert not wrong.passed and wrong.message == "the output size: expected (3, 3), got (3, 4)"
    assert not check_value("12", 12, "the output width").passed
    assert not check_value(..., 12, "the output width").implemented
    assert check_value(2.5141, 2.514101, "the loss", tolerance=1e-3).passed


def test_feedback_renders_for_notebooks():
    feedback = Feedback(True, "Correct: yes")
    assert repr(feedback) == "Correct: yes"
    assert feedback._repr_markdown_().startswith("✅")
    assert fmt(torch.tensor([1.5, 2.0])) == "(1.5, 2)"
    assert fmt(torch.zeros(20)).startswith("a tensor")


def test_attempt_returns_the_result_or_the_feedback():
    from course_utils.exercises import attempt, int_tuple

    assert attempt("f", "your function", lambda a, b=0: a + b, 1, b=2) == (3, None)

    def stub():
        raise NotImplementedError("Student exercise")

    result, failed = attempt("f()", "your function", stub)
    assert result is None and failed is not None and not failed.implemented
    result, failed = attempt("f()", "for x = 1 your function", lambda: 1 / 0)
    assert failed.message == "for x = 1 your function raised ZeroDivisionError: division by zero"
    assert int_tuple([1, 2.0, torch.tensor(3)]) == (1, 2, 3)
    assert int_tuple("ab") is None and int_tuple(5) is None
