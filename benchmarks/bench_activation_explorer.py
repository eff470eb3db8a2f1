"""The activation-map explorer's kernel side: another test digit, a drawing (notebook 07).

    .venv/bin/python benchmarks/bench_activation_explorer.py

Another digit needs the kernel: the network runs, and the maps of conv1 and conv2, their
inputs and the ten probabilities go to the page (the layer, the map and the unit are chosen in
the page alone: benchmarks/bench_explorers_browser.py). So does a drawing, in JupyterLab: the
pad's ink arrives, course_utils.digits makes it an MNIST digit, the network runs. (On a page
without a kernel the page does both itself: benchmarks/bench_network_in_page.py.) Uses the
trained model saved in the data folder when there is one (else random weights: the work is the
same) and the first 1,000 test digits, as the notebook does.
"""

from __future__ import annotations

import numpy as np
import torch
from timing import report, time_changes

from course_utils.checkpoints import CheckpointError, default_checkpoint, load_checkpoint
from course_utils.digits import PAD
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
    changes = [lambda i=index: setattr(explorer, "index", i * 31) for index in range(1, 33)]
    print(report(f"activation explorer ({source}), another digit", *time_changes(changes)))
    ink = np.zeros((PAD, PAD), dtype=np.uint8)

    def stroke(n: int) -> None:  # a stroke grows by one more row of ink
        ink[10 + n, 40:50] = 255
        explorer.ink = ink.tobytes()

    strokes = [lambda n=n: stroke(n) for n in range(34)]
    print(report(f"activation explorer ({source}), a drawing's ink", *time_changes(strokes)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
