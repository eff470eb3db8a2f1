"""The networks run in the page, with no kernel: ONNX Runtime Web gives PyTorch's answers.

``course_utils.onnx_export.write_page_assets`` writes the runtime and the two exported networks
(notebook 07's trained LectureNet, SqueezeNet) into a temporary asset folder, as the site and
the decks get them. Then, in Chromium, with every request outside the folder refused:

- a blank page from disk (file://), and the same from a web server on 127.0.0.1, runs both
  networks through onnxruntime-web on MNIST test digits and on the Labrador, and compares their
  class scores (within 1e-4, the same top 5) and LectureNet's maps with PyTorch's; in the same
  page the explorers' own modules are checked against their Python references: the pad's
  MNIST-style preprocessing (course_utils.digits), a unit opened up (conv2d, by hand in
  PyTorch), the photo's preprocessing (PIL's resize and caffe_preprocess, to the pixel) and the
  photo's decoding (Chromium's JPEG decoder and PIL's);
- a page with no kernel, made from an executed notebook with the activation explorer and the
  photo classifier (their widget state stored, as tools/execute.py stores it), is operated as
  a learner would: a "1" and a "7" drawn stroke by stroke with the pointer (the predicted class
  asserted, and everything the page shows compared with PyTorch on the ink it drew), a unit of
  conv2 opened up, an empty pad, a test digit of the bank, and photos uploaded: the Labrador
  (PyTorch's top 5), a file that is no image, a transparent PNG, an 8000×6000 photo.

A screenshot of a drawn digit and its maps goes to test-artifacts/network-in-page/, with the
latencies the page showed (test-artifacts/network-in-page/latency.md).
"""

from __future__ import annotations

import base64
import functools
import http.server
import io
import json
import os
import re
import shutil
import statistics
import threading
import time
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from explorer_notebook import HTML_MANAGER, RUN, TEMPLATE, control, notebook
from explorer_probe import Probe, watch
from notebook_page import ARTIFACTS, keep_evidence, watch_console
from PIL import Image

from course_utils import digits
from course_utils.checkpoints import default_checkpoint, load_checkpoint
from course_utils.data import LABRADOR, fetch, mnist_tensors
from course_utils.models import LectureNet
from course_utils.onnx_export import write_page_assets
from course_utils.pretrained import CATEGORIES, load_photo
from course_utils.squeezenet import caffe_preprocess, load_squeezenet
from course_utils.training import normalise
from course_utils.widgets import es_module
from course_utils.widgets.photo_classifier import TRANSPARENT

SHOTS = ARTIFACTS / "network-in-page"
# Changes timed per kind (benchmarks/bench_network_in_page.py asks for more).
REPEATS = int(os.environ.get("COURSE_LATENCY_REPEATS", 3))
ACT, PHOTO = 0, 1  # the explorers' order on the page
SEED = 20

CELLS = ['''import torch
from course_utils.checkpoints import default_checkpoint, load_checkpoint
from course_utils.data import mnist_tensors
from course_utils.models import LectureNet
from course_utils.pretrained import Classifier, labrador_photo, squeezenet_classifier
from course_utils.training import normalise
from course_utils.widgets.activation_explorer import ActivationExplorer
from course_utils.widgets.photo_classifier import PhotoClassifier

model = LectureNet()
load_checkpoint(default_checkpoint(), model)
images, labels = mnist_tensors(train=False)''',
         "act = ActivationExplorer(model.eval(), normalise(images[:50]), labels[:50])\nact",
         # A stand-in named AlexNet (its weights are not here): the page must say that it
         # classifies an upload with SqueezeNet instead.
         "squeezenet = squeezenet_classifier()\n"
         "photos = PhotoClassifier(Classifier('AlexNet', squeezenet.model, squeezenet.preprocess),"
         " labrador_photo(), 'Labrador')\nphotos"]

IMPORT = """async (source) => {
  const url = URL.createObjectURL(new Blob([source], {type: 'text/javascript'}));
  return Object.keys(await import(url)).length;
}"""

