"""What the explorers' ES modules compute, in Chromium, against course_utils and PyTorch.

Each explorer ships one ES module (``Explorer._esm``: geometry.js, drawing.js, then its own).
Here the very text each explorer sends to the browser is imported into a blank page, and what
it computes in order to redraw without the kernel is compared, over seeded sweeps of settings,
with :mod:`course_utils.arithmetic` (sizes, windows, footprints, formulas and messages, word
for word) and with PyTorch (the ``nn.Conv2d(...)`` line it writes, pooling, a 3×3 response,
each step of the 1d stepper, rendered on a stand-in model, against ``F.conv1d`` and the still
picture). No JupyterLab is needed: only the browser of the other browser tests.
"""

from __future__ import annotations

import json
import math
import random

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from course_utils.arithmetic import Axis, footprint, pool_output_size
from course_utils.blocks import conv1d_steps
from course_utils.widgets import Explorer, es_module
from course_utils.widgets.activation_explorer import ActivationExplorer
from course_utils.widgets.conv1d_stepper import Conv1dStepper
from course_utils.widgets.conv_explorer import ConvExplorer
from course_utils.widgets.filter_editor import FLOAT32_MAX, FilterEditor, _filter_values
from course_utils.widgets.photo_classifier import PhotoClassifier
from course_utils.widgets.pooling_explorer import PoolingExplorer

EXPLORERS = [ConvExplorer, FilterEditor, PoolingExplorer, ActivationExplorer, PhotoClassifier,
             Conv1dStepper]

MODULES = ["conv_explorer.js", "filter_editor.js", "pooling_explorer.js",
           "activation_explorer.js", "photo_classifier.js", "conv1d_stepper.js"]
SEED = 13

IMPORT = """async (source) => {
  const url = URL.createObjectURL(new Blob([source], {type: 'text/javascript'}));
  window.mod = await import(url);
  return Object.keys(window.mod).sort();
}"""

# Each check runs a whole sweep in the page and hands back plain JSON.
SIZES = """(cases) => cases.map(([size, k, s, p, d, t]) => {
  const axis = new mod.Axis(k, s, p, d, t);
  try {
    const out = axis.outputSize(size);
    const windows = [];
    for (let i = 0; i < out; i++) { windows.push(axis.window(i, size)); }
    return {out, windows, formula: axis.formula(size, 'H')};
  } catch (err) {
    return {error: err.message, geometry: err instanceof mod.GeometryError};
  }
})"""

FOOTPRINTS = """(cases) => cases.map(([h, w, rows, cols, t, i, j]) => {
  const [a, b] = [new mod.Axis(...rows, t), new mod.Axis(...cols, t)];
  const fp = mod.footprint(h, w, a, b, i, j);
  return {output: fp.output, reads: fp.reads, line: mod.layerLine(a, b)};
})"""

POOLS = """(cases) => cases.map(([values, h, w, k, s, mode]) => {
  try {
    const out = mod.pool2d(values, h, w, k, s, mode);
    return {rows: out.rows, cols: out.cols, values: Array.from(out.values),
            winners: Array.from(out.winners)};
  } catch (err) { return {error: err.message}; }
})"""

READS = """(texts) => texts.map((text) => mod.readNumber(text))"""
WRITTEN = """(values) => values.map((v) => mod.formatNumber(v))"""

RESPONSES = """(cases) => cases.map(([values, h, w, weights]) => {
  const out = mod.correlate3x3(values, h, w, weights);
  return {rows: out.rows, cols: out.cols, values: Array.from(out.values)};
})"""

