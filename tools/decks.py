"""HTML slide decks of the notebooks (nbconvert's reveal.js export) that open with no network.

Each notebook becomes ``OUT_DIR/NN-name.slides.html``, with its committed outputs and the slide
types of tools/slides.py. reveal.js, MathJax, RequireJS and jQuery are not fetched from a CDN
but from ``OUT_DIR/_assets/``, copied from ``tools/web-assets/node_modules`` (``npm ci`` there
installs the versions pinned in its package-lock.json: reveal.js 4.0.2, the version nbconvert's
template names). Share the whole ``OUT_DIR`` folder: the decks need ``_assets`` beside them.

    python tools/decks.py OUT_DIR NOTEBOOK...
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

import nbformat
from nbconvert import SlidesExporter

ROOT = Path(__file__).resolve().parent.parent
NODE_MODULES = ROOT / "tools" / "web-assets" / "node_modules"
TEMPLATES = ROOT / "tools" / "deck-template"
ASSETS = "_assets"
# What the decks load, as (source under node_modules, destination under OUT_DIR/_assets).
COPIED = [
    ("reveal.js/dist", "reveal.js/dist"),
    ("reveal.js/plugin/notes", "reveal.js/plugin/notes"),
    ("mathjax/MathJax.js", "mathjax/MathJax.js"),
    ("mathjax/config/TeX-AMS_CHTML-full.js", "mathjax/config/TeX-AMS_CHTML-full.js"),
    ("mathjax/config/Safe.js", "mathjax/config/Safe.js"),
    ("mathjax/extensions", "mathjax/extensions"),
    ("mathjax/jax/element", "mathjax/jax/element"),
    ("mathjax/jax/input/TeX", "mathjax/jax/input/TeX"),
    ("mathjax/jax/output/CommonHTML", "mathjax/jax/output/CommonHTML"),
    ("mathjax/fonts/HTML-CSS/TeX/woff", "mathjax/fonts/HTML-CSS/TeX/woff"),
    ("requirejs/require.js", "require.js"),
    ("jquery/dist/jquery.min.js", "jquery.min.js"),
]


def copy_assets(out_dir: Path, node_modules: Path = NODE_MODULES) -> Path:
    """Copy the decks' JavaScript into ``out_dir/_assets``; that folder."""
    missing = [src for src, _ in COPIED if not (node_modules / src).exists()]
    if missing:
        raise FileNotFoundError(
            f"{node_modules} lacks {', '.join(missing)}: run `npm ci` in {node_modules.parent} "
            "(make slides does)"
        )
    assets = out_dir / ASSETS
    for src, dst in COPIED:
        target = assets / dst
        target.parent.mkdir(parents=True, exist_ok=True)
        if (node_modules / src).is_dir():
            shutil.copytree(node_modules / src, target, dirs_exist_ok=True)
        else:
            shutil.copy2(node_modules / src, target)
    return assets


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
        mathjax_url=f"{ASSETS}/mathjax/MathJax.js?config=TeX-AMS_CHTML-full,Safe",
    )


def build(out_dir: Path, notebooks: list[Path]) -> list[Path]:
    """Write one deck per notebook into ``out_dir`` (and the assets); the decks' paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    copy_assets(out_dir)
    slides = exporter()
    written = []
    for path in notebooks:
        nb = nbformat.read(path, as_version=4)
        html, _ = slides.from_notebook_node(nb, resources={"metadata": {"name": path.stem}})
        target = out_dir / f"{path.stem}.slides.html"
        target.write_text(html, encoding="utf-8")
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
