"""Peak memory of processes and all their descendants, sampled in a thread.

The memory tests (notebooks in JupyterLab, tests/browser; notebook 07's DDP cell with spawned
ranks, tests/test_distributed.py) compare it with Binder's 2 GB. A kernel's own peak (VmHWM)
misses the processes it starts (DDP ranks, DataLoader workers), so the tree is sampled. Each
process counts its PSS (proportional set size: pages shared between processes, such as torch's
libraries, are split among them; RSS where the system has no PSS), so the sum is what the
machine, or Binder's cgroup, really holds, not a multiple count of shared libraries.
"""

from __future__ import annotations

import threading

import psutil


class TreeMemory:
    """Samples, from construction on, the memory of ``roots`` and all their descendants.

    ``peak`` is the largest total seen, in bytes; ``stop()`` ends the sampling and returns it.
    Also a context manager (``with TreeMemory(process) as memory: ...``) that stops on exit.
    """

    def __init__(self, *roots: psutil.Process, every: float = 0.25):
        self.roots, self.every, self.peak = roots, every, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _total(self) -> int:
        total = 0
        for root in self.roots:
            try:
                tree = [root, *root.children(recursive=True)]
            except psutil.Error:  # the root has ended
                continue
            for process in tree:
                try:
                    info = process.memory_full_info()
                except psutil.Error:  # ended meanwhile
                    continue
                total += getattr(info, "pss", info.rss)
        return total

    def _sample(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self._total())
            self._stop.wait(self.every)

    def stop(self) -> int:
        """Stop sampling; the largest total seen, in bytes."""
        self._stop.set()
        self._thread.join(timeout=5)
        return self.peak

    def __enter__(self) -> TreeMemory:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()
