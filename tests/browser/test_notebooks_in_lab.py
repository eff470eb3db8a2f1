"""Every notebook, run top to bottom in JupyterLab in headless Chromium.

For each notebooks/*.ipynb (collected when the tests are, so new notebooks are covered):
run all cells, wait for the kernel to be idle, then check that no cell has an error output and
every widget rendered (no "Error displaying widget", none still "Loading widget"). Then, in every
explorer (``.course-explorer``), change a control the way a learner would (arrow key on a
slider, another option in a drop-down, a new number in a text box, ...) and check that the
picture (``.course-explorer-image``) is redrawn; a few more changes give the browser latency.
Memory must stay under Binder's 2 GB: the kernel's peak (VmHWM), and the sum of the PSS of
the kernel and the processes it starts, sampled during the run.

Reports: test-artifacts/notebook-memory.md and test-artifacts/widget-latency-browser.md.
"""

from __future__ import annotations

import json
import os
import re
import statistics
import threading
import time
from pathlib import Path

import psutil
import pytest

ROOT = Path(__file__).resolve().parents[2]
# $COURSE_BROWSER_NOTEBOOKS: another folder of notebooks (to try these tests on scratch ones).
NOTEBOOKS = Path(os.environ.get("COURSE_BROWSER_NOTEBOOKS", ROOT / "notebooks"))
ARTIFACTS = ROOT / "test-artifacts"
NOTEBOOK_PATHS = sorted(NOTEBOOKS.glob("*.ipynb"))
# Seconds for one notebook, top to bottom: longer is a failure, not a hang.
RUN_TIMEOUT = float(os.environ.get("COURSE_BROWSER_RUN_TIMEOUT", 300))
OPEN_TIMEOUT = 120  # seconds to open a notebook and start its kernel
WIDGET_TIMEOUT = 60  # seconds for every widget to leave "Loading widget..."
CHANGE_TIMEOUT = 20  # seconds for a picture to follow a control change
LATENCY_REPEATS = 6  # control changes per explorer timed for the browser latency
MEMORY_LIMIT = 2 * 1024**3  # Binder's 2 GB, in bytes
MiB = 1024**2

# Started without awaiting (page.evaluate has no timeout); the test polls window.__opened.
OPEN_NOTEBOOK = """(path) => {
  window.__opened = {done: false};
  (async () => {
    const app = window.jupyterapp;
    await app.started;
    await app.restored;
    const panel = await app.commands.execute('docmanager:open', {path, factory: 'Notebook'});
    await panel.context.ready;
    await panel.sessionContext.ready;
    app.shell.activateById(panel.id);
    const kernel = panel.sessionContext.session && panel.sessionContext.session.kernel;
    if (!kernel) { throw new Error('no kernel was started for ' + path); }
    await kernel.info;
    window.__course = {app, panel, run: {done: false}};
    return kernel.id;
  })().then(
    (id) => { window.__opened = {done: true, kernel: id}; },
    (err) => { window.__opened = {done: true, error: String(err)}; });
}"""

RUN_ALL = """() => {
  const c = window.__course;
  c.app.shell.activateById(c.panel.id);
  c.run = {done: false};
  c.app.commands.execute('notebook:run-all-cells').then(
    (ok) => { c.run = {done: true, ok: ok}; },
    (err) => { c.run = {done: true, ok: false, error: String(err)}; });
}"""

KERNEL_IDLE = """() => {
  const s = window.__course.panel.sessionContext.session;
  return s && s.kernel && s.kernel.status === 'idle';
}"""

