"""Every explorer in JupyterLab, operated from the keyboard and with the pointer, and timed.

One notebook (explorer_notebook.py writes it into the server's folder) builds the six
explorers on small stand-in data; it is run once. Each test then operates one explorer as a
learner would (arrow keys on a slider or on the picture, a typed number, a click on a cell, a
chosen file), checks that the picture is redrawn, and checks what the page shows against the
kernel (the explorer's traits, course_utils.arithmetic, torch). Every field a learner types
into, in every explorer, is given bad numbers (empty, letters, nan, ±1e40, 1e20, a decimal
comma): each must be answered inside the explorer. The last test times many changes:
test-artifacts/explorer-latency-browser.md (median and 95th percentile per explorer).

``COURSE_EXPLORER_BENCH=1`` (benchmarks/bench_explorers_browser.py) uses real data instead
(MNIST test digits, SqueezeNet, the Labrador photo) and more repeats.
"""

from __future__ import annotations

import os
import re

import pytest
from axe_report import grave, record
from explorer_notebook import (
    ACT,
    BAD_NUMBERS,
    BENCH,
    CONV,
    EDITOR,
    KERNEL_REPEATS,
    PHOTO,
    POOL,
    REPEATS,
    STEP,
    TYPED_FIELDS,
    arrow,
    click_at,
    control,
    kernel,
    kernel_photos,
    kernel_settles,
    open_explorers,
    output_cell,
    png,
)
from explorer_probe import LatencyReport, Probe
from notebook_page import ARTIFACTS, keep_evidence, watch_console
from site_pages import AXE, AXE_RUN


@pytest.fixture(scope="module")
def lab(lab_server, browser_context):
    """The explorers' notebook, run in one JupyterLab page for the whole module."""
    page = browser_context.new_page()
    page.console = watch_console(page)
    try:
        yield open_explorers(page, lab_server)
    finally:
        page.close()
        lab_server.shutdown_kernels()


@pytest.fixture(autouse=True)
def evidence(request, lab, lab_server):
    yield
    keep_evidence(request, lab.page, lab.page.console, lab_server)


def test_the_explorers_have_no_grave_accessibility_violation(lab):
    """axe-core on JupyterLab with the six explorers displayed: nothing critical or serious
    inside an explorer (JupyterLab's own findings go to test-artifacts/accessibility.md)."""
    page = lab.page
    page.add_script_tag(path=str(AXE))
    violations = page.evaluate(AXE_RUN, {"explorer": ".course-explorer"})
    for v in violations:
        for n in v["nodes"]:
            n["where"] = "explorer" if n["where"] == "explorer" else "jupyterlab"
    record("JupyterLab, the six explorers", violations)
    assert grave(violations, ("explorer",)) == []


@pytest.fixture(scope="module")
def latency():
    return LatencyReport(
        ARTIFACTS / "explorer-latency-browser.md", "Explorer latency in the browser",
        "From a learner's action on an explorer (the event's time stamp in the page) to the "
        "first frame after the explorer's redraw, in JupyterLab in headless Chromium "
        "(tests/browser/test_explorers_in_lab.py; " + ("real data" if BENCH else
                                                        "stand-in data") + "). 'browser': "
        "the page redraws alone; 'kernel': the change needs data from the kernel.")


def test_the_kernel_runs_the_expected_ipywidgets(lab):
    """With COURSE_KERNEL_PYTHON=.venv-ipyw7/bin/python and COURSE_EXPECT_IPYWIDGETS=7 these
    tests operate the explorers with ipywidgets 7.7 in the kernel (Colab's version)."""
    version = kernel(lab, "__import__('ipywidgets').__version__")
    expected = os.environ.get("COURSE_EXPECT_IPYWIDGETS")
    assert version.split(".")[0] == expected if expected else version[0] in "78", version


