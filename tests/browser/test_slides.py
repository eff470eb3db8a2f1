"""Notebooks presented live with jupyterlab-rise, in the browser tests' JupyterLab.

Each notebook below is opened as a slideshow (``/rise/<notebook>``, what RISE's toolbar button
opens) and presented as a teacher would: the deck is walked from the first slide to the last
with the space bar (every fragment and sub-slide included), and on each step every code cell
that has come into view is run (click, Ctrl+Enter) and must finish without an error or stderr
output. The deck must show every slide that tools/slides.py gives the notebook, maths rendered
by MathJax, and, where the notebook has an explorer, the explorer live in its slide: a control
changed on the slide must redraw its picture.

A screenshot of each notebook's first slide and of the explorer's slide goes to
test-artifacts/slides/.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
import pytest
from explorer_probe import Probe, watch
from test_notebooks_in_lab import explorer_classes_used

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))

import slides  # noqa: E402

SHOTS = ROOT / "test-artifacts" / "slides"
# Two notebooks with maths, figures and an explorer each; both run in seconds, and neither
# asserts a timing (01 does, which a busy machine can fail).
PRESENTED = ["03-stride-padding-dilation.ipynb", "02-convolution-2d.ipynb"]
OPEN_TIMEOUT = 120_000  # ms for the slideshow to start (kernel included)
CELL_TIMEOUT = 120_000  # ms for one cell to run
WIDGET_TIMEOUT = 60_000  # ms for a widget to leave "Loading widget..."
MAX_STEPS = 400  # space-bar presses before a deck that never ends is a failure

PRESENT = """() => {
  const shown = [...document.querySelectorAll('.reveal .slides section.present[id]')];
  return shown.length ? shown[shown.length - 1].id : null;
}"""
SLIDE_IDS = """() => [...document.querySelectorAll('.reveal .slides section[id]')].map(s => s.id)"""
# Reveal shows the last slide and no fragment is left to show on it.
AT_END = """() => {
  const last = document.querySelector('.reveal .slides > section:last-of-type');
  const present = [...document.querySelectorAll('.reveal .slides section.present[id]')].pop();
  const lastLeaf = [...last.querySelectorAll('section[id]')].pop() || last;
  return present === lastLeaf && !present.querySelector('.fragment:not(.visible)');
}"""
PROBLEMS = """() => [...document.querySelectorAll(
    '.reveal .jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]')]
  .map(o => o.textContent.slice(0, 300))"""
# Mark the code cells in view that have not been run yet; return their marks.
CELLS_TO_RUN = """() => {
  const present = [...document.querySelectorAll('.reveal .slides section.present[id]')].pop();
  const cells = [...present.querySelectorAll('.jp-CodeCell:not(.reveal-skip)')];
  return cells.filter(c => !c.closest('.fragment:not(.visible)') && !c.dataset.courseRan)
    .map(c => {
      const mark = String(document.querySelectorAll('[data-course-ran]').length);
      c.dataset.courseRan = mark;
      return mark;
    });
}"""
CELL_DONE = """(mark) => {
  const prompt = document.querySelector(`[data-course-ran="${mark}"] .jp-InputPrompt`);
  return /\\[\\d+\\]/.test(prompt.textContent);
}"""
WIDGET_ERRORS = """() => [...document.querySelectorAll('.reveal .jp-OutputArea-output')]
  .filter(o => /Error displaying widget/.test(o.textContent))
  .map(o => o.textContent.slice(0, 300))"""
MATHS = """() => document.querySelectorAll('.reveal mjx-container').length"""
# Every widget output on the slide shown has been drawn (or has failed to be).
WIDGETS_SHOWN = """() => {
  const present = [...document.querySelectorAll('.reveal .slides section.present[id]')].pop();
  const outputs = present.querySelectorAll(
    '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.widget-view+json"]');
  return [...outputs].every(o => o.children.length && !/Loading widget/.test(o.textContent));
}"""
ON_THIS_SLIDE = """(i) => Boolean(
  document.querySelector(`[data-course-index="${i}"]`).closest('section.present'))"""
# Where the deck is: the slide shown and how many of its fragments are visible.
STEP = """() => {
  const present = [...document.querySelectorAll('.reveal .slides section.present[id]')].pop();
  return present.id + '/' + present.querySelectorAll('.fragment.visible').length;
}"""


def run_cells(page, marks: list[str]) -> None:
    """Run the cells in order as a presenter does: select each one (a click on its prompt keeps
    command mode) and press Ctrl+Enter; then wait until the kernel has run them all."""
    for mark in marks:
        page.locator(f'[data-course-ran="{mark}"] .jp-InputPrompt').click()
        page.keyboard.press("Control+Enter")
    for mark in marks:
        page.wait_for_function(CELL_DONE, arg=mark, timeout=CELL_TIMEOUT, polling=100)


def drag(page, handle, dx: int) -> None:
    """Drag a slider's handle ``dx`` px sideways with the mouse."""
    box = handle.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + dx, y, steps=4)
    page.mouse.up()


