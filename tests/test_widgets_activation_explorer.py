"""Kernel-side tests for the activation-map explorer."""

from __future__ import annotations

import pytest
import torch
from matplotlib.figure import Figure

from course_utils.models import LectureNet
from course_utils.widgets.activation_explorer import (
    ActivationExplorer,
    ActivationRecorder,
    draw_activations,
    mosaic,
)


@pytest.fixture(scope="module")
def setup():
    torch.manual_seed(0)
    return LectureNet(), torch.randn(5, 1, 28, 28), torch.tensor([3, 1, 4, 1, 5])


def test_changing_the_digit_redraws(setup):
    model, images, labels = setup
    explorer = ActivationExplorer(model, images, labels)
    first = explorer.image.value
    assert first and explorer.message.value == ""
    explorer.controls["index"].value = 2
    assert explorer.image.value != first
    assert len(explorer.redraw_seconds) == 2
    assert repr(explorer) == "ActivationExplorer(index=2)"


def test_recorder_gives_both_layers_and_probabilities(setup):
    model, images, _ = setup
    maps, probs = ActivationRecorder(model)(images[0])
    assert maps["conv1"].shape == (32, 24, 24) and maps["conv2"].shape == (64, 4, 4)
    assert probs.shape == (10,) and probs.sum().item() == pytest.approx(1.0)
    expected = model(images[:1]).softmax(1)[0]
    assert torch.allclose(probs, expected.detach(), atol=1e-6)
    with pytest.raises(ValueError):
        ActivationRecorder(model, layers=("conv3",))


def test_impossible_index_shows_a_message(setup):
    model, images, labels = setup
    explorer = ActivationExplorer(model, images, labels)
    with pytest.raises(ValueError):
        explorer.draw_index(5)
    explorer.draw = lambda index: explorer.draw_index(index + 10)
    explorer.redraw()
    assert "index must be in" in explorer.message.value


def test_mosaic_tiles_maps():
    maps = torch.arange(2 * 3 * 2, dtype=torch.float32).view(3, 2, 2)
    tiles = mosaic(maps, ncols=2)
    assert tiles.shape == (5, 5)
    assert torch.equal(tiles[:2, 3:], maps[1]) and torch.equal(tiles[3:, :2], maps[2])
    assert torch.isnan(tiles[3:, 3:]).all() and torch.isnan(tiles[2]).all()
    with pytest.raises(ValueError):
        mosaic(maps[0], ncols=2)


def test_draw_activations_returns_a_figure(setup):
    model, images, _ = setup
    maps, probs = ActivationRecorder(model)(images[1])
    assert isinstance(draw_activations(images[1], maps, probs, label=1), Figure)


def test_bad_data_is_rejected(setup):
    model, images, labels = setup
    with pytest.raises(ValueError):
        ActivationExplorer(model, images[:, 0], labels)
    with pytest.raises(ValueError):
        ActivationExplorer(model, images, labels[:3])
