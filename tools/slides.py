"""Slide types for every notebook, derived from its structure (for RISE and nbconvert's decks).

Each cell gets ``metadata.slideshow.slide_type`` by these rules, in order:

1. The course header (cells tagged ``course-header``: Colab badge and install cell): ``skip``.
2. A markdown cell whose first line is a ``#`` or ``##`` heading starts a ``slide``; a ``###``
   heading starts a ``subslide``. The first cell shown is always a ``slide``.
3. Exercises: the paragraph that sets a task (the markdown cell before the ``exercise`` cell,
   with the code between them) starts a ``subslide``; the ``solution`` cell is a ``subslide`` of
   its own, and what follows it starts a new ``subslide``.
4. Height: a paragraph (a markdown cell and the code cells after it) that would overflow the
   slide it falls in starts a ``subslide``; a paragraph taller than a slide is cut between its
   cells the same way. No cut leaves less than a quarter of a slide behind (a heading is never
   alone on its slide): such a slide overflows and scrolls instead. Heights are estimated in
   pixels at JupyterLab's default font sizes, for a slide ``SLIDE_HEIGHT`` pixels tall (a
   1280×720 projector); see ``cell_height``.
5. A paragraph that follows a code cell on the same slide appears as a ``fragment``: the class
   sees a result before the comment on it.
6. Every other cell continues the slide it is in (``-``).

The notebook's ``metadata.rise`` holds ``RISE_SETTINGS`` (slides scroll when a single cell is
taller than the screen).

    python tools/slides.py [NOTEBOOK...]           # write the slide types (all notebooks)
    python tools/slides.py --check [NOTEBOOK...]   # exit 1 if any notebook's are stale
"""

from __future__ import annotations

import base64
import math
import re
import struct
import sys

from editions import EXERCISE, SOLUTION
from notebook_header import TAG as HEADER_TAG
from notebook_header import check_or_write
from notebook_header import tags as _tags

RISE_SETTINGS = {
    "center": False,
    "scroll": True,
    "start_slideshow_at": "beginning",
    "theme": "white",
}

SLIDE_HEIGHT = 620  # px of cells that fit under the controls of a 1280×720 slide
MIN_FILL = SLIDE_HEIGHT // 4  # px a slide holds at least before a cut
SLIDE_WIDTH = 1100  # px of a cell's content on such a slide (past the prompt)
CELL_GAP = 12  # px of padding around each cell
HEADING = {1: 48, 2: 40, 3: 32}  # px for a heading of each level, margins included
TEXT_LINE, CODE_LINE = 22, 18  # px per line of markdown text, of code or printed text
CHARS_PER_LINE = 130  # characters of markdown prose on one line of SLIDE_WIDTH
WIDGET_HEIGHT = 600  # px assumed for an explorer (a widget has no size before it renders)
IMAGE_MIMES = ("image/png", "image/jpeg")


def _heading_level(cell) -> int:
    """1, 2 or 3 for a markdown cell opening with such a heading, else 0."""
    if cell.cell_type != "markdown":
        return 0
    match = re.match(r"(#{1,3}) ", cell.source)
    return len(match.group(1)) if match else 0


def markdown_height(text: str) -> int:
    """Estimated rendered height (px) of markdown ``text`` on a slide."""
    height = 0
    for block in re.split(r"\n\s*\n", text.strip()):
        level = len(re.match(r"#*", block).group())
        if 1 <= level <= 6 and block[level : level + 1] == " ":
            height += HEADING.get(level, HEADING[3])
        elif block.startswith("$$") or block.startswith("```"):
            height += TEXT_LINE * (block.count("\n") + 2)
        else:  # paragraphs, list items and table rows wrap at CHARS_PER_LINE
            items = re.split(r"\n(?=\s*(?:[-*]|\d+\.|\|) )", block)
            lines = sum(math.ceil(len(" ".join(item.split())) / CHARS_PER_LINE) for item in items)
            height += TEXT_LINE * max(lines, 1) + TEXT_LINE // 2
    return height


def image_height(data: str, mime: str) -> int:
    """Displayed height (px) of a base64 PNG or JPEG, scaled down to SLIDE_WIDTH if wider."""
    raw = base64.b64decode(data)
    if mime == "image/png":
        width, height = struct.unpack(">II", raw[16:24])
    else:
        width, height = _jpeg_size(raw)
    return round(height * min(1.0, SLIDE_WIDTH / width))


def _jpeg_size(raw: bytes) -> tuple[int, int]:
    i = 2
    while i + 9 < len(raw):
        marker, length = raw[i + 1], struct.unpack(">H", raw[i + 2 : i + 4])[0]
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            height, width = struct.unpack(">HH", raw[i + 5 : i + 9])
            return width, height
        i += 2 + length
    raise ValueError("a JPEG output without a frame header (SOF marker)")


def _text_lines(text) -> int:
    text = "".join(text) if isinstance(text, list) else str(text)
    return text.rstrip("\n").count("\n") + 1


