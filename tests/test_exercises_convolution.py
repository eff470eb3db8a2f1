"""Tests for the convolution exercise checkers (right answers pass, typical mistakes get
hints) and for the check-your-understanding questions (the right choice is what PyTorch does)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from course_utils.exercises.convolution import (
    CONV2D_SLIPS,
    FLIPPED_KERNEL,
    KERNEL_NUMBERS,
    SHIFTED_INPUT,
    WEIGHTS_AND_IMAGE_SIZE,
    check_conv1d,
    check_conv2d,
    check_output_shape,
    conv1d_cases,
    output_shape,
    position_cases,
)
from course_utils.exercises.questions import check_answer


def student_stub(x, u):
    raise NotImplementedError("Student exercise: write conv1d")


def conv1d_loop(x, u):
    """A learner's loop, as notebook 01 writes it."""
    w = len(u)
    out = torch.empty(len(x) - w + 1)
    for i in range(len(out)):
        out[i] = (x[i : i + w] * u).sum()
    return out


def batched_loop(x, u):
    n, c, width = x.shape
    d, _, w = u.shape
    out = torch.zeros(n, d, width - w + 1)
    for i in range(width - w + 1):
        out[:, :, i] = torch.einsum("ncw,dcw->nd", x[:, :, i : i + w], u)
    return out


def batched_unfold(x, u):
    return torch.einsum("ncpk,dck->ndp", x.unfold(2, u.shape[2], 1), u)


def conv2d_unfold(x, k):
    h, w = k.shape[2:]
    return torch.einsum("cijab,dcab->dij", x.unfold(1, h, 1).unfold(2, w, 1), k)


def conv2d_taps(x, k):
    """Right and vectorised over positions: one loop over the kernel's taps only."""
    _, _, h, w = k.shape
    rows, cols = x.shape[1] - h + 1, x.shape[2] - w + 1
    out = 0
    for a in range(h):
        for b in range(w):
            out = out + torch.einsum("cij,dc->dij", x[:, a : a + rows, b : b + cols], k[:, :, a, b])
    return out


def conv2d_im2col(x, k):
    d, _, h, w = k.shape
    columns = F.unfold(x[None], (h, w))[0]
    return (k.reshape(d, -1) @ columns).reshape(d, x.shape[1] - h + 1, x.shape[2] - w + 1)


def conv2d_row_loop(x, k):
    """Vectorised along each row, but a loop over the rows: a loop over positions still."""
    _, _, h, w = k.shape
    rows = [torch.einsum("cjab,dcab->dj", x[:, i : i + h].unfold(2, w, 1).permute(0, 2, 1, 3), k)
            for i in range(x.shape[1] - h + 1)]
    return torch.stack(rows, dim=1)


def conv2d_python_lists(x, k):
    """A loop over positions in plain Python, torch only at the ends."""
    xl, kl = x.tolist(), k.tolist()
    d, c, h, w = k.shape
    out = [[[sum(xl[ch][i + a][j + b] * kl[o][ch][a][b]
                 for ch in range(c) for a in range(h) for b in range(w))
             for j in range(x.shape[2] - w + 1)] for i in range(x.shape[1] - h + 1)]
           for o in range(d)]
    return torch.tensor(out)


def test_correct_conv1d_passes():
    feedback = check_conv1d(conv1d_loop)
    assert feedback.passed and feedback.implemented
    assert feedback.message.startswith("Correct")
    assert check_conv1d(batched_unfold, batched=True).passed
    assert check_conv1d(batched_loop, batched=True).passed  # loops are fine in notebook 01


def test_cases_cover_lengths_widths_and_w_equal_W():
    for batched in (False, True):
        cases = conv1d_cases(batched)
        widths = {c["u"].shape[-1] for c in cases}
        assert len({c["x"].shape[-1] for c in cases}) >= 4 and len(widths) >= 4
        assert 1 in widths
        assert any(c["u"].shape[-1] == c["x"].shape[-1] for c in cases)
    assert {c["x"].shape[:2] for c in conv1d_cases(True)} > {(1, 1)}  # batch and channels vary