def operate_explorer(page, notebook: str, index: int) -> None:
    """Drag the explorer's sliders until one redraws its picture; fail if none does.

    Sliders are dragged with the mouse: on a slide, the arrow keys also move the deck.
    """
    probe, tried = Probe(page, index), []
    sliders = [s for s in probe.root.locator("input[type=range]").all()
               if s.is_visible() and s.is_enabled()]
    for slider in sliders:
        label = slider.get_attribute("aria-label") or "a slider"
        dx = -40 if slider.input_value() == slider.get_attribute("max") else 40
        try:
            probe.change(lambda s=slider, dx=dx: drag(page, s, dx), f"{notebook}: {label}")
            return
        except AssertionError as err:
            tried.append(str(err))
    pytest.fail(f"{notebook}: explorer #{index} in the slides was not redrawn; tried: {tried}")


def operate_explorers(page, notebook: str, done: set[int]) -> None:
    """Change a control of each explorer on the slide shown; its picture must be redrawn."""
    page.wait_for_function(WIDGETS_SHOWN, timeout=WIDGET_TIMEOUT)
    for index, _ in enumerate(watch(page)):
        if index in done or not page.evaluate(ON_THIS_SLIDE, index):
            continue
        operate_explorer(page, notebook, index)
        page.screenshot(path=str(SHOTS / f"{Path(notebook).stem}-explorer.png"))
        done.add(index)
        # An explorer keeps the keys while one of its controls has focus (Space included): the
        # presenter clicks the slide outside it (focus leaves it), and Space steps on again.
        page.evaluate("() => document.activeElement && document.activeElement.blur()")


@pytest.mark.parametrize("name", PRESENTED, ids=[Path(n).stem for n in PRESENTED])
def test_notebook_as_a_live_slideshow(name, lab_server, lab_page):
    notebook = ROOT / "notebooks" / name
    page = lab_page
    page.set_default_timeout(60_000)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.goto(f"{lab_server.url}/rise/{name}?token={lab_server.token}")
    page.wait_for_selector(".reveal.ready", timeout=OPEN_TIMEOUT)
    ids = page.evaluate(SLIDE_IDS)
    expected = slides.shown(nbformat.read(notebook, as_version=4))
    assert len(ids) == expected, (
        f"{name}: the slideshow has {len(ids)} slides, tools/slides.py gives {expected}"
    )
    assert page.evaluate(MATHS) > 0, f"{name}: no maths rendered by MathJax in the slides"
    page.screenshot(path=str(SHOTS / f"{notebook.stem}-first.png"))

    seen, operated, ran = [page.evaluate(PRESENT)], set(), 0
    for _ in range(MAX_STEPS):
        marks = page.evaluate(CELLS_TO_RUN)
        run_cells(page, marks)
        ran += len(marks)
        problems = page.evaluate(PROBLEMS) + page.evaluate(WIDGET_ERRORS)
        assert not problems, f"{name}, slide {seen[-1]}: error output: {problems}"
        operate_explorers(page, name, operated)
        if page.evaluate(AT_END):
            break
        before = page.evaluate(STEP)
        page.keyboard.press("Space")
        page.wait_for_function("(before) => (" + STEP + ")() !== before", arg=before)
        current = page.evaluate(PRESENT)
        if current != seen[-1]:
            seen.append(current)
    else:
        pytest.fail(f"{name}: still not at the last slide after {MAX_STEPS} steps")

    assert seen == ids, f"{name}: slides shown {seen}, the deck has {ids}"
    code_cells = sum(
        c.cell_type == "code" and "course-header" not in c.metadata.get("tags", [])
        for c in nbformat.read(notebook, as_version=4).cells
    )
    assert ran == code_cells, f"{name}: ran {ran} of its {code_cells} code cells in the slides"
    used = explorer_classes_used(notebook)
    assert len(operated) >= len(used), (
        f"{name} uses {sorted(used)}; explorers operated in the slides: {len(operated)}"
    )
