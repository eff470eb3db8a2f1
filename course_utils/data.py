"""Data for the course: one data folder, MNIST through torchvision, and verified downloads.

Every notebook finds its files through :func:`data_dir`. Online, missing files are downloaded
(with a short timeout and a checksum); offline, a clear :class:`DataNotFoundError` says which
files are missing and where to put them. ``python -m course_utils.data`` fetches everything.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import shutil
import socket
import sys
import tempfile
import urllib.error
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

import torch

ENV_VAR = "COURSE_DATA_DIR"
TIMEOUT_S = 10.0

MNIST_FILES = (
    "train-images-idx3-ubyte.gz",
    "train-labels-idx1-ubyte.gz",
    "t10k-images-idx3-ubyte.gz",
    "t10k-labels-idx1-ubyte.gz",
)


class DataNotFoundError(FileNotFoundError):
    """A data file is missing and could not be downloaded; the message says how to get it."""


class CorruptFileError(ValueError):
    """A data file exists but is truncated or damaged (wrong size or checksum)."""


@dataclass(frozen=True)
class RemoteFile:
    """A file the course downloads: where it goes under the data folder and how to check it."""

    name: str
    relpath: str
    url: str
    sha256: str | None
    size: int | None
    credit: str = ""

    def path(self) -> Path:
        return data_dir() / self.relpath


SQUEEZENET = RemoteFile(
    name="SqueezeNet v1.0 (Deep Compression, 676 KB)",
    relpath="weights/compressed_SqueezeNet.net",
    url="https://github.com/songhan/SqueezeNet-Deep-Compression/raw/master/compressed_SqueezeNet.net",
    sha256="e4ab6960ae8cd81505e1c2136921201507e930966c53deaf15862a395b3a3261",
    size=675_763,
    credit="songhan/SqueezeNet-Deep-Compression, BSD licence (Han, Mao and Dally, 2016).",
)

LABRADOR = RemoteFile(
    name="photo of a yellow Labrador retriever",
    relpath="images/yellow-labrador.jpg",
    url="https://commons.wikimedia.org/wiki/Special:FilePath/YellowLabradorLooking_new.jpg",
    sha256=None,
    size=None,
    credit=(
        '"Standing yellow Labrador Retriever dog" by Djmirko, Wikimedia Commons, CC BY-SA 3.0 '
        "(https://commons.wikimedia.org/wiki/File:YellowLabradorLooking_new.jpg)"
    ),
)


def repo_root() -> Path | None:
    """The course checkout this package sits in, or None when installed elsewhere (Colab)."""
    root = Path(__file__).resolve().parent.parent
    if (root / "pyproject.toml").is_file() and (root / "notebooks").is_dir():
        return root
    return None


def data_dir() -> Path:
    """The data folder: ``$COURSE_DATA_DIR`` if set, else ``<repo>/data``, else ``./data``."""
    env = os.environ.get(ENV_VAR)
    if env:
        return Path(env).expanduser().resolve()
    root = repo_root()
    return (root / "data") if root is not None else (Path.cwd() / "data").resolve()


@contextlib.contextmanager
def _socket_timeout(seconds: float):
    old = socket.getdefaulttimeout()
    socket.setdefaulttimeout(seconds)
    try:
        yield
    finally:
        socket.setdefaulttimeout(old)


def host_reachable(url: str, timeout: float = 5.0) -> bool:
    """True if a TCP connection to the URL's host opens within ``timeout`` seconds."""
    parsed = urlparse(url)
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    try:
        with socket.create_connection((parsed.hostname, port), timeout=timeout):
            return True
    except OSError:
        return False


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def verify(remote: RemoteFile, path: Path | None = None) -> Path:
    """Check a local copy's size and sha256; raise :class:`CorruptFileError` if they differ."""
    path = Path(path) if path is not None else remote.path()
    if not path.is_file():
        raise DataNotFoundError(_missing_message(remote, path))
    size = path.stat().st_size
    if remote.size is not None and size != remote.size:
        raise CorruptFileError(
            f"{path} is {size:,} bytes, expected {remote.size:,} bytes for the {remote.name} "
            f"(a truncated or interrupted download?). Delete it and run again, or get it by "
            f"hand from {remote.url}"
        )
    if remote.sha256 is not None:
        got = sha256_of(path)
        if got != remote.sha256:
            raise CorruptFileError(
                f"{path} has sha256 {got}, expected {remote.sha256} for the {remote.name}. "
                f"Delete it and run again, or get it by hand from {remote.url}"
            )
    return path


def _missing_message(remote: RemoteFile, path: Path, reason: str = "") -> str:
    why = f" ({reason})" if reason else ""
    return (
        f"The {remote.name} is not at {path} and could not be downloaded{why}.\n"
        f"Get it by hand: download {remote.url}\n"
        f"and save it as {path} (or set {ENV_VAR} to a folder holding {remote.relpath})."
    )


