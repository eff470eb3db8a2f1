"""Editions of the notebooks: solved (for the tests) and student (to hand out).

An exercise in a notebook is a code cell tagged ``exercise`` (the learner's stub, ending with the
checker call) followed by one markdown cell tagged ``solution``: a collapsed ``<details>`` block
holding one fenced Python block, the whole solved cell. Markdown never runs, so Run All never
replaces a learner's code; opening the block is the learner's own action.

- ``solved(nb)``: every exercise cell's source replaced by its solution (the tests run it and
  expect every checker to answer "Correct").
- ``student(nb)``: the solution cells removed and the exercise cells' outputs cleared.

Command line: ``python tools/editions.py {solved,student} OUT_DIR NOTEBOOK...``.
"""

from __future__ import annotations

import argparse
import copy
import re
import sys
from pathlib import Path

import nbformat

EXERCISE = "exercise"
SOLUTION = "solution"
SUMMARY = "Solution (open it once you have tried)"
_SOLUTION = re.compile(
    r"\A<details>\n<summary>(?P<summary>[^\n]+)</summary>\n\n"
    r"```python\n(?P<code>.*?)\n```\n\n</details>\Z",
    flags=re.S,
)


class ExerciseFormatError(ValueError):
    """A notebook's exercise and solution cells do not follow the course's format."""


def tags(cell) -> list[str]:
    return list(cell.get("metadata", {}).get("tags", []))


def solution_source(code: str) -> str:
    """The markdown of a solution cell holding ``code``."""
    fenced = f"```python\n{code.strip()}\n```"
    return f"<details>\n<summary>{SUMMARY}</summary>\n\n{fenced}\n\n</details>"


def solution_code(cell) -> str:
    """The Python code inside a solution cell (a ``<details>`` block with one fenced block)."""
    match = _SOLUTION.match(cell.source.strip())
    if cell.cell_type != "markdown" or match is None:
        raise ExerciseFormatError(
            "a solution cell must be markdown of the form '<details>\\n<summary>...</summary>"
            "\\n\\n```python\\n...\\n```\\n\\n</details>', got a "
            f"{cell.cell_type} cell starting {cell.source[:60]!r}"
        )
    return match.group("code")


def exercises(nb) -> list[tuple[int, int]]:
    """``(exercise index, solution index)`` for each exercise; checks the pairing."""
    pairs = []
    for i, cell in enumerate(nb.cells):
        if EXERCISE in tags(cell):
            if cell.cell_type != "code":
                raise ExerciseFormatError(f"cell {i} is tagged {EXERCISE!r} but is not code")
            following = nb.cells[i + 1] if i + 1 < len(nb.cells) else None
            if following is None or SOLUTION not in tags(following):
                raise ExerciseFormatError(
                    f"exercise cell {i} must be followed by a cell tagged {SOLUTION!r}"
                )
            solution_code(following)
            pairs.append((i, i + 1))
        elif SOLUTION in tags(cell) and (i == 0 or EXERCISE not in tags(nb.cells[i - 1])):
            raise ExerciseFormatError(
                f"solution cell {i} must follow a cell tagged {EXERCISE!r}"
            )
    return pairs


def solved(nb):
    """A copy of ``nb`` whose exercise cells hold their solutions (outputs cleared)."""
    nb = copy.deepcopy(nb)
    for exercise, solution in exercises(nb):
        cell = nb.cells[exercise]
        cell.source = solution_code(nb.cells[solution])
        cell.outputs, cell.execution_count = [], None
    return nb


def student(nb):
    """A copy of ``nb`` without solutions, its exercise cells' outputs cleared."""
    nb = copy.deepcopy(nb)
    for exercise, _ in exercises(nb):
        nb.cells[exercise].outputs, nb.cells[exercise].execution_count = [], None
    nb.cells = [cell for cell in nb.cells if SOLUTION not in tags(cell)]
    return nb


EDITIONS = {"solved": solved, "student": student}


def write_edition(edition: str, out_dir: Path, paths: list[Path]) -> list[Path]:
    """Write ``edition`` of each notebook in ``paths`` into ``out_dir``; the written paths."""
    if edition not in EDITIONS:
        raise ValueError(f"edition must be one of {sorted(EDITIONS)}, got {edition!r}")
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for path in paths:
        nb = EDITIONS[edition](nbformat.read(path, as_version=4))
        target = out_dir / Path(path).name
        nbformat.write(nb, target)
        written.append(target)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("edition", choices=sorted(EDITIONS))
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("notebooks", type=Path, nargs="+")
    args = parser.parse_args(argv)
    for path in write_edition(args.edition, args.out_dir, args.notebooks):
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
