"""Slide types (tools/slides.py): the rules on small notebooks, and every committed notebook's
slide metadata is what the tool gives it (make execute writes it; the browser tests present it).
"""

from __future__ import annotations

import base64
import io
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from jupyterlab_server.config import get_federated_extensions
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))

import decks  # noqa: E402
import editions  # noqa: E402
import rise_widgets  # noqa: E402
import slides  # noqa: E402

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
IDS = [p.name for p in NOTEBOOKS]
md, code = nbformat.v4.new_markdown_cell, nbformat.v4.new_code_cell


def _notebook(*cells):
    nb = nbformat.v4.new_notebook()
    nb.cells = list(cells)
    return nb


def _png(width: int, height: int) -> str:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height)).save(buffer, format="PNG")
    return base64.b64encode(buffer.getvalue()).decode()


def _with_figure(cell, width, height):
    cell.outputs = [nbformat.v4.new_output("display_data", data={"image/png": _png(width, height)})]
    return cell


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_committed_slide_metadata_is_what_the_tool_gives(path):
    nb = nbformat.read(path, as_version=4)
    assert slides.stale(nb) is None, (
        f"{path.name}: {slides.stale(nb)}; run `make execute NB=notebooks/{path.name}` "
        f"or `python tools/slides.py notebooks/{path.name}`"
    )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_each_notebook_is_cut_into_slides_at_its_sections(path):
    nb = nbformat.read(path, as_version=4)
    types = slides.slide_types(nb)
    sections = [
        i
        for i, c in enumerate(nb.cells)
        if c.cell_type == "markdown" and c.source.startswith(("# ", "## "))
    ]
    assert sections and all(types[i] == "slide" for i in sections)
    shown = [t for t in types if t != "skip"]
    assert shown[0] == "slide"
    assert types.count("slide") == len(sections), "a slide that is not a section"
    for _, solution in editions.exercises(nb):
        assert types[solution] == "subslide", f"{path.name}: solution {solution} shares a slide"


def test_the_course_header_is_skipped_and_the_title_opens_the_deck():
    header = [
        md("badge", metadata={"tags": ["course-header"]}),
        code("install", metadata={"tags": ["course-header"]}),
    ]
    nb = _notebook(*header, md("# Title\n\nIntro."), code("import torch"))
    assert slides.slide_types(nb) == ["skip", "skip", "slide", "-"]


def test_headings_make_slides_and_sub_slides():
    nb = _notebook(md("# T"), md("## A"), code("x = 1"), md("### A.1"), code("y = 2"), md("## B"))
    assert slides.slide_types(nb) == ["slide", "slide", "-", "subslide", "-", "slide"]


def test_a_comment_after_a_result_is_a_fragment():
    nb = _notebook(md("## A"), code("x = 1"), md("So x is one."), code("x + 1"))
    assert slides.slide_types(nb) == ["slide", "-", "fragment", "-"]


def test_exercise_task_and_solution_get_sub_slides_of_their_own():
    exercise = code("answer = ...\ncheck(answer)", metadata={"tags": ["exercise"]})
    solution = md(
        editions.solution_source("answer = 1\ncheck(answer)"), metadata={"tags": ["solution"]}
    )
    nb = _notebook(
        md("## Practice\n\nSome text."),
        code("x = 1"),
        md("Predict it."),
        exercise,
        solution,
        md("That was it."),
    )
    assert slides.slide_types(nb) == ["slide", "-", "subslide", "-", "subslide", "subslide"]


def test_a_section_taller_than_a_slide_continues_on_a_sub_slide():
    # Three paragraphs, each with a figure of 60% of a slide: each one needs a slide of its own.
    tall = int(slides.SLIDE_HEIGHT * 0.6)
    cells = [md("## A\n\n" + "Words. " * 40)]
    for n in range(3):
        cells += [md(f"Paragraph {n}."), _with_figure(code(f"plot({n})"), 400, tall)]
    types = slides.slide_types(_notebook(*cells))
    assert types == ["slide", "-", "-", "subslide", "-", "subslide", "-"]


def test_a_heading_is_not_left_alone_on_its_slide():
    nb = _notebook(md("## A"), _with_figure(code("plot()"), 400, 2 * slides.SLIDE_HEIGHT))
    assert slides.slide_types(nb) == ["slide", "-"]


def test_wide_images_are_measured_at_the_slide_width():
    narrow = _with_figure(code("plot()"), 400, 300)
    wide = _with_figure(code("plot()"), 2 * slides.SLIDE_WIDTH, 600)
    assert slides.output_height(narrow.outputs[0]) == 300
    assert slides.output_height(wide.outputs[0]) == 300


def test_markdown_height_counts_wrapped_lines():
    one_line = slides.markdown_height("Short.")
    three_lines = slides.markdown_height("x" * (2 * slides.CHARS_PER_LINE + 1))
    assert three_lines - one_line == 2 * slides.TEXT_LINE


