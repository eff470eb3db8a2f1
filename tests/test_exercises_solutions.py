"""Every committed exercise, through its checker, without running the notebooks.

Each exercise cell (the learner's stub) and the solution after it (tools/editions.py reads
it from its ``<details>`` cell) run in a namespace made by the notebook's import cell. The
stub must answer exactly what the committed notebook shows ("Not implemented yet" / "Not
answered yet": nbval compares it), and the solution must pass its checker.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import nbformat
import pytest
from squares import squares_data

from course_utils.exercises import Feedback

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))

import editions  # noqa: E402

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
# Notebook 07's smaller_net is trained on MNIST by its checker (a minute on a laptop): its
# solution is run once, in JupyterLab after Run All (tests/browser/test_notebooks_in_lab.py),
# like every other; here only its stub (the checker's refusals are in test_exercises_slips.py).
TRAINED = "check_smaller_net(smaller_net, data)"


def _exercises():
    found = []
    for path in NOTEBOOKS:
        nb = nbformat.read(path, as_version=4)
        for exercise, solution in editions.exercises(nb):
            code = editions.solution_code(nb.cells[solution])
            found.append(pytest.param(path, nb.cells[exercise], code,
                                      id=f"{path.name[:2]}-cell{exercise}"))
    return found


def _namespace(path: Path, shown: list[str]) -> dict:
    """What the notebook's import cell defines (its magics left out), and a small ``data``
    (only a stub sees it); ``display`` puts what it shows in ``shown``."""
    nb = nbformat.read(path, as_version=4)
    imports = next(c.source for c in nb.cells
                   if c.cell_type == "code" and "from course_utils" in c.source)
    namespace = {}
    exec("\n".join(line for line in imports.splitlines() if not line.startswith("%")),
         namespace)
    namespace["data"] = squares_data(64, 16, 0)
    namespace["display"] = lambda *objects: shown.extend(o._repr_markdown_() for o in objects)
    return namespace


def _feedback(code: str, namespace: dict) -> Feedback:
    """Run a cell's code; its last line is the checker call: what it gives."""
    tree = ast.parse(code)
    *body, last = tree.body
    exec(compile(ast.Module(body, []), "<cell>", "exec"), namespace)
    return eval(compile(ast.Expression(last.value), "<cell>", "eval"), namespace)


def _committed(cell) -> tuple[list[str], str]:
    """The committed outputs of an exercise cell: what it shows as markdown, what it prints."""
    return ([o.data["text/markdown"] for o in cell.outputs if "text/markdown" in o.get("data", {})],
            "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream"))


@pytest.mark.parametrize(("path", "exercise", "solution"), _exercises())
def test_the_stub_answers_as_committed_and_the_solution_passes(path, exercise, solution, capsys):
    shown: list[str] = []
    namespace = _namespace(path, shown)
    capsys.readouterr()
    stub = _feedback(exercise.source, namespace)
    assert not stub.implemented
    assert (shown + [stub._repr_markdown_()], capsys.readouterr().out) == _committed(exercise)
    if TRAINED in solution:
        return  # trained and checked in JupyterLab, after Run All
    solved = _feedback(solution, namespace)
    assert solved.passed, solved.message
    assert solved.message.startswith("Correct")
