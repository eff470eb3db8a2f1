"""Test-wide guards: no network, and nbval must run every notebook it is asked about."""

from __future__ import annotations

from pathlib import Path

import offline
import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
ATTEMPTS = offline.ATTEMPTS

_KERNELS = offline.kernel_environment()


def pytest_configure(config):
    offline.install()
    _KERNELS.__enter__()


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
    _KERNELS.__exit__(None, None, None)


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


def send_from_browser(widget, **state) -> None:
    """Give a widget new values as its front end does: an "update" message through the comm
    handler, binary values (bytes) as buffers. Same path under ipywidgets 7 and 8."""
    buffers = {k: memoryview(v) for k, v in state.items() if isinstance(v, (bytes, bytearray))}
    plain = {k: v for k, v in state.items() if k not in buffers}
    data = {"method": "update", "state": plain, "buffer_paths": [[k] for k in buffers]}
    widget._handle_msg({"content": {"data": data}, "buffers": list(buffers.values())})


@pytest.fixture
def from_browser():
    """:func:`send_from_browser`, for tests of widgets (tests/test_widgets*.py, widgets_compat)."""
    return send_from_browser
