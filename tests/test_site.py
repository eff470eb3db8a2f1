"""The course's website builder (tools/site.py, make site) on two small stand-in notebooks.

A site is built (without the in-page networks' files, which need notebook 07's trained model:
tests/browser/test_site.py builds the whole course with them) and its files are read: every
file a page loads (scripts, style sheets, images, fonts named by the style sheets) is a file of
the site, none comes from another address; a page with explorers loads course-host.js before
RequireJS and the widget manager, says which notebook it shows and where it runs (the theme's
launch buttons and tools/decks.py agree), and asks no CDN; the landing page lists the notebooks
with README's line for each; pages lead to the next one; the search index holds their words.
The browser tests (tests/browser/test_site.py) open the real course's site.
"""

from __future__ import annotations

import base64
import html
import html.parser
import importlib.util
import json
import re
import subprocess
import sys
from pathlib import Path

import anywidget
import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))

import decks  # noqa: E402
import notebook_header  # noqa: E402

_spec = importlib.util.spec_from_file_location("course_site", ROOT / "tools" / "site.py")
site = importlib.util.module_from_spec(_spec)  # not `import site`: the standard library's name
_spec.loader.exec_module(site)

STATE = "application/vnd.jupyter.widget-state+json"
VIEW = "application/vnd.jupyter.widget-view+json"
NAMES = ("00-start-here", "03-stride-padding-dilation")  # names with a row in README's table
TITLES = ("00 · Start here", "03 · Stride, padding and dilation")


def stand_in(path: Path, title: str, widget: bool) -> Path:
    """A small notebook as the course commits them: its Colab header, a title, maths, a link
    to the other notebook, and (``widget``) one explorer's output and saved widget state."""
    badge, install = notebook_header.header_sources(path)
    cells = [nbformat.v4.new_markdown_cell(badge, metadata={"tags": [notebook_header.TAG]}),
             nbformat.v4.new_code_cell(install, metadata={"tags": [notebook_header.TAG]}),
             nbformat.v4.new_markdown_cell(f"# {title}\n\nDilation spreads the taps: "
                                           "$d(k - 1) + 1$ cells. See [the start]"
                                           "(00-start-here.ipynb)."),
             nbformat.v4.new_code_cell("explorer")]
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    if widget:
        model = {"model_module": "anywidget", "model_module_version": "~0.11.*",
                 "model_name": "AnyModel",
                 "state": {"_esm": "export default {render({el}) { el.textContent = 'x'; }}",
                           "_model_module": "anywidget", "_model_name": "AnyModel",
                           "_view_module": "anywidget", "_view_name": "AnyView"},
                 "buffers": [{"path": ["image"], "encoding": "base64",
                              "data": base64.b64encode(b"\0" * 8).decode()}]}
        nb.metadata["widgets"] = {STATE: {"version_major": 2, "version_minor": 0,
                                          "state": {"m1": model}}}
        cells[-1].outputs = [nbformat.v4.new_output(
            "display_data", data={"text/plain": "Explorer()",
                                  VIEW: {"version_major": 2, "version_minor": 0,
                                         "model_id": "m1"}})]
    nbformat.write(nb, path)
    return path


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    folder = tmp_path_factory.mktemp("site")
    paths = [stand_in(folder / f"{name}.ipynb", title, widget=k == 1)
             for k, (name, title) in enumerate(zip(NAMES, TITLES, strict=True))]
    out = folder / "out"
    site.build(out, paths, networks=False)
    return out


class Loads(html.parser.HTMLParser):
    """What a page loads (script src, style sheets and icons, images) and its scripts' tags."""

    def __init__(self):
        super().__init__()
        self.loads, self.scripts = [], []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "script":
            self.scripts.append(attrs)
        wanted = {"script": "src", "img": "src", "source": "src", "iframe": "src",
                  "link": "href" if attrs.get("rel") in ("stylesheet", "preload", "icon",
                                                         "modulepreload") else None}
        if wanted.get(tag) and attrs.get(wanted[tag]):
            self.loads.append(attrs[wanted[tag]])


def parsed(path: Path) -> Loads:
    loads = Loads()
    loads.feed(path.read_text(encoding="utf-8"))
    return loads


def test_every_notebook_has_its_line_in_readme():
    lines = site.topics()
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        assert lines.get(path.stem, "").strip(), f"README's table has no line for {path.stem}"


