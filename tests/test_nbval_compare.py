"""tests/browser/nbval_compare.py: nbval's comparison on outputs that JupyterLab's run left.

The browser test of each notebook (test_notebooks_in_lab.py) compares the outputs of its Run
All with the saved ones through compare_notebook, in place of a separate ``pytest --nbval`` run
of the notebook; here, on a small notebook, it must pass what nbval passes (streams split as
they came, timings, ignored cells) and fail what nbval fails.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

sys.path.insert(0, str(Path(__file__).resolve().parent / "browser"))

from nbval_compare import compare_notebook  # noqa: E402


def stream(text, name="stdout"):
    return new_output("stream", name=name, text=text)


def result(text, count):
    return new_output("execute_result", data={"text/plain": text}, execution_count=count)


@pytest.fixture
def notebook(tmp_path):
    nb = new_notebook(cells=[
        new_markdown_cell("# A notebook"),
        new_code_cell("print('loss 0.25'); print('took 1.5 s')", execution_count=1,
                      outputs=[stream("loss 0.25\ntook 1.5 s\n")]),
        new_code_cell("x = 6 * 7\nx", execution_count=2, outputs=[result("42", 2)]),
        new_code_cell("import random; random.random()", execution_count=3,
                      outputs=[result("0.123", 3)], metadata={"tags": ["nbval-ignore-output"]}),
        new_code_cell("pass", execution_count=4, outputs=[]),
    ])
    path = tmp_path / "small.ipynb"
    nbformat.write(nb, path)
    return path


def page(*cells):
    """Outputs as the page hands them over (nbformat JSON dicts), one list per code cell."""
    return [[dict(out) for out in cell] for cell in cells]


def test_what_nbval_passes_passes(request, notebook):
    # The stream split in two (JupyterLab keeps what came in separate messages apart when a
    # display comes between; nbval merges them), another timing, another random number.
    shown = page([stream("loss 0.25\n"), stream("took 37 s\n")],
                 [result("42", 9)], [result("0.987", 10)], [])
    assert compare_notebook(request.session, notebook, shown) == []


def test_a_changed_number_fails_and_is_shown(request, notebook):
    shown = page([stream("loss 0.26\ntook 1.5 s\n")], [result("42", 2)], [result("0.1", 3)], [])
    differ = compare_notebook(request.session, notebook, shown)
    assert len(differ) == 1
    assert differ[0].startswith("Cell 0: cell outputs differ")
    assert "loss 0.25" in differ[0] and "loss 0.26" in differ[0]


def test_a_missing_or_extra_output_fails(request, notebook):
    missing = page([stream("loss 0.25\ntook 1.5 s\n")], [], [result("0.1", 3)], [])
    assert "Missing output fields" in "\n".join(compare_notebook(request.session, notebook,
                                                                 missing))
    extra = page([stream("loss 0.25\ntook 1.5 s\n")], [result("42", 2)], [result("0.1", 3)],
                 [stream("oops", name="stderr")])
    differ = compare_notebook(request.session, notebook, extra)
    assert len(differ) == 1 and differ[0].startswith("Cell 3:")
    assert "Unexpected output fields" in differ[0]


def test_cells_that_do_not_line_up_fail(request, notebook):
    differ = compare_notebook(request.session, notebook, page([], [], []))
    assert differ == ["small.ipynb: 4 code cells in the file, 3 in the page"]
