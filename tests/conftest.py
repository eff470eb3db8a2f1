"""Test-wide guards: no network, and nbval must run every notebook it is asked about."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import offline
import pytest

ROOT = Path(__file__).resolve().parent.parent
TESTS = Path(__file__).resolve().parent
NOTEBOOKS = ROOT / "notebooks"
ATTEMPTS = offline.ATTEMPTS

# Run in every IPython kernel the tests start (nbval's, nbclient's, the browser tests' JupyterLab):
# the same refusal of the network, defined in a function so that no name reaches the notebook.
KERNEL_STARTUP = f"""\
def _course_tests_offline():
    import sys
    sys.path.insert(0, {str(TESTS)!r})
    try:
        import offline
    finally:
        sys.path.remove({str(TESTS)!r})
    offline.install()


_course_tests_offline()
del _course_tests_offline
"""
_SAVED_ENV: dict[str, str | None] = {}
_HOME: list[Path] = []


def _private_kernel_environment() -> None:
    """Kernels started by the tests refuse the network and use a torch hub folder of their own.

    The learner's own hub cache (where a downloaded AlexNet may sit) and IPython profile stay out
    of the test run, so that its outputs are the same online or offline, cache or no cache.
    """
    home = Path(tempfile.mkdtemp(prefix="course-tests-"))
    startup = home / "ipython" / "profile_default" / "startup"
    startup.mkdir(parents=True)
    (startup / "00-offline.py").write_text(KERNEL_STARTUP)
    for name, value in {"IPYTHONDIR": home / "ipython", "TORCH_HOME": home / "torch"}.items():
        _SAVED_ENV[name] = os.environ.get(name)
        os.environ[name] = str(value)
    _HOME.append(home)


def pytest_configure(config):
    offline.install()
    _private_kernel_environment()


@pytest.fixture(autouse=True)
def no_network(request):
    """Fail any test that tried to reach the network, unless it is marked ``network_attempt``."""
    ATTEMPTS.clear()
    yield
    if ATTEMPTS and request.node.get_closest_marker("network_attempt") is None:
        tried = ", ".join(ATTEMPTS)
        ATTEMPTS.clear()
        pytest.fail(f"this test tried to use the network ({tried}); tests must work offline")


@pytest.fixture
def one_thread():
    """Torch on one thread for the test: thousands of tiny convolutions run ~10x faster
    without a thread pool on a busy 2-core machine (use with pytest.mark.usefixtures)."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def pytest_unconfigure(config):
    offline.uninstall()
    for name, value in _SAVED_ENV.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
    for home in _HOME:
        shutil.rmtree(home, ignore_errors=True)


def pytest_collection_modifyitems(session, config, items):
    """With --nbval, a notebook in notebooks/ that was not collected is an error."""
    if not getattr(config.option, "nbval", False):
        return
    asked = [Path(a.split("::")[0]).resolve() for a in config.args]
    if not any(p == NOTEBOOKS or p == ROOT for p in asked):
        return  # a run over chosen notebooks only
    ran = {Path(str(item.fspath)).resolve() for item in items}
    missing = sorted(p.name for p in NOTEBOOKS.glob("*.ipynb") if p.resolve() not in ran)
    if missing:
        raise pytest.UsageError(f"nbval did not collect these notebooks: {', '.join(missing)}")