def test_apply_writes_what_stale_checks():
    nb = _notebook(md("# T"), code("x = 1"), md("## A"))
    assert "slide type None" in slides.stale(nb)
    slides.apply(nb)
    assert slides.stale(nb) is None
    assert nb.metadata["rise"] == slides.RISE_SETTINGS
    nb.cells[2].metadata["slideshow"]["slide_type"] = "-"
    assert slides.stale(nb) == "cell 2: slide type '-', the tool gives 'slide'"


def test_the_command_line_check_fails_on_a_stale_notebook(tmp_path):
    path = tmp_path / "stale.ipynb"
    nbformat.write(_notebook(md("# T"), code("x = 1")), path)
    check = [sys.executable, str(ROOT / "tools" / "slides.py"), "--check", str(path)]
    assert subprocess.run(check, capture_output=True).returncode == 1
    subprocess.run([sys.executable, str(ROOT / "tools" / "slides.py"), str(path)], check=True)
    assert subprocess.run(check, capture_output=True).returncode == 0


def test_make_execute_writes_the_slide_types_after_running():
    makefile = (ROOT / "Makefile").read_text()
    recipe = makefile.split("\nexecute:")[1].split("\n\n")[0]
    run, apply = recipe.index("tools/execute.py"), recipe.index("slides.py")
    assert run < apply, "slide types depend on the outputs: write them after executing"


def test_the_rise_widgets_extension_installs_where_jupyterlab_finds_it(tmp_path):
    target = rise_widgets.install(tmp_path)
    found = get_federated_extensions([str(tmp_path / "share" / "jupyter" / "labextensions")])
    assert list(found) == [rise_widgets.NAME]
    load = found[rise_widgets.NAME]["jupyterlab"]["_build"]["load"]
    assert (target / load).is_file() and "course-rise-widgets" in (target / load).read_text()


def test_readme_teacher_table_counts_each_notebooks_slides_and_exercises():
    """README's "For teachers" table: one row per notebook, its slides and sub-slides and its
    exercises as the notebook has them now (so the table cannot go stale when a cell moves)."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("### How long each notebook takes", 1)[1].split("\n## ", 1)[0]
    rows = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 5 and re.fullmatch(r"\d\d-[a-z0-9-]+", cells[0]):
            rows[cells[0]] = (int(cells[1]), int(cells[2]), int(cells[4]))
    paths = sorted((ROOT / "notebooks").glob("*.ipynb"))
    assert sorted(rows) == [p.stem for p in paths]
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        shown = sum(slides.count(nb))
        assert rows[path.stem] == (shown, 2 * shown, len(editions.exercises(nb))), path.stem


def test_deck_run_links_are_the_readmes_binder_badge_and_the_notebooks_colab_badge():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    binder = re.search(r"\(https://mybinder\.org/badge_logo\.svg\)\]\((\S+)\)", readme)[1]
    first = NOTEBOOKS[0]
    badge = nbformat.read(first, as_version=4).cells[0].source
    colab = re.search(r"\]\((https://colab[^)]+/notebooks/[^)]+)\)$", badge)[1]
    assert decks.run_links(first.stem) == {"binder": binder, "colab": colab}


def test_decks_lead_to_each_other_and_load_the_widget_runtime_from_their_folder(tmp_path):
    state = {"application/vnd.jupyter.widget-state+json": {
        "version_major": 2, "version_minor": 0, "state": {}}}
    paths = []
    for name, text in (("00-start-here", "See [notebook 03](03-stride-padding-dilation.ipynb#"
                                         "dilation) and [PyTorch](https://pytorch.org)."),
                       ("03-stride-padding-dilation", "## Dilation\n\nBack to [00]"
                                                      "(00-start-here.ipynb).")):
        nb = _notebook(md(f"# {name}\n\n{text}"))
        nb.metadata["widgets"] = state
        paths.append(tmp_path / f"{name}.ipynb")
        nbformat.write(nb, paths[-1])
    first, third = decks.build(tmp_path / "out", paths, networks=False)
    html = first.read_text(encoding="utf-8")
    assert 'href="03-stride-padding-dilation.slides.html#dilation"' in html
    assert 'href="https://pytorch.org"' in html
    assert 'href="00-start-here.slides.html"' in third.read_text(encoding="utf-8")
    scripts = re.findall(r'<script[^>]*src="([^"]+)"', html)
    assert scripts.index("_assets/course-host.js") < scripts.index("_assets/require.js")
    assert "var widgetRendererSrc = '_assets/embed-amd.js'" in html
    assert not re.search(r'(src|href)="https?://(?!pytorch\.org)', html)
    assets = tmp_path / "out" / decks.ASSETS
    assert all((assets / dst).exists() for _, dst in decks.WIDGETS + decks.MATHJAX + decks.REVEAL)