CELL_PROBLEMS = """() => {
  const problems = [];
  window.__course.panel.content.widgets.forEach((cell, i) => {
    if (cell.model.type !== 'code') { return; }
    const source = cell.model.sharedModel.getSource().trim();
    if (source && cell.model.executionCount === null) {
      problems.push(`cell ${i}: was not executed`);
    }
    for (const out of cell.model.outputs.toJSON()) {
      if (out.output_type === 'error') {
        problems.push(`cell ${i}: ${out.ename}: ${out.evalue}`);
      }
    }
  });
  return problems;
}"""

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
      else if (!node.querySelector('.jupyter-widgets, .widget-toggle-buttons')) {
        state.missing.push(`cell ${i} output ${k}: no widget view in the output`);
      }
      else { state.rendered += 1; }
    });
  });
  return state;
}"""

# Number the explorers, and record when each one's picture or message changes.
WATCH_EXPLORERS = """() => {
  const found = [...window.__course.panel.node.querySelectorAll('.course-explorer')];
  return found.map((el, i) => {
    el.setAttribute('data-course-index', String(i));
    const own = (sel) => [...el.querySelectorAll(sel)]
      .find((n) => n.closest('.course-explorer') === el);
    const img = own('.course-explorer-image');
    const msg = own('.course-explorer-message');
    el.__times = [];
    const mark = () => { el.__times.push(performance.now()); };
    if (img) {
      new MutationObserver(mark).observe(img, {attributes: true, attributeFilter: ['src']});
    }
    if (msg) {
      new MutationObserver(mark).observe(msg, {childList: true, subtree: true,
                                               characterData: true});
    }
    const title = el.querySelector('b');
    return {title: title ? title.textContent.trim() : '', image: Boolean(img)};
  });
}"""

EXPLORER_STATE = """(i) => {
  const el = document.querySelector(`[data-course-index="${i}"]`);
  const img = [...el.querySelectorAll('.course-explorer-image')]
    .find((n) => n.closest('.course-explorer') === el);
  const msg = [...el.querySelectorAll('.course-explorer-message')]
    .find((n) => n.closest('.course-explorer') === el);
  return {
    changes: el.__times.length,
    times: el.__times,
    src: img ? img.getAttribute('src') : null,
    shown: img ? getComputedStyle(img).display !== 'none' : false,
    message: msg ? msg.textContent.trim() : '',
  };
}"""

CHANGED = """([i, n]) => document.querySelector(`[data-course-index="${i}"]`).__times.length > n"""


def explorer_classes_used(notebook: Path) -> set[str]:
    """Names of Explorer subclasses (from course_utils/widgets/*.py) in the notebook's code."""
    classes = set()
    for module in (ROOT / "course_utils" / "widgets").glob("*.py"):
        classes |= set(re.findall(r"^class (\w+)\(Explorer\)", module.read_text(), re.M))
    cells = json.loads(notebook.read_text())["cells"]
    code = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
    return {name for name in classes if re.search(rf"\b{name}\b", code)}


class Control:
    """One control in an explorer, and how to give it another value from the keyboard/mouse."""

    def __init__(self, page, kind: str, locator, label: str):
        self.page, self.kind, self.locator, self.label = page, kind, locator, label

    def change(self, k: int) -> float | None:
        """Give the control a new value (direction alternates with ``k``).

        Returns the page's clock (performance.now(), ms) just before the change, or None when
        the control cannot change (a slider at both ends, a one-option drop-down ...).
        """
        loc, page = self.locator, self.page
        if self.kind == "slider":
            now, low, high = (
                loc.get_attribute(a) for a in ("aria-valuenow", "aria-valuemin", "aria-valuemax")
            )
            if None in (now, low, high) or float(low) == float(high):
                return None
            up = (k % 2 == 0 and float(now) < float(high)) or float(now) <= float(low)
            loc.focus()
            t0 = page.evaluate("performance.now()")
            loc.press("ArrowRight" if up else "ArrowLeft")
            return t0
        if self.kind == "select":
            values = [o.get_attribute("value") for o in loc.locator("option").all()]
            current = loc.input_value()
            others = [v for v in values if v != current]
            if not others:
                return None
            t0 = page.evaluate("performance.now()")
            loc.select_option(others[k % len(others)])
            return t0
        if self.kind == "number":
            text = loc.input_value()
            try:
                value = float(text)
            except ValueError:
                return None
            new = value + (1 if k % 2 == 0 else -1)
            new_text = str(int(new)) if new == int(new) and "." not in text else str(new)
            loc.fill(new_text)
            t0 = page.evaluate("performance.now()")
            loc.press("Enter")
            return t0
        if self.kind in ("toggle", "checkbox"):
            t0 = page.evaluate("performance.now()")
            loc.click()
            return t0
        raise AssertionError(f"unknown control kind {self.kind}")


def explorer_controls(page, index: int) -> list[Control]:
    """The explorer's controls, most typical first (sliders, drop-downs, numbers, buttons)."""
    root = page.locator(f'[data-course-index="{index}"]')
    found = []
    for kind, selector in [
        ("slider", ".noUi-handle"),
        ("select", "select"),
        ("number", "input[type='number']"),
        ("toggle", ".widget-toggle-buttons button:not(.mod-active)"),
        ("checkbox", "input[type='checkbox']"),
    ]:
        for n, loc in enumerate(root.locator(selector).all()):
            if loc.is_visible() and loc.is_enabled():
                found.append(Control(page, kind, loc, f"{kind} #{n}"))
    return found


def wait_for_change(page, index: int, before: int, t0: float) -> float | None:
    """Milliseconds from ``t0`` to the explorer's next redraw, or None if none came in time."""
    try:
        page.wait_for_function(CHANGED, arg=[index, before], timeout=CHANGE_TIMEOUT * 1000)
    except Exception:  # playwright's TimeoutError
        return None
    times = page.evaluate(EXPLORER_STATE, index)["times"]
    return times[before] - t0


def exercise_explorer(page, index: int) -> tuple[str, list[float]]:
    """Change controls until the picture is redrawn; then time more changes of that control.

    Returns the control used and the browser latencies in ms; fails when no control redraws
    the picture.
    """
    tried = []
    for control in explorer_controls(page, index):
        state = page.evaluate(EXPLORER_STATE, index)
        t0 = control.change(0)
        if t0 is None:
            tried.append(f"{control.label}: cannot change")
            continue
        latency = wait_for_change(page, index, state["changes"], t0)
        page.wait_for_timeout(300)  # let a message and a picture that come together both land
        after = page.evaluate(EXPLORER_STATE, index)
        if latency is None:
            tried.append(f"{control.label}: nothing redrawn within {CHANGE_TIMEOUT} s")
            continue
        if not (after["shown"] and after["src"] and after["src"] != state["src"]):
            tried.append(f"{control.label}: no new picture (message: {after['message']!r})")
            continue
        latencies = [latency]
        for k in range(1, LATENCY_REPEATS + 1):
            before = page.evaluate(EXPLORER_STATE, index)["changes"]
            t0 = control.change(k)
            if t0 is None:
                break
            latency = wait_for_change(page, index, before, t0)
            if latency is None:
                pytest.fail(
                    f"explorer #{index}: {control.label} redrew once, then a change "
                    f"was not followed by a redraw within {CHANGE_TIMEOUT} s"
                )
            latencies.append(latency)
            page.wait_for_timeout(200)
        return control.label, latencies
    pytest.fail(
        f"explorer #{index}: no control redrew its picture; tried: "
        + ("; ".join(tried) or "no visible control found")
    )


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


def write_latency_report(rows: dict) -> Path:
    path = ARTIFACTS / "widget-latency-browser.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [
        "# Widget latency in the browser",
        "",
        "Time from a control change in the page (key press, option chosen, number entered) to "
        "the redrawn picture in the page: the round trip through the kernel, the redraw, the PNG "
        "and the browser. Median over the changes made by tests/browser (the first one "
        "included). Goal for the kernel's share: 100 ms.",
        "",
        "| notebook | explorer | control | changes | median (ms) | max (ms) |",
        "|---|---|---|---:|---:|---:|",
    ]
    for (name, index), (title, label, values) in sorted(rows.items()):
        lines.append(
            f"| {name} | #{index} {title} | {label} | {len(values)} | "
            f"{statistics.median(values):.0f} | {max(values):.0f} |"
        )
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture(scope="session")
def memory_rows():
    return {}


@pytest.fixture(scope="session")
def latency_rows():
    return {}


@pytest.mark.parametrize("notebook", NOTEBOOK_PATHS, ids=lambda p: p.stem)
def test_notebook_in_jupyterlab(notebook, lab_server, lab_page, memory_rows, latency_rows):
    page = lab_page
    page.set_default_timeout(60_000)
    page.goto(lab_server.lab_url(), wait_until="domcontentloaded", timeout=120_000)
    page.wait_for_function("() => window.jupyterapp !== undefined", timeout=120_000)
    page.evaluate(OPEN_NOTEBOOK, notebook.name)
    try:
        page.wait_for_function("() => window.__opened.done", timeout=OPEN_TIMEOUT * 1000)
    except Exception as err:  # playwright's TimeoutError
        pytest.fail(f"{notebook.name}: no running kernel within {OPEN_TIMEOUT} s ({err})")
    opened = page.evaluate("() => window.__opened")
    assert "kernel" in opened, f"{notebook.name} could not be opened: {opened.get('error')}"
    kernel = lab_server.kernel_process(opened["kernel"])

    start = time.monotonic()
    sampler = TreeMemorySampler(kernel)
    page.evaluate(RUN_ALL)
    try:
        page.wait_for_function(
            "() => window.__course.run.done", timeout=RUN_TIMEOUT * 1000, polling=500
        )
        page.wait_for_function(KERNEL_IDLE, timeout=60_000, polling=200)
    except Exception as err:  # playwright's TimeoutError
        pytest.fail(f"{notebook.name} did not finish within {RUN_TIMEOUT:.0f} s ({err})")
    seconds = time.monotonic() - start

    problems = page.evaluate(CELL_PROBLEMS)
    assert not problems, f"{notebook.name} has errors:\n" + "\n".join(problems)
    run = page.evaluate("() => window.__course.run")
    assert run.get("ok", False), f"{notebook.name}: 'Run All Cells' did not succeed: {run}"

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

    explorers = page.evaluate(WATCH_EXPLORERS)
    used = explorer_classes_used(notebook)
    assert len(explorers) >= len(used), (
        f"{notebook.name} uses {sorted(used)}, but the page shows {len(explorers)} explorer(s)"
    )
    for index, explorer in enumerate(explorers):
        assert explorer["image"], f"{notebook.name}: explorer #{index} has no picture"
        label, latencies = exercise_explorer(page, index)
        latency_rows[(notebook.name, index)] = (explorer["title"], label, latencies)
        write_latency_report(latency_rows)

    kernel_peak, tree_peak = peak_memory(kernel), sampler.stop()
    memory_rows[notebook.name] = (kernel_peak, tree_peak, seconds)
    report = write_memory_report(memory_rows)
    peak = max(kernel_peak, tree_peak)
    assert peak <= MEMORY_LIMIT, (
        f"{notebook.name} needs more than Binder's {MEMORY_LIMIT / MiB:.0f} MiB: kernel VmHWM "
        f"{kernel_peak / MiB:.0f} MiB, kernel + child processes (PSS, sampled) "
        f"{tree_peak / MiB:.0f} MiB (see {report})"
    )


class TreeMemorySampler:
    """Samples, in a thread, the memory of a process plus all its descendants (DataLoader
    workers, processes a cell launches ...), which the kernel's VmHWM misses. Each process
    counts its PSS (proportional set size: pages shared between processes, such as torch's
    libraries, are split among them), so the sum is what the machine (or Binder's cgroup)
    really holds, not a multiple count of shared libraries."""

    def __init__(self, process, interval: float = 0.25):
        self.process, self.interval, self.peak = process, interval, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            total = 0
            try:
                for proc in [self.process, *self.process.children(recursive=True)]:
                    try:
                        total += proc.memory_full_info().pss
                    except psutil.Error:
                        pass
            except psutil.Error:
                return
            self.peak = max(self.peak, total)
            self._stop.wait(self.interval)

    def stop(self) -> int:
        """Stop sampling; the largest total seen, in bytes."""
        self._stop.set()
        self._thread.join(timeout=5)
        return self.peak


def peak_memory(process) -> int:
    """Peak resident memory (VmHWM) of a process, in bytes, from /proc."""
    status = Path(f"/proc/{process.pid}/status").read_text()
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise LookupError(f"no VmHWM in /proc/{process.pid}/status")
