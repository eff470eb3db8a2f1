"""Refuse every connection or DNS lookup that leaves this machine, as an offline machine would.

``install()`` patches ``socket`` in the calling process: the test process (the repository's
conftest.py).
``kernel_environment()`` does the same for every notebook kernel started inside it (nbval's,
nbclient's, the browser tests' JupyterLab, ``make execute``): an IPython startup file runs
``install()`` there, and the kernels get a torch hub folder of their own. A refusal is an
``OSError``, so code takes its offline path as for a learner without a network; ``ATTEMPTS``
records each one so a test can fail when it reached out.
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import shutil
import socket
import tempfile
from pathlib import Path

ATTEMPTS: list[str] = []

_real = {
    "connect": socket.socket.connect,
    "connect_ex": socket.socket.connect_ex,
    "getaddrinfo": socket.getaddrinfo,
}


class NetworkAccessError(ConnectionRefusedError):
    """Something tried to reach a host other than this machine during the tests."""


def _is_local(host) -> bool:
    if isinstance(host, bytes):
        host = host.decode()
    if host in (None, "", "localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _refuse(what: str) -> None:
    ATTEMPTS.append(what)
    raise NetworkAccessError(f"tests must not touch the network, but something tried to {what}")


def _connect(self, address):
    if isinstance(address, tuple) and not _is_local(address[0]):
        _refuse(f"connect to {address!r}")
    return _real["connect"](self, address)


def _connect_ex(self, address):
    if isinstance(address, tuple) and not _is_local(address[0]):
        _refuse(f"connect to {address!r}")
    return _real["connect_ex"](self, address)


def _getaddrinfo(host, *args, **kwargs):
    if not _is_local(host):
        _refuse(f"look up {host!r}")
    return _real["getaddrinfo"](host, *args, **kwargs)


def install() -> None:
    """Refuse non-loopback connections and lookups in this process from now on."""
    socket.socket.connect = _connect
    socket.socket.connect_ex = _connect_ex
    socket.getaddrinfo = _getaddrinfo


def uninstall() -> None:
    """Give ``socket`` its own functions back."""
    socket.socket.connect = _real["connect"]
    socket.socket.connect_ex = _real["connect_ex"]
    socket.getaddrinfo = _real["getaddrinfo"]


HERE = Path(__file__).resolve().parent

# Run in every IPython kernel started inside kernel_environment(), defined in a function so that
# no name reaches the notebook.
KERNEL_STARTUP = f"""\
def _course_tests_offline():
    import sys
    sys.path.insert(0, {str(HERE)!r})
    try:
        import offline
    finally:
        sys.path.remove({str(HERE)!r})
    offline.install()


_course_tests_offline()
del _course_tests_offline
"""


@contextlib.contextmanager
def kernel_environment():
    """Kernels started inside refuse the network and use a torch hub folder of their own.

    The user's own hub cache (where a downloaded AlexNet may sit) and IPython profile stay out,
    so that a notebook prints the same online or offline, with or without a cached download.
    """
    home = Path(tempfile.mkdtemp(prefix="course-kernels-"))
    startup = home / "ipython" / "profile_default" / "startup"
    startup.mkdir(parents=True)
    (startup / "00-offline.py").write_text(KERNEL_STARTUP)
    settings = {"IPYTHONDIR": str(home / "ipython"), "TORCH_HOME": str(home / "torch")}
    saved = {name: os.environ.get(name) for name in settings}
    os.environ.update(settings)
    try:
        yield home
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        shutil.rmtree(home, ignore_errors=True)
