"""Every notebook, run top to bottom in JupyterLab in headless Chromium, then gone back over.

For each notebooks/*.ipynb (collected when the tests are, so new notebooks are covered):
run all cells, wait for the kernel to be idle, then check that no cell has an error output,
that the outputs agree with the saved ones as ``pytest --nbval`` compares them
(nbval_compare.py; ``make test`` runs nbval itself on this CPU path only over 07, whose first
run trains the model the others reuse), and that every widget rendered (no "Error displaying
widget", none still "Loading widget"). Then, in every explorer (``.course-explorer``), press an
arrow key on each slider the way a learner would and
check that the picture is redrawn (test_explorers_in_lab.py operates each explorer in depth).

Then, in the kernel as Run All left it, what a learner does next: go back a section and run it
again. Each ``##`` section (tests/notebook_sections.py) is run again from its first code cell to
its last, the last section first and the first last (so each finds what every later section
left, as after Run All: a name a later section rebinds or deletes shows), and must raise no
error; then each exercise: its cell again (it must still
answer "Not implemented yet" / "Not answered yet") and, right after it, its solution (the
``<details>`` cell below it, tools/editions.py), which must answer "Correct". This is the only
run of the solutions: the student edition's code cells are the notebook's own
(tests/test_editions.py), so nbval's run of the notebook is the edition's run too.

Memory must stay under Binder's 2 GB, all of that included: the kernel's peak (VmHWM), and the
sum of the PSS of the kernel and the processes it starts, sampled during the run.

Report: test-artifacts/notebook-memory.md.
"""

from __future__ import annotations

import json
import os
import re
import sys
import time
from pathlib import Path

import nbformat
import pytest
from explorer_probe import Probe, watch
from nbval_compare import compare_notebook
from notebook_sections import exercise_cells, sections
from tree_memory import TreeMemory

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))

import editions  # noqa: E402

# $COURSE_BROWSER_NOTEBOOKS: another folder of notebooks (to try these tests on scratch ones).
NOTEBOOKS = Path(os.environ.get("COURSE_BROWSER_NOTEBOOKS", ROOT / "notebooks"))
ARTIFACTS = ROOT / "test-artifacts"
NOTEBOOK_PATHS = sorted(NOTEBOOKS.glob("*.ipynb"))
# Seconds for one notebook, top to bottom: longer is a failure, not a hang.
RUN_TIMEOUT = float(os.environ.get("COURSE_BROWSER_RUN_TIMEOUT", 300))
WIDGET_TIMEOUT = 60  # seconds for every widget to leave "Loading widget..."
CELL_TIMEOUT = 300  # seconds for one cell run again (07's DDP cell starts processes)
MEMORY_LIMIT = 2 * 1024**3  # Binder's 2 GB, in bytes
MiB = 1024**2

WIDGET_STATE = """() => {
  const WIDGET = 'application/vnd.jupyter.widget-view+json';
  const state = {expected: 0, rendered: 0, loading: 0, errors: [], missing: []};
  window.__course.panel.content.widgets.forEach((cell, i) => {
    if (cell.model.type !== 'code') { return; }
    const shown = [...cell.outputArea.node.children];
    cell.model.outputs.toJSON().forEach((out, k) => {
      if (!(out.data && out.data[WIDGET])) { return; }
      state.expected += 1;
      const node = shown[k];
      const text = node ? node.textContent || '' : '';
      if (!node) { state.missing.push(`cell ${i} output ${k}: not in the page`); }
      else if (text.includes('Error displaying widget')) {
        state.errors.push(`cell ${i} output ${k}: ${text.slice(0, 300)}`);
      }
      else if (text.includes('Loading widget')) { state.loading += 1; }
      else if (!node.querySelector('.jupyter-widgets, .course-explorer')) {
        state.missing.push(`cell ${i} output ${k}: no widget view in the output`);
      }
      else { state.rendered += 1; }
    });
  });
  return state;
}"""


def explorer_classes_used(notebook: Path) -> set[str]:
    """Names of Explorer subclasses (from course_utils/widgets/*.py) in the notebook's code."""
    classes = set()
    for module in (ROOT / "course_utils" / "widgets").glob("*.py"):
        classes |= set(re.findall(r"^class (\w+)\(Explorer\)", module.read_text(), re.M))
    cells = json.loads(notebook.read_text())["cells"]
    code = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
    return {name for name in classes if re.search(rf"\b{name}\b", code)}


def exercise_explorer(page, index: int) -> int:
    """Press an arrow key on each enabled slider of the explorer; every press must redraw its
    picture. Returns how many sliders were tried (at least one)."""
    probe = Probe(page, index)
    sliders = [s for s in probe.root.locator("input[type=range]").all()
               if s.is_visible() and s.is_enabled()]
    assert sliders, f"explorer #{index} has no slider a learner can move"
    for slider in sliders:
        at_top = slider.input_value() == slider.get_attribute("max")
        probe.change(lambda s=slider, k=at_top: s.press("ArrowLeft" if k else "ArrowRight"),
                     f"explorer #{index}, slider {slider.get_attribute('aria-label') or ''}")
    return len(sliders)


