"""The explorers' test notebook, and how the browser tests act on its explorers.

``open_explorers(page, server)`` writes a notebook that builds the six explorers (small
stand-in data, or with ``COURSE_EXPLORER_BENCH=1`` real data: MNIST test digits, SqueezeNet, the
Labrador photo, a 16-value signal for the 1d stepper) into the server's folder, opens it in
JupyterLab (or Notebook 7), runs it and numbers its explorers; ``kernel``, ``control``,
``click_at`` and ``arrow`` are the small verbs of tests/browser/test_explorers_in_*.py.

``TEMPLATE`` and ``HTML_MANAGER`` make a page with no kernel of such a notebook, as the course's
site and decks are (tests/browser/test_network_in_page.py; the site's own pages are tested by
test_site.py). ``TYPED_FIELDS`` finds every field of every explorer a learner types into;
``BAD_NUMBERS`` is what the tests type there.
"""

from __future__ import annotations

import base64
import io
import json
import os
import time
from pathlib import Path

import nbformat
from explorer_probe import watch
from notebook_page import OpenNotebook
from PIL import Image

BENCH = os.environ.get("COURSE_EXPLORER_BENCH") == "1"
# Changes per control in test_latency: enough to see every control redraw again and again; the
# figures worth reporting come from the benchmark's 40 (benchmarks/bench_explorers_browser.py).
REPEATS = int(os.environ.get("COURSE_LATENCY_REPEATS", 40 if BENCH else 4))
KERNEL_REPEATS = max(2, REPEATS // 2)
PATH = "explorer-tests/explorers.ipynb"
CONV, EDITOR, POOL, ACT, PHOTO, STEP = range(6)  # the explorers' order in the notebook

SETUP = f'''import numpy as np
import torch
from PIL import Image
from torch import nn

from course_utils.models import LectureNet
from course_utils.pretrained import Classifier
from course_utils.widgets import Conv1dStepper
from course_utils.widgets.activation_explorer import ActivationExplorer
from course_utils.widgets.conv_explorer import conv_explorer
from course_utils.widgets.filter_editor import FilterEditor
from course_utils.widgets.photo_classifier import PhotoClassifier
from course_utils.widgets.pooling_explorer import PoolingExplorer

torch.manual_seed(0)
if {BENCH}:
    from course_utils.data import mnist_tensors
    from course_utils.pretrained import labrador_photo, squeezenet_classifier

    digits, labels = (t[:100] for t in mnist_tensors(train=False))
    classifier, photo = squeezenet_classifier(), labrador_photo()
    signal, weights = torch.randn(16).round(decimals=1), torch.tensor([1.0, -2.0, 1.0])
else:
    digits = (torch.rand(20, 28, 28) * 255).to(torch.uint8)
    labels = torch.arange(20) % 10

    class MeanColour(nn.Module):
        def forward(self, x):
            return torch.cat([x.mean(dim=(2, 3)) * 10, torch.zeros(len(x), 997)], dim=1)

    def preprocess(image):
        pixels = torch.from_numpy(np.asarray(image, dtype=np.float32).copy())
        return pixels.permute(2, 0, 1).unsqueeze(0) / 255

    classifier = Classifier("MeanColour", MeanColour(), preprocess)
    photo = Image.new("RGB", (40, 30), (0, 0, 255))
    signal, weights = torch.tensor([1.0, 2, 3, 4]), torch.tensor([3.0, 2])  # the lecture's'''

CELLS = [
    SETUP,
    "conv = conv_explorer(height=3, width=5, kernel=3, stride=(2, 2), padding=(2, 1))\nconv",
    "editor = FilterEditor(digits, index=1)\neditor",
    "pool = PoolingExplorer(digits, digit=1)\npool",
    "act = ActivationExplorer(LectureNet().eval(), digits.float().div(255).unsqueeze(1), "
    "labels)\nact",
    "photos = PhotoClassifier(classifier, photo, 'start')\nphotos",
    "stepper = Conv1dStepper(signal, weights)\nstepper",
]


# Every field of an explorer a learner types into (not a slider, a menu, a file or the conv
# explorer's read-only PyTorch line), and what the tests type there: nothing, letters, "nan",
# beyond float32 both ways, huge but finite, a decimal comma.
TYPED_FIELDS = (".course-explorer input:is([type=text], [type=number], :not([type]))"
                ":not([readonly]):not([disabled])")
BAD_NUMBERS = ["", "abc", "nan", "1e40", "-1e40", "1e20", "1,5"]

ROOT = Path(__file__).resolve().parents[2]
HTML_MANAGER = ROOT / "tools" / "web-assets" / "node_modules" / "@jupyter-widgets" / \
    "html-manager" / "dist"
# Where a page without a kernel says the notebook runs (drawing.js needsKernel links there).
RUN = {"binder": "https://mybinder.org/v2/gh/convnets-course/convnets-course/main",
       "colab": "https://colab.research.google.com/github/convnets-course/convnets-course"}
# nbconvert's JupyterLab page without MathJax (the notebook has no maths), and with, before
# RequireJS, what a built page of the course defines: where the explorers run
# (course_utils/widgets/drawing.js, host()) and where RequireJS finds anywidget.
TEMPLATE = """{%- extends 'lab/index.html.j2' -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_requirejs -%}
<script>window.courseHost = COURSE_HOST;
var require = {paths: {anywidget: "assets/anywidget"}};</script>
{{ super() }}
{%- endblock html_head_js_requirejs -%}"""


def notebook(cells: list[str]) -> nbformat.NotebookNode:
    """A notebook of these code cells, with a kernel named (no "Select Kernel" dialog)."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell(source) for source in cells]
    return nb


def write_notebook(folder) -> None:
    """The explorers' notebook in the server's folder."""
    path = folder / PATH
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook(CELLS), path)


def open_explorers(page, server, notebook7: bool = False) -> OpenNotebook:
    """Open the explorers' notebook, run it, wait for the six explorers and watch them."""
    write_notebook(server.root_dir)
    notebook = OpenNotebook(page, server, PATH, notebook7)
    notebook.run_all(timeout=300)
    page.wait_for_function("() => document.querySelectorAll('.course-explorer').length === 6",
                           timeout=60_000)
    assert watch(page) == ["Convolution arithmetic explorer",
                           "Filter editor: a 3×3 filter on an MNIST training digit",
                           "Pooling explorer", "Activation maps",
                           "Classify your own photo with " + ("SqueezeNet" if BENCH
                                                              else "MeanColour"),
                           "1d convolution, one output at a time"]
    return notebook


def kernel(lab, code: str):
    """A value the kernel prints as JSON."""
    return json.loads(lab.execute(f"import json\nprint(json.dumps({code}))"))


def kernel_settles(lab, code: str, expected, timeout_s: float = 10):
    """What the kernel prints for ``code`` once it equals ``expected``, or its last answer
    after ``timeout_s``. A change made in the page reaches the kernel a moment later (the
    widget manager holds a message back while one is still unanswered), so a read right after
    a click can precede it; a change that never arrives still gives the wrong answer."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = kernel(lab, code)
        if value == expected or time.monotonic() > deadline:
            return value
        time.sleep(0.2)


def control(root, name: str):
    """The control of an explorer with this label (what a screen reader announces)."""
    return root.get_by_label(name, exact=True)


def click_at(element, x: float, y: float) -> None:
    """Click inside an element at a fraction of its width and height (scrolled into view)."""
    box = element.bounding_box()
    element.click(position={"x": x * box["width"], "y": y * box["height"]})


# Where output cell (i, j) of the conv explorer's picture is, relative to the picture's corner.
CELL_POINT = """(svg, [i, j]) => {
  const left = Number(svg.dataset.outputLeft), top = Number(svg.dataset.outputTop);
  const p = new DOMPoint(left + j + 0.5, top + i + 0.5).matrixTransform(svg.getScreenCTM());
  const box = svg.getBoundingClientRect();
  return {x: p.x - box.left, y: p.y - box.top};
}"""


def output_cell(picture, i: int, j: int) -> dict:
    """The position of output cell (i, j) on the conv explorer's picture (for hover, click)."""
    picture.scroll_into_view_if_needed()
    return picture.evaluate(CELL_POINT, [i, j])


def arrow(widget, key: str = "ArrowRight"):
    return lambda: widget.press(key)


def png(colour) -> bytes:
    """A small PNG file of one colour."""
    buffer = io.BytesIO()
    Image.new("RGB", (32, 24), colour).save(buffer, format="PNG")
    return buffer.getvalue()


def kernel_photos(lab) -> list[tuple[str, bytes]]:
    """Two real JPEG photos, as bytes, from the kernel's course_utils (for the benchmark)."""
    code = ("import base64, io\n"
            "from course_utils.pretrained import grace_hopper_photo, labrador_photo\n"
            "for name, photo in [('labrador', labrador_photo()), ('hopper', grace_hopper_photo())]:"
            "\n    buffer = io.BytesIO()\n    photo.save(buffer, format='JPEG', quality=90)\n"
            "    print(name, base64.b64encode(buffer.getvalue()).decode())")
    lines = lab.execute(code).split()
    return [(name, base64.b64decode(data)) for name, data in zip(lines[::2], lines[1::2],
                                                                 strict=True)]
