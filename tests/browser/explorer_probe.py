"""Driving the explorers in a page: find them, watch their redraws, time a change.

Each explorer's root (``.course-explorer``) counts its redraws in ``data-redraws``
(course_utils/widgets/drawing.js). :func:`watch` numbers the explorers of the page and, for
each, records the time stamp of every user event (key, pointer, input) and of the frame after
every redraw. ``Probe(page, i).change(action)`` runs an action, waits for the redraw, checks
that the picture changed, and returns the milliseconds from the action's first event to the
frame that shows the new picture: the latency a learner sees.
"""

from __future__ import annotations

import statistics
from pathlib import Path

WATCH = """() => [...document.querySelectorAll('.course-explorer')].map((root, i) => {
  root.setAttribute('data-course-index', String(i));
  if (!root.__watch) {
    const w = root.__watch = {events: [], frames: []};
    for (const type of ['keydown', 'pointermove', 'pointerdown', 'input', 'change']) {
      root.addEventListener(type, (e) => w.events.push(e.timeStamp), true);
    }
    new MutationObserver(() => {
      requestAnimationFrame(() => w.frames.push(performance.now()));
    }).observe(root, {attributes: true, attributeFilter: ['data-redraws']});
  }
  return root.getAttribute('aria-label');
})"""

# The explorer's picture as a hash (markup, canvas pixels, message, problems of its typed
# fields, status), its redraws, and what it says: the message (in place of the picture), the
# problems (what a typed field read and expects), the warnings under the picture, the status;
# `stale`: the picture is marked as not matching the fields.
STATE = """(i) => {
  const root = document.querySelector(`[data-course-index="${i}"]`);
  const picture = root.querySelector('.course-explorer-picture');
  const message = root.querySelector('.course-explorer-message').textContent;
  const problems = root.querySelector('.course-explorer-problems').textContent;
  const warnings = [...picture.querySelectorAll('.course-warning')].map((w) => w.textContent);
  const status = root.querySelector('.course-status').textContent;
  const text = picture.innerHTML.replace(/course-\\w+-hatch-\\d+/g, '') + '|' +
    [...picture.querySelectorAll('canvas')].map((c) => c.toDataURL()).join('|') + '|' +
    message + '|' + problems + '|' + status;
  let hash = 0;
  for (let k = 0; k < text.length; k++) { hash = (hash * 31 + text.charCodeAt(k)) | 0; }
  return {redraws: Number(root.dataset.redraws), picture: hash, message, problems, warnings,
          status, shown: !picture.hidden, stale: picture.dataset.stale === 'true'};
}"""

RESET = "(i) => { const w = document.querySelector(`[data-course-index=\"${i}\"]`).__watch;" \
        " w.events = []; w.frames = []; }"
TIMES = "(i) => document.querySelector(`[data-course-index=\"${i}\"]`).__watch"
FRAMED = "(i) => document.querySelector(`[data-course-index=\"${i}\"]`).__watch.frames.length > 0"


def watch(page) -> list[str]:
    """Number the page's explorers (``data-course-index``) and watch them; their titles."""
    return page.evaluate(WATCH)


class Probe:
    """One explorer of a page (``index`` as numbered by :func:`watch`)."""

    def __init__(self, page, index: int, timeout_s: float = 20):
        self.page, self.index, self.timeout_ms = page, index, timeout_s * 1000
        self.root = page.locator(f'[data-course-index="{index}"]')

    def state(self) -> dict:
        return self.page.evaluate(STATE, self.index)

    def change(self, action, what: str = "a change") -> float:
        """Run ``action``; ms from its first event to the frame after the first redraw.

        Fails when no redraw comes, or when it leaves the picture as it was.
        """
        before = self.state()
        self.page.evaluate(RESET, self.index)
        action()
        try:
            self.page.wait_for_function(FRAMED, arg=self.index, timeout=self.timeout_ms)
        except Exception as err:  # playwright's TimeoutError
            raise AssertionError(f"{what}: no redraw within {self.timeout_ms / 1000:.0f} s "
                                 f"({err})") from None
        times = self.page.evaluate(TIMES, self.index)
        after = self.state()
        assert after["redraws"] > before["redraws"], what
        assert after["picture"] != before["picture"], f"{what}: the picture did not change"
        assert times["events"], f"{what}: no user event reached the explorer"
        return times["frames"][0] - times["events"][0]

    def text(self, selector: str) -> str:
        return self.root.locator(selector).first.text_content()


class LatencyReport:
    """Latencies per (source, explorer, change) in ms, written as a table of median and p95."""

    def __init__(self, path: Path, title: str, preamble: str):
        self.path, self.title, self.preamble = path, title, preamble
        self.rows: dict[tuple[str, str, str], list[float]] = {}

    def add(self, source: str, explorer: str, change: str, values: list[float]) -> None:
        self.rows.setdefault((source, explorer, change), []).extend(values)
        self.write()

    @staticmethod
    def p95(values: list[float]) -> float:
        if len(values) < 2:
            return values[0]
        return statistics.quantiles(values, n=20, method="inclusive")[-1]

    def write(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        lines = [f"# {self.title}", "", self.preamble, "",
                 "| where | explorer | change | n | median (ms) | p95 (ms) | max (ms) |",
                 "|---|---|---|---:|---:|---:|---:|"]
        for (source, explorer, change), values in self.rows.items():
            lines.append(f"| {source} | {explorer} | {change} | {len(values)} | "
                         f"{statistics.median(values):.1f} | {self.p95(values):.1f} | "
                         f"{max(values):.1f} |")
        self.path.write_text("\n".join(lines) + "\n")
