"""The activation-map explorer's Python side: the maps, filters and probabilities it sends."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from matplotlib.figure import Figure

from course_utils.digits import PAD, drawn_digit
from course_utils.models import LectureNet
from course_utils.onnx_export import weights_digest
from course_utils.training import MNIST_MEAN, MNIST_STD
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
    assert explorer.layers == [
        dict(name="conv1", maps=[32, 24, 24], inputs=[1, 28, 28], filters=[32, 1, 5, 5]),
        dict(name="conv2", maps=[64, 4, 4], inputs=[32, 8, 8], filters=[64, 32, 5, 5])]
    assert torch.allclose(_floats(explorer.maps["conv1"], (32, 24, 24)), conv1, atol=1e-5)
    assert torch.allclose(_floats(explorer.maps["conv2"], (64, 4, 4)), conv2, atol=1e-5)
    assert torch.equal(_floats(explorer.filters["conv2"], (64, 32, 5, 5)), model.conv2.weight)
    assert torch.equal(_floats(explorer.biases["conv2"], (64,)), model.conv2.bias)
    conv2_input = F.relu(F.max_pool2d(model.conv1(x), 3))[0]
    assert torch.allclose(_floats(explorer.inputs["conv2"], (32, 8, 8)), conv2_input, atol=1e-6)
    assert torch.equal(_floats(explorer.inputs["conv1"], (1, 28, 28)), x[0])
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


def _a_one() -> bytes:
    """A vertical stroke on the pad, as the page sends it."""
    ink = np.zeros((PAD, PAD), dtype=np.uint8)
    ink[15:95, 52:60] = 255
    return ink.tobytes()


def test_a_drawing_from_the_page_is_made_an_mnist_digit_and_answered(setup, from_browser):
    model, images, labels = setup
    explorer = ActivationExplorer(model, images, labels, index=3)
    from_browser(explorer, ink=_a_one())
    digit = drawn_digit(_a_one())
    assert explorer.drawn and explorer.label == -1 and explorer.error == ""
    assert torch.equal(_floats(explorer.image, (1, 28, 28)), digit)
    assert explorer.probabilities == pytest.approx(model(digit[None]).softmax(1)[0].tolist(),
                                                   abs=1e-6)
    assert torch.allclose(_floats(explorer.maps["conv1"], (32, 24, 24)),
                          model.conv1(digit[None])[0], atol=1e-5)
    assert explorer.figure().axes[0].get_title() == "your drawing"
    from_browser(explorer, ink=b"")  # the page cleared the pad for a test digit
    assert not explorer.drawn and explorer.label == int(labels[3])
    assert torch.equal(_floats(explorer.image, (1, 28, 28)), images[3])


def test_a_drawing_with_no_ink_says_why_and_keeps_the_digit(setup, from_browser):
    model, images, labels = setup
    explorer = ActivationExplorer(model, images, labels, index=1)
    before = explorer.maps
    from_browser(explorer, ink=bytes(PAD * PAD))
    assert explorer.error == "the drawing has no ink: draw a digit on the pad first"
    assert explorer.maps == before and not explorer.drawn
    from_browser(explorer, ink=bytes(10))
    assert explorer.error.startswith("expected the ink of a square pad")


def test_a_page_without_kernel_gets_a_bank_and_what_its_network_needs(setup):
    model, images, labels = setup
    explorer = ActivationExplorer(model, images, labels, index=4)
    assert explorer.bank == [0, 1, 2, 3, 4]  # every digit, here: there are only five
    assert explorer.bank_labels == labels.tolist()
    assert torch.equal(_floats(explorer.bank_images, (5, 1, 28, 28)), images)
    assert explorer.digest == weights_digest(model)
    assert explorer.preprocessing == dict(pad=PAD, side=28, box=20, tie=1e-9, mean=MNIST_MEAN,
                                          std=MNIST_STD)