# Both networks in the page: LectureNet on a batch of digits, SqueezeNet on one photo.
RUN_BOTH = """async ([digits, count, photo]) => {
  const floats = (text) => new Float32Array(unb64(text).buffer);
  const lecture = await courseOnnx.session('lecture-net.onnx');
  const out = await lecture.run({image: [floats(digits), [count, 1, 28, 28]]});
  const squeeze = await courseOnnx.session('squeezenet.onnx');
  const scores = (await squeeze.run({image: [floats(photo), [1, 3, 227, 227]]})).scores;
  return {scores: b64(out.scores.data), conv1: b64(out.conv1.data), conv2: b64(out.conv2.data),
          input2: b64(out['conv2.input'].data), photo: b64(scores.data),
          digest: lecture.meta.digest};
}"""


@pytest.fixture(scope="module")
def trained() -> LectureNet:
    """Notebook 07's trained network (make test's nbval pass leaves it in the data folder)."""
    model = LectureNet()
    load_checkpoint(default_checkpoint(), model)  # CheckpointError: run notebook 07 first
    return model.eval()


@pytest.fixture(scope="module")
def squeezenet():
    return load_squeezenet()


@pytest.fixture(scope="module")
def folder(tmp_path_factory, trained, squeezenet) -> Path:
    """A page folder: assets/ with the in-page networks (and, beside them, what a page of
    explorers needs: RequireJS, the widget manager, anywidget) and a blank page."""
    root = tmp_path_factory.mktemp("network-in-page")
    assets = root / "assets"
    write_page_assets(assets, lecture_net=trained, squeezenet=squeezenet)
    shutil.copytree(HTML_MANAGER, assets, dirs_exist_ok=True,
                    ignore=shutil.ignore_patterns("*.map", "embed.js*", "libembed-amd.js"))
    shutil.copy2(HTML_MANAGER.parents[2] / "requirejs" / "require.js", assets / "require.js")
    import anywidget

    shutil.copy2(Path(anywidget.__file__).parent / "nbextension" / "index.js",
                 assets / "anywidget.js")
    (root / "blank.html").write_text('<!doctype html><meta charset="utf-8"><title>blank</title>'
                                     '<script src="assets/onnx/course-onnx.js"></script>')
    return root


def local_page(browser_context, folder: Path, prefix: str):
    """A page that may load nothing but what starts with ``prefix`` (or blob:, data:)."""
    page = browser_context.new_page()
    page.console, page.refused = watch_console(page), []

    def local_only(route):
        url = route.request.url
        if url.startswith((prefix, "blob:", "data:")):
            route.continue_()
        else:
            page.refused.append(url)
            route.abort()

    page.route("**/*", local_only)
    return page


@pytest.fixture(scope="module")
def blank(browser_context, folder):
    page = local_page(browser_context, folder, folder.as_uri() + "/")
    page.goto((folder / "blank.html").as_uri())
    page.evaluate(CODEC)
    yield page
    page.close()


# Arrays cross between Python and the page as base64 (a JSON list of a million numbers takes
# seconds): window.b64 writes a typed array's bytes, window.unb64 reads them back.
CODEC = """() => {
  window.b64 = (typed) => {
    const bytes = new Uint8Array(typed.buffer, typed.byteOffset, typed.byteLength);
    let text = '';
    for (let k = 0; k < bytes.length; k += 32768) {
      text += String.fromCharCode(...bytes.subarray(k, k + 32768));
    }
    return btoa(text);
  };
  window.unb64 = (text) => Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
}"""


def b64(array) -> str:
    return base64.b64encode(np.ascontiguousarray(array).tobytes()).decode()


def unb64(text: str, dtype, shape) -> np.ndarray:
    return np.frombuffer(base64.b64decode(text), dtype=dtype).reshape(shape)


def load_module(page, name: str) -> None:
    page.evaluate("async (source) => { const url = URL.createObjectURL(new Blob([source], "
                  "{type: 'text/javascript'})); window.mod = await import(url); }",
                  es_module(name))
    page.evaluate(CODEC)