def test_conv_explorer(lab):
    page, conv = lab.page, Probe(lab.page, CONV)
    root = conv.root
    assert kernel_settles(lab, "conv.output_shape", [3, 3]) == [3, 3]
    conv.change(arrow(control(root, "stride s, rows"), "ArrowLeft"), "stride, from keys")
    assert kernel_settles(lab, "[conv.stride, conv.output_shape]", [[1, 2], [5, 3]]) == [
        [1, 2], [5, 3]]
    assert "output 5×3" in conv.text(".course-caption")
    formulas = root.locator(".course-formula").all_text_contents()
    assert formulas == kernel(lab, "[a.formula(n, s) for a, n, s in zip(conv.axes(), "
                                   "(conv.height, conv.width), 'HW')]")
    check = root.locator(".course-check")
    page.wait_for_function("(e) => e.textContent.includes('agrees ✓')", arg=check.element_handle())
    line = control(root, "PyTorch layer").input_value()
    assert kernel(lab, f"list(__import__('torch').nn.{line.removeprefix('nn.')}"
                       "(__import__('torch').zeros(1, 1, 3, 5)).shape)") == [1, 1, 5, 3]

    picture = root.locator("svg.course-conv")
    conv.change(lambda: picture.hover(position=output_cell(picture, 2, 1)), "pointing at a cell")
    assert "output cell (2, 1)" in conv.text(".course-status")
    assert kernel(lab, "conv.position") == [0, 0]  # pointing only shows it
    conv.change(lambda: picture.click(position=output_cell(picture, 0, 1)), "clicking a cell")
    page.mouse.move(0, 0)
    assert kernel_settles(lab, "conv.position", [0, 1]) == [0, 1]
    conv.change(arrow(root.locator("svg.course-conv"), "ArrowDown"), "moving the cell by keys")
    assert kernel_settles(lab, "conv.position", [1, 1]) == [1, 1]
    assert "output cell (1, 1)" in conv.text(".course-status")

    conv.change(arrow(control(root, "dilation d, rows"), "End"), "a kernel too wide")
    expected = kernel(lab, "str(__import__('pytest').raises(ValueError, lambda: conv.output_shape)"
                           ".value)")
    state = conv.state()
    assert state["message"] == f"⚠ {expected}" and not state["shown"]
    assert "the kernel covers 9 cells" in expected
    conv.change(arrow(control(root, "dilation d, rows"), "Home"), "a kernel that fits")
    assert conv.state()["shown"] and conv.state()["message"] == ""

    conv.change(arrow(control(root, "mode"), "ArrowDown"), "transposed, from keys")
    assert kernel_settles(lab, "[conv.transposed, conv.output_shape]", [True, [1, 9]]) == [
        True, [1, 9]]
    assert control(root, "PyTorch layer").input_value().startswith("nn.ConvTranspose2d(")
    page.wait_for_function("(e) => e.textContent.includes('agrees ✓')", arg=check.element_handle())



def test_conv_explorer_play_walks_the_positions(lab):
    root = lab.page.locator(f'[data-course-index="{CONV}"]')
    play = root.get_by_role("button", name="▶ play")
    seen = set()
    play.click()
    for _ in range(3):
        lab.page.wait_for_function(
            "([i, n]) => Number(document.querySelector(`[data-course-index=\"${i}\"]`)"
            ".dataset.redraws) > n", arg=[CONV, Probe(lab.page, CONV).state()["redraws"]])
        seen.add(tuple(kernel(lab, "conv.position")))
    root.get_by_role("button", name="⏸ pause").click()
    assert len(seen) >= 2, seen


