"""The course's website (tools/site.py, what `make site` writes) in headless Chromium.

The site is built once (site_pages.built_site) and every page is opened once from disk
(file://) and once from a web server on 127.0.0.1, every request leaving the site refused.
On each load: nothing was asked outside the site, nothing failed, the console holds no error,
every explorer of the notebook drew, every link inside the site leads to a page (and to the
element its fragment names) that exists; axe's findings on the same load are checked by
test_accessibility.py. Search for "dilation" finds notebook 03. Each explorer is operated on
its page (file://) from the keyboard and with the pointer, and what it draws is compared with
course_utils.arithmetic and PyTorch on the data the page holds; what needs a kernel says so,
with the links the page's launch buttons give. Figures: test-artifacts/site.md (build time,
load times, sizes).
"""

from __future__ import annotations

import re

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from explorer_notebook import TYPED_FIELDS, arrow, click_at, control, output_cell
from explorer_probe import Probe
from notebook_page import ARTIFACTS
from PIL import Image
from site_pages import NOTEBOOKS, PAGES, broken_links, built_site, decks, site_tool, visit

from course_utils.arithmetic import Axis

SCHEMES = ["file", "http"]
SITE = site_tool()


@pytest.fixture(scope="module")
def site():
    return built_site()


def page_of(browser_context, site, name: str):
    """Page ``name`` from disk, as its visit left it."""
    return visit(browser_context, site, "file", name).page


def floats(raw: bytes, *shape) -> torch.Tensor:
    return torch.from_numpy(np.frombuffer(raw, dtype="<f4").copy()).view(*shape)


@pytest.mark.parametrize("name", PAGES)
@pytest.mark.parametrize("scheme", SCHEMES)
def test_page_loads_only_the_site_without_console_errors(browser_context, site, scheme, name):
    seen = visit(browser_context, site, scheme, name)
    assert seen.outside == [], f"{name} asked outside the site for {seen.outside}"
    assert seen.failed == [], f"{name}: failed requests {seen.failed}"
    assert seen.errors == [], f"{name}: console errors {seen.errors}"
    assert len(seen.explorers) == len(site.explorers(name))
    assert broken_links(site, scheme, seen) == [], f"{name}: links that lead nowhere"


@pytest.mark.parametrize("scheme", SCHEMES)
def test_search_for_dilation_finds_notebook_03(browser_context, site, scheme):
    page = browser_context.new_page()
    try:
        page.goto(site.url(scheme, "search.html") + "?q=dilation")
        found = page.locator("#search-results ul.search li a")
        found.first.wait_for(timeout=30_000)
        pages = found.evaluate_all("(links) => links.map((a) => a.href.split('/').pop())")
        assert "03-stride-padding-dilation.html" in [p.split("#")[0] for p in pages], pages
    finally:
        page.close()


def test_landing_page_lists_every_notebook_with_its_line(browser_context, site):
    page = page_of(browser_context, site, "index.html")
    items = page.locator("article li:has(a[href$='.html'])").all_text_contents()
    lines = SITE.topics()
    expected = [f"{SITE.title(p)}: {lines[p.stem]}" for p in sorted(NOTEBOOKS.glob("*.ipynb"))]
    typeset = [re.sub(r"\s+", " ", i).strip().replace("’", "'") for i in items]
    assert typeset[:len(expected)] == [re.sub(r"[`*]", "", e) for e in expected]
    first = sorted(NOTEBOOKS.glob("*.ipynb"))[0].stem
    links = page.locator("article a").evaluate_all("(a) => a.map((e) => [e.textContent, e.href])")
    assert set(decks.run_links(first).values()) <= {href for _, href in links}


@pytest.mark.parametrize("name", [p for p in PAGES if p[:2].isdigit()])
def test_notebook_page_says_where_it_runs_and_leads_to_the_next(browser_context, site, name):
    page = page_of(browser_context, site, name)
    stem = name.removesuffix(".html")
    run = decks.run_links(stem)
    buttons = page.locator(".dropdown-launch-buttons a").evaluate_all(
        "(a) => a.map((e) => e.href)")
    assert sorted(buttons) == sorted(run.values())  # the theme's launch buttons
    if site.explorers(name):
        host = page.evaluate("() => window.courseHost")
        assert host == {"kernel": False, "notebook": stem, "run": run, "assets": "_static/course"}
    following = PAGES[PAGES.index(name) + 1]
    if following[:2].isdigit():
        assert page.locator("a.right-next").get_attribute("href") == following


