"""The exercise format (tools/editions.py) and the course's exercises in it.

Every exercise cell is followed by its solution, collapsed in markdown; the committed exercise
cells show the "not yet" answer, never the solution's. The student edition (make student) holds
no solution line anywhere and runs what the course runs (its code cells are the course's, so
nbval's run of the notebooks is its run). Each solution runs in JupyterLab after Run All, right
after its exercise, and answers "Correct" (tests/browser/test_notebooks_in_lab.py).
"""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from IPython.core.inputtransformer2 import TransformerManager

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
    # the solution's 42 nowhere a student can read it (cell ids are random hex: not those)
    assert not [c for c in student.cells if "42" in c.source or "42" in str(c.get("outputs"))]


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


def _names_defined(source: str) -> set[str]:
    """Top-level names a cell defines (functions, classes, assigned variables)."""
    names = set()
    for node in _python(source).body:
        if isinstance(node, ast.FunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names |= {n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)}
    return names


def _python(source: str) -> ast.Module:
    """A cell's source parsed as Python, its IPython magics turned into calls."""
    return ast.parse(TransformerManager().transform_cell(source))


def _names_used(source: str) -> set[str]:
    return {
        node.id
        for node in ast.walk(_python(source))
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)
    }


def _answers_needed_later(nb) -> list[str]:
    """Code cells that use a name an earlier exercise cell defines (its answer)."""
    defined: dict[str, int] = {}
    found = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        if editions.EXERCISE in editions.tags(cell):
            defined |= dict.fromkeys(_names_defined(cell.source), i)
            continue
        redefined = _names_defined(cell.source)
        defined = {name: at for name, at in defined.items() if name not in redefined}
        for name in sorted(_names_used(cell.source) & defined.keys()):
            found.append(f"cell {i} uses {name!r} from exercise cell {defined[name]}")
    return found


def test_a_cell_that_needs_an_exercise_answer_is_found():
    nb = _notebook(
        _exercise("def f(x):\n    raise NotImplementedError\n\n\ncheck(f)"),
        _solution("def f(x):\n    return x\n\n\ncheck(f)"),
        nbformat.v4.new_code_cell("%matplotlib inline\ny = f(2)"),
        nbformat.v4.new_code_cell("def f(x):\n    return 0\n\n\nz = f(3)"),
    )
    assert _answers_needed_later(nb) == ["cell 2 uses 'f' from exercise cell 0"]


@pytest.mark.parametrize("path", COURSE, ids=[p.name for p in COURSE])
def test_no_cell_after_an_exercise_needs_its_answer(path):
    """What the edition test below relies on: later cells run the same with or without the
    answer (a student who skips an exercise can run the rest of the notebook)."""
    found = _answers_needed_later(nbformat.read(path, as_version=4))
    assert not found, f"{path.name}: a student who skips an exercise gets an error: {found}"


def test_the_student_edition_runs_as_the_course_runs(tmp_path):
    """The edition (built by make student's command line) keeps every code cell of the course,
    source for source, in order, and adds none: what runs in it is what nbval runs (and
    compares) in the course's notebooks, where every unattempted exercise answers "not yet".
    The solutions run in tests/browser/test_notebooks_in_lab.py, after Run All, each right
    after its exercise, and must answer "Correct"."""
    subprocess.run(
        [sys.executable, str(ROOT / "tools" / "editions.py"), "student", str(tmp_path),
         *map(str, NOTEBOOKS)],
        check=True, capture_output=True, timeout=120,
    )
    for path in NOTEBOOKS:
        course = nbformat.read(path, as_version=4)
        edition = nbformat.read(tmp_path / path.name, as_version=4)
        code = [c.source for c in course.cells if c.cell_type == "code"]
        assert [c.source for c in edition.cells if c.cell_type == "code"] == code, path.name
        for exercise, _ in editions.exercises(course):
            assert NOT_YET.search(str(course.cells[exercise].outputs)), (path.name, exercise)


NOT_YET = re.compile("Not (implemented|answered) yet")


def test_make_student_writes_every_notebook_and_a_readme():
    makefile = (ROOT / "Makefile").read_text()
    recipe = makefile.split("\nstudent:")[1].split("\n\n")[0]
    assert "tools/editions.py student build/student notebooks/*.ipynb" in recipe
    assert "rm -rf build/student" in recipe, "an old edition could keep a notebook since removed"