def test_filter_editor(lab):
    editor = Probe(lab.page, EDITOR)
    root = editor.root
    box = control(root, "weight, row 2, column 2")
    editor.change(lambda: (box.press("Control+a"), box.press_sequentially("2")),
                  "typing a weight, key by key")
    root.locator("[data-source='kernel']").wait_for()  # torch's response replaced the page's
    weights = kernel(lab, "editor.weights")
    assert weights == [0, -1, 0, -1, 2, -1, 0, -1, 0]
    assert control(root, "preset").input_value() == "custom" == kernel(lab, "editor.preset")
    low, high = kernel(lab, "[float(editor.response_map().min()), "
                            "float(editor.response_map().max())]")
    shown = re.search(r"response 26×26: (\S+) \(blue\) to (\S+) \(red\)", editor.state()["status"])
    assert float(shown[1]) == pytest.approx(low, rel=5e-3)
    assert float(shown[2]) == pytest.approx(high, rel=5e-3)
    editor.change(arrow(box, "ArrowUp"), "a weight stepped up, from keys")
    assert box.input_value() == "2.5"
    assert kernel_settles(lab, "editor.weights[4]", 2.5) == 2.5

    editor.change(lambda: control(root, "preset").select_option("Sobel x"), "a preset")
    sobel = [-1, 0, 1, -2, 0, 2, -1, 0, 1]
    assert kernel_settles(lab, "editor.weights", sobel) == sobel
    slider = control(root, "digit")
    editor.change(lambda: click_at(slider, 0.75, 0.5), "a digit by pointer")
    assert kernel(lab, "editor.index") == int(slider.input_value()) > 1


def test_every_typed_field_says_what_it_read_and_what_it_expects(lab):
    """Every field a learner types into, in every explorer (found on the page: a new one is
    covered too), is given each of BAD_NUMBERS. A refused text is quoted inside the explorer
    with what is expected, and the picture is marked as not matching the fields; a value
    taken (1e20, huge but finite) still gets a word under the picture on what float32 does
    with it. No page error, and nothing refused reaches the kernel."""
    page = lab.page
    errors = [line for line in page.console if line.startswith("pageerror")]
    fields = page.locator(TYPED_FIELDS)
    assert fields.count() >= 9  # the filter editor's nine weights at least
    before = kernel(lab, "editor.weights")
    for n in range(fields.count()):
        field = fields.nth(n)
        index, name = field.evaluate("(f) => [Number(f.closest('.course-explorer')"
                                     ".dataset.courseIndex), f.getAttribute('aria-label') || "
                                     "f.labels[0].textContent]")
        probe, original = Probe(page, index), field.input_value()
        for bad in BAD_NUMBERS:
            probe.change(lambda field=field, bad=bad: field.fill(bad), f"{name}: {bad!r}")
            state = probe.state()
            if field.get_attribute("aria-invalid") == "true":
                said = f'read "{bad}"' if bad else "empty"
                assert f"{name}: {said}" in state["problems"], (bad, state["problems"])
                assert "expected a number" in state["problems"] and state["stale"], bad
            else:
                assert state["warnings"] and not state["stale"] and not state["problems"], bad
                assert any("float32" in w for w in state["warnings"]), state["warnings"]
        probe.change(lambda field=field, original=original: field.fill(original),
                     f"{name}: back to {original}")
        assert probe.state()["problems"] == "" and not probe.state()["stale"]
    assert kernel_settles(lab, "editor.weights", before) == before
    assert [line for line in page.console if line.startswith("pageerror")] == errors


def test_pooling_explorer(lab):
    page, pool = lab.page, Probe(lab.page, POOL)
    root = pool.root
    pool.change(arrow(control(root, "kernel")), "kernel, from keys")
    rows, cols = kernel(lab, "list(pool.pooled().shape)")
    assert (rows, cols) == (13, 13)
    assert f"→ {rows}×{cols}" in root.locator(".course-caption").nth(1).text_content()

    i, j = 4, 7
    pool.change(lambda: click_at(root.locator(".course-pixels").nth(1), (j + 0.5) / cols,
                                 (i + 0.5) / rows), "clicking a pooled cell")
    page.mouse.move(0, 0)
    assert kernel_settles(lab, "pool.cell", [i, j]) == [i, j]
    value = kernel(lab, f"float(pool.pooled()[{i}, {j}])")
    status = pool.state()["status"]
    assert status.startswith(f"output ({i}, {j}) = max of input rows {2 * i}–{2 * i + 2}")
    assert float(status.rsplit("= ", 1)[1]) == pytest.approx(value, abs=1e-3)

    pool.change(arrow(control(root, "pooling"), "ArrowDown"), "average, from keys")
    pool.change(arrow(control(root, "pool"), "ArrowDown"), "the grid, from keys")
    assert kernel_settles(lab, "[pool.mode, pool.source]", ["avg", "grid"]) == ["avg", "grid"]
    numbers = root.locator(".course-pixels text").all_text_contents()
    grid = kernel(lab, "pool.grid")
    assert numbers[:36] == [str(v) for row in grid for v in row]


