"""What axe-core (npm, tools/web-assets) finds, kept for the report
test-artifacts/accessibility.md: the course's own elements ("explorer", "content") fail a test
when a violation is critical or serious; the theme's and JupyterLab's are listed, not failed on.
Used by test_accessibility.py (site pages) and test_explorers_in_lab.py (JupyterLab)."""

from __future__ import annotations

from notebook_page import ARTIFACTS

GRAVE = ("critical", "serious")
REPORT = ARTIFACTS / "accessibility.md"
found: dict[str, list[dict]] = {}  # where -> axe's violations there, for the report


def grave(violations: list[dict], where: tuple[str, ...]) -> list[str]:
    """The critical and serious violations whose elements lie in ``where``, one line each."""
    return [f"{v['id']} ({v['impact']}): {v['help']}: {n['target']} {n['html']}"
            for v in violations if v["impact"] in GRAVE
            for n in v["nodes"] if n["where"] in where]


def record(page: str, violations: list[dict]) -> None:
    """Keep ``page``'s violations and write the report again."""
    found[page] = violations
    lines = ["# Accessibility: what axe-core finds", "",
             "tests/browser/test_accessibility.py and test_explorers_in_lab.py; 'explorer' and "
             "'content' are the course's own (a failure when critical or serious), 'theme' is "
             "sphinx-book-theme's page around the content, 'jupyterlab' JupyterLab's own "
             "interface.", "",
             "| page | where | rule | impact | elements |", "|---|---|---|---|---|"]
    for name, seen in found.items():
        for v in seen:
            for where in sorted({n["where"] for n in v["nodes"]}):
                targets = [n["target"] for n in v["nodes"] if n["where"] == where]
                lines.append(f"| {name} | {where} | {v['id']} | {v['impact']} | "
                             f"{len(targets)}: `{targets[0][:90]}` |")
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text("\n".join(lines) + "\n", encoding="utf-8")