def output_height(output) -> int:
    """Estimated height (px) of one code-cell output."""
    if output.output_type == "stream":
        return CODE_LINE * _text_lines(output.text)
    if output.output_type == "error":
        return CODE_LINE * len(output.get("traceback", []))
    data = output.get("data", {})
    if "application/vnd.jupyter.widget-view+json" in data:
        return WIDGET_HEIGHT
    for mime in IMAGE_MIMES:
        if mime in data:
            return image_height(data[mime], mime)
    if "text/markdown" in data:
        return markdown_height("".join(data["text/markdown"]))
    for mime in ("text/html", "text/plain"):
        if mime in data:
            return CODE_LINE * _text_lines(data[mime])
    return 0


def cell_height(cell) -> int:
    """Estimated height (px) of a cell on a slide: its source and, for code, its outputs."""
    if cell.cell_type == "markdown":
        return CELL_GAP + markdown_height(cell.source)
    if cell.cell_type != "code":
        return CELL_GAP + CODE_LINE * _text_lines(cell.source)
    outputs = sum(output_height(o) for o in cell.get("outputs", []))
    return 2 * CELL_GAP + CODE_LINE * _text_lines(cell.source) + outputs


def _paragraphs(cells: list[int], nb) -> list[list[int]]:
    """Cell indices grouped as paragraphs: a markdown cell and the code cells after it."""
    groups: list[list[int]] = []
    for i in cells:
        starts = nb.cells[i].cell_type == "markdown" or SOLUTION in _tags(nb.cells[i])
        after_solution = groups and SOLUTION in _tags(nb.cells[groups[-1][0]])
        if not groups or starts or after_solution:
            groups.append([i])
        else:
            groups[-1].append(i)
    return groups


def slide_types(nb) -> list[str]:
    """The slide type of each cell of ``nb`` (see the module's rules)."""
    types = ["skip" if HEADER_TAG in _tags(c) else "-" for c in nb.cells]
    shown = [i for i, t in enumerate(types) if t != "skip"]
    used = 0  # px of the current slide or sub-slide taken so far
    for group in _paragraphs(shown, nb):
        first = nb.cells[group[0]]
        level = _heading_level(first)
        heights = [cell_height(nb.cells[i]) for i in group]
        exercise = any(EXERCISE in _tags(nb.cells[i]) for i in group)
        if level in (1, 2) or group[0] == shown[0]:
            types[group[0]], used = "slide", 0
        elif (
            level == 3
            or exercise
            or SOLUTION in _tags(first)
            or SOLUTION in _tags(nb.cells[group[0] - 1])
            or (used >= MIN_FILL and used + sum(heights) > SLIDE_HEIGHT)
        ):
            types[group[0]], used = "subslide", 0
        elif nb.cells[group[0] - 1].cell_type == "code" and types[group[0] - 1] != "skip":
            types[group[0]] = "fragment"
        for k, (i, height) in enumerate(zip(group, heights, strict=True)):
            if k and used >= MIN_FILL and used + height > SLIDE_HEIGHT:
                types[i], used = "subslide", 0
            used += height
    return types


def apply(nb) -> None:
    """Write the slide types into ``nb`` (cell metadata) and RISE's settings (notebook)."""
    for cell, slide_type in zip(nb.cells, slide_types(nb), strict=True):
        cell.metadata["slideshow"] = {"slide_type": slide_type}
    nb.metadata["rise"] = dict(RISE_SETTINGS)


def stale(nb) -> str | None:
    """None if ``nb``'s slide metadata is what ``apply`` writes, else the first difference."""
    for i, (cell, wanted) in enumerate(zip(nb.cells, slide_types(nb), strict=True)):
        found = cell.get("metadata", {}).get("slideshow", {}).get("slide_type")
        if found != wanted:
            return f"cell {i}: slide type {found!r}, the tool gives {wanted!r}"
    if nb.metadata.get("rise") != RISE_SETTINGS:
        return f"notebook metadata 'rise' is {nb.metadata.get('rise')!r}, not {RISE_SETTINGS!r}"
    return None


def shown(nb) -> int:
    """Slides plus sub-slides the rules give ``nb``: the sections of its deck."""
    return sum(t in ("slide", "subslide") for t in slide_types(nb))


def count(nb) -> tuple[int, int]:
    """(slides, sub-slides) of ``nb`` as its metadata says."""
    kinds = [c.get("metadata", {}).get("slideshow", {}).get("slide_type") for c in nb.cells]
    return kinds.count("slide"), kinds.count("subslide")


def main(argv=None) -> int:
    def written(nb) -> str:
        slides, subslides = count(nb)
        return f"{slides} slides, {subslides} sub-slides written"

    return check_or_write(argv, __doc__.splitlines()[0], "slides",
                          lambda nb, _path: stale(nb), lambda nb, _path: apply(nb), written)


if __name__ == "__main__":
    sys.exit(main())
