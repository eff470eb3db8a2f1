"""Tests for course_utils.checkpoints: saved models, their provenance, train or reuse."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
import torch
from squares import squares_data
from torch import nn
from torch.nn import functional as F

from course_utils.checkpoints import (
    CheckpointError,
    _differences,
    load_checkpoint,
    provenance,
    same_initial_weights,
    save_checkpoint,
    train_or_load,
)
from course_utils.models import LectureNet, LeNet5
from course_utils.training import MnistData, Recipe, evaluate, fit


@pytest.fixture(scope="module")
def data() -> MnistData:
    return squares_data(128, 64, 8)


RECIPE = Recipe(epochs=1, batch_size=64, seed=1)


def quiet_fit(model, data, recipe):
    """The course's loop without its progress bar (a loop of its own, as far as reuse goes)."""
    return fit(model, data, recipe, progress=False)


class TanhNet(LectureNet):
    """LectureNet's layers, tensors and initial weights, but tanh in place of the last relu."""

    def forward(self, x):
        x = F.relu(F.max_pool2d(self.conv1(x), kernel_size=3, stride=3))
        x = F.relu(F.max_pool2d(self.conv2(x), kernel_size=2, stride=2))
        return self.fc2(torch.tanh(self.fc1(x.view(-1, 256))))


def same_weights(a: nn.Module, b: nn.Module) -> bool:
    pairs = zip(a.state_dict().values(), b.state_dict().values(), strict=True)
    return all(torch.equal(p.cpu(), q.cpu()) for p, q in pairs)


def test_checkpoint_round_trip(tmp_path):
    torch.manual_seed(0)
    model = LectureNet()
    path = save_checkpoint(tmp_path / "m" / "net.pt", model, seed=7, history={"loss": [1.0]})
    fresh = LectureNet()
    meta = load_checkpoint(path, fresh)
    assert meta["seed"] == 7 and meta["history"] == {"loss": [1.0]}
    assert meta["torch_version"] == torch.__version__ and meta["model_class"] == "LectureNet"
    assert same_weights(model, fresh)
    assert not path.with_name("net.pt.partial").exists()


@pytest.mark.parametrize(
    ("problem", "message"),
    [
        ("missing", "no saved model at"),
        ("garbage", r"is not a readable checkpoint \(UnpicklingError\)"),
        ("truncated", r"is not a readable checkpoint \(RuntimeError\)"),
        ("no metadata", "holds no state_dict and metadata"),
        ("old format", r"by another version of the course \(format 1, expected 3\)"),
        ("other net", r"for another architecture \('LeNet5', 10 tensors\) than LectureNet"),
    ],
)
def test_bad_checkpoints_are_refused_and_leave_the_model(tmp_path, problem, message):
    path = tmp_path / "net.pt"
    if problem == "garbage":
        path.write_bytes(b"not a checkpoint at all")
    elif problem == "truncated":
        save_checkpoint(path, LectureNet())
        path.write_bytes(path.read_bytes()[:1000])
    elif problem == "no metadata":
        torch.save({"weights": LectureNet().state_dict()}, path)
    elif problem == "old format":
        save_checkpoint(path, LectureNet(), format=1)
    elif problem == "other net":
        save_checkpoint(path, LeNet5())
    model = LectureNet()
    before = [p.clone() for p in model.parameters()]
    with pytest.raises(CheckpointError, match=message):
        load_checkpoint(path, model)
    assert all(torch.equal(a, b) for a, b in zip(before, model.parameters(), strict=True))


def test_provenance_names_what_made_the_model(data):
    torch.manual_seed(RECIPE.seed)
    made_by = provenance(LectureNet(), quiet_fit, data, RECIPE)
    assert made_by["recipe"] == {"epochs": 1, "batch_size": 64, "max_lr": 3e-3,
                                 "weight_decay": 1e-4, "seed": 1}
    assert made_by["data"] == [128, 64, int(data.train_y.sum())]
    assert made_by["loop"].startswith("def quiet_fit(model, data, recipe):")
    assert "nn.Linear(256, 200)" in made_by["network"] and "F.relu(x)" in made_by["network"]
    torch.manual_seed(RECIPE.seed)
    model = LectureNet()
    initial = made_by["initial weights"]
    assert initial.keys() == model.state_dict().keys()
    assert all(torch.equal(initial[k], v) for k, v in model.state_dict().items())
    torch.manual_seed(RECIPE.seed)
    again = provenance(LectureNet(), quiet_fit, data, RECIPE)
    assert _differences(made_by, again) == ""
    torch.manual_seed(RECIPE.seed)
    tanh = provenance(TanhNet(), quiet_fit, data, RECIPE)
    assert same_initial_weights(tanh["initial weights"], initial)  # same tensors, same draw
    assert tanh["network"] != made_by["network"] and "torch.tanh(x)" in tanh["network"]
    assert _differences(made_by, tanh) == "another network"


