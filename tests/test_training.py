"""Tests for course_utils.training: data tensors, the loop, evaluation and checkpoints."""

from __future__ import annotations

import pytest
import torch

from course_utils.models import LectureNet, LeNet5
from course_utils.training import (
    MNIST_MEAN,
    MNIST_STD,
    CheckpointError,
    History,
    MnistData,
    evaluate,
    fit,
    load_checkpoint,
    mnist_data,
    normalise,
    pick_device,
    predict,
    save_checkpoint,
    train_or_load,
)


def squares(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """An easy task: a bright 6×6 square at one of 10 places; the label is the place."""
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(0, 10, (n,), generator=g)
    x = torch.randn(n, 1, 28, 28, generator=g) * 0.3
    for i, label in enumerate(y.tolist()):
        r, c = divmod(label, 5)
        x[i, 0, 4 + 12 * r : 10 + 12 * r, 2 + 5 * c : 8 + 5 * c] += 2.0
    return x, y


def same_weights(a, b) -> bool:
    pairs = zip(a.parameters(), b.parameters(), strict=True)
    return all(torch.equal(p, q) for p, q in pairs)


@pytest.fixture(scope="module")
def data() -> MnistData:
    return MnistData(*squares(256, 0), *squares(128, 1))


def test_normalise_scales_and_adds_channel():
    images = torch.tensor([[[0, 255], [255, 0]]], dtype=torch.uint8)
    x = normalise(images)
    assert x.shape == (1, 1, 2, 2) and x.dtype == torch.float32
    assert x[0, 0, 0, 1].item() == pytest.approx((1 - MNIST_MEAN) / MNIST_STD)
    with pytest.raises(ValueError):
        normalise(images.float())
    with pytest.raises(TypeError):
        normalise([[0]])


def test_mnist_data_is_normalised_tensors():
    d = mnist_data(n_train=200, n_test=100)
    assert d.train_x.shape == (200, 1, 28, 28) and d.test_x.shape == (100, 1, 28, 28)
    assert d.train_y.dtype == torch.int64 and d.train_y.shape == (200,)
    assert abs(d.train_x.mean().item()) < 0.2 and 0.8 < d.train_x.std().item() < 1.2


def test_pick_device():
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert pick_device().type == expected
    assert pick_device("cpu") == torch.device("cpu")
    with pytest.raises(ValueError):
        pick_device("tpu")


def test_fit_learns_and_records_curves(data):
    torch.manual_seed(0)
    model = LectureNet()
    before = evaluate(model, data.test_x, data.test_y)
    history = fit(model, data, epochs=2, batch_size=32, log_every=4, progress=False)
    assert history.steps_per_epoch == 8
    assert history.steps == list(range(0, 16, 4)) and len(history.loss) == 4
    assert len(history.epoch_test_accuracy) == 2 == len(history.epoch_train_accuracy)
    assert history.epoch_test_accuracy[-1] == evaluate(model, data.test_x, data.test_y)
    assert history.epoch_test_accuracy[-1] > max(0.9, before)
    assert History.from_dict(history.as_dict()) == history


def test_fit_is_deterministic_for_a_seed(data):
    def weights(seed):
        torch.manual_seed(0)
        model = LectureNet()
        small = MnistData(data.train_x[:128], data.train_y[:128], data.test_x[:8], data.test_y[:8])
        fit(model, small, epochs=1, batch_size=64, seed=seed, progress=False)
        return torch.cat([p.detach().flatten() for p in model.parameters()])

    first = weights(3)
    assert torch.equal(first, weights(3))
    assert not torch.equal(first, weights(4))


def test_fit_rejects_bad_arguments(data):
    with pytest.raises(ValueError):
        fit(LectureNet(), data, epochs=0)
    with pytest.raises(ValueError):
        fit(LectureNet(), MnistData(data.train_x, data.train_y[:5], data.test_x, data.test_y))


def test_predict_and_evaluate(data):
    model = LectureNet().train()
    scores = predict(model, data.test_x, batch_size=50)
    assert scores.shape == (128, 10) and model.training
    assert evaluate(model, data.test_x, data.test_y) == (
        (scores.argmax(1) == data.test_y).float().mean().item()
    )
    with pytest.raises(ValueError):
        evaluate(model, data.test_x[0], data.test_y)


def test_checkpoint_round_trip(tmp_path):
    torch.manual_seed(0)
    model = LectureNet()
    path = save_checkpoint(tmp_path / "m" / "net.pt", model, test_accuracy=0.991, seed=7)
    fresh = LectureNet()
    meta = load_checkpoint(path, fresh, min_accuracy=0.99)
    assert meta["test_accuracy"] == 0.991 and meta["seed"] == 7
    assert meta["torch_version"] == torch.__version__ and meta["model_class"] == "LectureNet"
    assert same_weights(model, fresh)


@pytest.mark.parametrize("problem", ["missing", "garbage", "truncated", "other net", "low acc"])
def test_bad_checkpoints_are_refused_and_leave_the_model(tmp_path, problem):
    path = tmp_path / "net.pt"
    if problem == "garbage":
        path.write_bytes(b"not a checkpoint at all")
    elif problem == "truncated":
        save_checkpoint(path, LectureNet(), test_accuracy=0.995)
        path.write_bytes(path.read_bytes()[:1000])
    elif problem == "other net":
        save_checkpoint(path, LeNet5(), test_accuracy=0.995)
    elif problem == "low acc":
        save_checkpoint(path, LectureNet(), test_accuracy=0.5)
    model = LectureNet()
    before = [p.clone() for p in model.parameters()]
    with pytest.raises(CheckpointError):
        load_checkpoint(path, model, min_accuracy=0.99)
    assert all(torch.equal(a, b) for a, b in zip(before, model.parameters(), strict=True))


def test_train_or_load_trains_then_reuses_then_retrains(tmp_path, data):
    path = tmp_path / "lecture-net.pt"
    kwargs = dict(path=path, seed=1, min_accuracy=0.0, epochs=1, batch_size=64, progress=False)
    model, meta, message = train_or_load(LectureNet, data, **kwargs)
    assert message.startswith("Trained") and "no saved model" in message and path.is_file()
    assert meta["test_accuracy"] == evaluate(model, data.test_x, data.test_y)
    again, meta2, message2 = train_or_load(LectureNet, data, **kwargs)
    assert message2.startswith("Reused") and meta2 == meta
    assert same_weights(model, again)
    path.write_bytes(b"corrupt")
    _, meta3, message3 = train_or_load(LectureNet, data, **kwargs)
    assert message3.startswith("Trained") and "not a readable" in message3
    assert meta3["history"]["loss"] == meta["history"]["loss"]
    _, _, message4 = train_or_load(LectureNet, data, **{**kwargs, "seed": 2})
    assert message4.startswith("Trained") and "seed" in message4
