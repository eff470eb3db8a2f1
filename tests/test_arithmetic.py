"""course_utils.arithmetic against PyTorch itself: conv, transposed-conv and pool sizes, the
cells each output reads, receptive fields."""

from __future__ import annotations

import random

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from course_utils.arithmetic import (
    Axis,
    conv_output_shape,
    conv_output_size,
    conv_transpose_output_size,
    effective_kernel_size,
    pool_output_size,
    receptive_field,
    receptive_fields,
)

pytestmark = pytest.mark.usefixtures("one_thread")


def _torch_len(layer: nn.Module, x: torch.Tensor) -> int | None:
    """Last output length from PyTorch, or None when PyTorch refuses the configuration."""
    try:
        with torch.no_grad():
            return layer(x).shape[-1]
    except RuntimeError:
        return None


def _ours(fn, *args, **kwargs) -> int | None:
    try:
        return fn(*args, **kwargs)
    except ValueError:
        return None


def test_conv1d_sizes_match_pytorch_over_a_seeded_sweep():
    rng = random.Random(0)
    checked = refused = 0
    for _ in range(2000):
        n, k, s = rng.randint(1, 24), rng.randint(1, 7), rng.randint(1, 5)
        p, d = rng.randint(0, 4), rng.randint(1, 4)
        expected = _torch_len(nn.Conv1d(1, 1, k, s, p, d, bias=False), torch.zeros(1, 1, n))
        got = _ours(conv_output_size, n, k, s, p, d)
        assert got == expected, (n, k, s, p, d)
        checked += expected is not None
        refused += expected is None
    assert checked > 1000 and refused > 100  # the sweep covers both valid and impossible sizes


def test_conv2d_shapes_match_pytorch_over_a_seeded_sweep():
    rng = random.Random(1)
    checked = 0
    for _ in range(1500):
        shape = (rng.randint(1, 16), rng.randint(1, 16))
        k, s = (rng.randint(1, 5), rng.randint(1, 5)), (rng.randint(1, 4), rng.randint(1, 4))
        p, d = (rng.randint(0, 3), rng.randint(0, 3)), (rng.randint(1, 3), rng.randint(1, 3))
        conv = nn.Conv2d(1, 1, k, s, p, d, bias=False)
        try:
            with torch.no_grad():
                expected = tuple(conv(torch.zeros(1, 1, *shape)).shape[-2:])
        except RuntimeError:
            expected = None
        got = _ours(conv_output_shape, shape, k, s, p, d)
        assert got == expected, (shape, k, s, p, d)
        checked += expected is not None
    assert checked > 700


@pytest.mark.parametrize("ceil_mode", [False, True])
def test_pool_sizes_match_maxpool2d_over_a_seeded_sweep(ceil_mode):
    rng = random.Random(2 + ceil_mode)
    checked = 0
    for _ in range(1500):
        n, k = rng.randint(1, 24), rng.randint(1, 6)
        s, p, d = rng.randint(1, 5), rng.randint(0, 3), rng.randint(1, 3)
        pool = nn.MaxPool2d((1, k), (1, s), (0, p), (1, d), ceil_mode=ceil_mode)
        expected = _torch_len(pool, torch.zeros(1, 1, 1, n))
        got = _ours(pool_output_size, n, k, s, p, d, ceil_mode)
        if ceil_mode and effective_kernel_size(k, d) > n + 2 * p:
            # PyTorch keeps one clipped window here; the course calls it a mistake.
            assert got is None
            continue
        assert got == expected, (n, k, s, p, d, ceil_mode)
        checked += expected is not None
    assert checked > 500


def test_ceil_mode_drops_a_window_that_would_start_in_the_padding():
    # floor((5 + 2 - 2) / 2) + 1 = 3, ceil gives 4 but the 4th window starts at 6 >= 5 + 1.
    assert pool_output_size(5, 2, 2, padding=1, ceil_mode=False) == 3
    assert pool_output_size(5, 2, 2, padding=1, ceil_mode=True) == 3
    assert nn.MaxPool1d(2, 2, 1, ceil_mode=True)(torch.zeros(1, 1, 5)).shape[-1] == 3
    assert pool_output_size(5, 2, ceil_mode=True) == 3
    assert pool_output_size(5, 2) == 2


def test_pool_stride_defaults_to_the_kernel():
    assert pool_output_size(28, 2) == 14
    assert pool_output_size(28, 3) == 9


def test_lecture_numbers():
    assert conv_output_shape((3, 5), 3, stride=(2, 2), padding=(2, 1)) == (3, 3)
    assert effective_kernel_size(3, 4) == 9
    assert conv_output_shape((20, 30), 3, dilation=4) == (12, 22)


