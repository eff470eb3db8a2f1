"""Pretrained networks offline: AlexNet's loader, top-k listing, size table, photos."""

from __future__ import annotations

import io
import time

import pytest
import torch
from PIL import Image
from torchvision.models import ResNet18_Weights, SqueezeNet1_0_Weights, VGG16_Weights

from course_utils import pretrained
from course_utils.data import LABRADOR, SQUEEZENET, DataNotFoundError
from course_utils.pretrained import (
    ALEXNET_WEIGHTS,
    CATEGORIES,
    alexnet_cache_path,
    best_classifier,
    format_table,
    format_top_k,
    grace_hopper_photo,
    labrador_photo,
    lecture_normalise,
    linear_parameters,
    load_alexnet,
    load_photo,
    parameter_count,
    size_table,
    squeezenet_classifier,
    top_k,
)


@pytest.fixture
def empty_hub(tmp_path, monkeypatch):
    """A torch hub cache without AlexNet, and a network that never answers."""
    monkeypatch.setattr(torch.hub, "_hub_dir", str(tmp_path / "hub"))
    monkeypatch.setattr(pretrained, "host_reachable", lambda url, timeout=5.0: False)
    return tmp_path / "hub"


def test_cache_path_follows_the_hub_dir(empty_hub):
    assert alexnet_cache_path() == empty_hub / "checkpoints" / "alexnet-owt-7be5be79.pth"


def test_alexnet_offline_fails_fast_with_instructions(empty_hub):
    for download in (False, True):
        start = time.perf_counter()
        with pytest.raises(DataNotFoundError, match="Pretrained AlexNet is not available") as err:
            load_alexnet(download=download)
        assert time.perf_counter() - start < 2.0
        message = str(err.value)
        assert "alexnet-owt-7be5be79.pth" in message and "download.pytorch.org" in message
        assert "SqueezeNet" in message


def test_alexnet_comes_from_the_hub_cache_when_present(empty_hub):
    with torch.device("meta"):
        meta = pretrained.torchvision.models.alexnet().state_dict()
    state = {k: torch.full(v.shape, 0.5) if k.endswith("bias") else torch.zeros(v.shape)
             for k, v in meta.items()}
    alexnet_cache_path().parent.mkdir(parents=True)
    torch.save(state, alexnet_cache_path())
    model = load_alexnet(download=False)
    assert not model.training
    assert torch.equal(model.classifier[6].bias, torch.full((1000,), 0.5))
    assert parameter_count(model) == 61_100_840


def test_a_damaged_cache_file_gives_a_clear_error(empty_hub):
    alexnet_cache_path().parent.mkdir(parents=True)
    alexnet_cache_path().write_bytes(b"half a download")
    with pytest.raises(DataNotFoundError, match="damaged"):
        load_alexnet(download=False)


def test_best_classifier_falls_back_to_squeezenet(empty_hub):
    if not SQUEEZENET.path().is_file():
        pytest.fail(f"{SQUEEZENET.path()} is missing: copy it into the data folder (make data)")
    classifier, message = best_classifier()
    assert classifier.name == "SqueezeNet"
    assert "not available" in message and "SqueezeNet" in message


def test_top_k_and_the_lecture_format():
    scores = torch.zeros(1000)
    weimaraner = CATEGORIES.index("Weimaraner")
    scores[weimaraner] = 12.256
    scores[208] = 10.87
    rows = top_k(scores.unsqueeze(0), k=2)
    assert [r[0] for r in rows] == ["Weimaraner", "Labrador retriever"]
    assert rows[0][2] == pytest.approx(float(scores.softmax(0)[weimaraner]))
    text = format_top_k(scores, k=3).splitlines()
    assert text[:2] == ["#1 (12.26) Weimaraner", "#2 (10.87) Labrador retriever"]
    assert text[2].startswith("#3 (0.00) ")
    assert format_top_k(scores, k=2, decimals=1).splitlines() == [
        "#1 (12.3) Weimaraner", "#2 (10.9) Labrador retriever"
    ]
    with pytest.raises(ValueError, match="decimals must be an int >= 0, got -1"):
        format_top_k(scores, decimals=-1)


def test_top_k_rejects_bad_input():
    with pytest.raises(ValueError, match="1000 class scores"):
        top_k(torch.zeros(10))
    with pytest.raises(ValueError, match="k must be"):
        top_k(torch.zeros(1000), k=0)
    with pytest.raises(TypeError, match="tensor"):
        top_k([0.0] * 1000)


