"""course_utils.exercises: the shared checking machinery answers like a tutor."""

import sys

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

import course_utils.arithmetic
from course_utils.arithmetic import conv_output_size
from course_utils.exercises import (
    ANY_OPERATION,
    CONVOLUTION,
    IN_PLACE,
    MAX_POOLING,
    SOFTMAX_AND_LOSSES,
    Feedback,
    Forbidden,
    Guard,
    Slip,
    cases_showing,
    check_function,
    check_value,
    fmt,
    function_name,
    run,
    same,
    slip_hint,
    steps,
)


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
        "for x = (1, 2, 3, 4) and u = (3, 2) expected (7, 12, 17), got (8, 13, 18)."
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


def test_the_learners_inputs_are_not_modified_and_a_change_is_refused():
    x = CASES[0]["x"].clone()

    def vandal(x, u):
        result = _reference(x, u)
        x.zero_()
        return result

    feedback = check_function(vandal, CASES[:1], _reference, "conv1d")
    assert torch.equal(CASES[0]["x"], x)
    assert not feedback.passed and feedback.message.startswith(
        f"for x = (1, 2, 3, 4) and u = (3, 2) your function changed its input x {IN_PLACE}")


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


# The guard: what the learner's code calls, however it calls it ----------------------------

X, U = torch.randn(2, 3, 10), torch.randn(4, 3, 3)


def _used(forbidden, fn):
    with Guard(forbidden) as guard:
        fn()
    return guard.used


@pytest.mark.parametrize(
    ("call", "named"),
    [
        (lambda: F.conv1d(X, U), "F.conv1d"),
        (lambda: torch.conv1d(X, U), "F.conv1d"),
        (lambda: nn.Conv1d(3, 4, 3)(X), "nn.Conv1d"),
        (lambda: nn.Conv1d(3, 4, 3, device="meta")(X.to("meta")), "nn.Conv1d"),
        (lambda: torch.ops.aten.convolution(X, U, None, [1], [0], [1], False, [0], 1),
         "torch.ops.aten.convolution"),
        (lambda: torch.ops.aten._convolution.default(X, U, None, [1], [0], [1], False, [0], 1,
                                                     False, False, True, True),
         "torch.ops.aten._convolution"),
        (lambda: torch.nn.grad.conv1d_input(X.shape, U, torch.randn(2, 4, 8)),
         "torch.ops.aten.convolution_backward"),
    ],
    ids=["F", "torch", "layer", "meta", "aten", "aten_", "backward"],
)
def test_a_convolution_is_seen_however_it_is_reached(call, named):
    forbidden = Forbidden(CONVOLUTION, python=(nn.Conv1d,))
    assert _used(forbidden, call) == [named]


def test_only_the_outermost_forbidden_call_is_named_and_each_once():
    forbidden = Forbidden(CONVOLUTION, python=(nn.Conv1d,))
    layer = nn.Conv1d(3, 4, 3)
    assert _used(forbidden, lambda: [layer(X), F.conv1d(X, U), layer(X)]) == ["nn.Conv1d",
                                                                              "F.conv1d"]
    assert _used(forbidden, lambda: torch.einsum("ncpk,dck->ndp", X.unfold(2, 3, 1), U)) == []


@pytest.mark.parametrize(
    ("pattern", "call", "named"),
    [
        (MAX_POOLING, lambda: F.max_pool1d(X, 2), "F.max_pool1d"),
        (MAX_POOLING, lambda: F.adaptive_max_pool1d(X, 5), "F.adaptive_max_pool1d"),
        (MAX_POOLING, lambda: torch.ops.aten.max_pool2d_with_indices(X[None], [1, 2]),
         "torch.ops.aten.max_pool2d_with_indices"),
        (SOFTMAX_AND_LOSSES, lambda: X.softmax(1), "x.softmax"),
        (SOFTMAX_AND_LOSSES, lambda: torch.special.logsumexp(X, 1), "torch.special.logsumexp"),
        (SOFTMAX_AND_LOSSES, lambda: torch.distributions.Categorical(logits=X[0].T).entropy(),
         "x.logsumexp"),
        (ANY_OPERATION, lambda: torch.tensor(3), "torch.tensor"),
    ],
)
def test_each_family_of_operations_is_seen(pattern, call, named):
    assert _used(Forbidden(pattern), call)[0] == named


