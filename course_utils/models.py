"""The course's own networks: the lecture's MNIST convnet and LeNet-5 (notebooks 05 to 08), and
pytorch/examples' MNIST network, the benchmark notebook 07 compares its recipe with."""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F


class LectureNet(nn.Module):
    """The lecture's MNIST convnet: ``N×1×28×28`` images to ``N×10`` class scores.

    conv 1→c1 5×5, max-pool 3, relu, conv c1→c2 5×5, max-pool 2, relu, view c2·2·2 values,
    fc →hidden, relu, fc hidden→10. The defaults are the lecture's widths (32, 64, 200):
    105,506 parameters. Notebook 06 prints this class, notebook 07 trains it and varies it.
    """

    def __init__(self, c1: int = 32, c2: int = 64, hidden: int = 200):
        super().__init__()
        for name, width in (("c1", c1), ("c2", c2), ("hidden", hidden)):
            if not isinstance(width, int) or width < 1:
                raise ValueError(f"{name} must be a positive int, got {width!r}")
        self.conv1 = nn.Conv2d(1, c1, kernel_size=5)
        self.conv2 = nn.Conv2d(c1, c2, kernel_size=5)
        self.fc1 = nn.Linear(c2 * 2 * 2, hidden)
        self.fc2 = nn.Linear(hidden, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() != 4 or tuple(x.shape[1:]) != (1, 28, 28):
            raise ValueError(f"expected images N×1×28×28, got shape {tuple(x.shape)}")
        x = F.relu(F.max_pool2d(self.conv1(x), kernel_size=3, stride=3))
        x = F.relu(F.max_pool2d(self.conv2(x), kernel_size=2, stride=2))
        x = x.view(-1, self.fc1.in_features)
        x = F.relu(self.fc1(x))
        return self.fc2(x)


class LeNet5(nn.Module):
    """LeNet-5 as the lecture prints it: ``N×1×28×28`` to ``N×10`` (61,706 parameters).

    The lecture's printout feeds 400 = 16×5×5 features to the classifier, which a 28×28 input
    only gives if the first convolution pads by 2 (LeNet-5 was designed for 32×32 images):
    without padding the features are 16×4×4 = 256. So ``conv1`` here has ``padding=2``.
    """

    def __init__(self, num_classes: int = 10):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 6, kernel_size=5, padding=2),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=2),
            nn.Conv2d(6, 16, kernel_size=5),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=2),
        )
        self.classifier = nn.Sequential(
            nn.Linear(400, 120),
            nn.ReLU(inplace=True),
            nn.Linear(120, 84),
            nn.ReLU(inplace=True),
            nn.Linear(84, num_classes),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() != 4 or tuple(x.shape[1:]) != (1, 28, 28):
            raise ValueError(f"expected images N×1×28×28, got shape {tuple(x.shape)}")
        return self.classifier(self.features(x).flatten(1))


class ExamplesNet(nn.Module):
    """pytorch/examples' MNIST network: ``N×1×28×28`` to ``N×10`` log-probabilities.

    conv 1→32 3×3, relu, conv 32→64 3×3, relu, max-pool 2, dropout 0.25, fc 9216→128, relu,
    dropout 0.5, fc 128→10, log-softmax: 1,199,882 parameters. The reference recipe of
    ``benchmarks/bench_mnist_training.py``; notebook 07 counts its products.
    """

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 3, 1)
        self.conv2 = nn.Conv2d(32, 64, 3, 1)
        self.dropout1 = nn.Dropout(0.25)
        self.dropout2 = nn.Dropout(0.5)
        self.fc1 = nn.Linear(9216, 128)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() != 4 or tuple(x.shape[1:]) != (1, 28, 28):
            raise ValueError(f"expected images N×1×28×28, got shape {tuple(x.shape)}")
        x = F.relu(self.conv1(x))
        x = F.relu(self.conv2(x))
        x = self.dropout1(F.max_pool2d(x, 2))
        x = self.dropout2(F.relu(self.fc1(torch.flatten(x, 1))))
        return F.log_softmax(self.fc2(x), dim=1)