def write_memory_report(rows: dict) -> Path:
    path = ARTIFACTS / "notebook-memory.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [
        "# Peak memory of each notebook's kernel (run top to bottom in JupyterLab)",
        "",
        "VmHWM of the kernel process (its peak resident memory), read from /proc after "
        "running all cells and the explorers, and the largest sum of the PSS (shared pages "
        "split between processes) of the kernel and its child processes, sampled every "
        "0.25 s during the run. Limit "
        f"{MEMORY_LIMIT / MiB:.0f} MiB, Binder's 2 GB (which on Binder also holds the Jupyter "
        "server, ~100 MiB). Written by tests/browser; only the notebooks of the last run are "
        "listed.",
        "",
        "| notebook | kernel VmHWM (MiB) | kernel + children, sampled (MiB) "
        "| run all cells (s) | within 2 GB |",
        "|---|---:|---:|---:|---|",
    ]
    for name, (kernel_peak, tree_peak, seconds) in sorted(rows.items()):
        ok = "yes" if max(kernel_peak, tree_peak) <= MEMORY_LIMIT else "**NO**"
        lines.append(
            f"| {name} | {kernel_peak / MiB:.0f} | {tree_peak / MiB:.0f} | {seconds:.0f} | {ok} |"
        )
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture(scope="session")
def memory_rows():
    return {}


@pytest.mark.parametrize("notebook", NOTEBOOK_PATHS, ids=lambda p: p.stem)
def test_notebook_in_jupyterlab(request, notebook, lab_server, open_in_shared_lab, memory_rows):
    opened = open_in_shared_lab(notebook.name)
    page = opened.page
    kernel = lab_server.kernel_process(opened.kernel_id)
    sampler = TreeMemory(kernel)
    seconds = opened.run_all(RUN_TIMEOUT)
    differ = compare_notebook(request.session, notebook, opened.outputs())
    assert not differ, f"{notebook.name}, run in JupyterLab, against its saved outputs " \
        "(nbval's comparison):\n" + "\n\n".join(differ)

    deadline = time.monotonic() + WIDGET_TIMEOUT
    widgets = page.evaluate(WIDGET_STATE)
    while widgets["loading"] and time.monotonic() < deadline:
        page.wait_for_timeout(500)
        widgets = page.evaluate(WIDGET_STATE)
    assert not widgets["errors"], f"{notebook.name}: widgets failed to display: {widgets['errors']}"
    assert not widgets["loading"], (
        f"{notebook.name}: {widgets['loading']} widget(s) still 'Loading widget...' "
        f"after {WIDGET_TIMEOUT} s"
    )
    assert not widgets["missing"], f"{notebook.name}: widgets not shown: {widgets['missing']}"
    assert widgets["rendered"] == widgets["expected"], widgets

    explorers = watch(page)
    used = explorer_classes_used(notebook)
    assert len(explorers) >= len(used), (
        f"{notebook.name} uses {sorted(used)}, but the page shows {len(explorers)} explorer(s)"
    )
    for index in range(len(explorers)):
        exercise_explorer(page, index)

    go_back_over(opened, nbformat.read(notebook, as_version=4), notebook.name)

    kernel_peak, tree_peak = peak_memory(kernel), sampler.stop()
    memory_rows[notebook.name] = (kernel_peak, tree_peak, seconds)
    report = write_memory_report(memory_rows)
    peak = max(kernel_peak, tree_peak)
    assert peak <= MEMORY_LIMIT, (
        f"{notebook.name} needs more than Binder's {MEMORY_LIMIT / MiB:.0f} MiB: kernel VmHWM "
        f"{kernel_peak / MiB:.0f} MiB, kernel + child processes (PSS, sampled) "
        f"{tree_peak / MiB:.0f} MiB (see {report})"
    )


NOT_YET = re.compile(r"Not (implemented|answered) yet")


def go_back_over(opened, nb, name: str) -> None:
    """After Run All: each section run again, the last first, then each exercise cell again
    and its solution right after it, in the same kernel; no error anywhere, every solution
    right."""
    problems = []
    for title, cells in reversed(sections(nb)):
        for index in cells:
            ran = opened.run_code(nb.cells[index].source, CELL_TIMEOUT)
            if ran["error"]:
                problems.append(f"section {title!r}, cell {index} run again: {ran['error']}")
    pairs = dict(editions.exercises(nb))
    assert sorted(pairs) == exercise_cells(nb), (name, sorted(pairs), exercise_cells(nb))
    for exercise, solution in pairs.items():
        ran = opened.run_code(nb.cells[exercise].source, CELL_TIMEOUT)
        if ran["error"] or not (ran["shown"] and NOT_YET.search(ran["shown"][-1])):
            problems.append(f"exercise cell {exercise} run again: {ran['error'] or ran['shown']}")
        ran = opened.run_code(editions.solution_code(nb.cells[solution]), CELL_TIMEOUT)
        if ran["error"] or not (ran["shown"] and ran["shown"][-1].startswith("✅")):
            problems.append(f"the solution of exercise cell {exercise} did not pass: "
                            f"{ran['error'] or ran['shown'] or ran['stdout'][-500:]}")
    assert not problems, f"{name}, after Run All:\n" + "\n".join(problems)


def peak_memory(process) -> int:
    """Peak resident memory (VmHWM) of a process, in bytes, from /proc."""
    status = Path(f"/proc/{process.pid}/status").read_text()
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise LookupError(f"no VmHWM in /proc/{process.pid}/status")
