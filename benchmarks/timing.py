"""Timing the kernel's side of the explorers (the benchmarks' shared part).

Each explorer draws in the browser; what is left in the kernel is the answer to a change that
needs it (another digit: torch runs and the data is serialised for the page). ``time_changes``
applies changes to an explorer's traits, as the page's messages would, and times each one in
wall-clock and CPU time (on a shared, busy machine the CPU time is the better estimate of the
wall time an idle one would show).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Iterable


def time_changes(changes: Iterable[Callable[[], object]], warm_up: int = 2) -> tuple[list, list]:
    """Milliseconds (wall, CPU) of each change after the first ``warm_up`` ones."""
    wall, cpu = [], []
    for n, change in enumerate(changes):
        start, start_cpu = time.perf_counter(), time.process_time()
        change()
        if n >= warm_up:
            wall.append(1000 * (time.perf_counter() - start))
            cpu.append(1000 * (time.process_time() - start_cpu))
    return wall, cpu


def report(what: str, wall: list[float], cpu: list[float]) -> str:
    """One line: median and 95th percentile of the wall time, median CPU time."""
    p95 = statistics.quantiles(wall, n=20, method="inclusive")[-1]
    return (f"{what}: median {statistics.median(wall):.1f} ms, p95 {p95:.1f} ms wall "
            f"({statistics.median(cpu):.1f} ms CPU) over {len(wall)} changes")