# The 1d stepper rendered with a stand-in model (get, set, on, save_changes, as anywidget's),
# moved to each position in turn: what it writes there, and where it puts what moves.
STEPS = """async (numbers) => {
  const state = {numbers, position: 0, interval_ms: 800}, handlers = {};
  const model = {
    get: (key) => state[key],
    set: (key, value) => {
      const old = state[key];
      state[key] = value;
      if (old !== value) { (handlers[`change:${key}`] || []).forEach((f) => f()); }
    },
    on: (event, f) => { (handlers[event] ||= []).push(f); },
    save_changes: () => {},
  };
  const el = document.createElement('div');
  document.body.replaceChildren(el);
  mod.default.render({model, el});
  const q = (selector) => el.querySelector(selector);
  const texts = (selector) => [...el.querySelectorAll(selector)].map((t) => t.textContent);
  const seen = [];
  for (let i = 0; i < numbers.outputs.length; i++) {
    model.set('position', i);
    await new Promise((done) => setTimeout(done));
    seen.push({sum: q('.course-formula').textContent, line: mod.sumLine(numbers, i),
               products: texts('.products text'), kernel: texts('.kernel text'),
               window: Number(q('.window').getAttribute('x')),
               moved: [q('.kernel'), q('.products')].map((g) => g.getAttribute('transform')),
               chosen: q('.chosen').textContent,
               future: ['x', 'width'].map((a) => Number(q('.future').getAttribute(a))),
               slider: Number(q('input[type=range]').value),
               valueNow: Number(q('svg[role=slider]').getAttribute('aria-valuenow')),
               redraws: Number(q('.course-explorer').dataset.redraws)});
  }
  return seen;
}"""


@pytest.fixture(scope="module")
def page(browser_context):
    page = browser_context.new_page()
    page.goto("about:blank")
    yield page
    page.close()


def load(page, name: str) -> list[str]:
    return page.evaluate(IMPORT, es_module(name))


@pytest.mark.parametrize("name", MODULES)
def test_each_explorers_module_loads_in_the_browser(page, name):
    exports = load(page, name)
    assert "default" in exports and {"Axis", "footprint", "pool2d"} <= set(exports)
    assert page.evaluate("typeof window.mod.default.render") == "function"
    ours = {cls for cls in Explorer.__subclasses__() if cls.__module__.startswith("course_utils")}
    assert ours == set(EXPLORERS)
    shipped = [cls for cls in EXPLORERS if cls._esm == es_module(name)]
    assert len(shipped) == 1, f"{name} is the module of exactly one explorer"


@pytest.mark.parametrize("transposed", [False, True])
def test_sizes_windows_formulas_and_messages_are_arithmetics(page, transposed):
    load(page, "conv_explorer.js")
    rng = random.Random(SEED + transposed)
    cases = [(rng.randint(1, 16), rng.randint(1, 7), rng.randint(1, 4), rng.randint(0, 5),
              rng.randint(1, 4), transposed) for _ in range(600)]
    answers = page.evaluate(SIZES, cases)
    valid = 0
    for case, got in zip(cases, answers, strict=True):
        size, *geometry = case
        axis = Axis(*geometry)
        try:
            out = axis.output_size(size)
        except ValueError as err:
            assert got == {"error": str(err), "geometry": True}, case
            continue
        valid += 1
        assert got["out"] == out, case
        assert got["windows"] == [axis.window(i, size) for i in range(out)], case
        assert got["formula"] == axis.formula(size, "H"), case
    assert valid > 300 and len(cases) - valid > 30  # both kinds of setting were tried


def test_footprints_and_the_pytorch_line_over_a_sweep(page):
    load(page, "conv_explorer.js")
    rng = random.Random(SEED)
    cases = []
    while len(cases) < 300:
        h, w, t = rng.randint(1, 9), rng.randint(1, 9), rng.random() < 0.4
        rows, cols = ([rng.randint(1, 4), rng.randint(1, 3), rng.randint(0, 2), rng.randint(1, 3)]
                      for _ in range(2))
        try:
            out = (Axis(*rows, t).output_size(h), Axis(*cols, t).output_size(w))
        except ValueError:
            continue
        cases.append((h, w, rows, cols, t, rng.randrange(out[0]), rng.randrange(out[1])))
    answers = page.evaluate(FOOTPRINTS, cases)
    for (h, w, rows, cols, t, i, j), got in zip(cases, answers, strict=True):
        fp = footprint(h, w, Axis(*rows, t), Axis(*cols, t), (i, j))
        assert tuple(got["output"]) == fp["output"]
        assert {tuple(rc) for rc in got["reads"]} == fp["reads"]
        assert len(got["reads"]) == len(fp["reads"])  # no cell twice
        layer = eval(got["line"], {"nn": nn})  # the line the explorer offers to copy
        assert isinstance(layer, nn.ConvTranspose2d if t else nn.Conv2d), got["line"]
        with torch.no_grad():
            shape = layer(torch.zeros(1, 1, h, w)).shape
        assert tuple(shape[2:]) == fp["output"], got["line"]
        assert (layer.kernel_size, layer.stride, layer.padding, layer.dilation) == tuple(
            zip(rows, cols, strict=True))


