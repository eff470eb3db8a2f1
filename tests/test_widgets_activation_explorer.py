"""The activation-map explorer's Python side: the maps, filters and probabilities it sends."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
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


def _floats(raw: bytes, shape) -> torch.Tensor:
    return torch.from_numpy(np.frombuffer(raw, dtype="<f4").copy()).view(*shape)


def test_sends_the_maps_pytorch_computes_for_each_digit(setup, from_browser):
    model, images, labels = setup
    explorer = ActivationExplorer(model, images, labels, index=1)
    from_browser(explorer, index=2)
    x = images[2:3]
    conv1 = model.conv1(x)[0]  # the layers called by hand, without the recorder's hooks
    conv2 = model.conv2(F.relu(F.max_pool2d(model.conv1(x), 3)))[0]
    assert explorer.layers == [dict(name="conv1", maps=[32, 24, 24], filters=[32, 1, 5, 5]),
                               dict(name="conv2", maps=[64, 4, 4], filters=[64, 32, 5, 5])]
    assert torch.allclose(_floats(explorer.maps["conv1"], (32, 24, 24)), conv1, atol=1e-5)
    assert torch.allclose(_floats(explorer.maps["conv2"], (64, 4, 4)), conv2, atol=1e-5)
    assert torch.equal(_floats(explorer.filters["conv2"], (64, 32, 5, 5)), model.conv2.weight)
    assert explorer.probabilities == pytest.approx(model(x).softmax(1)[0].tolist(), abs=1e-6)
    assert explorer.label == 4
    assert torch.equal(_floats(explorer.image, (1, 28, 28)), images[2])
    assert repr(explorer) == "ActivationExplorer(index=2)"


def test_recorder_gives_both_layers_and_probabilities(setup):
    model, images, _ = setup
    maps, probs = ActivationRecorder(model)(images[0])
    assert maps["conv1"].shape == (32, 24, 24) and maps["conv2"].shape == (64, 4, 4)
    assert probs.shape == (10,) and probs.sum().item() == pytest.approx(1.0)
    expected = model(images[:1]).softmax(1)[0]
    assert torch.allclose(probs, expected.detach(), atol=1e-6)
    with pytest.raises(ValueError, match="the model has no layer named \\['conv3'\\]"):
        ActivationRecorder(model, layers=("conv3",))


def test_an_index_outside_the_digits_is_refused(setup):
    model, images, labels = setup
    explorer = ActivationExplorer(model, images, labels)
    with pytest.raises(ValueError, match="index must be in \\[0, 4\\], got 5"):
        explorer.draw_index(5)
    with pytest.raises(ValueError, match="index must be in \\[0, 4\\], got 7"):
        ActivationExplorer(model, images, labels, index=7)


def test_mosaic_tiles_maps():
    maps = torch.arange(2 * 3 * 2, dtype=torch.float32).view(3, 2, 2)
    tiles = mosaic(maps, ncols=2)
    assert tiles.shape == (5, 5)
    assert torch.equal(tiles[:2, 3:], maps[1]) and torch.equal(tiles[3:, :2], maps[2])
    assert torch.isnan(tiles[3:, 3:]).all() and torch.isnan(tiles[2]).all()
    with pytest.raises(ValueError, match="expected maps C×H×W"):
        mosaic(maps[0], ncols=2)


def test_still_picture_of_a_digit(setup):
    model, images, labels = setup
    explorer = ActivationExplorer(model, images, labels)
    fig = explorer.draw_index(1)
    assert isinstance(fig, Figure)
    titles = [ax.get_title() for ax in fig.axes]
    assert titles[0] == "test digit (label 1)"
    predicted = int(model(images[1:2]).argmax())
    assert titles[-1].startswith(f"predicted {predicted} (")
    maps, probs = ActivationRecorder(model)(images[1])
    assert isinstance(draw_activations(images[1], maps, probs, label=1), Figure)


def test_bad_data_is_rejected(setup):
    model, images, labels = setup
    with pytest.raises(ValueError, match="expected images N×1×H×W"):
        ActivationExplorer(model, images[:, 0], labels)
    with pytest.raises(ValueError, match="expected 5 labels"):
        ActivationExplorer(model, images, labels[:3])