def test_initial_weights_are_the_same_to_float32_rounding_and_no_further():
    torch.manual_seed(0)
    initial = {k: t.clone() for k, t in LectureNet().state_dict().items()}
    last_bit = {k: torch.nextafter(t, torch.full_like(t, 1.0)) for k, t in initial.items()}
    assert any(not torch.equal(last_bit[k], initial[k]) for k in initial)
    assert same_initial_weights(initial, last_bit)
    nudged = dict(initial, **{"fc2.bias": initial["fc2.bias"] + 1e-4})
    assert not same_initial_weights(initial, nudged)
    assert not same_initial_weights(initial, {k: initial[k] for k in list(initial)[:-1]})


def test_a_cpu_without_fused_multiply_adds_draws_the_same_initial_weights(tmp_path):
    """PyTorch's generic CPU path (make test's second nbval pass) rounds uniform_'s last bit
    otherwise: its LectureNet must still count as the same run, so that notebook 07 there
    reuses the model the first pass trained."""
    script = ("import torch; from course_utils.models import LectureNet; torch.manual_seed(0); "
              f"torch.save(LectureNet().state_dict(), {str(tmp_path / 'generic.pt')!r})")
    env = dict(os.environ, ATEN_CPU_CAPABILITY="default", ONEDNN_MAX_CPU_ISA="SSE41")
    subprocess.run([sys.executable, "-c", script], env=env, check=True, timeout=120)
    generic = torch.load(tmp_path / "generic.pt", weights_only=True)
    torch.manual_seed(0)
    here = LectureNet().state_dict()
    assert same_initial_weights(generic, here)


def test_train_or_load_trains_reuses_and_retrains(tmp_path, data, monkeypatch):
    # Run from a notebook's folder, as a learner does: the messages name the file as
    # ../data/models/..., whatever folder the repository and the temporary files are in.
    (tmp_path / "notebooks").mkdir()
    monkeypatch.chdir(tmp_path / "notebooks")
    path = tmp_path / "data" / "models" / "lecture-net.pt"

    def run(make_model=LectureNet, fit_fn=quiet_fit, recipe=RECIPE, retrain=False):
        return train_or_load(make_model, fit_fn, data, recipe, retrain=retrain, path=path)

    model, history, message = run()
    assert message.startswith("Trained a new model (no saved model at") and path.is_file()
    assert not model.training and len(history.loss) == 2
    assert history.val_accuracy == [evaluate(model, data.val_x, data.val_y)]
    torch.manual_seed(RECIPE.seed)
    by_hand = LectureNet()
    assert fit(by_hand, data, RECIPE, progress=False).loss == history.loss
    assert same_weights(model, by_hand)

    again, history2, message2 = run()
    assert message2.startswith("Reused the model saved at") and "RETRAIN = True" in message2
    assert same_weights(model, again) and history2 == history and not again.training

    _, _, message3 = run(retrain=True)
    assert message3.startswith("Trained a new model (RETRAIN is True)")

    faster = Recipe(epochs=1, batch_size=64, max_lr=0.01, seed=1)
    _, _, message4 = run(recipe=faster)
    assert "another recipe: max_lr 0.003 → 0.01" in message4 and message4.startswith("Trained")

    _, _, message5 = run(make_model=TanhNet, recipe=faster)
    assert message5 == ("Trained a new model (../data/models/lecture-net.pt was trained with "
                        "another network); saved it to ../data/models/lecture-net.pt.")

    _, _, message6 = run(make_model=lambda: LectureNet(c1=16), recipe=faster)
    assert "was trained with another network)" in message6  # not "other initial weights" too

    def other_loop(model, data, recipe):
        return fit(model, data, recipe, progress=False)

    _, _, message7 = run(make_model=lambda: LectureNet(c1=16), fit_fn=other_loop, recipe=faster)
    assert "was trained with another training loop (fit))" in message7

    path.write_bytes(b"corrupt")
    _, _, message8 = run()
    assert "is not a readable checkpoint" in message8


def test_train_or_load_wants_a_module(tmp_path, data):
    with pytest.raises(TypeError, match=r"make_model\(\) must return an nn.Module, got str"):
        train_or_load(lambda: "net", quiet_fit, data, RECIPE, path=tmp_path / "x.pt")
