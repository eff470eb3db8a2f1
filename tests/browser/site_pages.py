"""The course's built pages in the browser tests: the website and the slide decks.

``built_site()`` builds the website (tools/site.py, what ``make site`` writes) and
``built_decks()`` the slide decks (tools/decks.py, ``make slides``), each once per test session,
from notebooks/ (or ``$COURSE_SITE_NOTEBOOKS``, e.g. executed copies while the committed
notebooks have no widget state yet), into a temporary folder served by a web server on
127.0.0.1. ``open_page(context, pages, scheme, name)`` opens one page from disk (``"file"``)
or from that server (``"http"``): every request that leaves the folder is refused and kept, so
are failed requests and console messages; it returns once the page's explorers have drawn and
its maths is typeset. ``visit`` does it once per session for a page of the site, with
axe-core's findings (npm, tools/web-assets) from disk: tests/browser/test_site.py and
test_accessibility.py read the same visits, so each page loads once per address.
"""

from __future__ import annotations

import atexit
import base64
import functools
import http.server
import importlib.util
import os
import re
import shutil
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote

import nbformat
from explorer_probe import watch

ROOT = Path(__file__).resolve().parents[2]
TOOLS = ROOT / "tools"
sys.path.insert(0, str(TOOLS))

import decks  # noqa: E402  (tools/decks.py)

NOTEBOOKS = Path(os.environ.get("COURSE_SITE_NOTEBOOKS", ROOT / "notebooks"))
# The site's pages: one per notebook, the landing page, search and the index; the decks.
PAGES = [f"{p.stem}.html" for p in sorted(NOTEBOOKS.glob("*.ipynb"))] + [
    "index.html", "search.html", "genindex.html"]
DECKS = [f"{p.stem}.slides.html" for p in sorted(NOTEBOOKS.glob("*.ipynb"))]
AXE = ROOT / "tools" / "web-assets" / "node_modules" / "axe-core" / "axe.min.js"
STATE = "application/vnd.jupyter.widget-state+json"
VIEW = "application/vnd.jupyter.widget-view+json"
# Where an element of a site page lies: in an explorer, in the page's content (the notebook),
# or (neither) in the theme around it: navigation, header, sidebars.
OWN = {"explorer": ".course-explorer", "content": "article.bd-article"}

# axe-core on the whole page; each violating element said to be in one of ``own`` or in the
# theme. No preload: axe would fetch the style sheets again (XMLHttpRequest), which a page
# opened from disk may not do.
AXE_RUN = """async (own) => {
  const results = await axe.run(document, {resultTypes: ["violations"], preload: false});
  return results.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map((n) => {
      const element = document.querySelector(n.target[0]);
      const where = Object.entries(own).find(([, css]) => element && element.closest(css));
      return {target: n.target.join(" "), html: n.html.slice(0, 160),
              where: where ? where[0] : "theme"};
    }),
  }));
}"""
MATHS_DONE = """() => !window.MathJax || (MathJax.Hub && MathJax.Hub.queue.pending === 0)"""


