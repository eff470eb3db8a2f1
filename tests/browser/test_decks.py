"""The shared slide decks (tools/decks.py, what `make slides` writes) opened with no network.

The decks of every notebook are built once (site_pages.built_decks) into a temporary folder.
Each is opened from disk (file://), as a teacher or a student opens a deck they were sent, and
from a web server on 127.0.0.1; every request that leaves the folder is refused and recorded.
Each load: nothing asked outside, nothing failed, no console error, every explorer of the
notebook drawn, every link inside the folder leading to a file; from disk, each explorer is
brought onto the screen (its slide) and its first slider or menu answers the keyboard with a new
picture, with no kernel. Notebook 03's deck is walked with the space bar from the first
slide to the last: each slide (and sub-slide) must be shown, each image on it loaded, the maths
typeset by the deck's own MathJax; no request may have gone out, none may have failed.

A screenshot of a slide with maths and a figure goes to test-artifacts/slides/.
"""

from __future__ import annotations

import sys

import nbformat
import pytest
from explorer_notebook import arrow
from explorer_probe import Probe
from site_pages import DECKS, NOTEBOOKS, ROOT, TOOLS, broken_links, built_decks, open_page

sys.path.insert(0, str(TOOLS))

import slides  # noqa: E402

SHOTS = ROOT / "test-artifacts" / "slides"
NOTEBOOK = NOTEBOOKS / "03-stride-padding-dilation.ipynb"  # maths, figures, sub-slides
MAX_STEPS = 400

LEAVES = """() => [...document.querySelectorAll('.reveal .slides section')]
  .filter(s => !s.querySelector('section')).length"""
STEP = """() => {
  const present = [...document.querySelectorAll('.reveal .slides section.present')].pop();
  return location.hash + '/' + present.querySelectorAll('.fragment.visible').length;
}"""
# The slide shown: its size, its images (loaded or not), its maths.
SLIDE = r"""() => {
  const present = [...document.querySelectorAll('.reveal .slides section.present')].pop();
  const box = present.getBoundingClientRect();
  const images = [...present.querySelectorAll('img')]
    .filter(i => !i.closest('.fragment:not(.visible)'));
  const [, h, v] = location.hash.match(/^#\/?(\d*)\/?(\d*)/);
  return {
    hash: `${h || 0}.${v || 0}`,
    shown: getComputedStyle(present).display !== 'none' && box.width > 0 && box.height > 0,
    text: present.innerText.trim().length,
    images: images.length,
    broken: images.filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.src.slice(0, 80)),
    rawMaths: /\$[^$\n]+\$/.test(present.innerText),
  };
}"""
AT_END = """() => {
  const leaves = [...document.querySelectorAll('.reveal .slides section')]
    .filter(s => !s.querySelector('section'));
  const present = [...document.querySelectorAll('.reveal .slides section.present')].pop();
  return present === leaves[leaves.length - 1] && !present.querySelector('.fragment:not(.visible)');
}"""
MATHS_DONE = """() => window.MathJax && MathJax.Hub && MathJax.Hub.queue.pending === 0
  && document.querySelectorAll('.MathJax_CHTML').length > 0"""


@pytest.fixture
def deck_page(browser_context, request):
    """A page of the shared browser that may load nothing but local files."""
    page = browser_context.new_page()
    outside, failed = [], []

    def local_only(route):
        url = route.request.url
        if url.startswith(("file://", "data:")):
            route.continue_()
        else:
            outside.append(url)
            route.abort()

    page.route("**/*", local_only)
    page.on("requestfailed", lambda r: failed.append(f"{r.url} ({r.failure})"))
    page.on("response", lambda r: r.status >= 400 and failed.append(f"{r.url} ({r.status})"))
    page.outside, page.failed = outside, failed
    yield page
    if getattr(request.node, "rep_call", None) is not None and request.node.rep_call.failed:
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / "deck-failed.png"))
    page.close()


@pytest.fixture(scope="module")
def built():
    return built_decks()


