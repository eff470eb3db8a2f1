"""The exercise format (tools/editions.py) and the course's exercises in it.

Every exercise cell is followed by its solution, collapsed in markdown; the committed exercise
cells show the "not yet" answer, never the solution's; the solved edition runs and every checker
in it answers "Correct".
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))

import editions  # noqa: E402

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
COURSE = [p for p in NOTEBOOKS if not p.name.startswith("00-")]


def _notebook(*cells):
    nb = nbformat.v4.new_notebook()
    nb.cells = list(cells)
    return nb


def _exercise(source="answer = ...\ncheck(answer)"):
    cell = nbformat.v4.new_code_cell(source, metadata={"tags": ["exercise"]})
    cell.outputs = [nbformat.v4.new_output("stream", text="Not answered yet\n")]
    cell.execution_count = 3
    return cell


def _solution(code="answer = 42\ncheck(answer)"):
    return nbformat.v4.new_markdown_cell(
        editions.solution_source(code), metadata={"tags": ["solution"]}
    )


def test_solved_puts_each_solution_in_place_of_its_exercise():
    nb = _notebook(nbformat.v4.new_markdown_cell("## Exercise"), _exercise(), _solution())
    solved = editions.solved(nb)
    assert solved.cells[1].source == "answer = 42\ncheck(answer)"
    assert solved.cells[1].outputs == [] and solved.cells[1].execution_count is None
    assert nb.cells[1].source == "answer = ...\ncheck(answer)"  # the original is untouched


def test_student_drops_solutions_and_clears_exercise_outputs():
    intro = nbformat.v4.new_code_cell("x = 1")
    intro.outputs = [nbformat.v4.new_output("stream", text="kept\n")]
    nb = _notebook(intro, _exercise(), _solution())
    student = editions.student(nb)
    assert [c.cell_type for c in student.cells] == ["code", "code"]
    assert student.cells[0].outputs[0].text == "kept\n"
    assert student.cells[1].outputs == [] and student.cells[1].execution_count is None
    assert "42" not in str(student)


def test_solution_code_reads_the_fenced_block_back():
    code = 'def f(x):\n    return x\n\n\ncheck(f)'
    assert editions.solution_code(_solution(code)) == code


def test_an_exercise_without_a_solution_is_refused():
    with pytest.raises(editions.ExerciseFormatError, match="must be followed by a cell tagged"):
        editions.exercises(_notebook(_exercise(), nbformat.v4.new_code_cell("x = 1")))


def test_a_solution_without_an_exercise_is_refused():
    nb = _notebook(nbformat.v4.new_code_cell("x = 1"), _solution())
    with pytest.raises(editions.ExerciseFormatError, match="must follow a cell tagged"):
        editions.exercises(nb)


def test_a_solution_in_the_wrong_form_is_refused():
    bad = nbformat.v4.new_markdown_cell("```python\nx = 1\n```", metadata={"tags": ["solution"]})
    with pytest.raises(editions.ExerciseFormatError, match="must be markdown of the form"):
        editions.exercises(_notebook(_exercise(), bad))


def test_an_unknown_edition_is_refused(tmp_path):
    with pytest.raises(ValueError, match="edition must be one of"):
        editions.write_edition("teacher", tmp_path, [])


@pytest.mark.parametrize("path", COURSE, ids=[p.name for p in COURSE])
def test_each_notebook_has_exercises_in_the_course_format(path):
    nb = nbformat.read(path, as_version=4)
    pairs = editions.exercises(nb)
    assert pairs, f"{path.name} has no exercise"
    code_sources = {c.source.strip() for c in nb.cells if c.cell_type == "code"}
    for exercise, solution in pairs:
        cell = nb.cells[exercise]
        shown = "".join(
            o.get("text", "") + str(o.get("data", {}).get("text/markdown", ""))
            for o in cell.outputs
        )
        assert "Not implemented yet" in shown or "Not answered yet" in shown, (
            f"{path.name} cell {exercise}: a committed exercise shows its unattempted answer, "
            f"not {shown[:200]!r}"
        )
        code = editions.solution_code(nb.cells[solution])
        assert code.strip() not in code_sources, f"{path.name}: a code cell holds a solution"


@pytest.mark.slow
@pytest.mark.parametrize("path", COURSE, ids=[p.name for p in COURSE])
def test_the_solved_edition_passes_every_check(path):
    nb = editions.solved(nbformat.read(path, as_version=4))
    NotebookClient(
        nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
    ).execute()
    for exercise, _ in editions.exercises(nb):
        outputs = nb.cells[exercise].outputs
        answers = [o.data["text/markdown"] for o in outputs if "text/markdown" in o.get("data", {})]
        assert answers and answers[-1].startswith("✅"), (
            f"{path.name} cell {exercise}: the solution did not pass: {answers or outputs}"
        )