def test_every_file_a_page_loads_is_in_the_site(built):
    pages = sorted(built.glob("*.html"))
    assert [p.stem for p in pages] == [*NAMES, "genindex", "index", "search"]
    for page in pages:
        for src in parsed(page).loads:
            assert not re.match(r"[a-z]+:", src), f"{page.name} loads {src} from elsewhere"
            assert (page.parent / src.split("?")[0].split("#")[0]).is_file(), (page.name, src)
    for sheet in built.rglob("*.css"):
        for url in re.findall(r"url\(\s*['\"]?([^'\")]+)", sheet.read_text(encoding="utf-8")):
            if url.startswith(("data:", "#")):
                continue
            assert not re.match(r"[a-z]+:", url), f"{sheet} names {url}"
            assert (sheet.parent / url.split("?")[0].split("#")[0]).is_file(), (sheet, url)


def test_a_page_with_explorers_says_it_has_no_kernel_before_the_widget_manager(built):
    scripts = [s.get("src", "").split("?")[0] for s in parsed(built / f"{NAMES[1]}.html").scripts]
    order = [scripts.index(f"_static/course/{name}")
             for name in ("course-host.js", "require.js", "embed-amd.js")]
    assert order == sorted(order)
    host = next(s for s in parsed(built / f"{NAMES[1]}.html").scripts
                if s.get("src", "").startswith("_static/course/course-host.js"))
    assert host["data-notebook"] == NAMES[1]
    assert json.loads(host["data-run"]) == decks.run_links(NAMES[1])
    text = (built / f"{NAMES[1]}.html").read_text(encoding="utf-8")
    assert "data-jupyter-widgets-cdn" not in text and "crossorigin" not in text
    assert STATE in text
    plain = [s.get("src", "") for s in parsed(built / f"{NAMES[0]}.html").scripts]
    assert not any("course-host" in s or "embed-amd" in s for s in plain)


def test_the_widget_runtime_is_copied_from_its_pinned_sources(built):
    assets = built / "_static" / "course"
    wheel = Path(anywidget.__file__).parent / "nbextension" / "index.js"
    assert (assets / "anywidget.js").read_bytes() == wheel.read_bytes()
    assert (assets / "course-host.js").read_bytes() == \
        (ROOT / "site" / "_static" / "course" / "course-host.js").read_bytes()
    for name in ("require.js", "embed-amd.js", "mathjax/MathJax.js",
                 "mathjax/jax/output/CommonHTML/jax.js"):
        assert (assets / name).is_file(), name
    assert sorted(p.name for p in (assets / "jupyter-widgets").iterdir()) == sorted(
        p.name for p in decks.HTML_MANAGER.glob("*.woff2"))


def test_the_colab_header_gives_way_to_the_themes_launch_buttons(built):
    text = (built / f"{NAMES[1]}.html").read_text(encoding="utf-8")
    assert "colab-badge.svg" not in text and "google.colab" not in text
    for url in decks.run_links(NAMES[1]).values():
        assert f'href="{url}"' in text


def test_landing_page_lists_the_notebooks_and_where_they_run(built):
    text = (built / "index.html").read_text(encoding="utf-8")
    shown = " ".join(html.unescape(re.sub(r"<[^>]+>", "", text)).replace("’", "'").split())
    lines = site.topics()
    for name, title in zip(NAMES, TITLES, strict=True):
        assert re.search(rf'<a [^>]*href="{name}.html"', text), name
        assert f"{title}: {re.sub(r'[`*]', '', lines[name])}" in shown, name
    for url in decks.run_links(NAMES[0]).values():
        assert f'href="{url}"' in text


def test_pages_lead_to_the_next_and_links_between_notebooks_resolve(built):
    text = (built / f"{NAMES[0]}.html").read_text(encoding="utf-8")
    assert re.search(rf'class="right-next"\s+href="{NAMES[1]}.html"', text)
    assert f'href="{NAMES[0]}.html"' in (built / f"{NAMES[1]}.html").read_text(encoding="utf-8")


def test_search_index_holds_the_notebooks_words(built):
    index = (built / "searchindex.js").read_text(encoding="utf-8")
    assert '"dilat"' in index  # the stemmed word of both notebooks' text


def test_bad_input_says_what_is_expected(tmp_path):
    with pytest.raises(ValueError, match="no notebooks given"):
        site.build(tmp_path / "out", [], networks=False)
    stray = stand_in(tmp_path / "99-stray.ipynb", "99 · Stray", widget=False)
    with pytest.raises(ValueError, match=r"README's table .* has no row for \['99-stray'\]"):
        site.build(tmp_path / "out", [stray], networks=False)


def test_make_site_builds_every_notebook_afresh_with_the_pinned_assets():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "$(WEB_ASSETS)" in makefile.split("\nsite:", 1)[1].splitlines()[0]
    shown = subprocess.run(["make", "-n", "--no-print-directory", "-C", str(ROOT), "site"],
                           capture_output=True, text=True, check=True).stdout.splitlines()
    assert shown[-2:] == ["rm -rf build/site build/site-source",
                          ".venv/bin/python tools/site.py build/site notebooks/*.ipynb"]