def test_not_implemented_is_not_a_failure():
    feedback = check_conv1d(student_stub)
    assert not feedback.passed and not feedback.implemented
    assert feedback.message == "Not implemented yet: write conv1d(x, u), then run this cell again."
    assert feedback._repr_markdown_().startswith("✏️")


def test_flipped_kernel_is_named():
    feedback = check_conv1d(lambda x, u: conv1d_loop(x, u.flip(0)))
    assert not feedback.passed and feedback.implemented
    assert "for x = (1, 2, 3, 4) and u = (3, 2) expected (7, 12, 17), got (8, 13, 18)" in (
        feedback.message
    )
    assert "flipped the kernel" in feedback.message


@pytest.mark.parametrize(
    "wrong_length",
    [
        lambda x, u: conv1d_loop(x, u)[:-1],  # W - w
        lambda x, u: torch.cat([conv1d_loop(x, u), torch.zeros(1)]),  # W - w + 2
    ],
)
def test_off_by_one_length(wrong_length):
    feedback = check_conv1d(wrong_length)
    assert not feedback.passed
    assert "expected shape (3,)" in feedback.message
    assert "W - w + 1" in feedback.message


def test_wrong_dtype():
    feedback = check_conv1d(lambda x, u: conv1d_loop(x, u).double())
    assert not feedback.passed
    assert "expected dtype torch.float32, got torch.float64" in feedback.message
    assert "keep the input's (float32)" in feedback.message


def test_other_wrong_answers_never_raise():
    assert "ZeroDivisionError" in check_conv1d(lambda x, u: 1 / 0).message
    assert "expected a torch.Tensor, got list" in check_conv1d(lambda x, u: [7, 12, 17]).message
    assert "expected a function" in check_conv1d(42).message
    # correct on the lecture's small example only: caught by the random cases
    feedback = check_conv1d(lambda x, u: x.unfold(0, 2, 1) @ u[:2])
    assert not feedback.passed


def test_batched_mistakes():
    # forgetting to sum over channels
    def per_channel(x, u):
        return torch.einsum("ncpk,dck->ndpc", x.unfold(2, u.shape[2], 1), u)[..., 0]

    assert not check_conv1d(per_channel, batched=True).passed
    # a 1d-only answer fails on batched input with a message, not an exception
    assert "raised" in check_conv1d(conv1d_loop, batched=True).message


def with_numpy(function):
    """conv1d from numpy's 1d ``function`` (correlate, or convolve with the kernel flipped)."""
    def conv1d(x, u):
        flip = function is np.convolve
        return torch.tensor([[sum(function(x[n, c].numpy(), u[d, c].flip(0).numpy() if flip
                                           else u[d, c].numpy(), mode="valid")
                                  for c in range(x.shape[1])).tolist()
                              for d in range(len(u))] for n in range(len(x))])
    return conv1d


@pytest.mark.parametrize(
    ("shortcut", "named"),
    [
        (lambda x, u: F.conv1d(x, u), "F.conv1d"),
        (lambda x, u: torch.conv1d(x, u), "F.conv1d"),
        (lambda x, u: torch.nn.functional.conv2d(x[:, :, None], u[:, :, None])[:, :, 0],
         "F.conv2d"),
        (lambda x, u: torch.ops.aten.convolution(x, u, None, [1], [0], [1], False, [0], 1),
         "torch.ops.aten.convolution"),
        (lambda x, u: torch.ops.aten.convolution.default(x, u, None, [1], [0], [1], False, [0],
                                                         1), "torch.ops.aten.convolution"),
        (lambda x, u: torch._C._nn.thnn_conv2d(x[:, :, None], u[:, :, None], (1, u.shape[2]))
         [:, :, 0], "torch._C._nn.thnn_conv2d"),
        (with_numpy(np.correlate), "numpy.correlate"),
        (with_numpy(np.convolve), "numpy.convolve"),
    ],
    ids=["F.conv1d", "torch.conv1d", "F.conv2d", "aten", "aten.default", "thnn", "correlate",
         "convolve"],
)
def test_a_convolution_of_pytorch_or_numpy_is_refused(shortcut, named):
    feedback = check_conv1d(shortcut, batched=True)
    assert not feedback.passed and feedback.implemented
    assert feedback.message.startswith(f"you called {named}"), feedback.message
    assert "the exercise asks you to compute it without it" in feedback.message


