"""HTML slide decks of the notebooks (nbconvert's reveal.js export) that open with no network.

Each notebook becomes ``OUT_DIR/NN-name.slides.html``, with its committed outputs and the slide
types of tools/slides.py, and its explorers live, brought to life from the widget state the
notebook keeps (tools/execute.py stores it), with no kernel: the course's website does the same
(tools/site.py). reveal.js, MathJax, RequireJS, jQuery and the widget manager are not fetched
from a CDN but from ``OUT_DIR/_assets/``, copied from ``tools/web-assets/node_modules`` (``npm
ci`` there installs the versions pinned in its package-lock.json: reveal.js 4.0.2, the version
nbconvert's template names), with anywidget's front end from its wheel, site/'s course-host.js
(it tells the explorers there is no kernel) and the in-page networks
(course_utils.onnx_export.write_page_assets). Share the whole ``OUT_DIR`` folder: the decks
need ``_assets`` beside them.

    python tools/decks.py OUT_DIR NOTEBOOK...
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
from pathlib import Path

import anywidget
import nbformat
import notebook_header
from nbconvert import SlidesExporter

from course_utils.onnx_export import write_page_assets

ROOT = Path(__file__).resolve().parent.parent
NODE_MODULES = ROOT / "tools" / "web-assets" / "node_modules"
ANYWIDGET = Path(anywidget.__file__).resolve().parent
TEMPLATES = ROOT / "tools" / "deck-template"
ASSETS = "_assets"
# What the built pages load, as (source, destination under the pages' asset folder); sources
# from tools/web-assets/node_modules (npm ci), anywidget's wheel, and site/.
REVEAL = [
    (NODE_MODULES / "reveal.js/dist", "reveal.js/dist"),
    (NODE_MODULES / "reveal.js/plugin/notes", "reveal.js/plugin/notes"),
    (NODE_MODULES / "jquery/dist/jquery.min.js", "jquery.min.js"),
]
MATHJAX = [
    (NODE_MODULES / "mathjax" / part, "mathjax/" + part)
    for part in ("MathJax.js", "config/TeX-AMS_CHTML-full.js", "config/Safe.js", "extensions",
                 "jax/element", "jax/input/TeX", "jax/output/CommonHTML",
                 "fonts/HTML-CSS/TeX/woff")
]
# The explorers without a kernel: RequireJS, the widget manager (its fonts beside it),
# anywidget's front end (RequireJS's module "anywidget", course-host.js says where) and the
# page-side script that says there is no kernel.
HTML_MANAGER = NODE_MODULES / "@jupyter-widgets/html-manager/dist"
WIDGETS = [
    (NODE_MODULES / "requirejs/require.js", "require.js"),
    (HTML_MANAGER / "embed-amd.js", "embed-amd.js"),
    *[(font, f"jupyter-widgets/{font.name}") for font in sorted(HTML_MANAGER.glob("*.woff2"))],
    (ANYWIDGET / "nbextension" / "index.js", "anywidget.js"),
    (ROOT / "site" / "_static" / "course" / "course-host.js", "course-host.js"),
]


def copy_assets(folder: Path, assets=(*REVEAL, *MATHJAX, *WIDGETS)) -> Path:
    """Copy the pages' files (``assets``: (source, destination) pairs) into ``folder``."""
    missing = [str(src) for src, _ in assets if not src.exists()]
    if missing:
        raise FileNotFoundError(
            f"missing {', '.join(missing)}: run `npm ci` in {NODE_MODULES.parent} "
            "(make web-assets does)"
        )
    for src, dst in assets:
        target = folder / dst
        target.parent.mkdir(parents=True, exist_ok=True)
        if src.is_dir():
            shutil.copytree(src, target, dirs_exist_ok=True)
        else:
            shutil.copy2(src, target)
    return folder


def run_links(name: str) -> dict[str, str]:
    """Where notebook ``name`` ("03-stride-padding-dilation") runs with a kernel: its Binder
    and Colab addresses (Colab's as its badge gives it, tools/notebook_header.py)."""
    url = notebook_header.repository_url()
    badge, _ = notebook_header.header_sources(Path(f"{name}.ipynb"), url)
    github = url.removeprefix("https://github.com/")
    return {"binder": f"https://mybinder.org/v2/gh/{github}/main?urlpath=lab/tree/notebooks/"
                      f"{name}.ipynb",
            "colab": badge.rsplit("](", 1)[1].removesuffix(")")}


def exporter() -> SlidesExporter:
    """nbconvert's slides exporter, every script it loads taken from ``_assets``."""
    return SlidesExporter(
        template_name="course-reveal",
        extra_template_basedirs=[str(TEMPLATES)],
        reveal_url_prefix=f"{ASSETS}/reveal.js",
        reveal_theme="white",
        reveal_scroll=True,
        require_js_url=f"{ASSETS}/require.js",
        jquery_url=f"{ASSETS}/jquery.min.js",
        widget_renderer_url=f"{ASSETS}/embed-amd.js",
        mathjax_url=f"{ASSETS}/mathjax/MathJax.js?config=TeX-AMS_CHTML-full,Safe",
    )


def build(out_dir: Path, notebooks: list[Path], networks: bool = True) -> list[Path]:
    """Write one deck per notebook into ``out_dir`` (and the assets); the decks' paths.
    ``networks``: write the files of the networks that explorers run in the page
    (course_utils.onnx_export.write_page_assets, which needs notebook 07's trained model)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    assets = copy_assets(out_dir / ASSETS)
    if networks:
        write_page_assets(assets)
    slides = exporter()
    written = []
    # A link to another notebook of the course leads to its deck.
    names = "|".join(re.escape(p.stem) for p in notebooks)
    other = re.compile(rf'href="({names})\.ipynb([#"])')
    for path in notebooks:
        nb = nbformat.read(path, as_version=4)
        host = {"notebook": path.stem, "run": run_links(path.stem)}
        html, _ = slides.from_notebook_node(nb, resources={"metadata": {"name": path.stem},
                                                           "course_host": host})
        target = out_dir / f"{path.stem}.slides.html"
        target.write_text(other.sub(r'href="\1.slides.html\2', html), encoding="utf-8")
        written.append(target)
    return written


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("notebooks", nargs="+", type=Path)
    args = parser.parse_args(argv)
    for deck in build(args.out_dir, args.notebooks):
        print(f"wrote {deck}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