# The explorers, each on its page, from the keyboard and with the pointer.

def explorer(browser_context, site, name: str, index: int = 0):
    page = page_of(browser_context, site, name)
    return page, Probe(page, index), site.explorers(name)[index]


def other_digit(menu, bank: list[int]) -> int:
    """The last digit of the bank that the digit menu does not show now."""
    return next(d for d in reversed(bank) if str(d) != menu.input_value())


def kernel_links(probe: Probe, selector: str) -> dict[str, str]:
    note = probe.root.locator(selector).locator(".course-needs-kernel")
    return dict(note.locator("a").evaluate_all("(a) => a.map((e) => [e.textContent, e.href])"))


def test_conv_explorer(browser_context, site):
    name = "03-stride-padding-dilation.html"
    page, conv, state = explorer(browser_context, site, name)
    root = conv.root

    def axes():
        value = lambda label: int(control(root, label).input_value())  # noqa: E731
        return [(value(f"input size, {side}"),
                 Axis(value(f"kernel k, {side}"), value(f"stride s, {side}"),
                      value(f"padding p, {side}"), value(f"dilation d, {side}")))
                for side in ("rows", "columns")]

    shape = state["check"]["shape"]  # PyTorch's answer when the notebook ran
    assert conv.text(".course-check").startswith(
        f"PyTorch, when the notebook ran: {control(root, 'PyTorch layer').input_value()} on a ")
    assert conv.text(".course-check").endswith(f"gives ({', '.join(map(str, shape))}): agrees ✓")
    conv.change(arrow(control(root, "stride s, rows"), "ArrowLeft"), "stride, from keys")
    (h, rows), (w, cols) = axes()
    assert f"output {rows.output_size(h)}×{cols.output_size(w)}" in conv.text(".course-caption")
    assert root.locator(".course-formula").all_text_contents() == [rows.formula(h, "H"),
                                                                    cols.formula(w, "W")]
    picture = root.locator("svg.course-conv")
    conv.change(lambda: picture.click(position=output_cell(picture, 1, 1)), "clicking a cell")
    page.mouse.move(0, 0)
    assert "output cell (1, 1)" in conv.text(".course-status")
    assert kernel_links(conv, ".course-check") == {
        "Binder": decks.run_links(name.removesuffix(".html"))["binder"],
        "Colab": decks.run_links(name.removesuffix(".html"))["colab"]}


RESPONSE = re.compile(r"response (\d+)×(\d+): (\S+) \(blue\) to (\S+) \(red\)")


