"""A notebook's ``##`` sections and exercises, and what breaks when a learner goes back to them.

00 tells learners to Run All; then they go back a section and run down from there, or run an
exercise again. A notebook survives that only if no later cell deletes or rebinds what an
earlier one needs.

- ``sections(nb)``: the ``##`` sections in order, each with its title and the indices of its
  code cells (the cells before the first ``##``, the header and the title, form the first).
- ``exercise_cells(nb)``: the indices of the cells tagged ``exercise``.
- ``rerun_problems(path)``: runs the notebook with nbclient (offline, as the tests' kernels:
  tests/offline.py), Run All, then in the same kernel goes back to each section and runs down
  from there to the end (each section from its first code cell to its last), then runs each
  exercise cell again; returns every error.

The browser test (tests/browser/test_notebooks_in_lab.py) goes back over every notebook in
JupyterLab with ``sections`` and ``exercise_cells``. ``rerun_problems`` by hand, for every
notebook or some:

    .venv/bin/python tests/notebook_sections.py [NOTEBOOK...]
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import NamedTuple

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tools"))

import offline  # noqa: E402
from editions import EXERCISE  # noqa: E402
from notebook_header import tags  # noqa: E402
from slides import _heading_level  # noqa: E402


class Section(NamedTuple):
    """One ``##`` section: its title (the heading's text) and its code cells' indices."""

    title: str
    cells: list[int]


class Problem(NamedTuple):
    """An error raised by cell ``cell`` of section ``section`` while ``step`` ran it."""

    cell: int
    section: str
    ename: str
    evalue: str
    step: str  # "Run All", "back to 'title'" (and down to the end) or "exercise again"


def _title(source: str) -> str:
    return source.splitlines()[0].lstrip("#").strip()


def sections(nb) -> list[Section]:
    """The notebook's ``##`` sections, in order; the cells before the first one are the first,
    titled by the notebook's ``#`` title (or "header" without one). A ``###`` heading stays in
    its section. Only code cells are listed; a section may list none."""
    found = [Section("header", [])]
    for index, cell in enumerate(nb.cells):
        level = _heading_level(cell)
        if level == 2:
            found.append(Section(_title(cell.source), []))
        elif level == 1 and len(found) == 1:
            found[0] = Section(_title(cell.source), found[0].cells)
        elif cell.cell_type == "code":
            found[-1].cells.append(index)
    return found


def exercise_cells(nb) -> list[int]:
    """The indices of the code cells tagged ``exercise``, in order."""
    return [i for i, cell in enumerate(nb.cells) if EXERCISE in tags(cell)]


def rerun_problems(path: Path | str, timeout: int = 600) -> list[Problem]:
    """Every error met by Run All of the notebook at ``path``, then, in the same kernel, by a
    learner going back: to the last section and running down to the end, then to the one
    before it and down to the end, and so on up to the first; then by each exercise cell run
    again.

    Each going back starts where Run All ended (running down to the end leaves the kernel as
    Run All did), and runs each section from its first code cell to its last. An error is
    reported once, for the first step that met it. ``timeout``: seconds one cell may take. The
    kernel starts in the notebook's folder, offline and with a torch hub folder of its own
    (tests/offline.py); the notebook file is not changed. Run All carries on past an error, so
    that one run reports them all.
    """
    path = Path(path)
    nb = nbformat.read(path, as_version=4)
    found = sections(nb)
    section_of = {index: title for title, cells in found for index in cells}
    steps = [("Run All", [i for i, cell in enumerate(nb.cells) if cell.cell_type == "code"])]
    for k in reversed(range(len(found))):
        if found[k].cells:
            down = [i for section in found[k:] for i in section.cells]
            steps.append((f"back to {found[k].title!r}", down))
    steps.append(("exercise again", exercise_cells(nb)))
    problems, seen = [], set()
    with offline.kernel_environment():
        client = NotebookClient(
            nb, timeout=timeout, kernel_name="python3",
            resources={"metadata": {"path": str(path.parent)}},
        )
        client.reset_execution_trackers()
        with client.setup_kernel():
            for step, cells in steps:
                for index in cells:
                    try:
                        client.execute_cell(nb.cells[index], index)
                    except CellExecutionError as err:
                        if (index, err.ename, err.evalue) not in seen:
                            seen.add((index, err.ename, err.evalue))
                            problems.append(
                                Problem(index, section_of[index], err.ename, err.evalue, step)
                            )
    return problems


def main(paths: list[str]) -> int:
    paths = paths or sorted(str(p) for p in (HERE.parent / "notebooks").glob("*.ipynb"))
    failed = 0
    for path in paths:
        problems = rerun_problems(path)
        failed += bool(problems)
        print(f"{Path(path).name}: {len(problems)} problem(s)", flush=True)
        for p in problems:
            print(f"  cell {p.cell} ({p.section!r}), {p.step}: {p.ename}: {p.evalue}", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
