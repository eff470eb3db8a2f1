"""Nothing a learner runs depends on Linux: course_utils and the notebooks use no Linux-only API.

Learners run the notebooks on Windows and macOS laptops. The scan reads every module of
course_utils and every code cell of every notebook, and refuses the modules that Windows lacks,
calls that exist only on POSIX or only on Linux, and paths only Linux has. A fork-based code path
is allowed only beside its portable twin (``"fork" if linux else "spawn"``), which
tests/test_distributed.py runs in spawn mode.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import nbformat
import pytest
from IPython.core.inputtransformer2 import TransformerManager

ROOT = Path(__file__).resolve().parent.parent

LINUX_ONLY_MODULES = {"resource", "fcntl", "termios", "tty", "pty", "pwd", "grp", "crypt",
                      "spwd", "posix", "syslog", "nis"}
LINUX_ONLY_CALLS = {"os.fork", "os.forkpty", "os.getuid", "os.geteuid", "os.getgid",
                    "os.setsid", "os.killpg", "os.getpgid", "os.wait3", "os.wait4", "os.uname",
                    "os.sched_getaffinity", "os.sched_setaffinity", "os.getloadavg",
                    "signal.SIGKILL", "signal.SIGALRM", "signal.alarm", "os.mkfifo"}
LINUX_ONLY_TEXT = re.compile(r"[\"'](/proc/|/dev/shm|/sys/fs)")


def _sources() -> list[tuple[str, str]]:
    sources = [(str(p.relative_to(ROOT)), p.read_text(encoding="utf-8"))
               for p in sorted((ROOT / "course_utils").rglob("*.py"))]
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        for i, cell in enumerate(nb.cells):
            if cell.cell_type == "code":
                # IPython magics and shell escapes become plain Python calls, as in a kernel.
                code = TransformerManager().transform_cell(cell.source)
                sources.append((f"{path.relative_to(ROOT)} cell {i}", code))
    return sources


def linux_only_uses(source: str) -> list[str]:
    """The Linux-only modules, calls and paths that ``source`` (Python code) uses."""
    found = []
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [f"import {a.name}" for a in node.names
                      if a.name.split(".")[0] in LINUX_ONLY_MODULES]
        elif isinstance(node, ast.ImportFrom) and node.module:
            if node.module.split(".")[0] in LINUX_ONLY_MODULES:
                found.append(f"from {node.module} import ...")
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            name = f"{node.value.id}.{node.attr}"
            if name in LINUX_ONLY_CALLS:
                found.append(name)
        elif isinstance(node, ast.Constant) and node.value == "fork":
            if "spawn" not in source:
                found.append('start method "fork" without a "spawn" alternative')
    found += [f"path {m.group(1)}" for m in LINUX_ONLY_TEXT.finditer(source)]
    return found


SOURCES = _sources()


@pytest.mark.parametrize("where,source", SOURCES, ids=[w for w, _ in SOURCES])
def test_no_linux_only_api(where, source):
    assert linux_only_uses(source) == [], f"{where} depends on Linux"


@pytest.mark.parametrize(
    "source,expected",
    [
        ("import resource\nresource.getrusage(resource.RUSAGE_SELF)", ["import resource"]),
        ("from fcntl import flock", ["from fcntl import ..."]),
        ("import os\npid = os.fork()", ["os.fork"]),
        ("n = len(os.sched_getaffinity(0))", ["os.sched_getaffinity"]),
        ("open('/proc/self/status').read()", ["path /proc/"]),
        ("ctx = mp.get_context('fork')", ['start method "fork" without a "spawn" alternative']),
        ("m = 'fork' if linux else 'spawn'", []),
        ("import os, psutil\nos.cpu_count(); psutil.Process().memory_info().rss", []),
    ],
)
def test_the_scan_finds_what_it_looks_for(source, expected):
    assert linux_only_uses(source) == expected