def site_tool():
    """tools/site.py as a module (it cannot be imported by its name: ``site`` is the standard
    library's)."""
    spec = importlib.util.spec_from_file_location("course_site", TOOLS / "site.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def saved_explorers(nb) -> list[dict]:
    """The saved state of each explorer of a notebook, in the order its outputs show them,
    binary traits decoded as bytes."""
    models = nb.metadata.get("widgets", {}).get(STATE, {}).get("state", {})
    states = []
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            view = output.get("data", {}).get(VIEW)
            model = view and models.get(view["model_id"])
            if model and model["model_name"] == "AnyModel":
                buffers = {b["path"][0]: base64.b64decode(b["data"])
                           for b in model.get("buffers", [])}
                states.append({**model["state"], **buffers})
    return states


@dataclass
class Pages:
    """Built pages: their folder, the notebooks they come from (by name), the build's seconds,
    the address of the web server that serves the folder."""

    folder: Path
    notebooks: dict[str, nbformat.NotebookNode]
    seconds: float
    server: str

    def base(self, scheme: str) -> str:
        return self.folder.as_uri() + "/" if scheme == "file" else self.server + "/"

    def url(self, scheme: str, name: str) -> str:
        return self.base(scheme) + name

    def explorers(self, name: str) -> list[dict]:
        """The saved state of each explorer on page ``name`` ("03-….html", "03-….slides.html")."""
        nb = self.notebooks.get(name.split(".")[0])
        return saved_explorers(nb) if nb is not None else []


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def _built(prefix: str, build) -> Pages:
    """``build(folder, notebooks)`` once into a temporary folder (removed at exit), served on
    127.0.0.1 by the standard library's web server."""
    folder = Path(tempfile.mkdtemp(prefix=prefix)) / "out"
    atexit.register(shutil.rmtree, folder.parent, ignore_errors=True)
    paths = sorted(NOTEBOOKS.glob("*.ipynb"))
    start = time.monotonic()
    build(folder, paths)
    seconds = time.monotonic() - start
    handler = functools.partial(_Quiet, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return Pages(folder, {p.stem: nbformat.read(p, as_version=4) for p in paths}, seconds,
                 f"http://127.0.0.1:{server.server_address[1]}")


@functools.cache
def built_site() -> Pages:
    return _built("course-site-", site_tool().build)


@functools.cache
def built_decks() -> Pages:
    """The decks, as make slides writes them, in-page networks included (built apart from the
    site, as make slides builds them; in the same session as the site, the networks' export is
    made once: course_utils.onnx_export keeps it)."""
    return _built("course-decks-", decks.build)


@dataclass
class Visit:
    """One page as loaded: what it asked outside its folder, what failed, its console, its
    explorers' titles, its links (absolute addresses), axe's violations, the load time (until
    its explorers drew)."""

    page: object
    outside: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    console: list[str] = field(default_factory=list)
    explorers: list[str] = field(default_factory=list)
    links: list[str] = field(default_factory=list)
    axe: list[dict] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def errors(self) -> list[str]:
        return [line for line in self.console if line.startswith(("error", "pageerror"))]


_visits: dict[tuple[Path, str, str], Visit] = {}


def open_page(context, pages: Pages, scheme: str, name: str, timeout_s: float = 60) -> Visit:
    """A new page of ``context`` at page ``name``, every request outside the folder refused;
    returned once its explorers have drawn and its maths is typeset."""
    page = context.new_page()
    seen = Visit(page)
    inside = pages.base(scheme)

    def local_only(route):
        url = route.request.url
        if url.startswith((inside, "blob:", "data:")):
            route.continue_()
        else:
            seen.outside.append(url)
            route.abort()

    page.route("**/*", local_only)
    page.on("requestfailed", lambda r: seen.failed.append(f"{r.url} ({r.failure})"))
    page.on("response", lambda r: r.status >= 400 and seen.failed.append(f"{r.url} ({r.status})"))
    page.on("console", lambda msg: seen.console.append(f"{msg.type}: {msg.text}"))
    page.on("pageerror", lambda err: seen.console.append(f"pageerror: {err}"))
    count = len(pages.explorers(name))
    start = time.monotonic()
    page.goto(pages.url(scheme, name))
    page.wait_for_function(f"() => document.querySelectorAll('.course-explorer').length === "
                           f"{count}", timeout=timeout_s * 1000)
    seen.seconds = time.monotonic() - start
    page.wait_for_load_state("load")
    page.wait_for_function(MATHS_DONE, timeout=timeout_s * 1000)
    seen.explorers = watch(page)
    seen.links = page.evaluate("() => [...document.querySelectorAll('a[href]')].map((a) => a.href)")
    return seen


def visit(context, site: Pages, scheme: str, name: str) -> Visit:
    """Page ``name`` of the site from ``scheme`` ("file" or "http"), opened once per session.
    From disk the page is left open (the explorer tests operate it) and axe checks it; from the
    web server (the same page) it is closed once loaded."""
    key = (site.folder, scheme, name)
    if key not in _visits:
        seen = open_page(context, site, scheme, name)
        if scheme == "file":
            seen.page.add_script_tag(path=str(AXE))
            seen.axe = seen.page.evaluate(AXE_RUN, OWN)
        else:
            seen.page.close()
        _visits[key] = seen
    return _visits[key]


def local_target(pages: Pages, scheme: str, url: str) -> tuple[Path, str] | None:
    """The file a link leads to in the pages' folder and its fragment, or None for a link
    that leaves the folder (another address, mailto:)."""
    inside = pages.base(scheme)
    if not url.startswith(inside):
        return None
    path, _, fragment = url[len(inside):].partition("#")
    return pages.folder / (unquote(path.split("?", 1)[0]) or "index.html"), fragment


@functools.cache
def ids(path: Path) -> set[str]:
    """The ids of a built page's elements (the fragments its links may name)."""
    return set(re.findall(r'\sid="([^"]+)"', path.read_text(encoding="utf-8")))


def broken_links(pages: Pages, scheme: str, seen: Visit) -> list[str]:
    """The links of a visited page that lead inside the folder to no file, or to no element
    with the id their fragment names."""
    broken = []
    for url in seen.links:
        target = local_target(pages, scheme, url)
        if target is not None:
            path, fragment = target
            if not path.is_file() or (fragment and fragment not in ids(path)):
                broken.append(url)
    return broken