def test_python_functions_modules_and_layers_built_are_seen():
    from course_utils.models import LectureNet

    by_module = Forbidden(python=(course_utils.arithmetic, np.correlate))
    assert _used(by_module, lambda: conv_output_size(10, 3)) == [
        "course_utils.arithmetic.conv_output_size"]
    assert _used(by_module, lambda: np.correlate([1, 2, 3], [1, 1])) == ["numpy.correlate"]
    assert _used(by_module, lambda: (10 - 3) // 1 + 1) == []
    layers = Forbidden(layers=True)
    assert _used(layers, lambda: LectureNet()) == ["LectureNet"]  # not also its nn.Conv2d
    assert _used(layers, lambda: nn.Linear(2, 3)) == ["nn.Linear"]
    assert _used(layers, lambda: torch.zeros(3)) == []


def test_the_guard_leaves_the_interpreter_as_it_found_it():
    calls = []

    def profiler(frame, event, arg):
        calls.append(event)

    sys.setprofile(profiler)
    try:
        with Guard(Forbidden(CONVOLUTION), count_lines=True):
            F.conv1d(X, U)
        assert sys.getprofile() is profiler and sys.gettrace() is None
        assert calls  # the profiler already set kept receiving its events
    finally:
        sys.setprofile(None)
    assert not torch._C._is_torch_function_mode_enabled()
    assert _used(Forbidden(CONVOLUTION), lambda: None) == []


def test_a_forbidden_call_is_refused_by_name_and_the_message_says_why():
    forbidden = Forbidden(CONVOLUTION, task="compute it")
    got, failed = run("conv1d(x, u)", "your function", lambda x, u: F.conv1d(x, u),
                      {"x": X, "u": U}, forbidden)
    assert got is None
    assert failed.message == "you called F.conv1d: the exercise asks you to compute it without it"
    assert forbidden.message(["a", "b", "c", "d", "e"]) == (
        "you called a, b, c and 2 more: the exercise asks you to compute it without them")


def test_run_passes_copies_and_returns_what_the_function_gives():
    got, failed = run("f", "your function", lambda x, n: x * n, {"x": torch.ones(2), "n": 3})
    assert failed is None and torch.equal(got, torch.full((2,), 3.0))
    _, stub = run("f", "your function", lambda: (_ for _ in ()).throw(NotImplementedError), {})
    assert not stub.implemented and stub.message == (
        "Not implemented yet: write f, then run this cell again.")


def vectorised(x, k):
    return torch.einsum("cijab,dcab->dij", x.unfold(1, 2, 1).unfold(2, 2, 1), k)


def looped(x, k):
    out = torch.zeros(k.shape[0], x.shape[1] - 1, x.shape[2] - 1)
    for i in range(out.shape[1]):
        for j in range(out.shape[2]):
            out[:, i, j] = (x[:, i:i + 2, j:j + 2] * k).sum((1, 2, 3))
    return out


def test_steps_grow_with_the_input_only_for_a_loop():
    k = torch.randn(2, 3, 2, 2)
    small, large = {"x": torch.randn(3, 4, 4), "k": k}, {"x": torch.randn(3, 8, 9), "k": k}
    for fn in (vectorised, looped):
        steps(fn, small)  # PyTorch's first calls set things up
    assert steps(vectorised, small) == steps(vectorised, large) > 0
    assert steps(looped, large) > 4 * steps(looped, small)
    assert steps(lambda x, k: 1 / 0, small) is None


def test_same_compares_tensors_sequences_and_numbers():
    t = torch.tensor([1.0, float("nan")])
    assert same(t.clone(), t) and not same(t.double(), t) and not same(t[:1], t)
    assert same((1, [t]), (1, [t.clone()])) and not same((1, 2), (1, 2, 3))
    assert same(3, 3) and not same(3.0, 3) and not same(True, 1) and not same(t, 1)


SLIPS = (Slip("added one", lambda n: n + 1), Slip("doubled it", lambda n: 2 * n),
         Slip("said 2", 2), Slip("raised", lambda n: 1 / 0),
         Slip("only by what it does", lambda n: n + 1, by_result=False))


def test_slip_hint_names_every_slip_that_gives_the_answer():
    def result_of(slip):
        return slip.answer(1) if callable(slip.answer) else slip.answer

    named = slip_hint(SLIPS, 2, result_of)
    assert named == ": it looks like you added one or doubled it or said 2."
    assert slip_hint(SLIPS, 7, result_of) == "."


def test_cases_showing_adds_a_case_for_each_slip_the_cases_hide():
    def square(n):
        return n * n

    # n = 2 shows n + 1 but hides 2n (= n * n there); n = 0 hides it too, n = 1 shows it
    chosen = cases_showing(SLIPS[:2], square, [{"n": 2}], ({"n": n} for n in range(10)))
    assert chosen == [{"n": 2}, {"n": 1}]
    with pytest.raises(ValueError, match="no candidate case tells the slip 'doubled it'"):
        cases_showing(SLIPS[1:2], square, [{"n": 2}], [{"n": 0}, {"n": 2}])


def test_function_names_are_those_a_learner_types():
    assert function_name(F.conv1d) == "F.conv1d"
    assert function_name(F.max_pool1d) == "F.max_pool1d"
    assert function_name(torch.Tensor.softmax) == "x.softmax"
    assert function_name(torch.flatten) == "torch.flatten"
    assert function_name(torch.ops.aten.convolution) == "torch.ops.aten.convolution"
