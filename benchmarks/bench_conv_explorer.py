"""The conv-arithmetic explorer's kernel side: PyTorch's check of each geometry (notebook 03).

    .venv/bin/python benchmarks/bench_conv_explorer.py

The page redraws every change itself (benchmarks/bench_explorers_browser.py times that); the
kernel only runs the geometry through a real ``F.conv2d`` / ``F.conv_transpose2d`` and sends
the shape back. This times that answer over 30 geometry changes.
"""

from __future__ import annotations

import itertools

from timing import report, time_changes

from course_utils.widgets.conv_explorer import ConvExplorer

GEOMETRY = [("height", 8), ("width", 11), ("kernel", [5, 3]), ("stride", [2, 1]),
            ("padding", [2, 2]), ("dilation", [2, 1]), ("transposed", True), ("height", 12),
            ("width", 16), ("kernel", [3, 3]), ("stride", [1, 1]), ("padding", [1, 1]),
            ("dilation", [1, 1]), ("transposed", False), ("width", 7)]


def main() -> None:
    explorer = ConvExplorer(height=12, width=12, kernel=3, stride=1, padding=1)
    changes = [lambda n=name, v=value: setattr(explorer, n, v)
               for name, value in itertools.islice(itertools.cycle(GEOMETRY), 32)]
    print(report("conv explorer, PyTorch's check of a geometry", *time_changes(changes)))


if __name__ == "__main__":
    main()
