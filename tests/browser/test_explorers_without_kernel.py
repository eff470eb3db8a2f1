"""The explorers on a page with no kernel, as the course's site and decks show them.

``explorer_notebook.static_page`` executes the explorers' notebook (all but the two that run
networks) with its widget state stored, as tools/execute.py does, and converts it to a page
that @jupyter-widgets/html-manager brings to life from that state alone; the page says it has
no kernel (``window.courseHost``, drawing.js host()). It is opened from disk (file://) with
every request outside its folder refused. Each explorer is then operated: every control must
redraw the picture, what the picture shows is checked against torch on the data saved in the
notebook, the digit menus offer exactly the banked digits, what needs a kernel says so with
links to run the notebook, and the console stays free of errors.
"""

from __future__ import annotations

import base64
import re

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from explorer_notebook import RUN, STATIC, TYPED_FIELDS, arrow, control, static_page
from explorer_probe import Probe, watch
from notebook_page import keep_evidence

from course_utils.arithmetic import Axis

CONV, EDITOR, POOL, STEP = range(len(STATIC))  # their order on the page
STATE = "application/vnd.jupyter.widget-state+json"


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    return static_page(tmp_path_factory.mktemp("static-explorers"))


@pytest.fixture(scope="module")
def page(built, browser_context):
    """The page, opened from disk, every request outside its folder refused and kept."""
    path, _ = built
    page = browser_context.new_page()
    page.console, page.refused = [], []
    page.on("console", lambda msg: page.console.append(f"{msg.type}: {msg.text}"))
    page.on("pageerror", lambda err: page.console.append(f"pageerror: {err}"))
    folder = path.parent.as_uri() + "/"

    def local_only(route):
        url = route.request.url
        if url.startswith((folder, "blob:", "data:")):
            route.continue_()
        else:
            page.refused.append(url)
            route.abort()

    page.route("**/*", local_only)
    page.goto(path.as_uri())
    page.wait_for_function(
        f"() => document.querySelectorAll('.course-explorer').length === {len(STATIC)}",
        timeout=60_000)
    assert watch(page) == ["Convolution arithmetic explorer",
                           "Filter editor: a 3×3 filter on an MNIST training digit",
                           "Pooling explorer", "1d convolution, one output at a time"]
    yield page
    page.close()


class NoServer:
    """What keep_evidence asks of a server, for a page opened from disk."""

    @staticmethod
    def log_tail(lines: int = 40) -> str:
        return "(no server: the page was opened from disk)"


@pytest.fixture(autouse=True)
def evidence(request, page):
    yield
    keep_evidence(request, page, page.console, NoServer)


def saved(built, name: str) -> dict:
    """The saved state of the explorer whose notebook variable is ``name``, its binary traits
    (base64 in the notebook) decoded as bytes."""
    _, nb = built
    models = nb.metadata["widgets"][STATE]["state"]
    cell = next(c for c in nb.cells if c.source.startswith(f"{name} = "))
    model = models[cell.outputs[0]["data"]["application/vnd.jupyter.widget-view+json"]
                   ["model_id"]]
    buffers = {b["path"][0]: base64.b64decode(b["data"]) for b in model.get("buffers", [])}
    return {**model["state"], **buffers}


def floats(raw: bytes, shape) -> torch.Tensor:
    return torch.from_numpy(np.frombuffer(raw, dtype="<f4").copy()).view(*shape)


def menu(root, label: str) -> list[int]:
    return [int(v) for v in control(root, label).evaluate("(e) => [...e.options]"
                                                          ".map((o) => o.value)")]


def kernel_note(probe: Probe, selector: str):
    """The needs-a-kernel note in an explorer: its text and its links."""
    note = probe.root.locator(selector).locator(".course-needs-kernel")
    links = note.locator("a").evaluate_all("(a) => a.map((e) => [e.textContent, e.href])")
    return note.text_content(), dict(links)


def test_the_page_loads_only_its_own_files_and_says_it_has_no_kernel(page):
    assert page.evaluate("() => window.courseHost.kernel") is False
    assert page.evaluate("() => typeof window.jupyter === 'undefined'")  # no notebook app
    assert page.refused == []


def test_conv_explorer_without_kernel(page, built):
    conv = Probe(page, CONV)
    state = saved(built, "conv")
    shape = state["check"]["shape"]  # PyTorch's answer when the notebook ran
    assert f"PyTorch, when the notebook ran: {control(conv.root, 'PyTorch layer').input_value()}" \
           f" on a 1×1×3×5 input gives ({', '.join(map(str, shape))}): agrees ✓" == \
           conv.text(".course-check")
    conv.change(arrow(control(conv.root, "stride s, rows"), "ArrowLeft"), "stride, from keys")
    rows, cols = Axis(3, 1, 2).output_size(3), Axis(3, 2, 1).output_size(5)
    assert f"output {rows}×{cols}" in conv.text(".course-caption")
    text, links = kernel_note(conv, ".course-check")
    assert text == ("PyTorch's check of this shape needs the notebook running with a kernel: "
                    "run it on Binder or Colab.")
    assert links == {"Binder": RUN["binder"], "Colab": RUN["colab"]}