def test_lecture_normalise_gives_mean_half_std_half():
    torch.manual_seed(0)
    x = lecture_normalise(torch.rand(3, 20, 30) * 0.3)
    assert x.shape == (1, 3, 20, 30)
    assert float(x.mean()) == pytest.approx(0.5, abs=1e-5)
    assert float(x.std()) == pytest.approx(0.5, abs=1e-5)
    with pytest.raises(ValueError, match="3×H×W"):
        lecture_normalise(torch.rand(1, 20, 30))
    with pytest.raises(TypeError, match="expected a torch.Tensor 3×H×W, got list"):
        lecture_normalise([[0.0]])


def test_size_table_counts():
    rows = {r["network"]: r for r in size_table()}
    expected = {
        "LeNet-5": 61_706,
        "AlexNet": 61_100_840,
        "VGG-16": 138_357_544,
        "ResNet-18": 11_689_512,
        "SqueezeNet 1.0": 1_248_424,
    }
    assert {k: r["parameters"] for k, r in rows.items()} == expected
    # 61,100,840 × 4 bytes = 233.08 MB of 2**20 bytes (torchvision's file: 233.087, with pickle)
    assert rows["AlexNet"]["float32 MB"] == pytest.approx(233.081, abs=1e-3)
    text = format_table(list(rows.values()))
    assert "61,100,840" in text and "233.08" in text
    with pytest.raises(ValueError, match="expected at least one row, got none"):
        format_table([])
    with pytest.raises(TypeError, match="expected a torch.nn.Module, got str"):
        parameter_count("alexnet")


def test_size_table_shares_costs_and_accuracies():
    rows = {r["network"]: r for r in size_table()}
    # AlexNet's linear layers, by hand: 9216 -> 4096 -> 4096 -> 1000, biases included
    by_hand = 9216 * 4096 + 4096 + 4096 * 4096 + 4096 + 4096 * 1000 + 1000
    assert rows["AlexNet"]["linear %"] == pytest.approx(100 * by_hand / 61_100_840)
    assert rows["SqueezeNet 1.0"]["linear %"] == 0
    # LeNet-5's products by hand: 6 maps of 28x28 (5x5 kernels), 16 maps of 10x10 (5x5 kernels
    # over 6 maps), then the three linear layers
    lenet = 6 * 28 * 28 * 25 + 16 * 10 * 10 * 6 * 25 + 400 * 120 + 120 * 84 + 84 * 10
    assert rows["LeNet-5"]["M mult-adds"] == pytest.approx(lenet / 1e6)
    lenet_linear = 400 * 120 + 120 * 84 + 84 * 10
    assert rows["LeNet-5"]["linear work %"] == pytest.approx(100 * lenet_linear / lenet)
    for name, weights in (
        ("AlexNet", ALEXNET_WEIGHTS),
        ("VGG-16", VGG16_Weights.IMAGENET1K_V1),
        ("ResNet-18", ResNet18_Weights.IMAGENET1K_V1),
        ("SqueezeNet 1.0", SqueezeNet1_0_Weights.IMAGENET1K_V1),
    ):
        # torchvision's "_ops" counts GFLOPS as multiply-adds, rounded to 3 decimals
        assert rows[name]["M mult-adds"] / 1000 == pytest.approx(weights.meta["_ops"], abs=5e-4)
        assert rows[name]["top-1 %"] == weights.meta["_metrics"]["ImageNet-1K"]["acc@1"]
    assert rows["LeNet-5"]["top-1 %"] == "-"
    with pytest.raises(TypeError, match="expected a Network for 'x', got function"):
        size_table({"x": pretrained.torchvision.models.alexnet})
    with pytest.raises(TypeError, match="expected a torch.nn.Module, got int"):
        linear_parameters(3)


def test_photos_load_and_bad_files_are_refused():
    if not LABRADOR.path().is_file():
        pytest.fail(f"{LABRADOR.path()} is missing: copy it into the data folder (make data)")
    assert labrador_photo().size == (700, 577)
    assert grace_hopper_photo().size == (512, 600)
    buffer = io.BytesIO()
    Image.new("L", (5, 4)).save(buffer, format="PNG")
    assert load_photo(buffer.getvalue()).mode == "RGB"
    with pytest.raises(ValueError, match="as an image"):
        load_photo(b"not an image at all")
    with pytest.raises(TypeError, match="expected a path, a file object or bytes, got int"):
        load_photo(42)


def test_squeezenet_classifier_sees_grace_hoppers_bow_tie():
    classifier = squeezenet_classifier()
    name, score, probability = classifier.top_k(grace_hopper_photo(), k=1)[0]
    assert name == "bow tie" and probability > 0.3 and score > 10