def test_filter_editor(browser_context, site):
    page, editor, state = explorer(browser_context, site, "02-convolution-2d.html")
    root, bank, (h, w) = editor.root, state["bank"], state["shape"]
    digits = floats(state["bank_images"], len(bank), h, w)
    assert digit_menu(root) == bank and len(bank) == 10 and state["index"] in bank
    assert editor.text(".course-notes .course-needs-kernel").startswith(
        f"This page holds 10 of the {state['count']} digits; choosing any other needs the "
        "notebook running with a kernel")
    assert set(kernel_links(editor, ".course-notes")) == {"Binder", "Colab"}
    # torch's response saved with the notebook is drawn for the digit it was made for
    assert root.locator(".course-pixels").nth(2).get_attribute("data-source") == "kernel"
    owners = page.locator(TYPED_FIELDS).evaluate_all(
        "(fields) => fields.map((f) => f.closest('.course-explorer') !== null)")
    assert owners == [True] * 9  # the filter editor's nine weights, the page's only fields
    box = control(root, "weight, row 2, column 2")
    editor.change(lambda: (box.press("Control+a"), box.press_sequentially("-3")),
                  "typing a weight, key by key")
    menu = control(root, "digit")
    digit = other_digit(menu, bank)
    editor.change(lambda: menu.select_option(str(digit)), "a digit of the bank")
    weights = torch.tensor([float(control(root, f"weight, row {r}, column {c}").input_value())
                            for r in (1, 2, 3) for c in (1, 2, 3)]).view(1, 1, 3, 3)
    response = F.conv2d(digits[bank.index(digit)][None, None], weights)[0, 0]
    shown = RESPONSE.search(editor.state()["status"])
    assert (int(shown[1]), int(shown[2])) == tuple(response.shape)
    assert float(shown[3]) == pytest.approx(float(response.min()), rel=2e-3, abs=1e-3)
    assert float(shown[4]) == pytest.approx(float(response.max()), rel=2e-3, abs=1e-3)
    assert root.locator(".course-pixels").nth(2).get_attribute("data-source") == "browser"

    # Bad input, without a kernel too: a decimal comma is quoted and the picture marked stale;
    # two of the largest float32 weights overflow the response, which the picture counts.
    editor.change(lambda: box.fill("1,5"), "a decimal comma")
    assert editor.state()["stale"] and 'read "1,5"' in editor.state()["problems"]
    editor.change(lambda: box.fill("-3"), "a number again")
    assert not editor.state()["stale"] and editor.state()["problems"] == ""
    for label in ("weight, row 1, column 1", "weight, row 1, column 2"):
        editor.change(lambda label=label: control(root, label).fill("3.4e38"), label)
    huge = weights.double().flatten()
    huge[:2] = 3.4e38
    exact = F.conv2d(digits[bank.index(digit)].double()[None, None], huge.view(1, 1, 3, 3))
    overflowing = int(exact.float().isinf().sum())
    assert overflowing > 0
    assert (f"⚠ float32 overflows: {overflowing} ±∞ of {(h - 2) * (w - 2)} cells"
            in editor.state()["warnings"])
    editor.change(lambda: control(root, "preset").select_option("Laplacian"), "a preset")
    assert not editor.state()["warnings"] and not editor.state()["stale"]


def digit_menu(root) -> list[int]:
    """The digits the explorer's digit menu offers."""
    return [int(v) for v in control(root, "digit").locator("option").evaluate_all(
        "(options) => options.map((o) => o.value)")]


def test_pooling_explorer(browser_context, site):
    _, pool, state = explorer(browser_context, site, "04-pooling.html")
    root, bank, (h, w) = pool.root, state["bank"], state["shape"]
    digits = floats(state["bank_images"], len(bank), h, w)
    assert digit_menu(root) == bank and len(bank) == 10
    menu = control(root, "digit")
    digit = other_digit(menu, bank)
    pool.change(lambda: menu.select_option(str(digit)), "a digit of the bank")
    kernel, stride = (int(control(root, label).input_value()) for label in ("kernel", "stride"))
    pooled = F.max_pool2d(digits[bank.index(digit)][None, None], kernel, stride)[0, 0]
    i, j = 3, 5
    rows, cols = pooled.shape
    pool.change(lambda: click_at(root.locator(".course-pixels").nth(1), (j + 0.5) / cols,
                                 (i + 0.5) / rows), "clicking a pooled cell")
    status = pool.state()["status"]
    assert status.startswith(f"output ({i}, {j}) = max of input rows {stride * i}–"
                             f"{stride * i + kernel - 1}")
    assert float(status.rsplit("= ", 1)[1]) == pytest.approx(float(pooled[i, j]), abs=1e-3)


def test_conv1d_stepper(browser_context, site):
    _, step, state = explorer(browser_context, site, "01-convolution-1d.html")
    x, u = (torch.tensor([float(v) for v in state["numbers"][k]]) for k in ("x", "u"))
    outputs = F.conv1d(x.view(1, 1, -1), u.view(1, 1, -1)).view(-1)
    step.change(arrow(control(step.root, "output position"), "End"), "the last position")
    last = len(outputs) - 1
    shown = re.fullmatch(rf"output {last}: (.+) = (\S+)", step.text(".course-formula"))
    products = [float(t) for t in shown[1].replace("(", "").replace(")", "").split(" + ")]
    assert products == pytest.approx((x[last:last + len(u)] * u).tolist(), abs=1e-6)
    assert float(shown[2]) == pytest.approx(float(outputs[last]), abs=1e-6)
    picture = step.root.get_by_role("slider", name=re.compile("the kernel's position"))
    step.change(lambda: picture.click(position=output_cell(picture, 0, 0)), "clicking output 0")
    assert step.text(".course-formula").startswith("output 0: ")


