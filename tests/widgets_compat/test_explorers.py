"""Every explorer in course_utils/widgets, built and driven from Python, under ipywidgets 7 and 8.

Colab runs ipywidgets 7.7, JupyterLab here 8.x: these tests run under both
(``make test`` with .venv's 8.x; ``tools/ipywidgets7_env.sh`` builds .venv-ipyw7 for 7.7, see
tests/browser/README.md). Explorers are found at collection time: every ``Explorer`` subclass
defined in ``course_utils/widgets/<name>.py``. One that needs arguments is built by
``FACTORIES`` below; one that needs arguments and is not there fails with a clear message.

Each control that can take another value is given one (the next option, a step along a slider,
a new number, a photo for an upload), and the picture must change (or an impossible setting
must show its message). The kernel-side redraw times go to
test-artifacts/widget-latency-kernel-ipywidgets<major>.md.
"""

from __future__ import annotations

import datetime
import importlib
import io
import os
import pkgutil
import statistics
import time
from pathlib import Path

import ipywidgets
import numpy as np
import pytest
import torch
from PIL import Image
from torch import nn

import course_utils.widgets as course_widgets
from course_utils.widgets import Explorer

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
IPYWIDGETS_MAJOR = int(ipywidgets.__version__.split(".")[0])
LATENCY_CHANGES = 6  # control changes timed per explorer (kernel side)


def _digits() -> torch.Tensor:
    torch.manual_seed(0)
    return (torch.rand(4, 28, 28) * 255).to(torch.uint8)


class _MeanColour(nn.Module):
    """A stand-in network: class scores from the photo's mean red, green and blue."""

    def forward(self, x):
        mean = x.mean(dim=(2, 3))
        return torch.cat([mean * 10, torch.zeros(len(x), 997)], dim=1)


def _classifier():
    from course_utils.pretrained import Classifier

    def preprocess(image):
        pixels = torch.from_numpy(np.asarray(image, dtype=np.float32).copy())
        return pixels.permute(2, 0, 1).unsqueeze(0) / 255

    return Classifier("MeanColour", _MeanColour(), preprocess)


def _activation_explorer(cls):
    from course_utils.models import LectureNet

    torch.manual_seed(0)
    images = _digits().float().div(255).unsqueeze(1)  # N×1×28×28
    return cls(LectureNet().eval(), images, torch.arange(len(images)))


# How to build the explorers that need arguments: small synthetic data, untrained models, no
# downloads.
FACTORIES = {
    "activation_explorer.ActivationExplorer": _activation_explorer,
    "filter_editor.FilterEditor": lambda cls: cls(_digits()),
    "pooling_explorer.PoolingExplorer": lambda cls: cls(_digits()),
    "photo_classifier.PhotoClassifier": lambda cls: cls(
        _classifier(), Image.new("RGB", (30, 20), (0, 0, 255)), "blue"
    ),
}


def discover() -> dict[str, type]:
    """``{"<module>.<Class>": class}`` for every Explorer subclass in course_utils/widgets."""
    found = {}
    for info in pkgutil.iter_modules(course_widgets.__path__):
        module = importlib.import_module(f"{course_widgets.__name__}.{info.name}")
        for name, obj in vars(module).items():
            if (
                isinstance(obj, type)
                and issubclass(obj, Explorer)
                and obj is not Explorer
                and obj.__module__ == module.__name__
            ):
                found[f"{info.name}.{name}"] = obj
    return dict(sorted(found.items()))


EXPLORERS = discover()


def build(key: str) -> Explorer:
    cls = EXPLORERS[key]
    if key in FACTORIES:
        return FACTORIES[key](cls)
    try:
        return cls()
    except TypeError as err:
        pytest.fail(
            f"{key} cannot be built without arguments ({err}); add how to build it to "
            f"FACTORIES in {Path(__file__).relative_to(ROOT)}"
        )


def _png(colour) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (24, 16), colour).save(buffer, format="PNG")
    return buffer.getvalue()


class Upload:
    """One file for a FileUpload, given to it the way this ipywidgets version's front end does."""

    def __init__(self, content: bytes, name: str):
        self.content, self.name = content, name

    def give_to(self, control) -> None:
        meta = {"name": self.name, "type": "image/png", "size": len(self.content),
                "lastModified": 1_700_000_000_000}
        if IPYWIDGETS_MAJOR < 8:
            # 7.x: the browser syncs metadata and data, then bumps _counter; the widget then
            # computes value = {name: {"metadata": ..., "content": bytes}}.
            control.metadata = [meta]
            control.data = [self.content]
            control._counter += 1
        else:  # 8.x: value is a tuple of dicts
            when = datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc)
            control.value = ({"name": self.name, "type": "image/png", "size": len(self.content),
                              "content": memoryview(self.content), "last_modified": when},)