def test_activation_explorer(lab):
    act = Probe(lab.page, ACT)
    root = act.root
    act.change(arrow(control(root, "map")), "next map, from keys")
    assert kernel_settles(lab, "act.channel", 1) == 1
    act.change(lambda: click_at(root.locator(".course-pixels").nth(1), 2.5 / 8, 1.5 / 4),
               "a tile, clicked")
    assert kernel_settles(lab, "act.channel", 8 + 2) == 8 + 2
    act.change(lambda: control(root, "layer").select_option("conv2"), "conv2")
    assert "conv2: 64 maps 4×4" in root.text_content()
    act.change(arrow(control(root, "test digit")), "next digit, from keys")
    index, label, predicted = kernel(lab, "[act.index, act.label, max(range(10), "
                                          "key=act.probabilities.__getitem__)]")
    assert index == 1
    assert f"test digit 1 (label {label})" in root.text_content()
    assert f"predicted {predicted} (" in root.text_content()


def test_photo_classifier(lab):
    photo = Probe(lab.page, PHOTO)
    root = photo.root
    photo.change(arrow(control(root, "top k"), "ArrowLeft"), "top k, from keys")
    assert kernel_settles(lab, "photos.k", 4) == 4
    assert len(root.locator(".course-bars rect").all()) == 4
    chosen = {"name": "red.png", "mimeType": "image/png", "buffer": png((255, 0, 0))}
    photo.change(lambda: root.locator("input[type=file]").set_input_files(chosen), "a photo")
    assert kernel_settles(lab, "photos.caption", "red.png") == "red.png"
    best = kernel(lab, "photos.classes[0][0]")
    assert root.locator(".course-bars text").first.text_content() == best[:28]
    bad = {"name": "notes.txt", "mimeType": "text/plain", "buffer": b"not a photo"}
    photo.change(lambda: root.locator("input[type=file]").set_input_files(bad), "not a photo")
    assert "notes.txt: could not read this file as an image" in photo.state()["message"]


def test_conv1d_stepper(lab):
    page, step = lab.page, Probe(lab.page, STEP)
    root = step.root
    still = "[t.get_text() for t in stepper.figure().axes[0].texts if t.get_gid() == 'sum']"
    step.change(arrow(control(root, "output position")), "next position, from keys")
    assert kernel_settles(lab, "stepper.position", 1) == 1
    assert [step.text(".course-formula")] == kernel(lab, still) == ["output 1: 6 + 6 = 12"]
    assert "the window x[1 : 3] = (2, 3) times the kernel u = (3, 2)" in step.state()["status"]
    picture = root.get_by_role("slider", name="the kernel's position: arrow keys, Home and End "
                                               "move it")
    step.change(arrow(picture, "End"), "the last position, from keys on the picture")
    assert kernel_settles(lab, "stepper.position", 2) == 2
    products = root.locator(".products text").all_text_contents()
    assert products == kernel(lab, "stepper.numbers['products'][2]") == ["9", "8"]
    assert [float(p) for p in products] == kernel(lab, "stepper.products()[2].tolist()")
    assert control(root, "output position").input_value() == "2"

    step.change(lambda: picture.click(position=output_cell(picture, 0, 0)), "clicking output 0")
    assert kernel_settles(lab, "stepper.position", 0) == 0
    assert root.locator(".chosen").text_content() == "7"

    def drag():
        box = picture.bounding_box()
        start, end = output_cell(picture, 0, 0), output_cell(picture, 0, 2)
        page.mouse.move(box["x"] + start["x"], box["y"] + start["y"])
        page.mouse.down()
        page.mouse.move(box["x"] + end["x"], box["y"] + end["y"], steps=4)
        page.mouse.up()

    step.change(drag, "dragging the kernel along")
    assert kernel_settles(lab, "stepper.position", 2) == 2
    assert [step.text(".course-formula")] == kernel(lab, still) == ["output 2: 9 + 8 = 17"]

    play = root.get_by_role("button", name="▶ play")
    seen = set()
    play.click()
    for _ in range(3):
        page.wait_for_function(
            "([i, n]) => Number(document.querySelector(`[data-course-index=\"${i}\"]`)"
            ".dataset.redraws) > n", arg=[STEP, step.state()["redraws"]])
        seen.add(kernel(lab, "stepper.position"))
    root.get_by_role("button", name="⏸ pause").click()
    assert len(seen) >= 2, seen


