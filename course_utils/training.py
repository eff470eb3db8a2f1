"""Training on MNIST held in memory: the data, the recipe, the loop, evaluation (notebook 07).

The whole of MNIST fits in memory as float tensors (60,000×1×28×28 is 188 MB), so a minibatch
is a slice of a shuffled index, with no per-sample Python work. :func:`mnist_data` holds out a
validation set from the training digits; :func:`fit` is the loop notebook 07 teaches (the same
text: the tests compare them), driven by a :class:`Recipe` and recording a :class:`History`.
Saving and reusing trained models: ``course_utils.checkpoints``.
"""

from __future__ import annotations

import math
import sys
import time
from dataclasses import asdict, dataclass, field

import torch
from torch import nn
from torch.nn import functional as F
from tqdm import tqdm

from course_utils.data import mnist_tensors

MNIST_MEAN = 0.1307
MNIST_STD = 0.3081
VALIDATION = 5_000  # training digits held out to watch training and choose a recipe


def pick_device(prefer: str | None = None) -> torch.device:
    """The one device the course trains on: CUDA when available, else the CPU.

    ``prefer`` ("cpu" or "cuda") forces a choice; "cuda" without a GPU raises ValueError. A GPU
    comes with its index (``cuda:0``), as tensors report theirs, so ``x.device == device`` holds.
    """
    if prefer not in (None, "cpu", "cuda"):
        raise ValueError(f"prefer must be None, 'cpu' or 'cuda', got {prefer!r}")
    if prefer == "cuda" and not torch.cuda.is_available():
        raise ValueError("prefer='cuda' but torch.cuda.is_available() is False")
    if prefer == "cpu" or not torch.cuda.is_available():
        return torch.device("cpu")
    return torch.device("cuda", torch.cuda.current_device())


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
    """MNIST on one device: images ``N×1×28×28`` float32 and labels ``N`` int64, three sets.

    ``train_*`` are learned from, ``val_*`` (held out from MNIST's training digits) watch
    training and choose between recipes, ``test_*`` are scored once, at the end.
    """

    train_x: torch.Tensor
    train_y: torch.Tensor
    val_x: torch.Tensor
    val_y: torch.Tensor
    test_x: torch.Tensor
    test_y: torch.Tensor

    def to(self, device) -> MnistData:
        return MnistData(*(t.to(device) for t in self.tensors()))

    def tensors(self) -> tuple[torch.Tensor, ...]:
        return self.train_x, self.train_y, self.val_x, self.val_y, self.test_x, self.test_y


def mnist_data(
    device=None,
    validation: int = VALIDATION,
    seed: int = 0,
    n_train: int | None = None,
    n_test: int | None = None,
) -> MnistData:
    """MNIST normalised, on ``device``: 60,000 training digits split in two, 10,000 test digits.

    ``validation`` training digits, drawn at random with ``seed``, are held out as the
    validation set; the others are the training set (both in MNIST's order). ``n_train`` /
    ``n_test`` keep only the first training / test images (for quick tests).
    """
    images, labels = mnist_tensors(train=True)
    if not isinstance(validation, int) or not 0 <= validation < len(images):
        raise ValueError(
            f"validation must be an int from 0 to {len(images) - 1}, got {validation!r}"
        )
    held_out = torch.zeros(len(images), dtype=torch.bool)
    draw = torch.randperm(len(images), generator=torch.Generator().manual_seed(seed))
    held_out[draw[:validation]] = True
    test_images, test_labels = mnist_tensors(train=False)
    data = MnistData(
        normalise(images[~held_out][:n_train]),
        labels[~held_out][:n_train],
        normalise(images[held_out]),
        labels[held_out],
        normalise(test_images[:n_test]),
        test_labels[:n_test].clone(),
    )
    return data.to(device) if device is not None else data


