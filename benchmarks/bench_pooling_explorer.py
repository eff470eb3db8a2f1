"""The pooling explorer's kernel side: sending another digit (notebook 04).

    .venv/bin/python benchmarks/bench_pooling_explorer.py

Kernel, stride, max/average and the chosen cell are answered by the page alone
(benchmarks/bench_explorers_browser.py); another digit comes from the kernel. This times that
answer over 30 digits of the MNIST test set, and the building of the explorer, which includes
the bank of digits it sends for a page without a kernel (its size is printed too).
"""

from __future__ import annotations

from timing import report, time_changes

from course_utils.data import mnist_tensors
from course_utils.widgets.pooling_explorer import PoolingExplorer


def main() -> None:
    images, _ = mnist_tensors(train=False)
    builds = [lambda: PoolingExplorer(images[:100], digit=12) for _ in range(12)]
    print(report("pooling explorer, built (with its bank)", *time_changes(builds)))
    explorer = PoolingExplorer(images[:100])
    print(f"pooling explorer, bank: {len(explorer.bank)} digits, "
          f"{len(explorer.bank_images):,} bytes")
    changes = [lambda d=digit: setattr(explorer, "digit", d) for digit in range(1, 33)]
    print(report("pooling explorer, another digit", *time_changes(changes)))


if __name__ == "__main__":
    main()
