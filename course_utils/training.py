"""Training a network on MNIST held in memory: data, loop, evaluation, checkpoints (notebook 07).

The whole of MNIST fits in memory as float tensors (60,000×1×28×28 is 188 MB), so a minibatch
is a slice of a shuffled index, with no per-sample Python work. :func:`fit` trains with AdamW
and a one-cycle learning-rate schedule and keeps the loss and accuracy curves;
:func:`save_checkpoint` / :func:`load_checkpoint` store the weights with metadata (test
accuracy, seed, torch version, architecture) and refuse a file that is corrupt or was made for
another network; :func:`train_or_load` reuses a valid saved model and retrains otherwise.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import nn
from torch.nn import functional as F

from course_utils.data import data_dir, mnist_tensors

MNIST_MEAN = 0.1307
MNIST_STD = 0.3081
CHECKPOINT_FORMAT = 1


def pick_device(prefer: str | None = None) -> torch.device:
    """The one device the course trains on: CUDA when available, else the CPU.

    ``prefer`` ("cpu" or "cuda") forces a choice; "cuda" without a GPU raises ValueError.
    """
    if prefer is None:
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if prefer not in ("cpu", "cuda"):
        raise ValueError(f"prefer must be None, 'cpu' or 'cuda', got {prefer!r}")
    if prefer == "cuda" and not torch.cuda.is_available():
        raise ValueError("prefer='cuda' but torch.cuda.is_available() is False")
    return torch.device(prefer)


def normalise(images: torch.Tensor) -> torch.Tensor:
    """uint8 images ``N×28×28`` (0..255) to float32 ``N×1×28×28``, mean 0 and std 1 on MNIST."""
    if not isinstance(images, torch.Tensor):
        raise TypeError(f"expected a torch.Tensor of images, got {type(images).__name__}")
    if images.dtype != torch.uint8 or images.dim() != 3:
        raise ValueError(
            f"expected uint8 images of shape N×H×W, got {images.dtype} of shape "
            f"{tuple(images.shape)}"
        )
    x = images.float()  # a new tensor: normalise it in place to keep memory low
    return x.div_(255.0).sub_(MNIST_MEAN).div_(MNIST_STD).unsqueeze(1)


@dataclass
class MnistData:
    """MNIST as four tensors on one device: images ``N×1×28×28`` float32, labels ``N`` int64."""

    train_x: torch.Tensor
    train_y: torch.Tensor
    test_x: torch.Tensor
    test_y: torch.Tensor

    def to(self, device) -> MnistData:
        return MnistData(*(t.to(device) for t in self.tensors()))

    def tensors(self) -> tuple[torch.Tensor, ...]:
        return self.train_x, self.train_y, self.test_x, self.test_y


def mnist_data(device=None, n_train: int | None = None, n_test: int | None = None) -> MnistData:
    """The normalised MNIST training (60,000) and test (10,000) sets as tensors on ``device``.

    ``n_train`` / ``n_test`` keep only the first images (for quick tests).
    """
    train_images, train_labels = mnist_tensors(train=True)
    test_images, test_labels = mnist_tensors(train=False)
    train_x, test_x = normalise(train_images[:n_train]), normalise(test_images[:n_test])
    data = MnistData(train_x, train_labels[:n_train].clone(), test_x, test_labels[:n_test].clone())
    return data.to(device) if device is not None else data


def _check_xy(x, y, name: str = "x") -> None:
    if not isinstance(x, torch.Tensor) or not isinstance(y, torch.Tensor):
        raise TypeError(
            f"expected tensors {name} and labels, got {type(x).__name__} and {type(y).__name__}"
        )
    if x.dim() != 4 or y.dim() != 1 or len(x) != len(y):
        raise ValueError(
            f"expected images N×C×H×W and labels N, got shapes {tuple(x.shape)} and "
            f"{tuple(y.shape)}"
        )


@torch.no_grad()
def predict(model: nn.Module, x: torch.Tensor, batch_size: int = 1000) -> torch.Tensor:
    """Class scores ``N×10`` of ``model`` on images ``N×1×28×28`` (eval mode, in batches)."""
    if not isinstance(x, torch.Tensor) or x.dim() != 4:
        raise ValueError(f"expected images N×C×H×W, got {getattr(x, 'shape', type(x))}")
    was_training = model.training
    model.eval()
    try:
        return torch.cat([model(x[i : i + batch_size]) for i in range(0, len(x), batch_size)])
    finally:
        model.train(was_training)


def evaluate(model: nn.Module, x: torch.Tensor, y: torch.Tensor, batch_size: int = 1000) -> float:
    """Fraction of images ``x`` (``N×1×28×28``) whose predicted class equals ``y`` (``N``)."""
    _check_xy(x, y)
    return (predict(model, x, batch_size).argmax(1) == y).float().mean().item()


@dataclass
class History:
    """Curves of one training run: the loss every ``log_every`` steps, accuracies per epoch."""

    steps: list[int] = field(default_factory=list)
    loss: list[float] = field(default_factory=list)
    epoch_train_accuracy: list[float] = field(default_factory=list)
    epoch_test_accuracy: list[float] = field(default_factory=list)
    steps_per_epoch: int = 0
    seconds: float = 0.0

    def as_dict(self) -> dict:
        return {
            "steps": list(self.steps),
            "loss": list(self.loss),
            "epoch_train_accuracy": list(self.epoch_train_accuracy),
            "epoch_test_accuracy": list(self.epoch_test_accuracy),
            "steps_per_epoch": self.steps_per_epoch,
            "seconds": self.seconds,
        }

    @classmethod
    def from_dict(cls, d: dict) -> History:
        return cls(**{k: d[k] for k in cls().as_dict()})


def fit(
    model: nn.Module,
    data: MnistData,
    epochs: int = 2,
    batch_size: int = 128,
    max_lr: float = 3e-3,
    weight_decay: float = 1e-4,
    seed: int = 0,
    progress: bool = True,
    log_every: int = 20,
    step_callback: Callable[[int, float], None] | None = None,
) -> History:
    """Train ``model`` on ``data.train_x`` (``N×1×28×28``) / ``data.train_y`` (``N``).

    AdamW with a one-cycle schedule peaking at ``max_lr``; minibatches of ``batch_size`` taken
    from a permutation drawn by a generator seeded with ``seed + epoch`` (same seed, same run).
    After each epoch the test accuracy on ``data.test_x`` / ``data.test_y`` is recorded.
    ``progress`` shows a ``tqdm.auto`` bar per epoch.
    """
    _check_xy(data.train_x, data.train_y, "train_x")
    for name, value in (("epochs", epochs), ("batch_size", batch_size), ("log_every", log_every)):
        if not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be a positive int, got {value!r}")
    n = len(data.train_x)
    steps_per_epoch = math.ceil(n / batch_size)
    optimizer = torch.optim.AdamW(model.parameters(), lr=max_lr, weight_decay=weight_decay)
    schedule = torch.optim.lr_scheduler.OneCycleLR(
        optimizer, max_lr=max_lr, epochs=epochs, steps_per_epoch=steps_per_epoch
    )
    history = History(steps_per_epoch=steps_per_epoch)
    start = time.perf_counter()
    step = 0
    model.train()
    for epoch in range(epochs):
        generator = torch.Generator().manual_seed(seed * 1000 + epoch)
        order = torch.randperm(n, generator=generator).to(data.train_x.device)
        batches = range(0, n, batch_size)
        if progress:
            from tqdm.auto import tqdm

            batches = tqdm(batches, desc=f"epoch {epoch + 1}/{epochs}", unit="batch", leave=True)
        correct = torch.zeros((), dtype=torch.long, device=data.train_x.device)
        for i in batches:
            index = order[i : i + batch_size]
            x, y = data.train_x[index], data.train_y[index]
            scores = model(x)
            loss = F.cross_entropy(scores, y)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            schedule.step()
            correct += (scores.detach().argmax(1) == y).sum()
            if step % log_every == 0:
                history.steps.append(step)
                history.loss.append(loss.item())
            if step_callback is not None:
                step_callback(step, loss.item())
            step += 1
        history.epoch_train_accuracy.append(correct.item() / n)
        history.epoch_test_accuracy.append(evaluate(model, data.test_x, data.test_y))
        model.train()
    history.seconds = time.perf_counter() - start
    return history


def architecture(model: nn.Module) -> dict[str, list[int]]:
    """The network's fingerprint: each state-dict entry's name and shape."""
    return {name: list(t.shape) for name, t in model.state_dict().items()}


class CheckpointError(ValueError):
    """A saved model cannot be used: missing, corrupt, or made for another network."""


def save_checkpoint(path, model: nn.Module, **metadata) -> Path:
    """Save ``model``'s state dict with ``metadata`` (accuracy, seed, ...) to ``path``.

    The torch version, the architecture fingerprint and the model's class name are added.
    The file is written beside the target first and then moved, so it is never half written.
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


