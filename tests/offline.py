"""Refuse every connection or DNS lookup that leaves this machine, as an offline machine would.

``install()`` patches ``socket`` in the calling process: the test process (tests/conftest.py)
and every notebook kernel the tests start (an IPython startup file written by conftest runs it
there). A refusal is an ``OSError``, so code under test takes its offline path as for a learner
without a network; ``ATTEMPTS`` records each one so a test can fail when it reached out.
"""

from __future__ import annotations

import ipaddress
import socket

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