# Bring explorer i onto the screen: reveal.js's address of its slide (#/h/v).
SHOW = """(i) => {
  const slide = document.querySelector(`[data-course-index="${i}"]`).closest('section');
  const top = slide.parentElement.closest('section') || slide;
  const h = [...top.parentElement.children].indexOf(top);
  const v = top === slide ? 0 : [...top.children].filter((s) => s.matches('section'))
    .indexOf(slide);
  location.hash = `#/${h}/${v}`;
}"""
SHOWN = """(i) => document.querySelector(`[data-course-index="${i}"]`)
  .closest('section').classList.contains('present')"""


@pytest.mark.parametrize("name", DECKS)
@pytest.mark.parametrize("scheme", ["file", "http"])
def test_deck_loads_only_its_files_and_its_explorers_answer(request, browser_context, built,
                                                            scheme, name):
    seen = open_page(browser_context, built, scheme, name)
    request.addfinalizer(seen.page.close)
    assert seen.outside == [], f"{name} asked outside its folder for {seen.outside}"
    assert seen.failed == [], f"{name}: failed requests {seen.failed}"
    assert seen.errors == [], f"{name}: console errors {seen.errors}"
    assert len(seen.explorers) == len(built.explorers(name))
    assert broken_links(built, scheme, seen) == [], f"{name}: links that lead nowhere"
    assert seen.page.evaluate("() => window.courseHost && window.courseHost.notebook") == \
        name.split(".")[0]
    if scheme == "file":
        for index in range(len(seen.explorers)):
            seen.page.evaluate(SHOW, index)
            seen.page.wait_for_function(SHOWN, arg=index)
            probe = Probe(seen.page, index)
            first = probe.root.locator(".course-controls :is(input[type=range], select)"
                                       ":not([disabled])").first
            key = first.evaluate("(e) => e.tagName === 'SELECT' ? (e.selectedIndex === "
                                 "e.options.length - 1 ? 'ArrowUp' : 'ArrowDown') : "
                                 "(Number(e.value) >= Number(e.max) ? 'ArrowLeft' : 'ArrowRight')")
            probe.change(arrow(first, key), f"{name}, explorer {index}: its first control")


def test_a_deck_opens_offline_with_every_slide_and_image(built, deck_page):
    deck = built.folder / f"{NOTEBOOK.stem}.slides.html"
    page = deck_page
    page.set_default_timeout(30_000)
    page.goto(deck.as_uri())
    page.wait_for_selector(".reveal.ready")
    page.wait_for_function(MATHS_DONE)
    expected = slides.shown(nbformat.read(NOTEBOOK, as_version=4))
    assert page.evaluate(LEAVES) == expected

    shown, images, shot = [], 0, False
    for _ in range(MAX_STEPS):
        slide = page.evaluate(SLIDE)
        assert slide["shown"] and slide["text"], f"slide {slide['hash']} is not shown: {slide}"
        assert not slide["broken"], f"slide {slide['hash']}: images not loaded: {slide['broken']}"
        assert not slide["rawMaths"], f"slide {slide['hash']}: maths left as TeX"
        images += slide["images"]
        if not shown or shown[-1] != slide["hash"]:
            shown.append(slide["hash"])
        if (
            not shot
            and slide["images"]
            and page.locator(".reveal section.present .MathJax_CHTML").count()
        ):
            SHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SHOTS / f"deck-{NOTEBOOK.stem}.png"))
            shot = True
        if page.evaluate(AT_END):
            break
        before = page.evaluate(STEP)
        page.keyboard.press("Space")
        page.wait_for_function("(before) => (" + STEP + ")() !== before", arg=before)
        page.wait_for_function(MATHS_DONE)
    else:
        pytest.fail(f"still not at the last slide after {MAX_STEPS} steps")

    assert len(shown) == expected, f"slides shown: {shown}"
    figures = sum(
        "image/png" in o.get("data", {})
        for c in nbformat.read(NOTEBOOK, as_version=4).cells
        for o in c.get("outputs", [])
    )
    assert images >= figures > 0, f"{images} images seen on the slides, the notebook has {figures}"
    assert not page.outside, f"the deck asked the network for {page.outside}"
    assert not page.failed, f"requests that failed: {page.failed}"