def fetch(remote: RemoteFile, timeout: float = TIMEOUT_S) -> Path:
    """Path of a verified local copy of ``remote``, downloading it first if it is missing.

    Raises :class:`DataNotFoundError` within about ``timeout`` seconds when offline, and
    :class:`CorruptFileError` when a file is truncated or fails its checksum.
    """
    path = remote.path()
    if path.is_file():
        return verify(remote, path)
    if not host_reachable(remote.url, timeout=min(timeout, 5.0)):
        raise DataNotFoundError(_missing_message(remote, path, "no connection to the server"))
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=path.parent) as tmp:
        partial = Path(tmp) / path.name
        try:
            with _socket_timeout(timeout):
                torch.hub.download_url_to_file(remote.url, str(partial), progress=True)
        except (urllib.error.URLError, OSError) as err:
            raise DataNotFoundError(_missing_message(remote, path, str(err))) from err
        verify(remote, partial)
        shutil.move(str(partial), path)
    return path


def mnist_raw_dir() -> Path:
    """Where torchvision keeps (and the course expects) the four MNIST ``.gz`` files."""
    return data_dir() / "MNIST" / "raw"


def _mnist_missing_message(reason: str) -> str:
    files = "\n".join(f"  {mnist_raw_dir() / name}" for name in MNIST_FILES)
    return (
        f"MNIST is not in the data folder and could not be downloaded ({reason}).\n"
        f"Put the four standard MNIST files here:\n{files}\n"
        "They are on any MNIST mirror, e.g. https://ossci-datasets.s3.amazonaws.com/mnist/ "
        f"(set {ENV_VAR} to use another data folder)."
    )


def mnist_present() -> bool:
    """True if the four MNIST files (gzipped or extracted) are in the data folder."""
    raw = mnist_raw_dir()
    return all((raw / n).is_file() or (raw / n.removesuffix(".gz")).is_file() for n in MNIST_FILES)


def mnist(train: bool = True, download: bool = True):
    """The MNIST training (60,000) or test (10,000) set as a ``torchvision.datasets.MNIST``.

    Files are looked for in ``data_dir()/MNIST/raw``; when missing and ``download`` is true,
    torchvision downloads them (and checks their md5). Offline, a :class:`DataNotFoundError`
    names the four files and where they go, within about 10 seconds.
    """
    from torchvision.datasets import MNIST

    root = data_dir()
    if not mnist_present():
        if not download:
            raise DataNotFoundError(_mnist_missing_message("download=False"))
        mirror = MNIST.mirrors[0]
        if not host_reachable(mirror):
            raise DataNotFoundError(_mnist_missing_message(f"no connection to {mirror}"))
    try:
        with _socket_timeout(TIMEOUT_S):
            return MNIST(str(root), train=train, download=download)
    except (RuntimeError, OSError) as err:
        raise DataNotFoundError(_mnist_missing_message(str(err).splitlines()[0])) from err


@functools.lru_cache(maxsize=4)
def _mnist_tensors(root: Path, train: bool) -> tuple[torch.Tensor, torch.Tensor]:
    dataset = mnist(train=train)
    return dataset.data, dataset.targets


def mnist_tensors(train: bool = True) -> tuple[torch.Tensor, torch.Tensor]:
    """MNIST as two tensors: images ``N×28×28`` uint8 (0..255) and labels ``N`` int64.

    Loaded once per data folder and cached: treat them as read-only (clone before editing).
    """
    return _mnist_tensors(data_dir(), bool(train))


def mnist_digit(index: int = 12, train: bool = True) -> torch.Tensor:
    """One MNIST image as a ``28×28`` float32 tensor with values in [0, 1]."""
    images, _ = mnist_tensors(train)
    if not isinstance(index, int) or not 0 <= index < len(images):
        raise ValueError(f"index must be an int in [0, {len(images) - 1}], got {index!r}")
    return images[index].float() / 255.0


def fetch_all() -> list[str]:
    """Fetch everything the notebooks use; return one line of status per item."""
    lines = []
    for what, get in (
        ("MNIST", lambda: (mnist(True), mnist(False), mnist_raw_dir())[-1]),
        ("SqueezeNet weights", lambda: fetch(SQUEEZENET)),
        ("Labrador photo", lambda: fetch(LABRADOR)),
    ):
        try:
            lines.append(f"ok       {what}: {get()}")
        except (DataNotFoundError, CorruptFileError) as err:
            lines.append(f"MISSING  {what}: {err}")
    return lines


def main() -> int:
    print(f"data folder: {data_dir()}")
    lines = fetch_all()
    print("\n".join(lines))
    return 0 if all(line.startswith("ok") for line in lines) else 1


if __name__ == "__main__":
    sys.exit(main())