def load_checkpoint(path, model: nn.Module, min_accuracy: float | None = None) -> dict:
    """Load the weights saved at ``path`` into ``model`` and return their metadata.

    Raises :class:`CheckpointError` (a ValueError) saying why when the file is missing, cannot
    be read, lacks weights or metadata, was saved for another architecture, or records a test
    accuracy below ``min_accuracy``. ``model`` is left unchanged in that case.
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
        raise CheckpointError(f"{path} has format {meta.get('format')!r}, expected 1")
    expected = architecture(model)
    got = {k: list(v.shape) for k, v in state.items()} if isinstance(state, dict) else None
    if got != expected or meta.get("architecture") != expected:
        raise CheckpointError(
            f"{path} was saved for another architecture ({meta.get('model_class')!r}, "
            f"{len(got or {})} tensors) than {type(model).__name__}"
        )
    if min_accuracy is not None and not meta.get("test_accuracy", 0.0) >= min_accuracy:
        raise CheckpointError(
            f"{path} records test accuracy {meta.get('test_accuracy')!r}, "
            f"below the required {min_accuracy}"
        )
    model.load_state_dict(state)
    return meta


def default_checkpoint(name: str = "lecture-net.pt") -> Path:
    """Where the course keeps a trained model: ``data_dir()/models/<name>``."""
    return data_dir() / "models" / name


def train_or_load(
    make_model: Callable[[], nn.Module],
    data: MnistData,
    path=None,
    seed: int = 0,
    min_accuracy: float = 0.99,
    device=None,
    **fit_kwargs,
) -> tuple[nn.Module, dict, str]:
    """A trained model: the one saved at ``path`` if valid, else a freshly trained one.

    Returns ``(model, metadata, message)``; the message says whether the model was reused or
    trained, and why it was retrained. ``metadata`` holds ``test_accuracy``, ``seed``,
    ``torch_version`` and the training ``history`` (as a dict), whichever way it came.
    """
    path = Path(path) if path is not None else default_checkpoint()
    device = torch.device(device) if device is not None else data.train_x.device
    model = make_model()
    try:
        meta = load_checkpoint(path, model, min_accuracy=min_accuracy)
        if meta.get("seed") != seed:
            raise CheckpointError(f"{path} was trained with seed {meta.get('seed')}, not {seed}")
    except CheckpointError as err:
        torch.manual_seed(seed)
        model = make_model().to(device)
        history = fit(model, data, seed=seed, **fit_kwargs)
        accuracy = evaluate(model, data.test_x, data.test_y)
        save_checkpoint(
            path,
            model,
            test_accuracy=accuracy,
            seed=seed,
            history=history.as_dict(),
            device=str(device),
        )
        meta = load_checkpoint(path, make_model())
        message = f"Trained a new model ({err}); saved it to {path}."
    else:
        model = model.to(device)
        message = f"Reused the model saved at {path} (trained with torch {meta['torch_version']})."
    return model, meta, message
