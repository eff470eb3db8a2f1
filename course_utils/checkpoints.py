"""Trained models saved with what made them, and reused only by an identical run (notebook 07).

Training the lecture's network takes about a minute on a laptop's CPU, so notebook 07 saves it
in the data folder. The file holds the weights, the training history and the run's
:func:`provenance`: the network's layer table, its initial weights, the recipe, the data and the
source of the training loop. :func:`train_or_load` reuses the file only when all of these equal
the current run's (the initial weights to float32 rounding, :func:`same_initial_weights`), so
changing the network or the recipe trains again.
:func:`load_checkpoint` refuses, with the reason, a file that is missing, corrupt, or made for
another network or run.
"""

from __future__ import annotations

import inspect
import os
from collections.abc import Callable
from pathlib import Path

import torch
from torch import nn

from course_utils.data import data_dir
from course_utils.summary import summarize
from course_utils.training import History, MnistData, Recipe

CHECKPOINT_FORMAT = 3


def architecture(model: nn.Module) -> dict[str, list[int]]:
    """The network's tensors: each state-dict entry's name and shape."""
    return {name: list(t.shape) for name, t in model.state_dict().items()}


# Initial weights drawn on CPUs with and without fused multiply-adds differ in their last bit
# (uniform_ computes low + (high - low) * u); well within these, a digest of the bytes would not.
ROUNDING = {"rtol": 1e-6, "atol": 1e-7}


def same_initial_weights(saved: dict, now: dict) -> bool:
    """Whether two initial state dicts (name → tensor) hold the same tensors, to float32
    rounding (:data:`ROUNDING`): the same draw on two CPUs."""
    if not isinstance(saved, dict) or saved.keys() != now.keys():
        return False
    return all(
        isinstance(saved[k], torch.Tensor) and saved[k].shape == now[k].shape
        and torch.allclose(saved[k].float(), now[k].float(), **ROUNDING)
        for k in now
    )


def provenance(model: nn.Module, fit_fn: Callable, data: MnistData, recipe: Recipe) -> dict:
    """What a training run depends on, to decide whether a saved model can stand in for it.

    The network's layer table (:func:`summarize`), its initial weights (a copy of its state
    dict, on the CPU), the recipe, the data's sizes and label digest, and the source of the loop
    ``fit_fn``.
    """
    initial = {k: t.detach().cpu().clone() for k, t in model.state_dict().items()}
    try:
        loop = inspect.getsource(fit_fn)
    except (OSError, TypeError):  # no source file: compare the compiled code instead
        loop = fit_fn.__code__.co_code.hex()
    return {
        "network": summarize(model, tuple(data.train_x.shape[1:])).text(),
        "initial weights": initial,
        "recipe": recipe.as_dict(),
        "data": [len(data.train_x), len(data.val_x), int(data.train_y.sum())],
        "loop": loop,
    }


WHAT_DIFFERS = {
    "network": "another network",
    "initial weights": "other initial weights",
    "data": "other training or validation digits",
    "loop": "another training loop (fit)",
}


def _same(key: str, old, value) -> bool:
    if key == "initial weights":
        return same_initial_weights(old, value)
    return old == value


def _differences(saved: dict, now: dict) -> str:
    """What differs between two provenances, in words ("" when they are the same run)."""
    parts = []
    for key, value in now.items():
        old = saved.get(key)
        if _same(key, old, value) or (
            key == "initial weights" and saved.get("network") != now["network"]
        ):
            continue  # another network has other initial weights anyway
        if key == "recipe" and isinstance(old, dict):
            changes = [f"{k} {old.get(k)!r} → {v!r}" for k, v in value.items() if old.get(k) != v]
            parts.append(f"another recipe: {', '.join(changes)}")
        else:
            parts.append(WHAT_DIFFERS.get(key, f"another {key}"))
    parts += [f"a {key} this run does not have" for key in saved.keys() - now.keys()]
    return "; ".join(parts)


class CheckpointError(ValueError):
    """A saved model cannot be used: missing, corrupt, or made for another network or run."""


