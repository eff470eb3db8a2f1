"""tests/notebook_sections.py: sections, exercises, and what breaks when a learner goes back."""

from __future__ import annotations

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook
from notebook_sections import Problem, Section, exercise_cells, rerun_problems, sections


def notebook(*cells):
    """A notebook of ("md" or "code" or "exercise", source) cells."""
    made = []
    for kind, source in cells:
        cell = new_markdown_cell(source) if kind == "md" else new_code_cell(source)
        if kind == "exercise":
            cell.metadata["tags"] = ["exercise"]
        made.append(cell)
    return new_notebook(cells=made, metadata={"kernelspec": {"name": "python3",
                                                              "display_name": "Python 3",
                                                              "language": "python"}})


def test_sections_start_at_each_level_two_heading():
    nb = notebook(
        ("code", "import sys"),  # the header's install cell
        ("md", "# 09 · A title\n\nIntroduction."),
        ("code", "x = 1"),
        ("md", "## First part"),
        ("code", "y = x"),
        ("md", "### A sub-section stays in its section"),
        ("code", "z = y"),
        ("md", "Some text, then ## not a heading"),
        ("md", "## Only words"),
        ("md", "## Last part\n\nwith text"),
        ("code", "print(z)"),
    )
    assert sections(nb) == [
        Section("09 · A title", [0, 2]),
        Section("First part", [4, 6]),
        Section("Only words", []),
        Section("Last part", [10]),
    ]


def test_without_a_title_the_first_section_is_the_header():
    nb = notebook(("code", "a = 1"), ("md", "## One"), ("code", "b = 2"))
    assert sections(nb) == [Section("header", [0]), Section("One", [2])]


def test_exercise_cells_are_the_tagged_ones():
    nb = notebook(("md", "## Ex"), ("exercise", "answer = ..."), ("code", "1"),
                  ("exercise", "def f(): ..."))
    assert exercise_cells(nb) == [1, 3]
    assert exercise_cells(notebook(("code", "1"))) == []


def test_rerun_problems_finds_what_a_later_section_breaks(tmp_path):
    path = tmp_path / "broken.ipynb"
    nbformat.write(notebook(
        ("md", "# Broken"),
        ("code", "x = 1\nhelper = 'kept'"),
        ("md", "## Uses x"),
        ("code", "assert x == 1, f'x is {x}'"),
        ("md", "## Exercise"),
        ("exercise", "print(helper)"),
        ("md", "## Rebinds and deletes"),
        ("code", "x = 2\ndel helper"),
        ("code", "raise ValueError('boom')"),
    ), path)
    problems = rerun_problems(path, timeout=60)
    assert problems == [
        Problem(8, "Rebinds and deletes", "ValueError", "boom", "Run All"),
        # going back to the last section: it deleted helper, so it cannot run again
        Problem(7, "Rebinds and deletes", "NameError", "name 'helper' is not defined",
                "back to 'Rebinds and deletes'"),
        Problem(5, "Exercise", "NameError", "name 'helper' is not defined",
                "back to 'Exercise'"),
        Problem(3, "Uses x", "AssertionError", "x is 2", "back to 'Uses x'"),
    ]


def test_rerun_problems_finds_nothing_in_a_notebook_that_survives(tmp_path):
    path = tmp_path / "fine.ipynb"
    nbformat.write(notebook(
        ("md", "# Fine"),
        ("code", "import math"),
        ("md", "## One"),
        ("code", "radius = 2.0\nassert math.isclose(math.pi * radius**2, 4 * math.pi)"),
        ("md", "## Two"),
        ("code", "area = math.pi * 3.0**2\nassert area > 28"),
        ("exercise", "answer = ...\nprint('Not answered yet')"),
    ), path)
    assert rerun_problems(path, timeout=60) == []
