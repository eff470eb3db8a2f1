"""Every explorer in course_utils/widgets, built and driven kernel-side, under ipywidgets 7 and 8.

Colab runs ipywidgets 7.7, JupyterLab here 8.x: these tests run under both
(``make test`` with .venv's 8.x; ``tools/ipywidgets7_env.sh`` builds .venv-ipyw7 for 7.7, see
tests/browser/README.md). Explorers are found at collection time: every ``Explorer`` subclass
defined in ``course_utils/widgets/<name>.py``. One that needs arguments is built by
``FACTORIES`` below; one that needs arguments and is not there fails with a clear message.

An explorer draws in the browser, so here each one is checked the way its front end talks to
it: its state serialises the way this ipywidgets version sends it (arrays and photos as binary
buffers, the ES module as text), it displays as a widget view, and every change its page
sends (``BROWSER_CHANGES``, through the comm's own message handler) gets the kernel's answer:
new data for the page, or at least a new still picture. The time the kernel takes to answer a
change that needs it (another digit, another photo) goes to
test-artifacts/widget-latency-kernel-ipywidgets<major>.md.
"""

from __future__ import annotations

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
LATENCY_CHANGES = 6  # kernel-bound changes timed per explorer


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
    "conv1d_stepper.Conv1dStepper": lambda cls: cls(torch.tensor([1.0, 2, 3, 4]),
                                                    torch.tensor([3.0, 2])),
    "filter_editor.FilterEditor": lambda cls: cls(_digits(), index=1),
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


def _stroke() -> bytes:
    """A drawn "1" on the activation explorer's 112×112 pad: one vertical stroke of ink."""
    ink = np.zeros((112, 112), np.uint8)
    ink[15:95, 52:60] = 255
    return ink.tobytes()


def _png(colour) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (24, 16), colour).save(buffer, format="PNG")
    return buffer.getvalue()


# What each explorer's page can send, and what the kernel must answer with: the traits that
# carry new data back, or "figure" where only the still picture follows (a browser-only change).
# The first change that names data traits is also the one timed (none: nothing to time).
BROWSER_CHANGES = {
    "conv1d_stepper.Conv1dStepper": [(dict(position=2), "figure"), (dict(position=1), "figure")],
    "activation_explorer.ActivationExplorer": [
        (dict(index=2), ["image", "maps", "probabilities"]),
        (dict(layer="conv2", channel=3), []),
        (dict(ink=_stroke()), ["image", "maps", "inputs", "probabilities", "drawn"]),
    ],
    "conv_explorer.ConvExplorer": [
        (dict(stride=[2, 1]), ["check"]), (dict(position=[1, 2]), "figure"),
        (dict(kernel=[2, 3], dilation=[2, 1]), ["check"]), (dict(transposed=True), ["check"]),
        (dict(height=6, width=4, padding=[0, 1]), ["check"]),
    ],
    "filter_editor.FilterEditor": [
        (dict(index=2), ["image", "response"]),
        (dict(weights=[1.0, 0, -1, 2, 0, -2, 1, 0, -1], preset="custom"),
         ["response", "response_for"]),
    ],
    "photo_classifier.PhotoClassifier": [
        (dict(upload_name="red.png", upload=_png((255, 0, 0))), ["photo", "classes"]),
        (dict(k=3), "figure"),
    ],
    "pooling_explorer.PoolingExplorer": [
        (dict(digit=2), ["image"]), (dict(kernel=3, stride=1), "figure"),
        (dict(mode="avg"), "figure"), (dict(cell=[2, 1]), "figure"),
        (dict(source="grid"), "figure"),
    ],
}


def _picture(explorer: Explorer) -> bytes:
    from course_utils.viz import figure_to_png

    return figure_to_png(explorer.figure(), dpi=40)