def save_checkpoint(path, model: nn.Module, **metadata) -> Path:
    """Save ``model``'s state dict with ``metadata`` (provenance, history, ...) to ``path``.

    The format, the model's class name, its architecture and the torch version are added. The
    file is written beside the target first and then moved, so it is never half written.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    meta = {
        "format": CHECKPOINT_FORMAT,
        "model_class": type(model).__name__,
        "architecture": architecture(model),
        "torch_version": str(torch.__version__),
        **metadata,
    }
    state = {k: v.detach().cpu() for k, v in model.state_dict().items()}
    partial = path.with_name(path.name + ".partial")
    torch.save({"state_dict": state, "metadata": meta}, partial)
    partial.replace(path)
    return path


def load_checkpoint(path, model: nn.Module, made_by: dict | None = None) -> dict:
    """Load the weights saved at ``path`` into ``model`` and return their metadata.

    Raises :class:`CheckpointError` (a ValueError) saying why when the file is missing, cannot
    be read, lacks weights or metadata, has another format, was saved for another architecture,
    or (given ``made_by``, a :func:`provenance`) by another run. ``model`` is then unchanged.
    """
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"no saved model at {path}")
    try:
        saved = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # any unreadable file is reported the same way
        reason = type(err).__name__
        raise CheckpointError(f"{path} is not a readable checkpoint ({reason})") from err
    if not isinstance(saved, dict) or not {"state_dict", "metadata"} <= set(saved):
        raise CheckpointError(f"{path} holds no state_dict and metadata")
    meta, state = saved["metadata"], saved["state_dict"]
    if meta.get("format") != CHECKPOINT_FORMAT:
        raise CheckpointError(
            f"{path} was saved by another version of the course (format "
            f"{meta.get('format')!r}, expected {CHECKPOINT_FORMAT})"
        )
    if made_by is not None:
        differences = _differences(meta.get("made_by") or {}, made_by)
        if differences:
            raise CheckpointError(f"{path} was trained with {differences}")
    expected = architecture(model)
    got = {k: list(v.shape) for k, v in state.items()} if isinstance(state, dict) else None
    if got != expected or meta.get("architecture") != expected:
        raise CheckpointError(
            f"{path} was saved for another architecture ({meta.get('model_class')!r}, "
            f"{len(got or {})} tensors) than {type(model).__name__}"
        )
    model.load_state_dict(state)
    return meta


def default_checkpoint(name: str = "lecture-net.pt") -> Path:
    """Where the course keeps a trained model: ``data_dir()/models/<name>``."""
    return data_dir() / "models" / name


def train_or_load(
    make_model: Callable[[], nn.Module],
    fit_fn: Callable[[nn.Module, MnistData, Recipe], History],
    data: MnistData,
    recipe: Recipe,
    retrain: bool = False,
    path=None,
) -> tuple[nn.Module, History, str]:
    """``make_model()`` trained by ``fit_fn(model, data, recipe)``, or the model it saved before.

    The model is built after ``torch.manual_seed(recipe.seed)``. The file at ``path`` (default
    :func:`default_checkpoint`) is reused only when ``retrain`` is False and its
    :func:`provenance` equals this run's; otherwise the model is trained and the file replaced.
    Returns ``(model in eval mode, history, message)``: the message says which, and why.
    """
    path = Path(path) if path is not None else default_checkpoint()
    torch.manual_seed(recipe.seed)
    model = make_model()
    if not isinstance(model, nn.Module):
        raise TypeError(f"make_model() must return an nn.Module, got {type(model).__name__}")
    model = model.to(data.train_x.device)
    made_by = provenance(model, fit_fn, data, recipe)
    try:
        if retrain:
            raise CheckpointError("RETRAIN is True")
        meta = load_checkpoint(path, model, made_by=made_by)
    except CheckpointError as reason:
        history = fit_fn(model, data, recipe)
        save_checkpoint(path, model, made_by=made_by, history=history.as_dict())
        why = str(reason).replace(str(path), _shown(path))
        return model.eval(), history, f"Trained a new model ({why}); saved it to {_shown(path)}."
    history = History.from_dict(meta["history"])
    message = (
        f"Reused the model saved at {_shown(path)}: the same network, initial weights, recipe, "
        f"data and loop trained it in {history.seconds:.0f} s (torch {meta['torch_version']}). "
        "Set RETRAIN = True to watch it train again."
    )
    return model.eval(), history, message


def _shown(path: Path) -> str:
    """``path`` relative to the working folder if it is near (``../data/...`` from a notebook)."""
    try:
        relative = os.path.relpath(path)
    except ValueError:  # on another drive (Windows)
        return str(path)
    return relative if relative.count("..") <= 1 else str(path)
