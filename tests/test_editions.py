"""The exercise format (tools/editions.py) and the course's exercises in it.

Every exercise cell is followed by its solution, collapsed in markdown; the committed exercise
cells show the "not yet" answer, never the solution's; the solved edition runs and every checker
in it answers "Correct".
"""

from __future__ import annotations

import json
import subprocess
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
    code = "def f(x):\n    return x\n\n\ncheck(f)"
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


def test_student_takes_out_sentences_that_promise_a_solution():
    text = (
        "Intro. The solution is below, open it later.\n"
        "- Try it. A closed **Solution** block waits under it; click it once done.\n"
        "- Keep this."
    )
    assert editions.without_solution_sentences(text) == "Intro.\n- Try it.\n- Keep this."


def test_student_drops_the_colab_badge_and_keeps_the_install_cell():
    badge = nbformat.v4.new_markdown_cell(
        "[![Open In Colab](x)](y)", metadata={"tags": ["course-header"]}
    )
    install = nbformat.v4.new_code_cell("# install", metadata={"tags": ["course-header"]})
    only_promise = nbformat.v4.new_markdown_cell("Its solution follows.")
    nb = _notebook(badge, install, only_promise, _exercise(), _solution())
    student = editions.student(nb)
    assert [c.source for c in student.cells] == ["# install", "answer = ...\ncheck(answer)"]


def test_the_student_edition_comes_with_a_readme(tmp_path):
    path = tmp_path / "src" / "01-x.ipynb"
    path.parent.mkdir()
    nbformat.write(_notebook(_exercise(), _solution()), path)
    written = editions.write_edition("student", tmp_path / "out", [path])
    assert written == [tmp_path / "out" / "01-x.ipynb"]
    readme = (tmp_path / "out" / "README.md").read_text()
    assert "`01-x.ipynb`" in readme and "Not implemented yet" in readme
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["01-x.ipynb", "README.md"]


def _answer_lines(nb) -> set[str]:
    """Lines that only the solutions hold: in no other cell, source or output (the answers)."""
    pairs = editions.exercises(nb)
    solutions = {s for _, s in pairs}
    elsewhere = nbformat.writes(
        nbformat.v4.new_notebook(cells=[c for i, c in enumerate(nb.cells) if i not in solutions])
    )
    lines = set()
    for _, solution in pairs:
        for line in editions.solution_code(nb.cells[solution]).splitlines():
            line = line.strip()
            if len(line) > 12 and line not in elsewhere and json_escaped(line) not in elsewhere:
                lines.add(line)
    return lines


WITH_EXERCISES = [p for p in COURSE if editions.exercises(nbformat.read(p, as_version=4))]


@pytest.mark.parametrize("path", WITH_EXERCISES, ids=[p.name for p in WITH_EXERCISES])
def test_no_solution_can_be_reached_from_the_student_edition(path):
    nb = nbformat.read(path, as_version=4)
    answers = _answer_lines(nb)
    assert answers, f"{path.name}: no solution line to look for"
    student = editions.student(nb)
    text = nbformat.writes(student)  # sources, outputs and all metadata
    found = sorted(line for line in answers if line in text or json_escaped(line) in text)
    assert not found, f"{path.name}: solution lines in the student edition: {found}"
    assert not [c for c in student.cells if editions.SOLUTION in editions.tags(c)]
    assert "colab.research.google.com" not in text, "the badge leads to the solutions"
    assert not [c for c in student.cells if editions._MENTIONS_SOLUTION.search(c.source)]
    exercise_cells = [c for c in student.cells if editions.EXERCISE in editions.tags(c)]
    assert len(exercise_cells) == len(editions.exercises(nb))
    assert all(c.outputs == [] and c.execution_count is None for c in exercise_cells)


def json_escaped(line: str) -> str:
    return json.dumps(line)[1:-1]


@pytest.mark.slow
def test_make_student_builds_an_edition_that_runs_top_to_bottom(tmp_path):
    out = tmp_path / "student"
    subprocess.run(
        [
            sys.executable,
            str(ROOT / "tools" / "editions.py"),
            "student",
            str(out),
            *map(str, NOTEBOOKS),
        ],
        check=True,
        capture_output=True,
    )
    assert sorted(p.name for p in out.iterdir()) == sorted(
        [p.name for p in NOTEBOOKS] + ["README.md"]
    )
    for path in sorted(out.glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        NotebookClient(
            nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(out)}}
        ).execute()  # raises CellExecutionError on the first error
        for cell in nb.cells:
            if editions.EXERCISE not in editions.tags(cell):
                continue
            answers = [
                o.data["text/markdown"]
                for o in cell.outputs
                if "text/markdown" in o.get("data", {})
            ]
            assert answers and (
                "Not implemented yet" in answers[-1] or "Not answered yet" in answers[-1]
            ), f"{path.name}: an unattempted exercise answered {answers or cell.outputs}"