def test_latency(lab, latency):
    """Many changes per explorer, timed: the page alone, and with the kernel's data."""
    page = lab.page
    probes = [Probe(page, i) for i in range(6)]
    names = ["conv explorer (03)", "filter editor (02)", "pooling explorer (04)",
             "activation explorer (07)", "photo classifier (08)", "1d convolution stepper (01)"]
    conv = probes[CONV].root
    if control(conv, "mode").input_value() != "conv":
        probes[CONV].change(lambda: control(conv, "mode").select_option("conv"))
    for name in ("input size, rows", "input size, columns"):  # the largest picture: 24×24 + 9×9
        if control(conv, name).input_value() != "16":
            probes[CONV].change(arrow(control(conv, name), "End"))
    position = control(probes[STEP].root, "output position")
    if position.input_value() != "0":
        probes[STEP].change(arrow(position, "Home"))
    browser = {
        CONV: ("stride, columns (slider), 16×16 input", control(conv, "stride s, columns")),
        POOL: ("kernel (slider)", control(probes[POOL].root, "kernel")),
        ACT: ("map (slider)", control(probes[ACT].root, "map")),
        PHOTO: ("top k (slider)", control(probes[PHOTO].root, "top k")),
        STEP: ("output position (slider)", position),
    }
    for index, (what, slider) in browser.items():
        times = [probes[index].change(arrow(slider, "ArrowLeft" if k % 2 else "ArrowRight"),
                                      what) for k in range(REPEATS)]
        latency.add("browser", names[index], what, times)
    cell = [probes[CONV].change(arrow(conv.locator("svg.course-conv"),
                                      "ArrowLeft" if k % 2 else "ArrowRight"), "output cell")
            for k in range(REPEATS)]
    latency.add("browser", names[CONV], "output cell (arrow keys on the picture)", cell)
    box = control(probes[EDITOR].root, "weight, row 1, column 1")
    typed = []
    for k in range(REPEATS):
        typed.append(probes[EDITOR].change(lambda k=k: box.fill(str(k % 5 - 2.5)), "a weight"))
        probes[EDITOR].root.locator("[data-source='kernel']").wait_for()
    latency.add("browser", names[EDITOR], "a typed weight", typed)

    if control(probes[POOL].root, "pool").input_value() != "digit":  # a digit, not the grid
        probes[POOL].change(lambda: control(probes[POOL].root, "pool").select_option("digit"))
    digits = {EDITOR: "digit", POOL: "digit", ACT: "test digit"}
    for index, label in digits.items():
        slider = control(probes[index].root, label)
        times = [probes[index].change(arrow(slider, "ArrowLeft" if k % 2 else "ArrowRight"),
                                      f"another digit, #{index}") for k in range(KERNEL_REPEATS)]
        latency.add("kernel", names[index], "another digit (slider)", times)
    upload = probes[PHOTO].root.locator("input[type=file]")
    files = [{"name": f"{k}.png", "mimeType": "image/png", "buffer": png((60 * k, 90, 200))}
             for k in range(4)]
    if BENCH:  # real photos: the Labrador and matplotlib's Grace Hopper, as JPEG files
        files = [{"name": f"{name}.jpg", "mimeType": "image/jpeg", "buffer": data}
                 for name, data in kernel_photos(lab)]
    times = [probes[PHOTO].change(lambda k=k: upload.set_input_files(files[k % len(files)]),
                                  "a photo") for k in range(KERNEL_REPEATS)]
    latency.add("kernel", names[PHOTO], "another photo (file)", times)
