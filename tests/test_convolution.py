"""Tests for course_utils.convolution: every hand-made convolution agrees with PyTorch."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from matplotlib.figure import Figure

from course_utils.convolution import (
    FILTERS_3X3,
    LECTURE_FILTERS,
    apply_filters,
    conv1d_as_strided,
    conv1d_loop,
    conv1d_unfold,
    conv2d_loop,
    conv_matrix,
    filter_bank,
    filters_figure,
    receptive_field_mask,
)

CONV1D = [conv1d_loop, conv1d_unfold, conv1d_as_strided]


def reference1d(x, u):
    return F.conv1d(x.view(1, 1, -1), u.view(1, 1, -1)).view(-1)


@pytest.mark.parametrize("conv1d", CONV1D)
def test_lecture_examples(conv1d):
    assert conv1d(torch.tensor([1.0, 2, 3, 4]), torch.tensor([3.0, 2])).tolist() == [7, 12, 17]
    x = torch.tensor([0.0, 0, 0, 0, 1, 2, 3, 4, 4, 4, 4])
    assert conv1d(x, torch.tensor([-1.0, 1])).tolist() == [0, 0, 0, 1, 1, 1, 1, 0, 0, 0]


@pytest.mark.parametrize("conv1d", CONV1D)
@pytest.mark.parametrize(("W", "w"), [(1, 1), (5, 1), (7, 3), (8, 8), (50, 9)])
def test_conv1d_matches_torch(conv1d, W, w):
    g = torch.Generator().manual_seed(W * 100 + w)
    x, u = torch.randn(W, generator=g), torch.randn(w, generator=g)
    got = conv1d(x, u)
    assert got.shape == (W - w + 1,)
    assert got.dtype == x.dtype
    torch.testing.assert_close(got, reference1d(x, u))


@pytest.mark.parametrize("conv1d", CONV1D)
def test_conv1d_on_a_non_contiguous_view_and_float64(conv1d):
    x = torch.arange(20, dtype=torch.float64)[::2]  # stride 2
    u = torch.tensor([1.0, -2.0, 0.5], dtype=torch.float64)
    torch.testing.assert_close(conv1d(x, u), reference1d(x, u))
    assert conv1d(x, u).dtype == torch.float64


def test_conv1d_unfold_batched_matches_torch():
    g = torch.Generator().manual_seed(1)
    x, u = torch.randn(3, 4, 20, generator=g), torch.randn(5, 4, 6, generator=g)
    torch.testing.assert_close(conv1d_unfold(x, u), F.conv1d(x, u))


@pytest.mark.parametrize("conv1d", CONV1D)
def test_conv1d_rejects_bad_input(conv1d):
    with pytest.raises(ValueError, match="1 <= w <= W"):
        conv1d(torch.ones(3), torch.ones(4))
    with pytest.raises(ValueError, match=r"\(W,\)"):
        conv1d(torch.ones(2, 3), torch.ones(2))
    with pytest.raises(TypeError, match="floating-point"):
        conv1d(torch.ones(3, dtype=torch.int64), torch.ones(2, dtype=torch.int64))
    with pytest.raises(TypeError, match="torch.Tensor"):
        conv1d([1.0, 2.0, 3.0], torch.ones(2))


def test_conv1d_unfold_batched_rejects_channel_mismatch():
    with pytest.raises(ValueError, match="same C"):
        conv1d_unfold(torch.ones(1, 2, 5), torch.ones(1, 3, 2))


def test_conv2d_loop_matches_torch_with_and_without_bias():
    g = torch.Generator().manual_seed(2)
    x, k, b = (
        torch.randn(3, 7, 9, generator=g),
        torch.randn(4, 3, 3, 4, generator=g),
        torch.randn(4),
    )
    out = conv2d_loop(x, k)
    assert out.shape == (4, 5, 6)
    torch.testing.assert_close(out, F.conv2d(x[None], k)[0])
    torch.testing.assert_close(conv2d_loop(x, k, b), F.conv2d(x[None], k, b)[0])


def test_conv2d_loop_single_kernel_gives_one_map():
    x, k = torch.randn(2, 5, 5), torch.randn(2, 3, 2)
    out = conv2d_loop(x, k)
    assert out.shape == (3, 4)
    torch.testing.assert_close(out, F.conv2d(x[None], k[None])[0, 0])


def test_conv2d_loop_rejects_bad_shapes():
    with pytest.raises(ValueError, match="C = 3"):
        conv2d_loop(torch.ones(3, 5, 5), torch.ones(1, 2, 3, 3))
    with pytest.raises(ValueError, match="at most 5×5"):
        conv2d_loop(torch.ones(1, 5, 5), torch.ones(1, 1, 6, 3))
    with pytest.raises(ValueError, match="C×H×W"):
        conv2d_loop(torch.ones(5, 5), torch.ones(1, 1, 3, 3))
    with pytest.raises(ValueError, match="bias"):
        conv2d_loop(torch.ones(1, 5, 5), torch.ones(2, 1, 3, 3), torch.ones(3))


def test_receptive_field_is_the_kernel_window():
    k = torch.randn(2, 3, 3, 4)
    mask = receptive_field_mask((3, 8, 10), k, d=1, i=2, j=5)
    expected = torch.zeros(8, 10, dtype=torch.bool)
    expected[2:5, 5:9] = True
    assert torch.equal(mask, expected)
    with pytest.raises(ValueError, match="inside"):
        receptive_field_mask((3, 8, 10), k, d=2, i=0, j=0)


def test_presets():
    assert list(FILTERS_3X3)[:5] == list(LECTURE_FILTERS)
    assert {"sharpen", "Sobel x", "Sobel y", "Gaussian blur"} <= set(FILTERS_3X3)
    for name, kernel in FILTERS_3X3.items():
        assert kernel.shape == (3, 3) and kernel.dtype == torch.float32, name
    torch.testing.assert_close(FILTERS_3X3["Sobel y"], FILTERS_3X3["Sobel x"].T)
    torch.testing.assert_close(
        FILTERS_3X3["vertical derivative"], FILTERS_3X3["horizontal derivative"].T
    )
    assert FILTERS_3X3["Gaussian blur"].sum().item() == pytest.approx(1.0)
    assert FILTERS_3X3["Laplacian"].sum().item() == 0
    assert filter_bank().shape == (5, 1, 3, 3)
    with pytest.raises(ValueError, match="unknown filter 'blur'"):
        filter_bank(["identity", "blur"])
    with pytest.raises(TypeError, match="sequence"):
        filter_bank("identity")


def test_apply_filters_on_a_digit_like_image():
    g = torch.Generator().manual_seed(3)
    image = torch.rand(28, 28, generator=g)
    responses = apply_filters(image, filter_bank())
    assert responses.shape == (5, 26, 26)
    assert not responses.requires_grad
    torch.testing.assert_close(responses[0], image[1:-1, 1:-1])  # identity crops the border
    torch.testing.assert_close(responses, conv2d_loop(image[None], filter_bank()))
    ones = apply_filters(torch.ones(6, 6), FILTERS_3X3["box"])
    assert ones.shape == (1, 4, 4) and torch.all(ones == 9)
    flat = apply_filters(
        torch.full((6, 6), 0.5), filter_bank(["horizontal derivative", "Laplacian"])
    )
    assert torch.all(flat == 0)  # derivatives vanish on a constant image


def test_apply_filters_rejects_bad_input():
    with pytest.raises(ValueError, match="H×W"):
        apply_filters(torch.ones(1, 28, 28), filter_bank())
    with pytest.raises(ValueError, match="does not fit"):
        apply_filters(torch.ones(2, 2), FILTERS_3X3["box"])
    with pytest.raises(TypeError, match="torch.Tensor"):
        apply_filters([[1.0]], FILTERS_3X3["box"])


def test_filters_figure_shows_each_filter_over_its_response():
    fig = filters_figure(torch.rand(28, 28), ["box", "Laplacian"])
    assert isinstance(fig, Figure) and len(fig.axes) == 6
    assert [ax.get_title() for ax in fig.axes] == ["input", "", "box", "response", "Laplacian",
                                                   "response"]
    assert fig._repr_png_()[:4] == b"\x89PNG"  # shows itself in a notebook without pyplot


def test_the_lectures_laplacian_is_the_negative_discrete_laplacian():
    second_difference = torch.tensor([1.0, -2.0, 1.0])
    laplacian = torch.zeros(3, 3)
    laplacian[1] += second_difference  # d²/dx²
    laplacian[:, 1] += second_difference  # d²/dy²
    torch.testing.assert_close(FILTERS_3X3["Laplacian"], -laplacian)
    rows, cols = torch.meshgrid(torch.arange(6.0), torch.arange(7.0), indexing="ij")
    bowl = rows**2 + cols**2  # its Laplacian is 2 + 2 = 4 everywhere
    assert torch.all(apply_filters(bowl, FILTERS_3X3["Laplacian"]) == -4)


CONV_SETTINGS = [
    ((2, 3, 4), (3, 9), {}),
    ((2, 3, 4), (3, 9), {"stride": 2, "padding": 1}),
    ((4, 1, 3), (2, 10), {"dilation": 2, "groups": 2}),
    ((3, 2, 3, 2), (2, 5, 6), {}),
    ((3, 2, 3, 3), (2, 5, 6), {"stride": (2, 1), "padding": (2, 1), "dilation": (1, 2)}),
    ((4, 1, 2, 2), (2, 4, 4), {"groups": 2}),
]


@pytest.mark.parametrize(("weight_shape", "input_shape", "conv"), CONV_SETTINGS)
def test_conv_matrix_times_the_input_is_the_convolution(weight_shape, input_shape, conv):
    g = torch.Generator().manual_seed(len(weight_shape) * 10 + input_shape[-1])
    weight = torch.randn(*weight_shape, generator=g)
    x = torch.randn(1, *input_shape, generator=g)
    torch_conv = F.conv1d if len(weight_shape) == 3 else F.conv2d
    expected = torch_conv(x, weight, **conv).flatten()
    matrix = conv_matrix(weight, input_shape, **conv)
    assert matrix.shape == (expected.numel(), x.numel())
    assert torch.allclose(matrix @ x.flatten(), expected, atol=1e-5)


def test_conv_matrix_of_the_lecture_kernel_is_banded():
    matrix = conv_matrix(torch.tensor([[[3.0, 2.0]]]), (1, 4))
    assert matrix.tolist() == [[3, 2, 0, 0], [0, 3, 2, 0], [0, 0, 3, 2]]


def test_conv_matrix_transposed_is_the_gradient_and_conv_transpose():
    g = torch.Generator().manual_seed(3)
    weight = torch.randn(2, 3, 3, 3, generator=g)
    x = torch.randn(1, 3, 5, 7, generator=g, requires_grad=True)
    y = F.conv2d(x, weight, stride=2, padding=1)
    upstream = torch.randn(y.shape, generator=g)
    y.backward(upstream)
    matrix = conv_matrix(weight, (3, 5, 7), stride=2, padding=1)
    assert torch.allclose(matrix.T @ upstream.flatten(), x.grad.flatten(), atol=1e-5)
    by_transpose = F.conv_transpose2d(upstream, weight, stride=2, padding=1)
    assert torch.allclose(by_transpose.flatten(), x.grad.flatten(), atol=1e-5)


@pytest.mark.parametrize(
    ("weight", "input_shape", "message"),
    [
        (torch.zeros(1, 1, 3), (1, 4, 4), r"expected a weight D×C×w with an input shape \(C, W\)"),
        (torch.zeros(1, 1), (1, 4), r"got weight \(1, 1\) and input shape \(1, 4\)"),
        (torch.zeros(1, 1, 3, 3), (1, 65, 64), r"at most 4,096 input numbers .* got 4,160"),
    ],
)
def test_conv_matrix_bad_shapes_are_named(weight, input_shape, message):
    with pytest.raises(ValueError, match=message):
        conv_matrix(weight, input_shape)


def test_conv_matrix_wants_a_float_tensor():
    with pytest.raises(TypeError, match="weight must be a floating-point tensor, got dtype"):
        conv_matrix(torch.ones(1, 1, 2, dtype=torch.int64), (1, 4))
