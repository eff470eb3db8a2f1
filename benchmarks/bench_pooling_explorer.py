"""Median redraw time of the pooling explorer (goal: at most 100 ms per redraw).

    .venv/bin/python benchmarks/bench_pooling_explorer.py

Times 30 control changes (digit, kernel, stride, max/avg) in the kernel, no browser; a redraw
is the draw call plus the PNG encoding, as ``Explorer.redraw`` measures it (wall clock). The
CPU time is printed too: on a shared, busy machine it better estimates the unloaded wall time.
"""

from __future__ import annotations

import statistics
import time

from course_utils.data import mnist_tensors
from course_utils.widgets.pooling_explorer import PoolingExplorer


def main() -> None:
    images, _ = mnist_tensors(train=False)
    explorer = PoolingExplorer(images[:100])
    explorer.redraw()  # warm up fonts and caches
    explorer.redraw_seconds.clear()
    changes = [("digit", 1), ("kernel", 3), ("stride", 1), ("mode", "avg"), ("digit", 7),
               ("kernel", 2), ("stride", 2), ("mode", "max"), ("kernel", 4), ("stride", 3)]
    cpu = []
    for name, value in changes * 3:
        start = time.process_time()
        explorer.controls[name].value = value
        cpu.append(time.process_time() - start)
    wall = 1000 * statistics.median(explorer.redraw_seconds)
    print(f"pooling explorer: median redraw {wall:.0f} ms wall, "
          f"{1000 * statistics.median(cpu):.0f} ms CPU over {len(explorer.redraw_seconds)} changes")


if __name__ == "__main__":
    main()