def check_both_networks(page, trained, squeezenet):
    images, labels = mnist_tensors(train=False)
    x = normalise(images[:12])
    photo = caffe_preprocess(load_photo(fetch(LABRADOR)))
    page.evaluate(CODEC)
    got = page.evaluate(RUN_BOTH, [b64(x.numpy()), len(x), b64(photo.numpy())])
    got = {k: v if k == "digest" else torch.from_numpy(unb64(v, "<f4", (-1,)).copy())
           for k, v in got.items()}
    with torch.no_grad():
        scores = trained(x)
        maps1 = trained.conv1(x)
        input2 = F.relu(F.max_pool2d(maps1, 3))
        maps2 = trained.conv2(input2)
        photo_scores = squeezenet(photo)[0]
    page_scores = got["scores"].view(12, 10)
    assert (page_scores - scores).abs().max() < 1e-4
    assert torch.equal(page_scores.argsort(1, descending=True)[:, :5],
                       scores.argsort(1, descending=True)[:, :5])
    assert (page_scores.argmax(1) == labels[:12]).float().mean() > 0.9  # trained: it reads them
    for name, expected in (("conv1", maps1), ("conv2", maps2), ("input2", input2)):
        assert (got[name].view(expected.shape) - expected).abs().max() < 1e-4, name
    page_photo = got["photo"]
    assert (page_photo - photo_scores).abs().max() < 1e-4
    assert page_photo.argsort(descending=True)[:5].tolist() == \
        photo_scores.argsort(descending=True)[:5].tolist()
    assert CATEGORIES[int(page_photo.argmax())] == "Labrador retriever"
    return got


def test_both_networks_in_the_page_give_pytorchs_answers_from_disk_and_from_a_server(
        blank, folder, browser_context, trained, squeezenet):
    from course_utils.onnx_export import weights_digest

    assert check_both_networks(blank, trained, squeezenet)["digest"] == weights_digest(trained)
    assert blank.refused == []
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(folder))
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    address = f"http://127.0.0.1:{server.server_port}/"
    page = local_page(browser_context, folder, address)
    try:
        page.goto(address + "blank.html")
        check_both_networks(page, trained, squeezenet)
        assert page.refused == []
    finally:
        page.close()
        server.shutdown()


STROKES = """([cases, pad, radius]) => cases.map((strokes) => {
  const ink = new Uint8Array(pad * pad);
  for (const [from, to, erase] of strokes) { mod.paintStroke(ink, pad, from, to, radius, erase); }
  const made = mod.mnistStyle(ink, pad, {side: 28, box: 20, tie: 1e-9});
  return {ink: b64(ink), made: made && b64(made)};
})"""

ENLARGED = """([digits, pad]) => digits.map((d) => {
  const ink = new Uint8Array(pad * pad);
  for (let r = 0; r < pad; r++) {
    for (let c = 0; c < pad; c++) {
      ink[r * pad + c] = d[Math.floor(r / 4) * 28 + Math.floor(c / 4)];
    }
  }
  return Array.from(mod.mnistStyle(ink, pad, {side: 28, box: 20, tie: 1e-9}));
})"""

UNITS = """(cases) => cases.map(([input, shape, weights, bias, kernel, o, r, c]) => {
  const u = mod.openUnit(input, shape, weights, bias, kernel, o, r, c);
  return {contributions: Array.from(u.contributions), sum: u.sum, value: u.value, relu: u.relu};
})"""


