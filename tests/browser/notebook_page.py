"""Pages of the test server: a notebook open in JupyterLab or Notebook 7, and evidence.

``OpenNotebook(page, server, path)`` opens it (and waits for its kernel), ``run_all`` runs
every cell and checks that none failed, ``execute`` asks the kernel something (the code runs
as a cell would, without a cell) and returns what it printed, ``run_code`` does the same and
returns everything that came back (output streams, error, displays). The ``open_notebook`` fixture
(conftest.py) makes one in a fresh page. ``watch_console`` and ``keep_evidence`` leave a
screenshot, the console and the server's log in test-artifacts/browser/ after a failure.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def _say(request, line: str) -> None:
    """Write a line to the terminal (CI's log) even while output is captured."""
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write_line("")
        reporter.write_line(line)
    else:
        print(line, file=sys.stderr)


def watch_console(page) -> list[str]:
    """The page's console messages and errors, collected as they come."""
    console: list[str] = []
    page.on("console", lambda msg: console.append(f"{msg.type}: {msg.text}"))
    page.on("pageerror", lambda err: console.append(f"pageerror: {err}"))
    return console


def keep_evidence(request, page, console: list[str], server) -> None:
    """After a failed test: a screenshot, the console and the server's log in test-artifacts."""
    report = getattr(request.node, "rep_call", None)
    if report is None or not report.failed:
        return
    name = "".join(c if c.isalnum() or c in "-_." else "_" for c in request.node.name)
    shots = ARTIFACTS / "browser"
    shots.mkdir(parents=True, exist_ok=True)
    shot = shots / f"{name}.png"
    try:
        page.screenshot(path=str(shot), full_page=True)
        (shots / f"{name}.console.txt").write_text("\n".join(console[-200:]))
        (shots / f"{name}.server.log").write_text(server.log_tail(200))
        _say(request, f"browser test failed: screenshot {shot} (logs beside it)")
    except Exception as err:  # a failed screenshot must not hide the failure
        _say(request, f"could not save a screenshot: {err}")

# Opens a notebook in JupyterLab; started without awaiting (page.evaluate has no timeout), the
# caller polls window.__opened.
OPEN_IN_LAB = """(path) => {
  window.__opened = {done: false};
  (async () => {
    const app = window.jupyterapp;
    await app.started;
    await app.restored;
    const panel = await app.commands.execute('docmanager:open', {path, factory: 'Notebook'});
    app.shell.activateById(panel.id);
    return panel;
  })().then((panel) => attach(panel), (err) => { window.__opened = {done: true,
                                                                     error: String(err)}; });
}"""

# Notebook 7 opens the notebook of its address itself: attach to it once it is there.
OPEN_IN_NOTEBOOK7 = """() => {
  window.__opened = {done: false};
  (async () => {
    const app = window.jupyterapp;
    await app.started;
    await app.restored;
    while (!(app.shell.currentWidget && app.shell.currentWidget.sessionContext)) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return app.shell.currentWidget;
  })().then((panel) => attach(panel), (err) => { window.__opened = {done: true,
                                                                     error: String(err)}; });
}"""

ATTACH = """() => {
  window.attach = async (panel) => {
    try {
      await panel.context.ready;
      await panel.sessionContext.ready;
      const kernel = panel.sessionContext.session && panel.sessionContext.session.kernel;
      if (!kernel) { throw new Error('no kernel was started'); }
      await kernel.info;
      window.__course = {app: window.jupyterapp, panel, run: {done: false}};
      window.__opened = {done: true, kernel: kernel.id};
    } catch (err) { window.__opened = {done: true, error: String(err)}; }
  };
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

# Each code cell's outputs, as the notebook model holds them (nbformat JSON), in order.
CODE_OUTPUTS = """() => window.__course.panel.content.widgets
  .filter((cell) => cell.model.type === 'code')
  .map((cell) => cell.model.outputs.toJSON())"""

# Runs code in the notebook's kernel (as a cell would, without a cell) and returns its stdout.
EXECUTE = """async (code) => {
  const kernel = window.__course.panel.sessionContext.session.kernel;
  const future = kernel.requestExecute({code, store_history: false});
  let out = '';
  future.onIOPub = (msg) => {
    if (msg.header.msg_type === 'stream') { out += msg.content.text; }
    if (msg.header.msg_type === 'error') { out += `${msg.content.ename}: ${msg.content.evalue}`; }
  };
  await future.done;
  return out;
}"""


# Closes the notebook opened last, unsaved (autosave is off: a changed notebook would ask).
CLOSE = """() => {
  const panel = window.__course && window.__course.panel;
  if (panel && !panel.isDisposed) { panel.context.model.dirty = false; panel.dispose(); }
}"""

# Runs code in the notebook's kernel as a cell would (without a cell) and returns what came
# back: stdout, stderr, an error, and what it displayed (markdown, else plain text). A kernel
# that does not answer within `timeout` ms is reported as an error, not waited on for ever.
RUN_CODE = """async ([code, timeout]) => {
  const kernel = window.__course.panel.sessionContext.session.kernel;
  const result = {stdout: '', stderr: '', error: null, shown: []};
  const future = kernel.requestExecute({code, store_history: false});
  future.onIOPub = (msg) => {
    const type = msg.header.msg_type, content = msg.content;
    if (type === 'stream') {
      result[content.name === 'stderr' ? 'stderr' : 'stdout'] += content.text;
    }
    else if (type === 'error') { result.error = `${content.ename}: ${content.evalue}`; }
    else if (type === 'display_data' || type === 'execute_result') {
      result.shown.push(content.data['text/markdown'] || content.data['text/plain'] || '');
    }
  };
  let timer;
  const late = new Promise((resolve) => { timer = setTimeout(() => resolve('late'), timeout); });
  const answer = await Promise.race([future.done.then(() => 'done', (err) => String(err)), late]);
  clearTimeout(timer);
  if (answer === 'late') { result.error = `Timeout: no answer within ${timeout / 1000} s`; }
  else if (answer !== 'done' && !result.error) { result.error = answer; }
  return result;
}"""


class OpenNotebook:
    """A notebook open in the page (JupyterLab or Notebook 7): run it, read it, ask its kernel."""

    def __init__(self, page, server, path: str, notebook7: bool = False, reuse: bool = False):
        """``reuse``: open the notebook in the JupyterLab the page shows already, if it does
        (after :data:`CLOSE` closed the one before)."""
        self.page, self.server, self.path = page, server, path
        page.set_default_timeout(60_000)
        if notebook7:
            page.goto(server.notebook7_url(path), wait_until="domcontentloaded", timeout=120_000)
        elif not (reuse and page.url.startswith(server.url)
                  and page.evaluate("() => window.jupyterapp !== undefined")):
            page.goto(server.lab_url(), wait_until="domcontentloaded", timeout=120_000)
        page.wait_for_function("() => window.jupyterapp !== undefined", timeout=120_000)
        page.evaluate(ATTACH)
        if notebook7:
            page.evaluate(OPEN_IN_NOTEBOOK7)
        else:
            page.evaluate(OPEN_IN_LAB, path)
        try:
            page.wait_for_function("() => window.__opened.done", timeout=120_000)
        except Exception as err:  # playwright's TimeoutError
            pytest.fail(f"{path}: no running kernel within 120 s ({err})")
        opened = page.evaluate("() => window.__opened")
        assert "kernel" in opened, f"{path} could not be opened: {opened.get('error')}"
        self.kernel_id = opened["kernel"]

    def run_all(self, timeout: float) -> float:
        """Run every cell and wait for the kernel to be idle; the seconds it took."""
        start = time.monotonic()
        self.page.evaluate(RUN_ALL)
        try:
            self.page.wait_for_function("() => window.__course.run.done",
                                        timeout=timeout * 1000, polling=500)
            self.page.wait_for_function(KERNEL_IDLE, timeout=60_000, polling=200)
        except Exception as err:  # playwright's TimeoutError
            pytest.fail(f"{self.path} did not finish within {timeout:.0f} s ({err})")
        problems = self.page.evaluate(CELL_PROBLEMS)
        assert not problems, f"{self.path} has errors:\n" + "\n".join(problems)
        run = self.page.evaluate("() => window.__course.run")
        assert run.get("ok", False), f"{self.path}: 'Run All Cells' did not succeed: {run}"
        return time.monotonic() - start

    def outputs(self) -> list[list[dict]]:
        """Each code cell's outputs (nbformat JSON, as the page's notebook model holds them)."""
        return self.page.evaluate(CODE_OUTPUTS)

    def execute(self, code: str) -> str:
        """What ``code`` prints when the notebook's kernel runs it."""
        return self.page.evaluate(EXECUTE, code)

    def run_code(self, code: str, timeout: float = 300) -> dict:
        """Run ``code`` in the notebook's kernel as a cell would; what came back: ``stdout``,
        ``stderr``, ``error`` (``"NameError: ..."``, or None) and ``shown`` (the markdown, else
        the plain text, of each display). No answer within ``timeout`` seconds is an error."""
        return self.page.evaluate(RUN_CODE, [code, timeout * 1000])