def test_activation_explorer(browser_context, site):
    from course_utils.checkpoints import default_checkpoint, load_checkpoint
    from course_utils.models import LectureNet

    _, act, state = explorer(browser_context, site, "07-mnist-convnet.html")
    root, bank = act.root, state["bank"]
    model = LectureNet().eval()
    load_checkpoint(default_checkpoint(), model)
    images = floats(state["bank_images"], len(bank), 1, 28, 28)
    act.change(arrow(control(root, "map")), "next map, from keys")
    act.change(lambda: click_at(root.locator(".course-pixels").nth(1), 2.5 / 8, 1.5 / 4),
               "a map, clicked")
    assert control(root, "map").input_value() == str(8 + 2)
    menu = control(root, "test digit")
    digit = other_digit(menu, bank)
    act.change(lambda: menu.select_option(str(digit)), "a digit of the bank")
    with torch.no_grad():
        probabilities = model(images[bank.index(digit)][None]).softmax(1)[0]
    predicted = int(probabilities.argmax())
    assert f"predicted {predicted} ({100 * float(probabilities[predicted]):.1f} %)" in \
        root.text_content()


def test_photo_classifier(browser_context, site):
    from course_utils.data import data_dir
    from course_utils.pretrained import squeezenet_classifier

    _, photo, _ = explorer(browser_context, site, "08-standard-convnets.html")
    root = photo.root
    photo.change(arrow(control(root, "top k"), "ArrowLeft"), "top k, from keys")
    assert len(root.locator(".course-bars rect").all()) == 4
    path = data_dir() / "images" / "yellow-labrador.jpg"
    chosen = {"name": "dog.jpg", "mimeType": "image/jpeg", "buffer": path.read_bytes()}
    photo.change(lambda: root.locator("input[type=file]").set_input_files(chosen), "a photo")
    (best, _, p), = squeezenet_classifier().top_k(Image.open(path), 1)
    bars = root.locator(".course-bars text").all_text_contents()
    assert bars[0] == best[:28]
    assert float(bars[1]) == pytest.approx(p, abs=0.02)


def test_every_explorer_control_answers_the_keyboard(browser_context, site):
    """Last: every slider and menu of every explorer, one key each, redraws its picture."""
    for name in PAGES:
        for index in range(len(site.explorers(name))):
            page = page_of(browser_context, site, name)
            probe = Probe(page, index)
            controls = probe.root.locator(".course-controls :is(input[type=range], select)")
            for widget in controls.element_handles():
                if widget.is_disabled():
                    continue
                menu, at_end = widget.evaluate(
                    "(e) => e.tagName === 'SELECT' ? [true, e.selectedIndex === e.options.length"
                    " - 1] : [false, Number(e.value) >= Number(e.max)]")
                key = {(False, False): "ArrowRight", (False, True): "ArrowLeft",
                       (True, False): "ArrowDown", (True, True): "ArrowUp"}[menu, at_end]
                label = widget.evaluate("(e) => e.labels[0] ? e.labels[0].textContent : e.id")
                probe.change(arrow(widget, key), f"{name}, explorer {index}: {label}, {key}")
    ARTIFACTS.mkdir(exist_ok=True)
    loads = {n: visit(browser_context, site, "file", n).seconds for n in PAGES}
    (ARTIFACTS / "site.md").write_text(
        f"# The course's website\n\nBuilt in {site.seconds:.1f} s (tools/site.py, "
        f"tests/browser/test_site.py). Each page from file://, until its explorers drew (s):\n\n"
        + "\n".join(f"- {n}: {s:.2f}" for n, s in loads.items()) + "\n")
