"""The filter editor's kernel side: another digit, and torch's response to a typed filter.

    .venv/bin/python benchmarks/bench_filter_editor.py [--changes 30]

The page recomputes the response while you type (benchmarks/bench_explorers_browser.py times
that); the kernel then sends torch's response, which replaces it, and sends the pixels and
the response of another digit when asked. This times both answers on the first 1,000 MNIST
training digits, as notebook 02 uses them, and the building of the explorer, which includes
the bank of digits it sends for a page without a kernel (its size is printed too).
"""

from __future__ import annotations

import argparse
import itertools

from timing import report, time_changes

from course_utils.data import mnist_tensors
from course_utils.widgets.filter_editor import FilterEditor


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--changes", type=int, default=30)
    args = parser.parse_args(argv)
    images = mnist_tensors(train=True)[0][:1000]
    builds = [lambda: FilterEditor(images) for _ in range(12)]
    print(report("filter editor, built (with its bank)", *time_changes(builds)))
    editor = FilterEditor(images)
    print(f"filter editor, bank: {len(editor.bank)} digits, {len(editor.bank_images):,} bytes")
    digits = [lambda d=digit: setattr(editor, "index", d) for digit in range(args.changes + 2)]
    print(report("filter editor, another digit", *time_changes(digits)))
    numbers = itertools.cycle([2.0, -1.0, 0.5, 3.0, -2.5])
    typed = [lambda n=n: setattr(editor, "weights", [*editor.weights[:n % 9], next(numbers),
                                                      *editor.weights[n % 9 + 1:]])
             for n in range(args.changes + 2)]
    print(report("filter editor, torch's response to a typed weight", *time_changes(typed)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
