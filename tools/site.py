"""The course as a website (make site): every notebook a page, its explorers live, no kernel.

Sphinx with MyST-NB and sphinx-book-theme builds ``OUT_DIR`` from the notebooks as committed:
their outputs, maths and figures, and their explorers, brought to life in the page from the
widget state the notebooks keep (tools/execute.py stores it). Nothing is executed. A landing
page (site/index.md) lists the notebooks with the line README's table gives each one; every
page has the table of contents, previous/next links and the course-wide search.

Every file a page loads is in ``OUT_DIR``: the theme's own (fonts, icons), and in
``_static/course`` MathJax 2.7.7, RequireJS, the widget manager (@jupyter-widgets/html-manager)
from tools/web-assets (``npm ci`` there: make web-assets), anywidget's front end from its wheel,
site/_static/course/course-host.js, which tells the explorers they run without a kernel, and
the networks the activation explorer and the photo classifier run in the page
(course_utils.onnx_export.write_page_assets: notebook 07's trained LectureNet, so it needs
data/models/lecture-net.pt, SqueezeNet, ONNX Runtime Web). So the site opens from disk
(file://), from any static web server, or from a zip.

    python tools/site.py OUT_DIR NOTEBOOK...

The Sphinx sources are staged beside ``OUT_DIR``, in ``OUT_DIR-source`` (site/ and copies of
the notebooks, their Colab header cells hidden: each page has the theme's launch buttons).
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import sys
from pathlib import Path

import decks
import nbformat
import notebook_header
from sphinx.application import Sphinx

from course_utils.onnx_export import write_page_assets

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ROOT / "site"
ASSETS = "_static/course"  # the course's own files in a built site, as course-host.js finds them
SETTINGS = "course-site.json"  # what site/conf.py reads from the staging folder


def topics(readme: Path = ROOT / "README.md") -> dict[str, str]:
    """Each notebook's one line in README's table "What the course covers" (name -> line)."""
    text = readme.read_text(encoding="utf-8")
    section = text.split("## What the course covers", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| \[([0-9]{2}-[a-z0-9-]+)\]\([^)]*\) \| (.+?) \|$", section, re.M)
    return dict(rows)


def title(path: Path) -> str:
    """A notebook's title: its first ``# `` heading."""
    for cell in nbformat.read(path, as_version=4).cells:
        if cell.cell_type == "markdown" and cell.source.startswith("# "):
            return cell.source.splitlines()[0][2:].strip()
    raise ValueError(f"{path} has no '# ' title heading in a markdown cell")


def stage(notebooks: list[Path], staging: Path) -> Path:
    """Fill ``staging`` with site/ and copies of the notebooks, and the settings conf.py reads."""
    lines = topics()
    missing = [p.stem for p in notebooks if p.stem not in lines]
    if missing:
        raise ValueError(f"README's table 'What the course covers' has no row for {missing}")
    if staging.exists():
        shutil.rmtree(staging)
    shutil.copytree(SOURCES, staging, ignore=shutil.ignore_patterns("__pycache__"))
    for path in notebooks:
        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells:  # the Colab badge and install cell: the theme's launch buttons
            if notebook_header.TAG in notebook_header.tags(cell):  # say it on the site
                cell.metadata["tags"] = [*notebook_header.tags(cell), "remove-cell"]
        nbformat.write(nb, staging / path.name)
    first = sorted(notebooks)[0].stem
    settings = {
        "repository": notebook_header.repository_url(),
        "run": decks.run_links(first),  # the landing page's Binder and Colab links
        "notebooks": [{"name": p.stem, "title": title(p), "topic": lines[p.stem]}
                      for p in sorted(notebooks)],
    }
    (staging / SETTINGS).write_text(json.dumps(settings, indent=1), encoding="utf-8")
    return staging


def copy_assets(out_dir: Path, networks: bool = True) -> Path:
    """The course's own files for the pages, ``out_dir/_static/course``: MathJax, the widget
    runtime, and (``networks``) the in-page networks (course_utils.onnx_export)."""
    assets = out_dir / ASSETS
    decks.copy_assets(assets, decks.MATHJAX + decks.WIDGETS)
    if networks:
        write_page_assets(assets)
    return assets


def build(out_dir: Path, notebooks: list[Path], networks: bool = True, quiet: bool = True) -> Path:
    """Build the site into ``out_dir``; the path of its landing page. ``networks``: write the
    files of the networks that explorers run in the page (notebook 07's trained LectureNet and
    SqueezeNet in ONNX: course_utils.onnx_export.write_page_assets, which needs that model)."""
    if not notebooks:
        raise ValueError("no notebooks given: the site needs at least one")
    staging = stage([Path(p) for p in notebooks], out_dir.parent / f"{out_dir.name}-source")
    copy_assets(out_dir, networks)
    app = Sphinx(str(staging), str(staging), str(out_dir), str(staging / ".doctrees"), "html",
                 status=None if quiet else sys.stdout, warningiserror=True, freshenv=True)
    app.build()
    if app.statuscode:
        raise RuntimeError(f"Sphinx failed (status {app.statuscode}); see the warnings above")
    return out_dir / "index.html"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("notebooks", nargs="+", type=Path)
    args = parser.parse_args(argv)
    index = build(args.out_dir, args.notebooks)
    print(f"wrote {index.parent} (open {index})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
