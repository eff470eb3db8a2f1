"""An easy stand-in for MNIST in the training tests: a bright square at one of 10 places."""

from __future__ import annotations

import torch

from course_utils.training import MnistData


def squares(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """``n`` noisy ``1×28×28`` images, each with a bright 6×6 square; the label is its place."""
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(0, 10, (n,), generator=g)
    x = torch.randn(n, 1, 28, 28, generator=g) * 0.3
    for i, label in enumerate(y.tolist()):
        r, c = divmod(label, 5)
        x[i, 0, 4 + 12 * r : 10 + 12 * r, 2 + 5 * c : 8 + 5 * c] += 2.0
    return x, y


def squares_data(n_train: int, n_val: int, n_test: int) -> MnistData:
    """Training, validation and test squares, each set drawn with its own seed (0, 1, 2)."""
    return MnistData(*squares(n_train, 0), *squares(n_val, 1), *squares(n_test, 2))
