"""The course's website: its size, how soon a page's explorer can be used, how fast it redraws.

    tools/ensure_chromium.sh
    .venv/bin/python benchmarks/bench_site.py [--site build/site] [--repeats 40] [--opens 5]

Without ``--site`` the site is built first (tools/site.py, from notebooks/ or
``$COURSE_SITE_NOTEBOOKS``) and the build timed. Then, in headless Chromium:

- opening each page with explorers from disk (file://, a fresh tab each time, ``--opens``
  times): the seconds from the request to the first explorer with a control to use;
- every control of every explorer on its page (sliders and menus from the keyboard, typed
  numbers, the photo classifier's file), ``--repeats`` changes each: the milliseconds from the
  event's time stamp to the first frame after the redraw (tests/browser/explorer_probe.py).
  A menu of digits offers the digits the page holds (shipped data); the activation explorer
  and the photo classifier run their network in the page.

It prints the figures as markdown (and writes test-artifacts/site-benchmark.md), with the
site's size: the whole folder, its largest page, the shared files of _static/course.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "browser"))

from explorer_notebook import TYPED_FIELDS, png  # noqa: E402
from explorer_probe import LatencyReport, Probe, watch  # noqa: E402
from site_pages import PAGES, Pages, built_site, open_page  # noqa: E402

from conftest import CHROMIUM, CHROMIUM_ARGS  # noqa: E402

REPORT = ROOT / "test-artifacts" / "site-benchmark.md"
OPERABLE = """() => { const e = document.querySelector('.course-explorer');
  return e && e.querySelector('input:not([disabled]), select:not([disabled])') ? 1 : 0; }"""
# An explorer's controls as (kind, label): sliders, menus, typed fields, file choosers.
CONTROLS = """(root, typed) => [...root.querySelectorAll(
    '.course-controls input[type=range], .course-controls select, input[type=file], ' + typed)]
  .filter((e) => !e.disabled)
  .map((e) => [e.type === 'file' ? 'file' : e.tagName === 'SELECT' ? 'menu' :
               e.type === 'range' ? 'slider' : 'typed',
               (e.getAttribute('aria-label') || e.labels[0].textContent).trim()])"""


def megabytes(path: Path) -> float:
    files = [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file()]
    return sum(p.stat().st_size for p in files) / 2**20


def sizes(folder: Path) -> list[str]:
    pages = sorted(folder.glob("*.html"), key=lambda p: p.stat().st_size)
    return [f"- whole site: {megabytes(folder):.1f} MB",
            f"- largest page: {pages[-1].name}, {megabytes(pages[-1]):.2f} MB (its HTML, widget "
            "state included; the files below are shared by every page)",
            f"- _static/course (MathJax, the widget manager, the in-page networks): "
            f"{megabytes(folder / '_static' / 'course'):.1f} MB"]


def time_opens(context, pages: Pages, name: str, opens: int) -> list[float]:
    """Seconds from the request to the first explorer with a usable control, fresh tabs."""
    times = []
    for _ in range(opens):
        page = context.new_page()
        start = time.monotonic()
        page.goto(pages.url("file", name), wait_until="commit")
        page.wait_for_function(OPERABLE, timeout=60_000, polling="raf")
        times.append(time.monotonic() - start)
        page.close()
    return times


def change(probe: Probe, kind: str, label: str, k: int):
    """The k-th change of one control: a slider's key towards the end of its range (back from
    the end), a menu's between its first two choices, a typed number and a photo that differ
    from the last ones."""
    root = probe.root
    if kind == "file":
        chosen = {"name": f"{k % 2}.png", "mimeType": "image/png",
                  "buffer": png((200 * (k % 2), 90, 200))}
        return lambda: root.locator("input[type=file]").set_input_files(chosen)
    control = root.get_by_label(label, exact=True)
    if kind == "typed":
        return lambda: control.fill("1.5" if k % 2 else "-2.5")
    if kind == "menu":  # between its first two choices (the filter editor's last, "custom",
        first = control.evaluate("(e) => e.selectedIndex === 0")  # changes nothing)
        return lambda: control.press("ArrowDown" if first else "ArrowUp")
    at_end = control.evaluate("(e) => Number(e.value) >= Number(e.max)")
    return lambda: control.press("ArrowLeft" if at_end else "ArrowRight")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--site", type=Path, help="a built site (default: build one)")
    parser.add_argument("--repeats", type=int, default=40, help="changes per control")
    parser.add_argument("--opens", type=int, default=5, help="openings per page")
    args = parser.parse_args(argv)
    if args.site:
        import nbformat

        notebooks = {p.stem: nbformat.read(p, as_version=4)
                     for p in sorted((ROOT / "notebooks").glob("*.ipynb"))}
        pages, built = Pages(args.site.resolve(), notebooks, 0.0, ""), "given"
    else:
        pages = built_site()
        built = f"built in {pages.seconds:.1f} s"
    from playwright.sync_api import sync_playwright

    latency = LatencyReport(REPORT.with_suffix(".latency.md"), "Explorer latency on the site",
                            "From the event's time stamp to the first frame after the redraw, "
                            "on the site's pages opened from disk (benchmarks/bench_site.py).")
    opened = {}
    with sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            tempfile.mkdtemp(prefix="course-bench-"), executable_path=str(CHROMIUM),
            headless=True, args=CHROMIUM_ARGS, viewport={"width": 1400, "height": 1000})
        for name in PAGES:
            if not pages.explorers(name):
                continue
            opened[name] = time_opens(context, pages, name, args.opens)
            seen = open_page(context, pages, "file", name)
            for index, title in enumerate(watch(seen.page)):
                probe = Probe(seen.page, index, timeout_s=30)
                controls = probe.root.evaluate(CONTROLS, TYPED_FIELDS)
                for kind, label in controls:
                    times = [probe.change(change(probe, kind, label, k), f"{title}: {label}")
                             for k in range(args.repeats)]
                    latency.add(name.removesuffix(".html"), title, f"{label} ({kind})", times)
            seen.page.close()
        context.close()
    lines = [f"# The course's website ({built})", "", *sizes(pages.folder), "",
             "Opening a page from disk until its first explorer can be used (s):", "",
             "| page | median | max |", "|---|---:|---:|"]
    lines += [f"| {name} | {statistics.median(t):.2f} | {max(t):.2f} |"
              for name, t in opened.items()]
    text = "\n".join(lines) + "\n\n" + latency.path.read_text()
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