def test_explorers_are_found():
    assert EXPLORERS, "no Explorer subclass found in course_utils/widgets/*.py"
    assert set(BROWSER_CHANGES) == set(EXPLORERS), "add the new explorer to BROWSER_CHANGES"


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
def test_state_serialises_and_displays_as_a_widget(key):
    explorer = build(key)
    assert isinstance(explorer, ipywidgets.DOMWidget)
    from ipywidgets.widgets.widget import _remove_buffers

    state, paths, buffers = _remove_buffers(explorer.get_state())
    assert "export default" in state["_esm"] and ".course-explorer" in state["_css"]
    binary = {name for name, trait in explorer.traits(sync=True).items()
              if type(trait).__name__ == "Bytes" and getattr(explorer, name)}
    assert binary <= {path[0] for path in paths}, "binary data must travel as buffers"
    assert all(isinstance(b, (bytes, memoryview, bytearray)) for b in buffers)
    data, _ = explorer._repr_mimebundle_()
    view = data["application/vnd.jupyter.widget-view+json"]
    assert view["model_id"] == explorer.model_id and view["version_major"] == 2
    assert data["text/plain"] == repr(explorer)


@pytest.mark.parametrize("key", list(EXPLORERS))
def test_every_change_from_the_page_gets_the_kernels_answer(key, latency_rows, from_browser):
    explorer = build(key)
    timed = next((c for c, a in BROWSER_CHANGES[key] if a and a != "figure"), None)
    original = {name: getattr(explorer, name) for name in timed or {}}
    for change, answer in BROWSER_CHANGES[key]:
        before = {name: getattr(explorer, name) for name in answer if answer != "figure"}
        picture = _picture(explorer) if answer == "figure" else None
        from_browser(explorer, **change)
        for name, value in change.items():
            if name != "upload":  # the photo's file is let go once classified
                assert getattr(explorer, name) == value, f"{key}: {name} was not set"
        if answer == "figure":
            assert _picture(explorer) != picture, f"{key}: the still picture ignored {change}"
        for name in before:
            assert getattr(explorer, name) != before[name], (
                f"{key}: {change} did not bring new {name} from the kernel")
    if timed is None:  # the page answers every change alone: no kernel time to report
        return

    # Kernel-side time of the first change that brings data back (for the explorers with
    # data, the one that needs torch): back and forth, reported, not asserted.
    seconds = []
    for k in range(-2, LATENCY_CHANGES):  # two to warm up (torch's first calls are slow)
        change = dict(timed if k % 2 == 0 else original)
        if "upload" in change:
            change.update(upload=_png((40 * k + 80, 175 - 40 * k, 0)), upload_name=f"{k}.png")
        start = time.perf_counter()
        from_browser(explorer, **change)
        if k >= 0:
            seconds.append(time.perf_counter() - start)
    latency_rows[key] = (", ".join(n for n in timed if n != "upload_name"), seconds)
    write_latency_report(latency_rows)


@pytest.fixture(scope="module")
def latency_rows():
    return {}


def write_latency_report(rows) -> Path:
    path = ARTIFACTS / f"widget-latency-kernel-ipywidgets{IPYWIDGETS_MAJOR}.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [
        f"# Explorer latency in the kernel (ipywidgets {ipywidgets.__version__})",
        "",
        "Time the kernel takes to answer a change that needs it (the page's update message "
        "handled, torch run, the answer serialised), median over "
        f"{LATENCY_CHANGES} changes. Changes the browser answers alone are not here: they "
        "never reach the kernel first. Measured by tests/widgets_compat with stand-in data "
        "and networks; the machine's load inflates it.",
        "",
        "| explorer | change | median (ms) | max (ms) |",
        "|---|---|---:|---:|",
    ]
    for key, (name, seconds) in sorted(rows.items()):
        lines.append(
            f"| {key} | {name} | {statistics.median(seconds) * 1000:.0f} | "
            f"{max(seconds) * 1000:.0f} |"
        )
    path.write_text("\n".join(lines) + "\n")
    return path
