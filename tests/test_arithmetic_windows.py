"""course_utils.arithmetic against PyTorch itself: the cells each output reads (convolution and
transposed), footprints, formulas, receptive-field cones."""

from __future__ import annotations

import random

import pytest
import torch
from torch import nn

from course_utils.arithmetic import (
    Axis,
    conv_axes,
    footprint,
    output_cell,
    receptive_field_cone,
)

pytestmark = pytest.mark.usefixtures("one_thread")


def test_windows_follow_stride_padding_and_dilation():
    assert Axis(3, stride=2, padding=1).window(0, 5) == [-1, 0, 1]
    assert Axis(3, stride=2, padding=1).window(2, 5) == [3, 4, 5]
    assert Axis(3, dilation=4).window(1, 20) == [1, 5, 9]
    # transposed, stride 2, padding 1: output 2 takes tap 1 from input 1, taps 0 and 2 from none
    assert Axis(3, stride=2, padding=1, transposed=True).window(2, 3) == [None, 1, None]
    assert Axis(3, stride=2, padding=1, transposed=True).window(1, 3) == [1, None, 0]
    with pytest.raises(ValueError, match="below the output size 3"):
        Axis(3, stride=2, padding=1).window(3, 5)


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
