"""Tests for course_utils.training: the data's three sets, the recipe, the loop, evaluation."""

from __future__ import annotations

import inspect
import json
from collections import Counter
from pathlib import Path

import pytest
import torch
from squares import squares_data
from torch import nn

from course_utils import training
from course_utils.models import LectureNet
from course_utils.training import (
    MNIST_MEAN,
    MNIST_STD,
    History,
    MnistData,
    Recipe,
    evaluate,
    fit,
    mnist_data,
    normalise,
    pick_device,
    predict,
)

NOTEBOOK = Path(__file__).resolve().parent.parent / "notebooks" / "07-mnist-convnet.ipynb"


def pixels(x: torch.Tensor) -> list[bytes]:
    """Each normalised image back as its 784 uint8 pixels (a key to compare images by)."""
    raw = (x.flatten(1).double() * MNIST_STD + MNIST_MEAN) * 255
    return [row.tobytes() for row in raw.round().to(torch.uint8).numpy()]


@pytest.fixture(scope="module")
def data() -> MnistData:
    """256 training squares, 128 validation squares, and no test set: fit must not need one."""
    d = squares_data(256, 128, 0)
    return MnistData(d.train_x, d.train_y, d.val_x, d.val_y, None, None)


def test_normalise_scales_and_adds_channel():
    images = torch.tensor([[[0, 255], [255, 0]]], dtype=torch.uint8)
    x = normalise(images)
    assert x.shape == (1, 1, 2, 2) and x.dtype == torch.float32
    assert x[0, 0, 0, 1].item() == pytest.approx((1 - MNIST_MEAN) / MNIST_STD)
    with pytest.raises(ValueError, match=r"expected uint8 images of shape N×H×W, got torch.float"):
        normalise(images.float())
    with pytest.raises(TypeError, match="expected a torch.Tensor of images, got list"):
        normalise([[0]])


def test_mnist_data_holds_out_a_seeded_validation_set():
    d = mnist_data(validation=5_000, seed=0)
    assert (len(d.train_x), len(d.val_x), len(d.test_x)) == (55_000, 5_000, 10_000)
    assert d.train_x.shape[1:] == d.val_x.shape[1:] == (1, 28, 28)
    assert d.val_y.dtype == torch.int64
    full = mnist_data(validation=0, n_test=1)
    assert len(full.train_x) == 60_000 and len(full.val_x) == 0
    # together the two sets are the 60,000 training digits, each exactly once
    assert Counter(pixels(d.train_x)) + Counter(pixels(d.val_x)) == Counter(pixels(full.train_x))
    assert torch.equal(d.train_y.bincount() + d.val_y.bincount(), full.train_y.bincount())
    again = mnist_data(validation=5_000, seed=0, n_train=10, n_test=10)
    assert torch.equal(again.val_x, d.val_x) and torch.equal(again.train_x, d.train_x[:10])
    assert not torch.equal(mnist_data(validation=5_000, seed=1, n_test=1).val_y, d.val_y)


def test_mnist_data_rejects_a_bad_validation_size():
    with pytest.raises(ValueError, match=r"validation must be an int from 0 to 59999, got 60000"):
        mnist_data(validation=60_000)


def test_pick_device():
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert pick_device().type == expected
    assert pick_device("cpu") == torch.device("cpu")
    with pytest.raises(ValueError, match="prefer must be None, 'cpu' or 'cuda', got 'tpu'"):
        pick_device("tpu")


def test_pick_device_names_the_gpu_as_tensors_do(monkeypatch):
    """A tensor on the GPU reports ``cuda:1`` (say), never plain ``cuda``: the chosen device
    must carry the index, or ``x.device == device`` fails (it did, on a real GPU)."""
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "current_device", lambda: 1)
    assert pick_device() == pick_device("cuda") == torch.device("cuda", 1)
    assert pick_device("cpu") == torch.device("cpu")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(ValueError, match="prefer='cuda' but torch.cuda.is_available"):
        pick_device("cuda")


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("epochs", 0, "epochs must be a positive int, got 0"),
        ("batch_size", 2.5, "batch_size must be a positive int, got 2.5"),
        ("max_lr", 0.0, "max_lr must be a positive number, got 0.0"),
        ("weight_decay", -1e-4, "weight_decay must be a number >= 0, got -0.0001"),
        ("seed", "0", "seed must be an int, got '0'"),
    ],
)
def test_a_bad_recipe_is_refused(field, value, message):
    with pytest.raises(ValueError, match=message):
        Recipe(**{field: value})