def test_a_layer_and_the_courses_own_convolutions_are_refused():
    from course_utils import convolution

    def with_a_layer(x, u):
        layer = nn.Conv1d(u.shape[1], u.shape[0], u.shape[2], bias=False)
        with torch.no_grad():
            layer.weight.copy_(u)
        return layer(x).detach()

    assert check_conv1d(with_a_layer, batched=True).message.startswith("you called nn.Conv1d")
    assert check_conv1d(convolution.conv1d_unfold, batched=True).message.startswith(
        "you called course_utils.convolution.conv1d_unfold")
    assert check_conv1d(convolution.conv1d_loop).message.startswith(
        "you called course_utils.convolution.conv1d_loop")
    on_meta = check_conv1d(lambda x, u: nn.Conv1d(1, 1, 2, device="meta")(x.to("meta")),
                           batched=True)
    assert on_meta.message.startswith("you called nn.Conv1d")


@pytest.mark.parametrize("answer", [conv2d_unfold, conv2d_taps, conv2d_im2col])
def test_check_conv2d_accepts_vectorised_answers(answer):
    feedback = check_conv2d(answer)
    assert feedback.passed, feedback.message
    assert "without a loop over positions" in feedback.message


@pytest.mark.parametrize("answer", [conv2d_row_loop, conv2d_python_lists,
                                    CONV2D_SLIPS[-1].answer])
def test_check_conv2d_refuses_a_loop_over_positions(answer):
    _, large = position_cases()
    right = F.conv2d(large["x"][None], large["k"])[0]
    assert torch.allclose(answer(**large), right, atol=1e-4)  # the values are right
    feedback = check_conv2d(answer)
    assert not feedback.passed and "it loops over the output positions" in feedback.message
    assert "for a 2×4×5 image" in feedback.message and "for a 2×9×11 one" in feedback.message


def test_check_conv2d():
    from course_utils.convolution import conv2d_loop

    assert not check_conv2d(lambda x, k: (_ for _ in ()).throw(NotImplementedError)).implemented
    assert check_conv2d(conv2d_loop).message.startswith(
        "you called course_utils.convolution.conv2d_loop")
    assert check_conv2d(lambda x, k: F.conv2d(x[None], k)[0]).message.startswith(
        "you called F.conv2d")
    flipped = check_conv2d(lambda x, k: conv2d_unfold(x, k.flip(-1, -2)))
    assert not flipped.passed and "flipped the kernel" in flipped.message
    batched = check_conv2d(lambda x, k: conv2d_unfold(x, k)[None])  # kept a batch axis
    assert "expected shape" in batched.message and "kept a batch dimension" in batched.message
    transposed = check_conv2d(lambda x, k: conv2d_unfold(x, k).transpose(1, 2))
    assert not transposed.passed and "swapped rows and columns" in transposed.message


def test_check_output_shape():
    layer, shape = nn.Conv2d(3, 8, kernel_size=(5, 3)), (2, 3, 32, 20)
    assert output_shape(layer, shape) == (2, 8, 28, 18)
    assert check_output_shape((2, 8, 28, 18), layer, shape).passed
    assert check_output_shape(torch.Size([2, 8, 28, 18]), layer, shape).passed
    assert not check_output_shape(..., layer, shape).implemented
    assert "batch" in check_output_shape((8, 28, 18), layer, shape).message
    assert "out_channels" in check_output_shape((2, 3, 28, 18), layer, shape).message
    shrink = check_output_shape((2, 8, 27, 17), layer, shape)
    assert "expected (2, 8, 28, 18), got (2, 8, 27, 17)" in shrink.message
    assert "k - 1" in shrink.message
    assert "tuple of ints" in check_output_shape("2x8x28x18", layer, shape).message


