"""One Jupyter server and one headless Chromium for the whole browser test session.

The server (``jupyter lab``, which also serves Notebook 7's pages under /notebooks/) runs this
environment's Python (the project's .venv) on 127.0.0.1, on a free port, with a random token,
serving a temporary copy of notebooks/ (nothing the browser does can change the committed
notebooks; autosave is off as well); a test may add notebooks of its own to that copy
(``lab_server.root_dir``). Chromium is Debian's (/usr/bin/chromium, or $COURSE_CHROMIUM),
driven by playwright; ``playwright install`` is never needed. ``tools/ensure_chromium.sh``
installs it when it is missing.

Fixtures: ``lab_server``, ``browser_context``, ``lab_page`` (a fresh page, screenshot on
failure) and ``open_notebook`` (open a notebook in JupyterLab or Notebook 7, run it, ask its
kernel). A failed test leaves a screenshot in test-artifacts/browser/ (the path is printed).
The server and the browser are stopped at the end of the session, also when tests fail.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import psutil
import pytest
from notebook_page import CLOSE, OpenNotebook, keep_evidence, watch_console

ROOT = Path(__file__).resolve().parents[2]
# $COURSE_BROWSER_NOTEBOOKS: another folder of notebooks (to try these tests on scratch ones).
NOTEBOOKS = Path(os.environ.get("COURSE_BROWSER_NOTEBOOKS", ROOT / "notebooks"))
CHROMIUM = Path(os.environ.get("COURSE_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
SERVER_START_TIMEOUT = 120  # seconds
# $COURSE_KERNEL_PYTHON: the Python the notebooks' kernel runs (default: this one). With
# .venv-ipyw7/bin/python (tools/ipywidgets7_env.sh) the explorers run on ipywidgets 7.7 in the
# kernel, Colab's version, under JupyterLab's and Notebook 7's own front end.
KERNEL_PYTHON = os.environ.get("COURSE_KERNEL_PYTHON")
if KERNEL_PYTHON:  # absolute (the kernel starts elsewhere), symbolic links kept (a venv's are)
    KERNEL_PYTHON = os.path.abspath(KERNEL_PYTHON)

# JupyterLab user settings for the test server: never write the notebooks back, attach every
# cell to the page (the tests look at all outputs), ask no website for news, and change slides
# without an animation (RISE's transition "none": test_slides.py walks every step of a deck, and
# each step waited for the slide to stop moving: 03's deck took 33 s, now 12 s; what it checks on
# each slide is the same).
LAB_SETTINGS = {
    "@jupyterlab/docmanager-extension/plugin.jupyterlab-settings": {"autosave": False},
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    "jupyterlab-rise/plugin.jupyterlab-settings": {"transition": "none"},
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "fetchNews": "false",
        "checkForUpdates": False,
    },
}


@pytest.hookimpl(tryfirst=True)  # before -m deselects by marker
def pytest_collection_modifyitems(config, items):
    """Mark these tests ``browser`` and run them last, after nbval's pass over the notebooks
    (which leaves notebook 07's trained model in data/ for the browser's pass to reuse)."""
    here = Path(__file__).resolve().parent
    ours = [item for item in items if here in Path(str(item.fspath)).resolve().parents]
    for item in ours:
        item.add_marker(pytest.mark.browser)
    chosen = set(ours)
    items[:] = [item for item in items if item not in chosen] + ours
    in_lab = [item for item in ours if Path(str(item.fspath)).name == "test_notebooks_in_lab.py"]
    asked = [Path(arg.split("::")[0]).resolve() for arg in config.args]
    whole = all(arg.suffix != ".py" or arg.name == "test_notebooks_in_lab.py" for arg in asked)
    if in_lab and whole and not (config.option.keyword or config.option.markexpr):
        every_notebook_collected(in_lab)


def every_notebook_collected(items) -> None:
    """A run of test_notebooks_in_lab.py as a whole (make test's) runs every notebook in
    JupyterLab: a notebook that was not collected is an error, not a silent gap."""
    ran = {item.name for item in items}
    missing = [p.name for p in sorted(NOTEBOOKS.glob("*.ipynb"))
               if f"test_notebook_in_jupyterlab[{p.stem}]" not in ran]
    if missing:
        raise pytest.UsageError(f"tests/browser did not collect these notebooks: {missing}")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the item, so fixtures know whether the test failed."""
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LabServer:
    """A running ``jupyter lab``: its address, token, process and the folder it serves."""

    def __init__(self, workdir: Path):
        self.workdir = workdir
        self.root_dir = workdir / "notebooks"
        self.log_path = workdir / "jupyter.log"
        self.port = _free_port()
        self.token = secrets.token_hex(24)
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None
        self._stopping: list[threading.Thread] = []

    def start(self) -> None:
        shutil.copytree(NOTEBOOKS, self.root_dir)
        settings = self.workdir / "lab-settings"
        for rel, value in LAB_SETTINGS.items():
            path = settings / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(value))
        cmd = [
            sys.executable, "-m", "jupyter", "lab",
            "--no-browser",
            "--ip=127.0.0.1",
            f"--port={self.port}",
            "--ServerApp.port_retries=0",
            f"--IdentityProvider.token={self.token}",
            f"--ServerApp.root_dir={self.root_dir}",
            f"--LabApp.user_settings_dir={settings}",
            f"--LabApp.workspaces_dir={self.workdir / 'workspaces'}",
            "--LabApp.expose_app_in_browser=True",
            "--JupyterNotebookApp.expose_app_in_browser=True",
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        ]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            cmd.append("--allow-root")
        env = dict(os.environ, JUPYTER_RUNTIME_DIR=str(self.workdir / "runtime"))
        env.pop("JUPYTER_TOKEN", None)
        if KERNEL_PYTHON:  # the notebooks' "python3" kernel runs another Python
            spec = self.workdir / "jupyter-data" / "kernels" / "python3"
            spec.mkdir(parents=True)
            (spec / "kernel.json").write_text(json.dumps({
                "argv": [KERNEL_PYTHON, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                "display_name": "Python 3", "language": "python"}))
            env["JUPYTER_PATH"] = os.pathsep.join(
                [str(self.workdir / "jupyter-data"), *filter(None, [env.get("JUPYTER_PATH")])])
        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(
            cmd, cwd=self.root_dir, env=env, stdout=self._log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"jupyter lab exited with code {self.proc.returncode}:\n{self.log_tail()}"
                )
            try:
                self.api("GET", "/api/status")
                return
            except (urllib.error.URLError, ConnectionError, OSError):
                time.sleep(0.5)
        raise RuntimeError(
            f"jupyter lab did not answer within {SERVER_START_TIMEOUT} s:\n{self.log_tail()}"
        )

    def api(self, method: str, path: str, timeout: float = 10):
        """Call the server's REST API; the decoded JSON answer (None when empty)."""
        request = urllib.request.Request(
            self.url + path, method=method,
            headers={"Authorization": f"token {self.token}"},
        )
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            body = answer.read()
        return json.loads(body) if body else None

    def lab_url(self, query: str = "reset") -> str:
        return f"{self.url}/lab?{query}&token={self.token}"

    def notebook7_url(self, path: str) -> str:
        """Notebook 7's page for a notebook (a path under the served folder)."""
        return f"{self.url}/notebooks/{path}?token={self.token}"

    def kernel_process(self, kernel_id: str) -> psutil.Process:
        """The kernel's process: a descendant of the server whose command line names the id."""
        for child in psutil.Process(self.proc.pid).children(recursive=True):
            try:
                if any(kernel_id in part for part in child.cmdline()):
                    return child
            except psutil.Error:
                continue
        raise LookupError(f"no process of the server runs kernel {kernel_id}")

    def shutdown_kernels(self, wait: bool = True) -> None:
        """Delete every session and kernel there is now, so their memory is given back
        between notebooks.

        ``wait=False``: the ones there are now are deleted in the background (a kernel takes
        a second or two to stop; the next test need not wait for it, and its own kernel, started
        later, is left alone); :meth:`stop` waits for those still going."""
        try:
            paths = [f"/api/sessions/{s['id']}" for s in self.api("GET", "/api/sessions")]
            paths += [f"/api/kernels/{k['id']}" for k in self.api("GET", "/api/kernels")]
        except (urllib.error.URLError, OSError):
            return
        if wait:
            self._delete(paths)
        else:
            thread = threading.Thread(target=self._delete, args=(paths,), daemon=True)
            thread.start()
            self._stopping.append(thread)

    def _delete(self, paths: list[str]) -> None:
        for path in paths:
            try:
                self.api("DELETE", path, timeout=30)
            except (urllib.error.URLError, OSError):
                pass  # gone already (a session's kernel goes with it)

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def stop(self) -> None:
        for thread in self._stopping:
            thread.join(timeout=60)
        if self.proc is not None and self.proc.poll() is None:
            self.shutdown_kernels()
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=15)
        if getattr(self, "_log", None):
            self._log.close()


