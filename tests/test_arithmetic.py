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
    conv_axes,
    conv_output_shape,
    conv_output_size,
    conv_transpose_output_size,
    effective_kernel_size,
    footprint,
    output_cell,
    pool_output_size,
    receptive_field,
    receptive_field_cone,
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


def test_windows_follow_stride_padding_and_dilation():
    assert Axis(3, stride=2, padding=1).window(0, 5) == [-1, 0, 1]
    assert Axis(3, stride=2, padding=1).window(2, 5) == [3, 4, 5]
    assert Axis(3, dilation=4).window(1, 20) == [1, 5, 9]
    # transposed, stride 2, padding 1: output 2 takes tap 1 from input 1, taps 0 and 2 from none
    assert Axis(3, stride=2, padding=1, transposed=True).window(2, 3) == [None, 1, None]
    assert Axis(3, stride=2, padding=1, transposed=True).window(1, 3) == [1, None, 0]
    with pytest.raises(ValueError, match="below the output size 3"):
        Axis(3, stride=2, padding=1).window(3, 5)


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


def _reads_by_probe(layer: nn.Module, n: int, index: int) -> set[int]:
    """Input cells whose value changes output ``index`` of a 1d layer: a gradient probe."""
    nn.init.constant_(layer.weight, 1.0)
    x = torch.zeros(1, 1, n, requires_grad=True)
    layer(x)[0, 0, index].backward()
    return set(x.grad[0, 0].nonzero().flatten().tolist())


@pytest.mark.parametrize("transposed", [False, True])
def test_windows_read_what_pytorch_reads_over_a_seeded_sweep(transposed):
    rng = random.Random(5 + transposed)
    checked = 0
    while checked < 150:
        n, k, s = rng.randint(1, 10), rng.randint(1, 5), rng.randint(1, 3)
        p, d = rng.randint(0, 3), rng.randint(1, 3)
        axis = Axis(k, s, p, d, transposed)
        try:
            out = axis.output_size(n)
        except ValueError:
            continue
        kind = nn.ConvTranspose1d if transposed else nn.Conv1d
        layer = kind(1, 1, k, s, p, dilation=d, bias=False)
        for index in rng.sample(range(out), min(3, out)):
            taps = axis.window(index, n)
            assert len(taps) == k
            read = {t for t in taps if t is not None and 0 <= t < n}
            assert read == _reads_by_probe(layer, n, index), (n, k, s, p, d, index)
        checked += 1


def test_each_tap_of_a_transposed_window_reads_its_weight():
    """Tap j of the window is the input the j-th weight multiplies (one-hot weight probe)."""
    axis = Axis(3, stride=2, padding=1, dilation=2, transposed=True)
    n = 5
    out = axis.output_size(n)
    x = torch.arange(1.0, n + 1).view(1, 1, n)  # input i holds i + 1
    for j in range(3):
        weight = torch.zeros(1, 1, 3)
        weight[0, 0, j] = 1.0
        y = torch.nn.functional.conv_transpose1d(x, weight, stride=2, padding=1, dilation=2)
        for index in range(out):
            tap = axis.window(index, n)[j]
            assert y[0, 0, index].item() == (0.0 if tap is None else tap + 1.0)


def test_footprint_of_the_lectures_example():
    rows, cols = conv_axes(3, stride=2, padding=(2, 1))
    fp = footprint(3, 5, rows, cols, position=4)
    assert fp["output"] == (3, 3) and fp["position"] == (1, 1)
    assert fp["rows"] == [0, 1, 2] and fp["cols"] == [1, 2, 3]
    assert fp["reads"] == {(r, c) for r in range(3) for c in (1, 2, 3)}
    corner = footprint(3, 5, rows, cols, position=(0, 0))
    assert corner["reads"] == {(0, 0), (0, 1)}  # the rest of the window is padding


@pytest.mark.parametrize(
    ("position", "message"),
    [(9, r"position must be in \[0, 8\] for a 3×3 output, got 9"),
     ((3, 0), r"position must be inside the 3×3 output, got \(3, 0\)"),
     ("a", "position must be an int \\(row-major index\\) or a pair")],
)
def test_output_cell_rejects_positions_outside_the_output(position, message):
    with pytest.raises(ValueError, match=message):
        output_cell(position, (3, 3))


def test_formulas_carry_the_numbers():
    assert Axis(3, 2, 2).formula(3, "H") == (
        "H_out = ⌊(H + 2p − d(k−1) − 1) / s⌋ + 1 = ⌊(3 + 2·2 − 1·(3−1) − 1) / 2⌋ + 1"
        " = ⌊4 / 2⌋ + 1 = 3")
    assert Axis(3, 2, 1, transposed=True).formula(5, "W") == (
        "W_out = (W − 1)·s − 2p + d(k−1) + 1 = (5 − 1)·2 − 2·1 + 1·(3−1) + 1 = 9")
    with pytest.raises(ValueError, match="crops 2 x 3 of them: expected padding at most 1"):
        Axis(3, 1, 3, transposed=True).formula(2)


def test_receptive_field_cone_matches_a_gradient_probe():
    layers = [(3, 1, 1), (3, 1, 2), (3, 2, 1), (2, 1, 3)]
    convs = [nn.Conv1d(1, 1, k, s, dilation=d, bias=False) for k, s, d in layers]
    x = torch.zeros(1, 1, 60, requires_grad=True)
    y = x
    for conv in convs:
        nn.init.constant_(conv.weight, 1.0)
        y = conv(y)
    y[0, 0, 0].backward()
    assert receptive_field_cone(layers)[0] == set(x.grad[0, 0].nonzero().flatten().tolist())
    assert receptive_field_cone(layers)[-1] == {0}


def test_dilated_cone_covers_every_input_cell_once():
    cone = receptive_field_cone([(3, 1, d) for d in (1, 2, 4, 8)])
    assert cone[0] == set(range(31))
    assert receptive_field_cone([(3,)] * 4)[0] == set(range(9))