def new_value(control, k: int = 0):
    """Another valid value for ``control`` (``k`` picks among them), or None if it has none
    (or is disabled: a learner cannot change it either)."""
    if getattr(control, "disabled", False):
        return None
    if isinstance(control, ipywidgets.FileUpload):
        colours = [(255, 0, 0), (0, 255, 0), (0, 0, 255)]
        return Upload(_png(colours[k % 3]), f"photo{k}.png")
    options = getattr(control, "options", None)
    if options is not None:
        others = [i for i in range(len(options)) if i != control.index]
        return ("index", others[k % len(others)]) if others else None
    value = control.value
    if isinstance(value, bool):
        return not value
    if isinstance(value, (int, float)):
        step = getattr(control, "step", None) or 1
        low, high = getattr(control, "min", None), getattr(control, "max", None)
        for candidate in ((value + step, value - step) if k % 2 == 0 else (value - step,
                                                                           value + step)):
            if (low is None or candidate >= low) and (high is None or candidate <= high):
                return type(value)(candidate)
        return None
    return None


def set_control(control, value) -> None:
    if isinstance(value, Upload):
        value.give_to(control)
    elif isinstance(value, tuple) and len(value) == 2 and value[0] == "index":
        control.index = value[1]
    else:
        control.value = value


def test_explorers_are_found():
    assert EXPLORERS, "no Explorer subclass found in course_utils/widgets/*.py"


def test_expected_ipywidgets_version():
    """The ipywidgets-7 run sets COURSE_EXPECT_IPYWIDGETS=7, so it cannot silently run 8."""
    expected = os.environ.get("COURSE_EXPECT_IPYWIDGETS")
    if expected is None:
        assert IPYWIDGETS_MAJOR in (7, 8), ipywidgets.__version__
    else:
        assert str(IPYWIDGETS_MAJOR) == expected, (
            f"expected ipywidgets {expected}.x, this environment has {ipywidgets.__version__}"
        )


@pytest.mark.parametrize("key", list(EXPLORERS))
def test_every_control_redraws(key, latency_rows):
    explorer = build(key)
    assert isinstance(explorer, ipywidgets.VBox)
    assert explorer.image.value or explorer.message.value, f"{key} shows nothing when built"
    changed = []
    for name, control in explorer.controls.items():
        value = new_value(control)
        if value is None:
            continue
        picture, message = explorer.image.value, explorer.message.value
        set_control(control, value)
        assert explorer.image.value != picture or (
            explorer.message.value and explorer.message.value != message
        ), f"{key}: changing {name} to {value!r} left the picture unchanged"
        changed.append(name)
    assert changed, f"{key}: none of its controls {list(explorer.controls)} could be changed"

    # Kernel-side latency of the first control (not an upload): reported, not asserted.
    name = next(n for n in changed if not isinstance(explorer.controls[n], ipywidgets.FileUpload))
    control, seconds = explorer.controls[name], []
    for k in range(1, LATENCY_CHANGES + 1):
        value = new_value(control, k)
        if value is None:
            break
        start = time.perf_counter()
        set_control(control, value)
        seconds.append(time.perf_counter() - start)
    latency_rows[key] = (name, seconds)
    write_latency_report(latency_rows)


@pytest.fixture(scope="module")
def latency_rows():
    return {}


def write_latency_report(rows) -> Path:
    path = ARTIFACTS / f"widget-latency-kernel-ipywidgets{IPYWIDGETS_MAJOR}.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [
        f"# Widget latency in the kernel (ipywidgets {ipywidgets.__version__})",
        "",
        "Time for one control change from Python (`control.value = ...`: observers, drawing, "
        f"PNG), median over {LATENCY_CHANGES} changes; goal at most 100 ms. Measured by "
        "tests/widgets_compat; the machine's load inflates it.",
        "",
        "| explorer | control | median (ms) | max (ms) |",
        "|---|---|---:|---:|",
    ]
    for key, (name, seconds) in sorted(rows.items()):
        if not seconds:
            continue
        lines.append(
            f"| {key} | {name} | {statistics.median(seconds) * 1000:.0f} | "
            f"{max(seconds) * 1000:.0f} |"
        )
    path.write_text("\n".join(lines) + "\n")
    return path