def test_the_pads_preprocessing_and_a_unit_opened_up_are_the_python_references(blank):
    load_module(blank, "activation_explorer.js")
    rng = np.random.default_rng(SEED)
    pad = digits.PAD
    cases = []
    for n in range(40):  # random strokes anywhere, long or short, some erased again
        points = rng.uniform(-5, pad + 5, size=(rng.integers(1, 6), 2)) * (0.2 if n % 5 == 0
                                                                           else 1)
        strokes = [[a.tolist(), b.tolist(), False]
                   for a, b in zip(points, points[1:], strict=False)] or \
            [[points[0].tolist(), points[0].tolist(), False]]
        if n % 4 == 1:
            strokes.append([points[0].tolist(), points[-1].tolist(), True])
        cases.append(strokes)
    answers = blank.evaluate(STROKES, [cases, pad, 5])
    inked = 0
    for got in answers:
        ink = unb64(got["ink"], np.uint8, (pad, pad))
        if not ink.any():
            assert got["made"] is None
            continue
        inked += 1
        made = torch.from_numpy(unb64(got["made"], "<f4", (28, 28)).copy())
        assert torch.allclose(made, digits.mnist_style(ink), atol=1e-6)
    assert inked > 30
    images, _ = mnist_tensors(train=False)
    made = blank.evaluate(ENLARGED, [images[:20].flatten(1).tolist(), pad])  # small: lists
    for k, got in enumerate(made):
        assert torch.allclose(torch.tensor(got).view(28, 28), images[k].float() / 255, atol=1e-6)

    gen = torch.Generator().manual_seed(SEED)
    units, expected = [], []
    for channels, side, kernel in ((32, 8, 5), (1, 28, 5), (3, 6, 3)):
        x = torch.randn(channels, side, side, generator=gen)
        w = torch.randn(4, channels, kernel, kernel, generator=gen)
        b = torch.randn(4, generator=gen)
        out = F.conv2d(x[None], w, b)[0]
        per_channel = F.conv2d(x[None], w.transpose(0, 1).reshape(-1, 1, kernel, kernel),
                               groups=channels)[0].view(channels, 4, *out.shape[1:])
        for o, r, c in ((0, 0, 0), (3, out.shape[1] - 1, out.shape[2] - 1), (2, 1, 2)):
            units.append((x.flatten().tolist(), [channels, side, side], w.flatten().tolist(),
                          b.tolist(), [kernel, kernel], o, r, c))
            expected.append((per_channel[:, o, r, c], out[o, r, c], b[o]))
    for got, (contributions, value, bias) in zip(blank.evaluate(UNITS, units), expected,
                                                 strict=True):
        assert torch.allclose(torch.tensor(got["contributions"], dtype=torch.float32),
                              contributions, atol=1e-4)
        assert got["value"] == pytest.approx(float(value), abs=1e-4)
        assert got["sum"] == pytest.approx(float(value - bias), abs=1e-4)
        assert got["relu"] == pytest.approx(max(0.0, float(value)), abs=1e-4)


RESIZES = """(cases) => cases.map(([rgba, w, h, outW, outH]) =>
  b64(mod.resizeBilinear(new Uint8ClampedArray(unb64(rgba).buffer), w, h, outW, outH)))"""
CAFFE = """([rgba, w, h]) => b64(mod.caffeInput(new Uint8ClampedArray(unb64(rgba).buffer), w, h,
  {resize: 256, crop: 227, mean_bgr: [104, 117, 123]}))"""
DECODE = """async (bytes) => {
  const photo = await mod.photoPixels(new File([unb64(bytes)], 'photo.jpg'));
  return {width: photo.width, height: photo.height, rgba: b64(photo.rgba)};
}"""


def _rgba(image: Image.Image) -> str:
    return b64(np.asarray(image.convert("RGBA")))


