"""How long each notebook takes to run, and to present: the figures of README's "For teachers".

- run: the notebook executed top to bottom in a fresh kernel by nbclient (what Run All does),
  wall-clock seconds, kernel start included; notebook 07 reuses its saved model when data/
  holds one (as in class after the first run) and trains otherwise;
- slides: slides and sub-slides, from the slide metadata tools/slides.py writes;
- present: an estimate, ``MINUTES_PER_SLIDE`` minutes per slide or sub-slide (a common rule of
  thumb for a lecture deck; the course's slides are short), exercises' class time not included;
- exercises: how many exercise cells the notebook has.

    python benchmarks/bench_teaching_times.py [NOTEBOOK...] [--markdown]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))

import editions  # noqa: E402
import slides  # noqa: E402

MINUTES_PER_SLIDE = 2


def run_seconds(path: Path) -> tuple[float, int]:
    """Wall-clock seconds to run the notebook top to bottom in a fresh kernel, and how many
    cells failed (a timing assert can fail on a busy machine; the run goes on)."""
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb,
        timeout=900,
        kernel_name="python3",
        allow_errors=True,
        resources={"metadata": {"path": str(path.parent)}},
    )
    start = time.perf_counter()
    client.execute()
    seconds = time.perf_counter() - start
    errors = sum(
        o.output_type == "error" for c in nb.cells if c.cell_type == "code" for o in c.outputs
    )
    return seconds, errors


def row(path: Path) -> dict:
    nb = nbformat.read(path, as_version=4)
    count, subslides = slides.count(nb)
    seconds, errors = run_seconds(path)
    return {
        "notebook": path.stem,
        "run_s": seconds,
        "cells_failed": errors,
        "slides": count + subslides,
        "present_min": MINUTES_PER_SLIDE * (count + subslides),
        "exercises": len(editions.exercises(nb)),
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path)
    parser.add_argument("--markdown", action="store_true", help="print a markdown table")
    args = parser.parse_args(argv)
    paths = args.notebooks or sorted((ROOT / "notebooks").glob("*.ipynb"))
    if args.markdown:
        print("| notebook | slides | present (min, est.) | run (s) | cells failed | exercises |")
        print("|---|---:|---:|---:|---:|---:|")
    for path in paths:
        r = row(path)
        if args.markdown:
            print(
                f"| {r['notebook']} | {r['slides']} | {r['present_min']} | {r['run_s']:.0f} "
                f"| {r['cells_failed']} | {r['exercises']} |",
                flush=True,
            )
        else:
            print(r, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
