"""Fixtures for the tests. The guards of every run (no network, in this process and in the
notebook kernels; nbval runs every notebook) are in the repository's conftest.py."""

from __future__ import annotations

import offline
import pytest

ATTEMPTS = offline.ATTEMPTS


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
