"""Keep every notebook's first two cells (Colab badge, Colab install cell) in step.

The repository address lives in one place, pyproject.toml's ``[project.urls] Repository``;
this script writes the badge and the install cell from it.

    python tools/notebook_header.py            # rewrite the headers of notebooks/*.ipynb
    python tools/notebook_header.py --check    # exit 1 if any notebook's header is stale
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import nbformat

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent
TAG = "course-header"


def repository_url() -> str:
    with open(ROOT / "pyproject.toml", "rb") as f:
        return tomllib.load(f)["project"]["urls"]["Repository"].rstrip("/")


def header_sources(notebook: Path, url: str | None = None) -> tuple[str, str]:
    """The badge (markdown) and install (code) cell sources for one notebook."""
    url = url or repository_url()
    github_path = url.removeprefix("https://github.com/")
    colab = f"https://colab.research.google.com/github/{github_path}/blob/main/notebooks/{notebook.name}"
    badge = (
        f"[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]({colab})"
    )
    install = (
        "# On Colab, install the course's helpers first; elsewhere this cell does nothing.\n"
        "import sys\n"
        "\n"
        'if "google.colab" in sys.modules:\n'
        f'    %pip install --quiet "course-utils @ git+{url}"'
    )
    return badge, install


def tags(cell) -> list[str]:
    """A cell's tags (the tools mark the header, exercises and solutions with them)."""
    return list(cell.get("metadata", {}).get("tags", []))


def _is_header(cell) -> bool:
    return TAG in tags(cell)


def apply(nb, notebook: Path) -> None:
    """Replace (or insert) the two header cells at the top of ``nb``."""
    badge, install = header_sources(notebook)
    cells = [c for c in nb.cells if not _is_header(c)]
    top = [
        nbformat.v4.new_markdown_cell(badge, metadata={"tags": [TAG]}),
        nbformat.v4.new_code_cell(install, metadata={"tags": [TAG]}),
    ]
    nb.cells = top + cells


def stale(nb, notebook: Path) -> str | None:
    """None if the header is current, else what is wrong with it."""
    badge, install = header_sources(notebook)
    if len(nb.cells) < 2 or not (_is_header(nb.cells[0]) and _is_header(nb.cells[1])):
        return "the first two cells are not the course header (badge, install cell)"
    if nb.cells[0].source != badge:
        return "the Colab badge does not match pyproject's Repository address"
    if nb.cells[1].source != install:
        return "the Colab install cell does not match pyproject's Repository address"
    return None


def check_or_write(argv, description: str, what: str, stale, apply, written) -> int:
    """The command line of a tool that keeps something in every notebook as it derives it.

    ``stale(nb, path)`` says what is out of date (None if nothing), ``apply(nb, path)`` mends
    it, ``written(nb)`` is the line printed after writing. With ``--check`` nothing is written
    and the exit status is 1 if any notebook is stale.
    """
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--check", action="store_true", help=f"report stale {what}, change nothing")
    parser.add_argument("notebooks", nargs="*", type=Path)
    args = parser.parse_args(argv)
    paths = args.notebooks or sorted((ROOT / "notebooks").glob("*.ipynb"))
    status = 0
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        problem = stale(nb, path)
        if problem and args.check:
            print(f"{path}: {problem}")
            status = 1
        elif problem:
            apply(nb, path)
            nbformat.write(nb, path)
            print(f"{path}: {written(nb)}")
    return status


def main(argv=None) -> int:
    return check_or_write(argv, __doc__.splitlines()[0], "headers", stale, apply,
                          lambda nb: "header written")


if __name__ == "__main__":
    sys.exit(main())