def test_pooling_is_pytorchs(page):
    load(page, "pooling_explorer.js")
    gen = torch.Generator().manual_seed(SEED)
    rng = random.Random(SEED)
    images, cases = [], []
    for _ in range(120):
        h, w = rng.randint(1, 12), rng.randint(1, 12)
        image = torch.rand(h, w, generator=gen)
        if rng.random() < 0.3:  # ties: max pooling must keep the first largest value
            image = (image * 3).floor()
        images.append(image)
        cases.append((image.flatten().tolist(), h, w, rng.randint(1, 6), rng.randint(1, 6),
                      rng.choice(["max", "avg"])))
    answers = page.evaluate(POOLS, cases)
    pooled = 0
    for image, (_, h, w, k, s, mode), got in zip(images, cases, answers, strict=True):
        try:
            expected_shape = (pool_output_size(h, k, s), pool_output_size(w, k, s))
        except ValueError as err:
            assert got == {"error": str(err)}
            continue
        pool = F.max_pool2d if mode == "max" else F.avg_pool2d
        expected = pool(image[None, None], k, s)[0, 0]
        assert (got["rows"], got["cols"]) == expected_shape == tuple(expected.shape)
        assert torch.allclose(torch.tensor(got["values"], dtype=torch.float32), expected.flatten(),
                              atol=1e-6)
        if mode == "max":
            winners = torch.tensor(got["winners"])
            assert torch.equal(image.flatten()[winners], expected.flatten())
        pooled += 1
    assert pooled > 60


def test_the_filter_editors_response_is_conv2ds(page):
    load(page, "filter_editor.js")
    gen = torch.Generator().manual_seed(SEED)
    cases, inputs = [], []
    for n in range(40):
        h, w = 3 + n % 7, 3 + (n * 5) % 11
        image = torch.rand(h, w, generator=gen)
        weights = ((torch.rand(9, generator=gen) - 0.5) * 8).round(decimals=1)
        inputs.append((image, weights))
        cases.append((image.flatten().tolist(), h, w, weights.tolist()))
    answers = page.evaluate(RESPONSES, cases)
    for (image, weights), got in zip(inputs, answers, strict=True):
        expected = F.conv2d(image[None, None], weights.view(1, 1, 3, 3))[0, 0]
        assert (got["rows"], got["cols"]) == tuple(expected.shape)
        assert torch.allclose(torch.tensor(got["values"], dtype=torch.float32), expected.flatten(),
                              atol=1e-5)


def test_the_key_the_page_matches_pytorchs_check_with(page):
    """The conv explorer shows the kernel's check only for the settings it was made for."""
    explorer = ConvExplorer(height=3, width=5, kernel=(3, 2), stride=2, padding=(2, 1),
                            transposed=True)
    page_key = page.evaluate("(s) => JSON.stringify(s)", [
        [explorer.height, explorer.width], explorer.kernel, explorer.stride, explorer.padding,
        explorer.dilation, explorer.transposed])
    assert page_key == explorer.check["key"]
    assert json.loads(page_key)[1] == [3, 2]


