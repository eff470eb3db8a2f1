"""Median redraw time of the conv-arithmetic explorer (goal: at most 100 ms per redraw).

    .venv/bin/python benchmarks/bench_conv_explorer.py

Times ~30 control changes of each kind, in the kernel (no browser): moving the output position
(what Play does; the drawing is reused and only the kernel's footprint moves) and changing the
geometry (size, kernel, stride, padding, dilation, mode; the drawing is rebuilt). A redraw is
the draw call plus the PNG encoding, as ``Explorer.redraw`` measures it (wall clock). The
CPU time of the same redraws is printed too: on a shared, busy machine it is the better
estimate of the wall time an unloaded machine would show.
"""

from __future__ import annotations

import itertools
import statistics
import time

from course_utils.widgets.conv_explorer import ConvExplorer

GEOMETRY = [("height", 8), ("width", 11), ("kernel", 5), ("stride", 2), ("padding", 2),
            ("dilation", 2), ("height", 12), ("width", 16), ("kernel", 3), ("stride", 1),
            ("padding", 1), ("dilation", 1), ("mode", "1d"), ("mode", "2d"), ("width", 7)]


def median_ms(explorer: ConvExplorer, changes) -> tuple[float, float]:
    """Median wall-clock and CPU milliseconds per redraw over ``changes``."""
    explorer.redraw_seconds.clear()
    cpu = []
    for name, value in changes:
        start = time.process_time()
        explorer.controls[name].value = value
        cpu.append(time.process_time() - start)
    return 1000 * statistics.median(explorer.redraw_seconds), 1000 * statistics.median(cpu)


def main() -> None:
    explorer = ConvExplorer(height=12, width=12, kernel=3, stride=1, padding=1)
    explorer.redraw()  # warm up fonts and caches
    positions = [("position", p) for p in range(1, 31)]
    geometry = list(itertools.islice(itertools.cycle(GEOMETRY), 30))
    for what, changes in [("position change (Play)", positions), ("geometry change", geometry)]:
        wall, cpu = median_ms(explorer, changes)
        print(f"conv explorer, {what:<22}: median {wall:4.0f} ms wall, {cpu:4.0f} ms CPU "
              f"over {len(changes)} changes")


if __name__ == "__main__":
    main()
