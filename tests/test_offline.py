"""The tests' network refusal and private torch hub reach the notebook kernels they start."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat
import offline
import pytest
import torch
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent

PROBE = """\
import socket
import torch
try:
    socket.create_connection(("192.0.2.1", 80), timeout=2)
    print("connected")
except OSError as err:
    print(type(err).__name__, err)
print(torch.hub.get_dir())
print(" ".join(sorted(globals())))
"""


def _run_in_a_kernel(source: str) -> list[str]:
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source)])
    NotebookClient(nb, timeout=60, kernel_name="python3").execute()
    return "".join(o.get("text", "") for o in nb.cells[0].outputs).splitlines()


@pytest.mark.network_attempt
def test_this_process_refuses_the_network_and_records_it():
    before = len(offline.ATTEMPTS)
    with socket.socket() as sock, pytest.raises(
        offline.NetworkAccessError, match=r"tried to connect to \('192.0.2.1', 80\)"
    ):
        sock.connect(("192.0.2.1", 80))
    with pytest.raises(offline.NetworkAccessError, match="tried to look up 'example.org'"):
        socket.getaddrinfo("example.org", 443)
    assert len(offline.ATTEMPTS) == before + 2


def test_the_loopback_is_still_reachable():
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        with socket.create_connection(server.getsockname(), timeout=2):
            pass


def test_the_hub_folder_is_private_to_the_test_run():
    hub = Path(torch.hub.get_dir())
    assert Path(os.environ["TORCH_HOME"]) in hub.parents
    assert Path.home() / ".cache" not in hub.parents


def test_a_notebook_kernel_refuses_the_network_and_sees_no_helper_names():
    connected, hub, names = _run_in_a_kernel(PROBE)
    assert connected.startswith("NetworkAccessError tests must not touch the network")
    assert Path(hub) == Path(os.environ["TORCH_HOME"]) / "hub"
    names = set(names.split())
    assert {"socket", "torch", "get_ipython"} <= names  # what the probe and IPython define
    assert not {"offline", "sys", "_course_tests_offline"} & names


GUARD_PROBE = """\
import socket
from pathlib import Path
import torch
try:
    socket.create_connection(("192.0.2.1", 80), timeout=2)
    refused = False
except OSError as err:
    refused = "tests must not touch the network" in str(err)
assert refused, "the kernel was not refused the network"
assert Path.home() / ".cache" not in Path(torch.hub.get_dir()).parents, torch.hub.get_dir()
"""


def _pytest_on_a_lone_notebook(*options: str) -> subprocess.CompletedProcess:
    """``pytest --nbval-lax`` on a notebook inside the repository but outside tests/, from a
    clean environment (none of this run's private folders), as `make test`'s generic-CPU pass
    runs notebooks/."""
    env = {k: v for k, v in os.environ.items() if k not in ("TORCH_HOME", "IPYTHONDIR")}
    (ROOT / "build").mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(dir=ROOT / "build", prefix="guard-probe-") as folder:
        path = Path(folder) / "probe.ipynb"
        nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(GUARD_PROBE)]),
                       path)
        return subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--nbval-lax",
             *options, str(path)],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
        )


def test_a_run_given_only_notebooks_guards_their_kernels_too():
    """pytest reads tests/conftest.py only when it collects tests/; the guards must not depend
    on it (the generic-CPU nbval pass over notebooks/ once ran its kernels unguarded)."""
    guarded = _pytest_on_a_lone_notebook()
    assert guarded.returncode == 0, guarded.stdout[-3000:] + guarded.stderr[-2000:]
    assert "1 passed" in guarded.stdout
    unguarded = _pytest_on_a_lone_notebook("--noconftest")  # the probe can tell the difference
    assert unguarded.returncode == 1, unguarded.stdout[-3000:]
    assert "the kernel was not refused the network" in unguarded.stdout