def test_filter_editor_offers_the_banked_digits(page, built):
    editor = Probe(page, EDITOR)
    state = saved(built, "editor")
    bank, (h, w) = state["bank"], state["shape"]
    assert menu(editor.root, "digit") == bank and len(bank) == 10 and state["index"] in bank
    text, links = kernel_note(editor, ".course-notes")
    assert text.startswith(f"This page holds 10 of the {state['count']} digits; choosing any "
                           "other needs the notebook running with a kernel")
    assert set(links) == {"Binder", "Colab"}
    # torch's response saved with the notebook is drawn for the digit it was made for
    assert editor.root.locator(".course-pixels").nth(2).get_attribute("data-source") == "kernel"
    digits = floats(state["bank_images"], (len(bank), h, w))
    weights = torch.tensor(state["weights"]).view(1, 1, 3, 3)
    for k in (bank[-1], bank[3]):
        editor.change(lambda k=k: control(editor.root, "digit").select_option(str(k)),
                      f"digit {k} from the bank")
        response = F.conv2d(digits[bank.index(k)][None, None], weights)[0, 0]
        shown = re.search(rf"on digit {k}: response {h - 2}×{w - 2}: (\S+) \(blue\) to (\S+) ",
                          editor.state()["status"])
        assert float(shown[1]) == pytest.approx(float(response.min()), rel=2e-3, abs=1e-3)
        assert float(shown[2]) == pytest.approx(float(response.max()), rel=2e-3, abs=1e-3)
        assert editor.root.locator(".course-pixels").nth(2).get_attribute("data-source") == \
            "browser"
    box = control(editor.root, "weight, row 2, column 2")
    editor.change(lambda: box.fill("-3"), "a typed weight")
    assert "custom filter on digit" in editor.state()["status"]
    editor.change(lambda: box.fill("1,5"), "a decimal comma")
    assert editor.state()["stale"] and 'read "1,5"' in editor.state()["problems"]
    editor.change(lambda: box.fill("4"), "the Laplacian again")
    assert control(editor.root, "preset").input_value() == "Laplacian"
    assert not editor.state()["stale"] and editor.state()["problems"] == ""

    # Two of the largest float32 weights: where the exact sum passes float32's largest the
    # page's response overflows to ∞, which the picture says, cell count and all.
    for label in ("weight, row 1, column 1", "weight, row 1, column 2"):
        editor.change(lambda label=label: control(editor.root, label).fill("3.4e38"), label)
    weights = torch.tensor(state["weights"], dtype=torch.float64)
    weights[:2] = 3.4e38
    digit = digits[bank.index(bank[3])].double()
    exact = F.conv2d(digit[None, None], weights.view(1, 1, 3, 3))[0, 0]
    overflowing = int(exact.float().isinf().sum())
    assert overflowing > 0
    warnings = editor.state()["warnings"]
    assert f"⚠ float32 overflows: {overflowing} ±∞ of {(h - 2) * (w - 2)} cells" in warnings
    assert " to ∞ (red)" in editor.state()["status"]


def test_pooling_explorer_offers_the_banked_digits(page, built):
    pool = Probe(page, POOL)
    state = saved(built, "pool")
    bank, (h, w) = state["bank"], state["shape"]
    assert menu(pool.root, "digit") == bank and len(bank) == 10
    digits = floats(state["bank_images"], (len(bank), h, w))
    k = bank[-2]
    pool.change(lambda: control(pool.root, "digit").select_option(str(k)), "a banked digit")
    pool.change(arrow(pool.root.locator(".course-pixels").nth(1), "ArrowRight"), "the next cell")
    pooled = F.max_pool2d(digits[bank.index(k)][None, None], 2, 2)[0, 0]
    status = pool.state()["status"]
    assert status.startswith("output (0, 1) = max of input rows 0–1, columns 2–3 = ")
    assert float(status.rsplit("= ", 1)[1]) == pytest.approx(float(pooled[0, 1]), abs=1e-3)
    pool.change(arrow(control(pool.root, "pool"), "ArrowDown"), "the grid")
    assert control(pool.root, "digit").is_disabled()


def test_conv1d_stepper_without_kernel(page, built):
    step = Probe(page, STEP)
    numbers = saved(built, "stepper")["numbers"]
    step.change(arrow(control(step.root, "output position"), "End"), "the last position")
    last = len(numbers["outputs"]) - 1
    assert step.text(".course-formula") == (f"output {last}: " + " + ".join(
        numbers["products"][last]) + f" = {numbers['outputs'][last]}")


def test_every_typed_field_is_one_of_the_filter_editors_and_no_console_error(page):
    """Runs last: the console after every control above was operated."""
    owners = page.locator(TYPED_FIELDS).evaluate_all(
        "(fields) => fields.map((f) => Number(f.closest('.course-explorer').dataset.courseIndex))")
    assert owners == [EDITOR] * 9
    problems = [line for line in page.console if line.startswith(("error", "pageerror"))]
    assert problems == [] and page.refused == []
