"""Guards for every pytest run in this repository, whatever paths it is given.

No network, in this process and in every notebook kernel started during the run, which also
gets a torch hub folder of its own (tests/offline.py); and a ``--nbval`` run over notebooks/
must run every notebook. They live here, not in tests/conftest.py, because pytest reads a
conftest only for the folders it collects: ``pytest --nbval notebooks`` never reads tests/, and
its kernels once downloaded a pretrained AlexNet, or used one from the user's hub cache.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent
NOTEBOOKS = ROOT / "notebooks"
sys.path.insert(0, str(ROOT / "tests"))

import offline  # noqa: E402

_KERNELS = offline.kernel_environment()


def pytest_configure(config):
    offline.install()
    _KERNELS.__enter__()


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
