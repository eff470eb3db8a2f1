"""Tests for the convolution exercise checkers: right answers pass, typical mistakes get hints."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from course_utils.convolution import conv1d_loop, conv1d_unfold, conv2d_loop
from course_utils.exercises.convolution import (
    check_conv1d,
    check_conv2d,
    check_output_shape,
    conv1d_cases,
    output_shape,
)


def student_stub(x, u):
    raise NotImplementedError("Student exercise: write conv1d")


def test_correct_conv1d_passes():
    feedback = check_conv1d(conv1d_loop)
    assert feedback.passed and feedback.implemented
    assert feedback.message.startswith("Correct")
    assert check_conv1d(conv1d_unfold, batched=True).passed
    assert check_conv1d(lambda x, u: F.conv1d(x, u), batched=True).passed


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
    assert "Not implemented yet" in feedback.message
    assert feedback._repr_markdown_().startswith("✏️")


def test_flipped_kernel_is_named():
    feedback = check_conv1d(lambda x, u: conv1d_loop(x, u.flip(0)))
    assert not feedback.passed and feedback.implemented
    assert "for x = (1, 2, 3, 4) and u = (3, 2) expected (7, 12, 17), got (8, 13, 18)" in (
        feedback.message
    )
    assert "flipped kernel" in feedback.message


def test_numpy_convolve_is_caught_as_flipped():
    import numpy as np

    def with_numpy(x, u):
        return torch.from_numpy(np.convolve(x.numpy(), u.numpy(), mode="valid"))

    assert "flipped kernel" in check_conv1d(with_numpy).message


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
    assert "dtype" in feedback.message.split("Hint")[1]


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
    flipped = check_conv1d(lambda x, u: F.conv1d(x, u.flip(-1)), batched=True)
    assert "flipped kernel" in flipped.message
    # a 1d-only answer fails on batched input with a message, not an exception
    assert "raised" in check_conv1d(conv1d_loop, batched=True).message


def test_check_conv2d():
    assert check_conv2d(conv2d_loop).passed
    assert check_conv2d(lambda x, k: F.conv2d(x[None], k)[0]).passed
    assert not check_conv2d(lambda x, k: (_ for _ in ()).throw(NotImplementedError)).implemented
    flipped = check_conv2d(lambda x, k: conv2d_loop(x, k.flip(-1, -2)))
    assert not flipped.passed and "flipped kernel" in flipped.message
    batched = check_conv2d(lambda x, k: F.conv2d(x[None], k))  # forgot to drop the batch axis
    assert "expected shape" in batched.message
    transposed = check_conv2d(lambda x, k: conv2d_loop(x, k).transpose(1, 2))
    assert not transposed.passed


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
