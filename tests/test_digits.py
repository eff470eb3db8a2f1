"""The drawing pad's reference preprocessing: MNIST's own digits come back, shapes land centred."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from course_utils.data import mnist_tensors
from course_utils.digits import (
    BOX,
    PAD,
    SIDE,
    area_weights,
    drawn_digit,
    mnist_style,
    strokes_ink,
)
from course_utils.training import normalise


def _enlarged(digit: torch.Tensor, factor: int = 4) -> torch.Tensor:
    return digit.repeat_interleave(factor, 0).repeat_interleave(factor, 1)


def test_mnist_digits_enlarged_four_times_come_back_pixel_for_pixel():
    images, _ = mnist_tensors(train=False)
    inside = [k for k in range(2000)
              if not (images[k, [0, -1]].any() or images[k, :, [0, -1]].any())]
    assert len(inside) > 1950  # a few touch the edge, where MNIST may have cut them off
    for k in inside:
        got = mnist_style(_enlarged(images[k]).numpy())
        assert torch.allclose(got, images[k].float() / 255, atol=1e-6), f"test digit {k}"


def test_the_networks_input_is_normalised_as_the_training_digits_are():
    images, _ = mnist_tensors(train=False)
    ink = _enlarged(images[0]).numpy().tobytes()  # as the page sends it: PAD·PAD bytes
    assert len(ink) == PAD * PAD
    assert torch.allclose(drawn_digit(ink), normalise(images[:1])[0], atol=1e-5)


def test_area_weights_average_what_each_new_pixel_covers():
    w = area_weights(5, 2)  # each new pixel covers 2.5 old ones
    assert np.allclose(w, [[0.4, 0.4, 0.2, 0, 0], [0, 0, 0.2, 0.4, 0.4]])
    gen = torch.Generator().manual_seed(0)
    for factor in (2, 3, 4):  # whole factors: PyTorch's average pooling
        x = torch.rand(6 * factor, 4 * factor, generator=gen, dtype=torch.float64)
        ours = area_weights(6 * factor, 6) @ x.numpy() @ area_weights(4 * factor, 4).T
        assert np.allclose(ours, F.avg_pool2d(x[None, None], factor)[0, 0].numpy())
    for n_in, n_out in ((7, 20), (112, 20), (3, 1)):
        assert np.allclose(area_weights(n_in, n_out).sum(axis=1), 1)
    with pytest.raises(ValueError, match="n_out must be a positive int, got 0"):
        area_weights(3, 0)


def test_a_stroke_anywhere_on_the_pad_is_scaled_into_the_box_and_centred():
    ink = np.zeros((PAD, PAD), dtype=np.uint8)
    ink[70:100, 5:20] = 255  # a 30×15 block low on the left
    digit = mnist_style(ink)
    assert digit.shape == (SIDE, SIDE) and digit.dtype == torch.float32
    rows, cols = digit.sum(1).nonzero()[:, 0], digit.sum(0).nonzero()[:, 0]
    assert (len(rows), len(cols)) == (BOX, BOX // 2)  # longer side 20, aspect ratio kept
    assert rows.tolist() == list(range(4, 24)) and cols.tolist() == list(range(9, 19))
    assert torch.allclose(digit[4:24, 9:19], torch.ones(BOX, BOX // 2))


def test_a_symmetric_stroke_is_placed_the_same_way_every_time():
    ink = np.zeros((PAD, PAD), dtype=np.uint8)
    ink[10:90, 50:53] = 200  # a "1": 80×3, scaled to 20×1 (its centre of mass at 9.5)
    digit = mnist_style(ink)
    rows = digit.sum(1).nonzero()[:, 0].tolist()
    assert rows == list(range(4, 24))  # 14 - 0.5 - 9.5 = 4: the tie goes to the earlier pixel
    assert digit.sum(0).nonzero()[:, 0].tolist() == [14]
    assert float(digit.max()) == pytest.approx(200 / 255)  # the mean of the 3 ink columns


def test_a_drawing_with_no_ink_or_of_another_shape_is_refused():
    with pytest.raises(ValueError, match="the drawing has no ink: draw a digit on the pad first"):
        mnist_style(np.zeros((PAD, PAD), dtype=np.uint8))
    with pytest.raises(ValueError, match="expected the ink of a square pad .* got 10 bytes"):
        drawn_digit(bytes(10))
    with pytest.raises(ValueError, match="expected ink H×W .* got \\(2, 3, 4\\)"):
        mnist_style(np.zeros((2, 3, 4)))
    with pytest.raises(ValueError, match="expected ink values in 0..255, got 0 to 300"):
        mnist_style(np.array([[0.0, 300.0]]))


def test_strokes_are_drawn_as_ink_on_the_pad():
    ink = strokes_ink([[(20, 30), (90, 30)], [(56, 40), (56, 100)]], width=8)
    assert ink.shape == (PAD, PAD) and ink.dtype == np.uint8
    assert ink[30, 20:91].min() == 255 and ink[40:101, 56].min() == 255  # both lines inked
    rows = np.flatnonzero(ink[:, 70])
    assert 26 <= rows.min() and rows.max() <= 34  # about 8 pixels wide
    assert not ink[60:, :40].any()  # nowhere else
    with pytest.raises(ValueError, match="expected a stroke of \\(x, y\\) points"):
        strokes_ink([[(1, 2, 3)]])
    with pytest.raises(ValueError, match="width must be a positive int"):
        strokes_ink([], width=0)
