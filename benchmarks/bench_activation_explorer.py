"""Redraw latency of the activation-map explorer (notebook 07): median over 30 digit changes.

    python benchmarks/bench_activation_explorer.py

Uses the trained model saved in the data folder when there is one (else random weights: the
drawing costs the same) and the first 1,000 test digits, as the notebook does.
"""

from __future__ import annotations

import statistics

import torch

from course_utils.checkpoints import CheckpointError, default_checkpoint, load_checkpoint
from course_utils.models import LectureNet
from course_utils.training import mnist_data
from course_utils.widgets.activation_explorer import ActivationExplorer


def main() -> int:
    torch.manual_seed(0)
    model = LectureNet()
    try:
        load_checkpoint(default_checkpoint(), model)
        source = "trained model"
    except CheckpointError:
        source = "random weights"
    data = mnist_data(n_train=1, n_test=1000)
    explorer = ActivationExplorer(model, data.test_x, data.test_y)
    explorer.redraw_seconds.clear()
    for index in range(1, 31):
        explorer.controls["index"].value = index * 31
    times = sorted(explorer.redraw_seconds)
    print(f"{source}, {len(times)} redraws")
    print(f"median {1000 * statistics.median(times):.0f} ms, max {1000 * times[-1]:.0f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
