"""Every explorer's latency in the browser: from a learner's action to the new picture.

    tools/ensure_chromium.sh
    .venv/bin/python benchmarks/bench_explorers_browser.py [--repeats 40]

Runs tests/browser/test_explorers_in_lab.py::test_latency with real data
(``COURSE_EXPLORER_BENCH=1``: MNIST test digits, an untrained LectureNet, which costs what the
trained one does, SqueezeNet, two JPEG photos, a 16-value signal and a 3-tap kernel for the 1d
stepper) in JupyterLab in headless Chromium, and prints
test-artifacts/explorer-latency-browser.md: per explorer, the median and 95th percentile
of the time from the event's time stamp in the page (a key press on a slider, a typed number,
a chosen file) to the first frame after the redraw. Changes the page answers alone are timed
apart from those that need the kernel (another digit, another photo).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REPORT = ROOT / "test-artifacts" / "explorer-latency-browser.md"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=40, help="changes per explorer")
    args = parser.parse_args(argv)
    env = dict(os.environ, COURSE_EXPLORER_BENCH="1", COURSE_LATENCY_REPEATS=str(args.repeats))
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
         "tests/browser/test_explorers_in_lab.py::test_latency"], cwd=ROOT, env=env, check=False)
    if done.returncode == 0:
        print(REPORT.read_text())
    return done.returncode


if __name__ == "__main__":
    raise SystemExit(main())