def _receptive_field_by_probe(layers) -> int:
    """Width of the input region that changes the centre output of a Conv1d stack."""
    convs = [nn.Conv1d(1, 1, k, s, dilation=d, bias=False) for k, s, d in layers]
    for conv in convs:
        nn.init.constant_(conv.weight, 1.0)
    x = torch.zeros(1, 1, 200, requires_grad=True)
    y = x
    for conv in convs:
        y = conv(y)
    y[0, 0, y.shape[-1] // 2].backward()
    touched = x.grad[0, 0].nonzero().flatten()
    return int(touched.max() - touched.min() + 1)


def test_receptive_fields_match_a_gradient_probe_over_random_stacks():
    rng = random.Random(3)
    for _ in range(60):
        layers = [
            (rng.randint(1, 5), rng.randint(1, 2), rng.randint(1, 3))
            for _ in range(rng.randint(1, 4))
        ]
        for depth in range(1, len(layers) + 1):
            assert receptive_fields(layers)[depth - 1] == _receptive_field_by_probe(
                layers[:depth]
            ), layers[:depth]


def test_receptive_fields_plain_and_dilated_stacks():
    assert receptive_fields([(3,)] * 4) == [3, 5, 7, 9]
    assert receptive_fields([Axis(3, dilation=d) for d in (1, 2, 4, 8)]) == [3, 7, 15, 31]
    assert receptive_field([]) == 1
    assert receptive_field([(2, 2)] * 3) == 8


def test_numpy_integers_are_integers():
    assert conv_output_size(np.int64(28), np.int32(5)) == 24


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (dict(size=10, kernel=3, stride=0), "stride must be an integer >= 1, got 0"),
        (dict(size=10, kernel=3, padding=-1), "padding must be an integer >= 0, got -1"),
        (dict(size=4, kernel=3, dilation=2), "covers 5 cells .* only 4"),
        (dict(size=10.0, kernel=3), "size must be an integer >= 1, got 10.0 \\(float\\)"),
        (dict(size=10, kernel="3"), "kernel must be an integer >= 1, got '3' \\(str\\)"),
        (dict(size=10, kernel=True), "kernel must be an integer >= 1, got True \\(bool\\)"),
        (dict(size=10, kernel=3, dilation=0), "dilation must be an integer >= 1, got 0"),
        (dict(size=0, kernel=1), "size must be an integer >= 1, got 0"),
    ],
)
def test_conv_output_size_rejects_bad_input_saying_what_was_expected(kwargs, message):
    with pytest.raises(ValueError, match=message):
        conv_output_size(**kwargs)


@pytest.mark.parametrize(
    ("args", "kwargs", "message"),
    [
        ((10, 2), dict(stride=0), "stride must be an integer >= 1, got 0"),
        ((10, 2), dict(padding=2), "at most half the kernel \\(1\\), got 2"),
        ((10, 2), dict(padding=-1), "padding must be an integer >= 0"),
        ((3, 5), {}, "window covers 5 cells but the padded input has only 3"),
        ((10, 2.5), {}, "kernel must be an integer >= 1, got 2.5"),
        ((10, 2), dict(ceil_mode=1), "ceil_mode must be True or False, got 1"),
        ((True, 2), {}, "size must be an integer >= 1, got True"),
    ],
)
def test_pool_output_size_rejects_bad_input(args, kwargs, message):
    with pytest.raises(ValueError, match=message):
        pool_output_size(*args, **kwargs)


def test_bad_shapes_and_stacks_raise_value_error():
    with pytest.raises(ValueError, match="padding must be an int or 2 ints, got \\(1, 2, 3\\)"):
        conv_output_shape((5, 5), 3, padding=(1, 2, 3))
    with pytest.raises(ValueError, match="stride must be an int or 2 ints, got 1.5"):
        conv_output_shape((5, 5), 3, stride=1.5)
    with pytest.raises(ValueError, match="each layer must be an Axis or a tuple"):
        receptive_fields([3])
    with pytest.raises(ValueError, match="not transposed convolutions"):
        receptive_fields([Axis(3, transposed=True)])
    with pytest.raises(ValueError, match="transposed must be True or False, got 1"):
        Axis(3, transposed=1)
    with pytest.raises(ValueError, match="stride must be an integer >= 1, got 0"):
        receptive_fields([(3, 0)])


@settings(max_examples=150, deadline=None)
@given(
    size=st.integers(1, 40),
    kernel=st.integers(1, 9),
    stride=st.integers(1, 6),
    padding=st.integers(0, 4),
    dilation=st.integers(1, 5),
)
def test_conv_output_size_is_the_number_of_window_positions(
    size, kernel, stride, padding, dilation
):
    span = effective_kernel_size(kernel, dilation)
    if span > size + 2 * padding:
        with pytest.raises(ValueError, match=f"the kernel covers {span} cells"):
            conv_output_size(size, kernel, stride, padding, dilation)
        return
    out = conv_output_size(size, kernel, stride, padding, dilation)
    starts = range(-padding, size + padding - span + 1, stride)  # every window that fits
    assert out == len(starts)
    last = Axis(kernel, stride, padding, dilation).window(out - 1, size)
    assert last[-1] <= size + padding - 1


def test_transposed_sizes_match_conv_transpose1d_over_a_seeded_sweep():
    rng = random.Random(4)
    checked = refused = 0
    for _ in range(1500):
        n, k, s = rng.randint(1, 12), rng.randint(1, 6), rng.randint(1, 4)
        p, d = rng.randint(0, 5), rng.randint(1, 3)
        layer = nn.ConvTranspose1d(1, 1, k, s, p, dilation=d, bias=False)
        expected = _torch_len(layer, torch.zeros(1, 1, n))
        got = _ours(conv_transpose_output_size, n, k, s, p, d)
        assert got == expected, (n, k, s, p, d)
        assert _ours(Axis(k, s, p, d, transposed=True).output_size, n) == expected
        checked += expected is not None
        refused += expected is None
    assert checked > 1000 and refused > 50