@pytest.fixture(scope="session")
def lab_server():
    """JupyterLab serving a copy of notebooks/, stopped at the end even after failures."""
    workdir = Path(tempfile.mkdtemp(prefix="course-lab-"))
    server = LabServer(workdir)
    try:
        server.start()
        yield server
    finally:
        server.stop()
        shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture(scope="session")
def browser_context():
    """Headless Debian Chromium (fresh profile) driven by playwright."""
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing: run tools/ensure_chromium.sh (installs Debian's chromium) "
            "or point $COURSE_CHROMIUM at a Chromium binary"
        )
    from playwright.sync_api import sync_playwright

    profile = tempfile.mkdtemp(prefix="course-chromium-")
    with sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            profile,
            executable_path=str(CHROMIUM),
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": 1400, "height": 1000},
        )
        try:
            yield context
        finally:
            context.close()
            shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture
def lab_page(request, lab_server, browser_context):
    """A fresh JupyterLab page; a screenshot when the test fails; all kernels shut down after."""
    page = browser_context.new_page()
    console = watch_console(page)
    try:
        yield page
    finally:
        keep_evidence(request, page, console, lab_server)
        page.close()
        lab_server.shutdown_kernels()


@pytest.fixture(scope="module")
def shared_lab_page(lab_server, browser_context):
    """One JupyterLab page for a module's tests, and its console (loading JupyterLab takes a
    few seconds: tests that each open one notebook in it need not each load it again)."""
    page = browser_context.new_page()
    console = watch_console(page)
    try:
        yield page, console
    finally:
        page.close()


@pytest.fixture
def open_in_shared_lab(request, lab_server, shared_lab_page):
    """``open_in_shared_lab(path)``: an :class:`OpenNotebook` in the module's JupyterLab page.
    Afterwards the notebook is closed unsaved and its kernel shut down (in the background);
    after a failure, a screenshot, and the page is left so the next test loads it afresh."""
    page, console = shared_lab_page
    start = len(console)
    try:
        yield lambda path: OpenNotebook(page, lab_server, path, reuse=True)
    finally:
        failed = getattr(request.node, "rep_call", None)
        keep_evidence(request, page, console[start:], lab_server)
        if failed is not None and failed.failed:
            page.goto("about:blank")
        else:
            page.evaluate(CLOSE)
        lab_server.shutdown_kernels(wait=False)


@pytest.fixture
def open_notebook(lab_server, lab_page):
    """``open_notebook(path, notebook7=False)``: an :class:`OpenNotebook` in a fresh page."""
    return lambda path, notebook7=False: OpenNotebook(lab_page, lab_server, path, notebook7)
