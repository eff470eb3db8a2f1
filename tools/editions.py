"""Editions of the notebooks: solved (for the tests) and student (to hand out).

An exercise in a notebook is a code cell tagged ``exercise`` (the learner's stub, ending with the
checker call) followed by one markdown cell tagged ``solution``: a collapsed ``<details>`` block
holding one fenced Python block, the whole solved cell. Markdown never runs, so Run All never
replaces a learner's code; opening the block is the learner's own action.

- ``solved(nb)``: every exercise cell's source replaced by its solution (what the tests check:
  run at that point, every solution's checker answers "Correct").
- ``student(nb)``: what a teacher hands out. The solution cells removed, the exercise cells'
  outputs cleared, every sentence of the other markdown that mentions a solution taken out, and
  the Colab badge dropped (it opens the repository's notebook, solutions included); the Colab
  install cell stays, so the notebook still runs on Colab once uploaded there.
  ``write_edition("student", ...)`` also writes a README.md for the students beside them.

Command line: ``python tools/editions.py {solved,student} OUT_DIR NOTEBOOK...``.
"""

from __future__ import annotations

import argparse
import copy
import re
import sys
from pathlib import Path

import nbformat
from notebook_header import TAG as HEADER
from notebook_header import repository_url, tags

EXERCISE = "exercise"
SOLUTION = "solution"
_MENTIONS_SOLUTION = re.compile(r"\bsolutions?\b", flags=re.I)
SUMMARY = "Solution (open it once you have tried)"
_SOLUTION = re.compile(
    r"\A<details>\n<summary>(?P<summary>[^\n]+)</summary>\n\n"
    r"```python\n(?P<code>.*?)\n```\n\n</details>\Z",
    flags=re.S,
)


class ExerciseFormatError(ValueError):
    """A notebook's exercise and solution cells do not follow the course's format."""


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


def without_solution_sentences(text: str) -> str:
    """``text`` (markdown) without the sentences that mention a solution."""
    parts = re.split(r"(?<=[.!?])(\s+)", text)
    kept = ""
    for sentence, gap in zip(parts[0::2], parts[1::2] + [""], strict=True):
        if _MENTIONS_SOLUTION.search(sentence):
            if "\n" in gap:
                kept = kept.rstrip(" ") + gap
            continue
        kept += sentence + gap
    return kept.strip()


def student(nb):
    """A copy of ``nb`` to hand out: no solution, no badge, exercise cells' outputs cleared."""
    nb = copy.deepcopy(nb)
    for exercise, _ in exercises(nb):
        nb.cells[exercise].outputs, nb.cells[exercise].execution_count = [], None
    cells = []
    for cell in nb.cells:
        if SOLUTION in tags(cell) or (HEADER in tags(cell) and cell.cell_type == "markdown"):
            continue
        if cell.cell_type == "markdown":
            cell.source = without_solution_sentences(cell.source)
            if not cell.source:
                continue
        cells.append(cell)
    nb.cells = cells
    return nb


STUDENT_README = """\
# Convolutional neural networks in PyTorch: the exercises

These notebooks are the course's, as your teacher hands them out: run each one top to bottom,
then do its exercises. An exercise is a code cell that ends with a check: replace the
`raise NotImplementedError(...)` (or the `...` of a prediction) with your code and run the cell;
the check says whether it is right and, if not, which case went wrong. Until you try, it
answers "Not implemented yet" (or "Not answered yet"): that is not an error.

The checks need the course's helpers, the `course_utils` package:

- on your machine (Python 3.10 or newer), in this folder:

      pip install jupyterlab "course-utils @ git+{repository}"
      jupyter lab

  (PyTorch makes that a large download); the data (MNIST, a photo, a small pretrained network)
  is downloaded into `data/` here the first time a notebook needs it;
- on Colab: File > Upload notebook, then run the notebook's first code cell, which installs
  the helpers.

The checks compute the right answer with PyTorch when you run them; this folder holds no
solution.

Notebooks:

{notebooks}
"""


EDITIONS = {"solved": solved, "student": student}


def write_edition(edition: str, out_dir: Path, paths: list[Path]) -> list[Path]:
    """Write ``edition`` of each notebook in ``paths`` into ``out_dir``; the written notebooks.

    The student edition gets a README.md beside its notebooks.
    """
    if edition not in EDITIONS:
        raise ValueError(f"edition must be one of {sorted(EDITIONS)}, got {edition!r}")
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for path in paths:
        nb = EDITIONS[edition](nbformat.read(path, as_version=4))
        target = out_dir / Path(path).name
        nbformat.write(nb, target)
        written.append(target)
    if edition == "student":
        names = "\n".join(f"- `{p.name}`" for p in written)
        readme = STUDENT_README.format(notebooks=names, repository=repository_url())
        (out_dir / "README.md").write_text(readme)
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