def test_the_photos_preprocessing_is_pils_to_the_pixel(blank):
    load_module(blank, "photo_classifier.js")
    rng = np.random.default_rng(SEED)
    images, cases = [], []
    for w, h, out_w, out_h in ((40, 30, 13, 10), (17, 23, 40, 51), (64, 48, 64, 20),
                               (33, 33, 12, 33), (300, 20, 256, 7), (9, 700, 3, 256)):
        image = Image.fromarray(rng.integers(0, 256, size=(h, w, 3), dtype=np.uint8))
        images.append((image, out_w, out_h))
        cases.append((_rgba(image), w, h, out_w, out_h))
    for got, (image, out_w, out_h) in zip(blank.evaluate(RESIZES, cases), images, strict=True):
        expected = np.asarray(image.resize((out_w, out_h), Image.BILINEAR))
        page = unb64(got, np.uint8, (out_h, out_w, 4))[..., :3]
        assert np.array_equal(page, expected), (image.size, out_w, out_h)
    for w, h in ((300, 260), (260, 300), (700, 577), (256, 256)):  # crops round half to even
        image = Image.fromarray(rng.integers(0, 256, size=(h, w, 3), dtype=np.uint8))
        got = torch.from_numpy(unb64(blank.evaluate(CAFFE, [_rgba(image), w, h]), "<f4",
                                     (1, 3, 227, 227)).copy())
        assert torch.equal(got, caffe_preprocess(image)), (w, h)
    jpeg = fetch(LABRADOR).read_bytes()
    decoded = blank.evaluate(DECODE, base64.b64encode(jpeg).decode())
    pil = np.asarray(load_photo(jpeg))
    page = unb64(decoded["rgba"], np.uint8, (decoded["height"], decoded["width"], 4))
    assert page.shape[:2] == pil.shape[:2] and (page[..., 3] == 255).all()
    assert np.array_equal(page[..., :3], pil), "Chromium and PIL decode the Labrador differently"


# ---------------------------------------------------------------- the page without a kernel