def test_each_step_of_the_1d_stepper_is_conv1ds_and_the_still_pictures(page):
    """Over random signals and kernels: at every position the page writes the products of the
    window and the kernel, and their sum, as F.conv1d gives them and conv1d_steps writes them."""
    load(page, "conv1d_stepper.js")
    gen = torch.Generator().manual_seed(SEED)
    rng = random.Random(SEED)
    steps = 0
    for n in range(30):
        width = rng.randint(1, 16)
        w = rng.randint(1, width)
        x = (torch.randn(width, generator=gen) * 4).round(decimals=n % 3)
        u = (torch.randn(w, generator=gen) * 2).round(decimals=(n // 3) % 2)
        seen = page.evaluate(STEPS, Conv1dStepper(x, u).numbers)
        out = F.conv1d(x.view(1, 1, -1), u.view(1, 1, -1)).view(-1)
        still = conv1d_steps(x, u).axes[0].texts
        sums = [t.get_text() for t in still if t.get_gid() == "sum"]
        products = [t.get_text() for t in still if t.get_gid() == "product"]
        kernel = [t.get_text() for t in still if t.get_gid() == "u"][:w]
        assert len(seen) == len(out) == width - w + 1
        for i, got in enumerate(seen):
            assert got["sum"] == got["line"] == sums[i]
            assert got["products"] == products[i * w : (i + 1) * w]
            assert got["kernel"] == kernel
            product = x[i : i + w] * u  # the products and the sum, to the digits written
            assert [float(p) for p in got["products"]] == pytest.approx(product.tolist(),
                                                                        rel=0.05, abs=0.005)
            assert float(got["chosen"]) == pytest.approx(float(out[i]), rel=0.05, abs=0.005)
            assert got["window"] == got["slider"] == got["valueNow"] == i
            assert all(m.startswith(f"translate({i} ") for m in got["moved"])
            assert got["future"] == [i + 1, len(out) - 1 - i]
            assert got["redraws"] == 1 + i  # one redraw per change of position
        steps += len(seen)
    assert steps > 100


# Texts a learner may type into a number field: numbers in every notation JavaScript and
# Python share, and what is not a finite float32 number.
TYPED = ["1.5", "-2", ".5", "5.", "+3", " 4 ", "1e5", "1E-3", "-0", "0.1", "3e-45", "1e-50",
         "3.4028234663852886e38", "-3.4028234663852886e38", "3.40283e38", "1e20", "1e40",
         "-1e40", "1e400", "", "   ", "abc", "nan", "NaN", "inf", "-inf", "Infinity", "1,5",
         ",5", "0x10", "1_000", "1e", "-", ".", "e5", "1.2.3", "2 3", "1e5.5", "１"]


def _python_reads(text: str) -> float | None:
    """The number Python reads in ``text`` if it is a finite float32 number (Python's float()
    also takes "nan", "inf", "1_000" and non-ASCII digits, which a field refuses)."""
    if "_" in text or not text.isascii():
        return None
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) and abs(value) <= FLOAT32_MAX else None


def test_a_number_field_reads_what_python_reads_and_the_filter_editor_takes(page):
    """drawing.js readNumber against Python's float() and float32's range; what it takes is
    what FilterEditor takes as a weight, what it refuses FilterEditor refuses too (when Python
    reads a number at all)."""
    load(page, "filter_editor.js")
    assert page.evaluate("() => mod.FLOAT32_MAX") == FLOAT32_MAX
    answers = page.evaluate(READS, TYPED)
    for text, got in zip(TYPED, answers, strict=True):
        expected = _python_reads(text)
        if expected is None:
            assert set(got) == {"problem"}, (text, got)
            assert got["problem"].startswith(f'read "{text.strip()}"' if text.strip()
                                             else "empty"), got
            assert "expected a number within float32's range (-3.4e38 to 3.4e38)" in \
                got["problem"]
        else:
            assert got == {"value": expected}, text
            assert _filter_values([expected] * 9) == [expected] * 9
    for text in ("3.40283e38", "1e40", "-1e40", "1e400"):  # numbers beyond float32
        assert "problem" in answers[TYPED.index(text)]
        with pytest.raises(ValueError, match="within float32's range"):
            _filter_values([float(text)] * 9)
    assert answers[TYPED.index("1,5")]["problem"].endswith("with a decimal point: 1.5")


def test_numbers_are_written_to_four_or_five_significant_digits(page):
    load(page, "filter_editor.js")
    gen = torch.Generator().manual_seed(SEED)
    values = (torch.randn(300, generator=gen, dtype=torch.float64)
              * 10.0 ** torch.randint(-8, 38, (300,), generator=gen).double()).tolist()
    values += [0.0, -0.0, 1.0, -2.5, 0.001, 99999.0, 1e5, FLOAT32_MAX]
    for value, text in zip(values, page.evaluate(WRITTEN, values), strict=True):
        assert float(text) == pytest.approx(value, rel=5e-4, abs=5e-4 if abs(value) >= 1e-3
                                            else 0), (value, text)
        assert len(text) <= 10, text  # fits a filter cell
    assert page.evaluate(WRITTEN, [1e20, 3.4e38, -2.5, 0.0015, 12345.0]) == [
        "1e20", "3.4e38", "-2.5", "0.002", "12345"]
    assert page.evaluate("() => [Infinity, -Infinity, NaN].map(mod.formatNumber)") == [
        "∞", "-∞", "NaN"]
