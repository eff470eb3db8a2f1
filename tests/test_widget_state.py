"""The explorers' widget state the notebooks carry (tools/execute.py stores it): what the
course's website and decks bring to life with no kernel. It must be today's: every explorer
shown has its state, with the ES module and the style sheet the package ships now."""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

import nbformat
import pytest

import course_utils.widgets as widgets
from course_utils.widgets import Explorer

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
STATE = "application/vnd.jupyter.widget-state+json"
VIEW = "application/vnd.jupyter.widget-view+json"


def _explorer_modules() -> set[str]:
    for info in pkgutil.iter_modules(widgets.__path__):
        importlib.import_module(f"course_utils.widgets.{info.name}")
    found, todo = set(), list(Explorer.__subclasses__())
    while todo:
        cls = todo.pop()
        todo += cls.__subclasses__()
        if isinstance(cls.__dict__.get("_esm"), str):
            found.add(cls.__dict__["_esm"])
    return found


ESM = _explorer_modules()


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_every_widget_shown_has_todays_state(path):
    nb = nbformat.read(path, as_version=4)
    shown = [o.data[VIEW]["model_id"] for c in nb.cells if c.cell_type == "code"
             for o in c.outputs if VIEW in o.get("data", {})]
    if not shown:
        assert STATE not in nb.metadata.get("widgets", {}), f"{path.name}: state, no widget"
        return
    state = nb.metadata.get("widgets", {}).get(STATE, {}).get("state", {})
    missing = [m for m in shown if m not in state]
    assert not missing, f"{path.name}: widgets shown without a state (make execute): {missing}"
    for model_id in shown:
        s = state[model_id]["state"]
        if "_esm" in s:
            assert s["_esm"] in ESM, (
                f"{path.name}: an explorer's ES module is not today's: run make execute NB={path}")
            assert s["_css"] == Explorer._css, f"{path.name}: an old style sheet"