@pytest.fixture(scope="module")
def static(folder):
    """The explorers' page with no kernel, and the executed notebook it was made from."""
    import jinja2
    from nbclient import NotebookClient
    from nbconvert import HTMLExporter

    nb = notebook(CELLS)
    NotebookClient(nb, timeout=300, kernel_name="python3", store_widget_state=True).execute()
    host = {"kernel": False, "notebook": "networks", "run": RUN, "assets": "assets"}
    template = TEMPLATE.replace("COURSE_HOST", json.dumps(host))
    exporter = HTMLExporter(extra_loaders=[jinja2.DictLoader({"networks.html.j2": template})],
                            template_file="networks.html.j2",
                            require_js_url="assets/require.js",
                            widget_renderer_url="assets/embed-amd.js")
    html, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": "networks"}})
    path = folder / "networks.html"
    path.write_text(html, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def page(browser_context, folder, static):
    page = local_page(browser_context, folder, folder.as_uri() + "/")
    page.goto(static.as_uri())
    page.wait_for_function("() => document.querySelectorAll('.course-explorer').length === 2",
                           timeout=60_000)
    assert watch(page) == ["Activation maps",
                           "Classify your own photo with SqueezeNet, in this page"]
    # Each explorer starts its network soon after it is shown, and says when it is ready.
    page.wait_for_function("() => [...document.querySelectorAll('.course-explorer')]"
                           ".every((e) => e.dataset.network === 'ready')", timeout=60_000)
    page.latency = {"page opened → both networks loaded and ready (upper bound)":
                    [page.evaluate("() => performance.now()")]}
    yield page
    write_latency(page.latency)
    page.close()


class NoServer:
    @staticmethod
    def log_tail(lines: int = 40) -> str:
        return "(no server: the page was opened from disk)"


@pytest.fixture(autouse=True)
def evidence(request):
    yield
    if "page" in request.fixturenames:
        page = request.getfixturevalue("page")
        keep_evidence(request, page, page.console, NoServer)


SETTLED = """([i, before]) => {
  const root = document.querySelector(`[data-course-index="${i}"]`);
  const now = root.dataset.redraws + '|' + root.querySelector('.course-status').textContent;
  if (root.__settle === now && performance.now() - root.__since > 300) { return true; }
  if (root.__settle !== now) { root.__settle = now; root.__since = performance.now(); }
  return false;
}"""


def settle(page, index: int) -> None:
    """Wait until the explorer has not redrawn for 300 ms (the page's network has answered)."""
    page.wait_for_function(SETTLED, arg=[index, None], timeout=20_000, polling=50)


def stroke(page, points, steps: int = 10) -> None:
    """One stroke with the mouse through ``points`` (fractions of the pad's width, height)."""
    box = page.locator(".course-pad").bounding_box()
    xy = [(box["x"] + fx * box["width"], box["y"] + fy * box["height"]) for fx, fy in points]
    page.mouse.move(*xy[0])
    page.mouse.down()
    for x, y in xy[1:]:
        page.mouse.move(x, y, steps=steps)
    page.mouse.up()


def dots(probe: Probe, count: int) -> list[float]:
    """Dots added to the drawing, one by one: ms from each press to the frame showing the
    network's answer (the pointer is moved there before the clock starts)."""
    page = probe.page
    box = page.locator(".course-pad").bounding_box()
    rows = [0.96, 0.04, 0.86, 0.14, 0.76, 0.24]  # a grid of 48 places, 14 ink pixels apart
    times = []
    for k in range(count):
        page.mouse.move(box["x"] + (0.06 + 0.125 * (k % 8)) * box["width"],
                        box["y"] + rows[k // 8 % len(rows)] * box["height"])
        times.append(probe.change(lambda: (page.mouse.down(), page.mouse.up()), f"dot {k}"))
    return times


def ink_on_pad(page) -> np.ndarray:
    """The ink the pad shows (it paints 255 - ink, grey)."""
    red = page.locator(".course-pad").evaluate("""(canvas) => Array.from(
      canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data
        .filter((_, k) => k % 4 === 0))""")
    return 255 - np.array(red, dtype=np.uint8).reshape(digits.PAD, digits.PAD)


def shown_probabilities(root) -> list[float]:
    texts = root.locator(".course-bars").first.locator("text").all_text_contents()
    return [float(t) for t in texts[1::2]]


def check_drawing(page, trained, expected: int) -> torch.Tensor:
    """The page's answer to its drawing is PyTorch's on the same ink; the predicted class."""
    act = Probe(page, ACT)
    image = digits.drawn_digit(ink_on_pad(page))
    with torch.no_grad():
        probs = trained(image[None]).softmax(1)[0]
    status = act.state()["status"]
    assert status.startswith(f"your drawing, predicted {int(probs.argmax())};"), status
    assert int(probs.argmax()) == expected, f"PyTorch reads the drawing as {int(probs.argmax())}"
    assert shown_probabilities(act.root) == pytest.approx(probs.tolist(), abs=0.006)
    return image


def test_a_one_and_a_seven_drawn_stroke_by_stroke_are_read(page, trained):
    act = Probe(page, ACT)
    assert page.refused == []
    first = act.change(lambda: stroke(page, [(0.52, 0.12), (0.5, 0.5), (0.48, 0.88)]),
                       "a 1, drawn")
    settle(page, ACT)
    check_drawing(page, trained, 1)
    assert "your drawing, as the network sees it" in act.root.text_content()
    page.locator(".course-explorer").first.get_by_role("button", name="clear").click()
    assert act.state()["message"] == \
        "⚠ The pad has no ink: draw a digit on it, or pick a test digit."
    assert not act.state()["shown"]
    times = [act.change(lambda: stroke(page, [(0.22, 0.18), (0.5, 0.17), (0.8, 0.18)]),
                        "the 7's bar")]
    times.append(act.change(lambda: stroke(page, [(0.8, 0.18), (0.62, 0.5), (0.45, 0.86)]),
                            "the 7's stem"))
    settle(page, ACT)
    image = check_drawing(page, trained, 7)
    page.latency["a stroke drawn (1, 7's bar, 7's stem) → new maps and probabilities"] = \
        [first, *times]

    # A unit of conv2, opened up: PyTorch's numbers for the drawing.
    act.change(lambda: control(act.root, "layer").select_option("conv2"), "conv2")
    act.change(lambda: control(act.root, "map").press("ArrowRight"), "map 1")
    big = act.root.locator(".course-map")
    box = big.bounding_box()
    act.change(lambda: big.click(position={"x": 2.5 / 4 * box["width"],
                                           "y": 1.5 / 4 * box["height"]}), "unit (1, 2)")
    with torch.no_grad():
        x = F.relu(F.max_pool2d(trained.conv1(image[None]), 3))[0]
        w, b = trained.conv2.weight[1], float(trained.conv2.bias[1])
        contributions = (w * x[:, 1:6, 2:7]).sum((1, 2))
    value = float(contributions.sum()) + b
    lines = act.root.locator(".course-unit div").all_text_contents()
    numbers = [[float(v) for v in re.findall(r"-?\d+\.\d+", line)] for line in lines]
    assert numbers[0] == pytest.approx([float(contributions.sum())], abs=2e-4)
    assert numbers[1] == pytest.approx([b, value, value], abs=2e-4)
    assert numbers[2] == pytest.approx([value, max(0.0, value)], abs=2e-4)
    tips = act.root.locator(".course-bars title").all_text_contents()
    assert [float(t.split(": ")[1]) for t in tips] == pytest.approx(contributions.tolist(),
                                                                   abs=2e-4)
    assert "unit (1, 2)" in act.state()["status"]
    SHOTS.mkdir(parents=True, exist_ok=True)
    act.root.screenshot(path=str(SHOTS / "drawn-digit.png"))
    page.latency["a dot added → new maps, probabilities and unit (conv2)"] = dots(act, REPEATS)


def test_a_test_digit_of_the_bank_is_answered_by_the_page(page, trained):
    act = Probe(page, ACT)
    offered = control(act.root, "test digit").evaluate("(e) => [...e.options].map((o) => o.value)")
    assert offered == [str(k) for k in range(10)]  # the bank: digits 0 to 9 of the notebook's
    images, labels = mnist_tensors(train=False)
    act.change(lambda: control(act.root, "test digit").select_option("4"), "test digit 4")
    settle(page, ACT)
    with torch.no_grad():
        probs = trained(normalise(images[4:5])).softmax(1)[0]
    assert act.state()["status"].startswith(f"digit 4, label {int(labels[4])}, predicted "
                                            f"{int(probs.argmax())};")
    assert shown_probabilities(act.root) == pytest.approx(probs.tolist(), abs=0.006)
    assert act.state()["message"] == ""
    assert not ink_on_pad(page).any()  # choosing a test digit cleared the pad
    notes = act.root.locator(".course-notes").text_content()
    assert "This page holds 10 of the 50 digits" in notes
    assert "This page's network is not quite the one" not in notes  # the same weights


def _file(name: str, image: Image.Image, fmt: str) -> dict:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt)
    return {"name": name, "mimeType": f"image/{fmt.lower()}", "buffer": buffer.getvalue()}


def test_photos_are_classified_in_the_page_and_bad_files_say_why(page, squeezenet):
    photo = Probe(page, PHOTO)
    root = photo.root
    notes = root.locator(".course-notes").text_content()
    assert "classified by SqueezeNet, run by your browser" in notes
    assert "The notebook classifies photos with AlexNet" in notes
    chooser = root.locator("input[type=file]")
    jpeg = fetch(LABRADOR).read_bytes()
    times = []
    for _ in range(REPEATS):
        chooser.set_input_files([])
        times.append(photo.change(lambda: chooser.set_input_files(
            {"name": "labrador.jpg", "mimeType": "image/jpeg", "buffer": jpeg}), "the Labrador"))
    page.latency["a photo chosen → its top-k bars"] = times
    with torch.no_grad():
        probs = squeezenet(caffe_preprocess(load_photo(jpeg)))[0].softmax(0)
    top = probs.argsort(descending=True)[:5]
    label = root.locator(".course-bars").get_attribute("aria-label")
    shown = [(m[1], float(m[2])) for m in re.finditer(r"(?:^top 5: |, )(.+?) (\d\.\d\d)", label)]
    assert [name for name, _ in shown] == [CATEGORIES[k] for k in top]
    assert [p for _, p in shown] == pytest.approx(probs[top].tolist(), abs=0.006)
    assert "the 5 most likely classes (SqueezeNet)" in root.text_content()

    photo.change(lambda: chooser.set_input_files(
        {"name": "notes.txt", "mimeType": "text/plain", "buffer": b"not a photo"}), "not a photo")
    assert photo.state()["message"] == \
        "⚠ notes.txt: could not read this file as an image (JPEG, PNG...)"

    clear = Image.new("RGBA", (60, 40), (0, 0, 0, 0))
    clear.paste((255, 0, 0, 255), (20, 10, 40, 30))
    photo.change(lambda: chooser.set_input_files(_file("clear.png", clear, "PNG")), "a PNG")
    assert root.locator(".course-notice").text_content() == TRANSPARENT
    assert photo.state()["message"] == ""

    huge = Image.new("RGB", (8000, 6000), (200, 170, 120))
    start = time.monotonic()
    page.latency["an 8000×6000 photo chosen → its top-k bars"] = [photo.change(
        lambda: chooser.set_input_files(_file("huge.jpg", huge, "JPEG")), "8000×6000")]
    seconds = time.monotonic() - start
    notice = root.locator(".course-notice").text_content()
    assert notice.startswith("This photo is 8000×6000 pixels (48 megapixels): the browser "
                             "first made it 1365×1024"), notice
    assert seconds < 15, f"an 8000×6000 photo took {seconds:.1f} s"
    assert page.evaluate("() => 1 + 1") == 2  # the page still answers
    assert page.refused == []
    errors = [line for line in page.console if line.startswith(("error", "pageerror"))]
    assert errors == []


def write_latency(latency: dict[str, list[float]], name: str = "latency.md") -> None:
    """The latencies the tests saw, as a table (the benchmark times more, on real data)."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    lines = ["# The networks in the page: latencies seen by tests/browser/test_network_in_page.py",
             "", "From the learner's event to the first frame that shows the answer, in ms "
             "(few repeats: benchmarks/bench_network_in_page.py times more).", "",
             "| change | n | median (ms) | max (ms) |", "|---|---:|---:|---:|"]
    for change, values in latency.items():
        lines.append(f"| {change} | {len(values)} | {statistics.median(values):.1f} | "
                     f"{max(values):.1f} |")
    (SHOTS / name).write_text("\n".join(lines) + "\n")


# ---------------------------------------------------------------- in JupyterLab, with a kernel


def test_in_jupyterlab_a_drawing_goes_to_the_kernel(open_notebook, lab_server, trained):
    """With a kernel the page sends the pad's ink; PyTorch makes it an MNIST digit and answers."""
    import nbformat

    path = "network-tests/drawing.ipynb"
    (lab_server.root_dir / path).parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook(CELLS[:2]), lab_server.root_dir / path)
    lab = open_notebook(path)
    lab.run_all(timeout=300)
    page = lab.page
    page.wait_for_function("() => document.querySelectorAll('.course-explorer').length === 1",
                           timeout=60_000)
    watch(page)
    act = Probe(page, 0)
    act.change(lambda: stroke(page, [(0.5, 0.12), (0.5, 0.88)]), "a 1, drawn")
    times = dots(act, REPEATS)  # each dot's answer comes from the kernel
    settle(page, 0)
    ink = ink_on_pad(page)
    answer = json.loads(lab.execute("import json\nprint(json.dumps([act.drawn, act.label, "
                                    "act.probabilities, bytes(act.ink).hex()]))"))
    drawn, label, probabilities, sent = answer
    assert drawn and label == -1
    assert bytes.fromhex(sent) == ink.tobytes()  # the kernel has the ink the pad shows
    with torch.no_grad():
        expected = trained(digits.drawn_digit(ink)[None]).softmax(1)[0]
    assert probabilities == pytest.approx(expected.tolist(), abs=1e-5)
    assert act.state()["status"].startswith(f"your drawing, predicted {int(expected.argmax())};")
    write_latency({"in JupyterLab: a dot added → the kernel's maps and probabilities": times},
                  "latency-jupyterlab.md")
