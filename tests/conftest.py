"""Test-wide guards: no network, and nbval must run every notebook it is asked about."""

from __future__ import annotations

import ipaddress
import socket
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"

_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex
_real_getaddrinfo = socket.getaddrinfo


class NetworkAccessError(ConnectionRefusedError):
    """A test tried to reach a host other than this machine.

    It is an ``OSError``, as a real offline machine would give, so offline code paths run as
    they would for a learner; and every attempt is recorded, so that a test which reaches for
    the network without declaring it (marker ``network_attempt``) fails all the same.
    """


ATTEMPTS: list[str] = []


def _is_local(host) -> bool:
    if host in (None, "", "localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _guard(address) -> None:
    if isinstance(address, tuple) and not _is_local(address[0]):
        ATTEMPTS.append(f"connect {address!r}")
        raise NetworkAccessError(
            f"tests must not touch the network, but something connected to {address!r}"
        )


def _connect(self, address):
    _guard(address)
    return _real_connect(self, address)


def _connect_ex(self, address):
    _guard(address)
    return _real_connect_ex(self, address)


def _getaddrinfo(host, *args, **kwargs):
    if isinstance(host, bytes):
        host = host.decode()
    if not _is_local(host):
        ATTEMPTS.append(f"lookup {host!r}")
        raise NetworkAccessError(
            f"tests must not touch the network, but something looked up {host!r}"
        )
    return _real_getaddrinfo(host, *args, **kwargs)


def pytest_configure(config):
    socket.socket.connect = _connect
    socket.socket.connect_ex = _connect_ex
    socket.getaddrinfo = _getaddrinfo


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
    socket.socket.connect = _real_connect
    socket.socket.connect_ex = _real_connect_ex
    socket.getaddrinfo = _real_getaddrinfo


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
