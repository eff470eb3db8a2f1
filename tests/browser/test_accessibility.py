"""Accessibility (axe-core 4.14.1, npm, tools/web-assets) of the course's own elements.

On every page of the course's website (site_pages.visit: the load test_site.py checks too,
from file://) and in JupyterLab with each explorer displayed (explorer_notebook's stand-in
notebook of all six, run through the ``open_notebook`` fixture), axe checks the whole page; a
critical or serious violation inside the course's own elements (the explorers, a site page's
content) fails. What remains in the theme around the site's content or in JupyterLab itself
is written to test-artifacts/accessibility.md, not failed on.
"""

from __future__ import annotations

import pytest
from explorer_notebook import PATH, write_notebook
from notebook_page import ARTIFACTS
from site_pages import AXE, AXE_RUN, PAGES, built_site, visit

GRAVE = ("critical", "serious")
REPORT = ARTIFACTS / "accessibility.md"
found: dict[str, list[dict]] = {}  # where -> axe's violations there, for the report


def grave(violations: list[dict], where: tuple[str, ...]) -> list[str]:
    """The critical and serious violations whose elements lie in ``where``, one line each."""
    return [f"{v['id']} ({v['impact']}): {v['help']}: {n['target']} {n['html']}"
            for v in violations if v["impact"] in GRAVE
            for n in v["nodes"] if n["where"] in where]


def write_report() -> None:
    lines = ["# Accessibility: what axe-core finds", "",
             "tests/browser/test_accessibility.py; 'explorer' and 'content' are the course's "
             "own (a failure when critical or serious), 'theme' is sphinx-book-theme's page "
             "around the content, 'jupyterlab' JupyterLab's own interface.", "",
             "| page | where | rule | impact | elements |", "|---|---|---|---|---|"]
    for page, violations in found.items():
        for v in violations:
            for where in sorted({n["where"] for n in v["nodes"]}):
                targets = [n["target"] for n in v["nodes"] if n["where"] == where]
                lines.append(f"| {page} | {where} | {v['id']} | {v['impact']} | "
                             f"{len(targets)}: `{targets[0][:90]}` |")
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text("\n".join(lines) + "\n", encoding="utf-8")


@pytest.mark.parametrize("name", PAGES)
def test_site_page_has_no_grave_violation_in_the_course_elements(browser_context, name):
    violations = visit(browser_context, built_site(), "file", name).axe
    found[f"site: {name}"] = violations
    write_report()
    assert grave(violations, ("explorer", "content")) == []


def test_explorers_in_jupyterlab_have_no_grave_violation(lab_server, open_notebook):
    write_notebook(lab_server.root_dir)
    notebook = open_notebook(PATH)
    notebook.run_all(timeout=300)
    page = notebook.page
    page.wait_for_function("() => document.querySelectorAll('.course-explorer').length === 6",
                           timeout=60_000)
    page.add_script_tag(path=str(AXE))
    violations = page.evaluate(AXE_RUN, {"explorer": ".course-explorer"})
    for v in violations:
        for n in v["nodes"]:
            n["where"] = "explorer" if n["where"] == "explorer" else "jupyterlab"
    found["JupyterLab, the six explorers"] = violations
    write_report()
    assert grave(violations, ("explorer",)) == []