def test_fit_learns_and_records_every_step(data):
    torch.manual_seed(0)
    model = LectureNet()
    before = evaluate(model, data.val_x, data.val_y)
    recipe = Recipe(epochs=2, batch_size=32, max_lr=3e-3)
    history = fit(model, data, recipe, progress=False)
    assert history.steps_per_epoch == 8 and len(history.loss) == len(history.lr) == 16
    assert len(history.val_accuracy) == 2
    assert history.val_accuracy[-1] == evaluate(model, data.val_x, data.val_y)
    assert history.val_accuracy[-1] > max(0.9, before)
    assert not model.training  # left in evaluation mode, as the loop's last mode switch says
    assert History.from_dict(history.as_dict()) == history


def test_fit_follows_the_one_cycle_schedule(data):
    history = fit(LectureNet(), data, Recipe(epochs=5, batch_size=32, max_lr=0.01), progress=False)
    # the oracle: torch's OneCycleLR on its own, 40 steps
    optimizer = torch.optim.AdamW([nn.Parameter(torch.zeros(1))], lr=0.01)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=0.01, total_steps=40)
    expected = []
    for _ in range(40):
        expected.append(schedule.get_last_lr()[0])
        optimizer.step()
        schedule.step()
    assert history.lr == pytest.approx(expected)
    assert max(history.lr) == pytest.approx(0.01) and history.lr[0] == pytest.approx(0.01 / 25)


def test_fit_matches_a_hand_written_adamw_loop(data):
    """One epoch of fit equals the same steps written out with torch's optimizer and schedule."""
    recipe = Recipe(epochs=1, batch_size=64, seed=5)
    torch.manual_seed(0)
    model = LectureNet()
    fit(model, data, recipe, progress=False)
    torch.manual_seed(0)
    reference = LectureNet()
    optimizer = torch.optim.AdamW(reference.parameters(), lr=3e-3, weight_decay=1e-4)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=3e-3, total_steps=4)
    order = torch.randperm(256, generator=torch.Generator().manual_seed(5))
    for batch in order.split(64):
        loss = nn.CrossEntropyLoss()(reference(data.train_x[batch]), data.train_y[batch])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        schedule.step()
    for p, q in zip(model.parameters(), reference.parameters(), strict=True):
        assert torch.allclose(p, q, atol=1e-6)


def test_fit_is_deterministic_for_a_seed(data):
    def weights(seed):
        torch.manual_seed(0)
        model = LectureNet()
        fit(model, data, Recipe(epochs=1, batch_size=64, seed=seed), progress=False)
        return torch.cat([p.detach().flatten() for p in model.parameters()])

    first = weights(3)
    assert torch.equal(first, weights(3))
    assert not torch.equal(first, weights(4))


def test_fit_shows_a_progress_bar_with_the_validation_accuracy(data, capsys):
    history = fit(LectureNet(), data, Recipe(epochs=1, batch_size=128), progress=True)
    shown = capsys.readouterr().out.split("\r")[-1]
    assert shown.startswith("epoch 1/1: 100%") and "2/2" in shown
    assert f"validation={history.val_accuracy[0]:.2%}" in shown


def test_the_notebook_teaches_the_same_fit():
    notebook = json.loads(NOTEBOOK.read_text())
    sources = ["".join(c["source"]) for c in notebook["cells"] if c["cell_type"] == "code"]
    taught = [s for s in sources if s.startswith("def fit(")]
    assert taught == [inspect.getsource(training.fit).rstrip("\n")]


def test_predict_and_evaluate(data):
    model = LectureNet().train()
    scores = predict(model, data.val_x, batch_size=50)
    assert scores.shape == (128, 10) and model.training
    assert torch.allclose(scores, model.eval()(data.val_x), atol=1e-5)
    assert evaluate(model, data.val_x, data.val_y) == (
        (scores.argmax(1) == data.val_y).float().mean().item()
    )
    with pytest.raises(ValueError, match=r"expected images N×C×H×W and labels N, got shapes"):
        evaluate(model, data.val_x[0], data.val_y)
    with pytest.raises(TypeError, match="expected tensors of images and labels, got list"):
        evaluate(model, [1], data.val_y)
    with pytest.raises(ValueError, match=r"expected images N×C×H×W, got torch.Size\(\[1, 28,"):
        predict(model, data.val_x[0])