def test_check_output_shape_hints_follow_the_slip():
    layer, shape = nn.Conv2d(3, 8, kernel_size=(5, 3)), (2, 3, 32, 20)
    in_channels = check_output_shape((2, 3, 28, 18), layer, shape).message
    assert "counted the input channels" in in_channels and "one map" in in_channels
    assert "batch size is kept" in check_output_shape((1, 8, 28, 18), layer, shape).message
    swapped = check_output_shape((2, 8, 18, 28), layer, shape).message
    assert "swapped height and width" in swapped
    strided = nn.Conv2d(3, 8, kernel_size=3, stride=2, padding=1)
    assert output_shape(strided, shape) == (2, 8, 16, 10)  # (32 + 2 - 2 - 1) // 2 + 1 = 16
    general = check_output_shape((2, 8, 30, 18), strided, shape).message
    assert "k - 1" not in general and "// stride + 1" in general
    unanswered = check_output_shape(..., layer, shape)
    assert unanswered.message.startswith("Not answered yet")


QUESTIONS = [SHIFTED_INPUT, FLIPPED_KERNEL, KERNEL_NUMBERS, WEIGHTS_AND_IMAGE_SIZE]


@pytest.mark.parametrize("question", QUESTIONS, ids=lambda q: q.prompt[:30])
def test_each_question_has_one_right_choice_and_explains_every_other(question):
    right = question.right_choice()
    assert check_answer(question, right).passed
    for letter in set(question.choices) - {right}:
        feedback = check_answer(question, letter)
        assert not feedback.passed and feedback.message.startswith(f"Not quite ({letter})")


def test_shifted_input_right_choice_is_what_shifting_does():
    x = torch.zeros(12)
    x[2:5] = torch.tensor([1.0, 3, 1])
    u = torch.tensor([1.0, 2, 1])
    before, after = conv1d_loop(x, u), conv1d_loop(torch.cat([torch.zeros(4), x[:-4]]), u)
    assert (int(before.argmax()), int(after.argmax())) == (2, 6)  # moved by the shift
    assert before.max() == after.max() == 8
    assert SHIFTED_INPUT.right_choice() == "b"
    assert SHIFTED_INPUT.choices["b"].startswith("At 6, still 8")
    assert "equivariance" in check_answer(SHIFTED_INPUT, "b").message


def test_flipped_kernel_right_choice_is_numpys_convention():
    import numpy as np

    x = np.array([1.0, 2, 3, 4])
    assert np.convolve(x, [3.0, 2], mode="valid").tolist() == [8, 13, 18]
    right = FLIPPED_KERNEL.right_choice()
    kernel = [float(v) for v in FLIPPED_KERNEL.choices[right].strip("()").split(",")]
    assert kernel == [2.0, 3.0]
    assert np.correlate(x, kernel, mode="valid").tolist() == [8, 13, 18]  # numpy's own F.conv1d


def test_kernel_numbers_right_choice_spans_the_input_channels():
    layer = nn.Conv2d(3, 8, kernel_size=5)
    assert layer.weight[0].shape == (3, 5, 5)
    assert KERNEL_NUMBERS.choices[KERNEL_NUMBERS.right_choice()] == str(3 * 5 * 5)


def test_weights_do_not_grow_with_the_image():
    layer = nn.Conv2d(3, 16, kernel_size=5)
    count = sum(p.numel() for p in layer.parameters())
    assert count == 16 * (3 * 5 * 5 + 1)
    assert layer(torch.zeros(1, 3, 256, 256)).shape == (1, 16, 252, 252)
    assert sum(p.numel() for p in layer.parameters()) == count
    right = WEIGHTS_AND_IMAGE_SIZE.right_choice()
    assert right == "a" and WEIGHTS_AND_IMAGE_SIZE.choices[right].startswith(f"{count:,}:")
    assert "16×28×28 to 16×252×252" in check_answer(WEIGHTS_AND_IMAGE_SIZE, "a").message