def _check_xy(x, y) -> None:
    if not isinstance(x, torch.Tensor) or not isinstance(y, torch.Tensor):
        raise TypeError(
            f"expected tensors of images and labels, got {type(x).__name__} and "
            f"{type(y).__name__}"
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


@dataclass(frozen=True)
class Recipe:
    """How :func:`fit` trains: epochs, minibatch size, AdamW, one-cycle schedule, shuffle seed.

    The learning rate climbs to ``max_lr`` and decays again (one cycle over all the steps);
    ``weight_decay`` is AdamW's; ``seed`` seeds the initial weights and the shuffles.
    """

    epochs: int = 2
    batch_size: int = 128
    max_lr: float = 3e-3
    weight_decay: float = 1e-4
    seed: int = 0

    def __post_init__(self):
        for name in ("epochs", "batch_size"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"{name} must be a positive int, got {value!r}")
        if not isinstance(self.max_lr, (int, float)) or not self.max_lr > 0:
            raise ValueError(f"max_lr must be a positive number, got {self.max_lr!r}")
        if not isinstance(self.weight_decay, (int, float)) or not self.weight_decay >= 0:
            raise ValueError(f"weight_decay must be a number >= 0, got {self.weight_decay!r}")
        if not isinstance(self.seed, int) or isinstance(self.seed, bool):
            raise ValueError(f"seed must be an int, got {self.seed!r}")

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass
class History:
    """One training run: the loss and learning rate of every step, validation accuracy per epoch."""

    loss: list[float] = field(default_factory=list)
    lr: list[float] = field(default_factory=list)
    val_accuracy: list[float] = field(default_factory=list)
    steps_per_epoch: int = 0
    seconds: float = 0.0

    def as_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> History:
        return cls(**{k: d[k] for k in cls().as_dict()})


def fit(model: nn.Module, data: MnistData, recipe: Recipe, progress: bool = True) -> History:
    """Train ``model`` on ``data.train_x`` / ``data.train_y`` by ``recipe``; returns its History.

    Records every step's loss and learning rate, and after each epoch the accuracy on
    ``data.val_x`` / ``data.val_y``. Never looks at the test set. Notebook 07 teaches this
    loop; ``course_utils.training.fit`` is the same text (tests/test_training.py checks it).
    """
    n = len(data.train_x)
    steps_per_epoch = math.ceil(n / recipe.batch_size)
    optimizer = torch.optim.AdamW(
        model.parameters(), lr=recipe.max_lr, weight_decay=recipe.weight_decay
    )
    schedule = torch.optim.lr_scheduler.OneCycleLR(
        optimizer, max_lr=recipe.max_lr, epochs=recipe.epochs, steps_per_epoch=steps_per_epoch
    )
    shuffler = torch.Generator().manual_seed(recipe.seed)
    history = History(steps_per_epoch=steps_per_epoch)
    start = time.perf_counter()
    for epoch in range(recipe.epochs):
        bar = tqdm(total=steps_per_epoch, desc=f"epoch {epoch + 1}/{recipe.epochs}", unit="step",
                   file=sys.stdout, mininterval=1, disable=not progress)
        model.train()  # training mode: dropout drops, batch norm uses the minibatch's statistics
        order = torch.randperm(n, generator=shuffler).to(data.train_x.device)
        for first in range(0, n, recipe.batch_size):
            batch = order[first : first + recipe.batch_size]  # this minibatch's digits
            scores = model(data.train_x[batch])  # forward: B×10 class scores
            loss = F.cross_entropy(scores, data.train_y[batch])  # mean loss over the minibatch
            optimizer.zero_grad()  # backward adds to .grad: clear the previous step's
            loss.backward()  # d loss / d parameter, for every parameter
            optimizer.step()  # AdamW moves every parameter
            history.loss.append(loss.item())
            history.lr.append(schedule.get_last_lr()[0])
            schedule.step()  # the learning rate of the next step
            bar.update()
            bar.set_postfix(loss=f"{loss.item():.3f}", refresh=False)
        model.eval()  # evaluation mode: dropout keeps everything, batch norm its running averages
        history.val_accuracy.append(evaluate(model, data.val_x, data.val_y))
        bar.set_postfix(loss=f"{loss.item():.3f}", validation=f"{history.val_accuracy[-1]:.2%}")
        bar.close()
    history.seconds = time.perf_counter() - start
    return history

