"""Accessibility (axe-core 4.14.1, npm, tools/web-assets) of the course's own elements.

On every page of the course's website (site_pages.visit: the load test_site.py checks too,
from file://) axe checks the whole page; a critical or serious violation inside the course's own
elements (the explorers, a site page's content) fails. In JupyterLab, with each explorer
displayed, test_explorers_in_lab.py makes the same check on the notebook it operates. What
remains in the theme around the site's content or in JupyterLab itself is written to
test-artifacts/accessibility.md (axe_report.py), not failed on.
"""

from __future__ import annotations

import pytest
from axe_report import grave, record
from site_pages import PAGES, built_site, visit


@pytest.mark.parametrize("name", PAGES)
def test_site_page_has_no_grave_violation_in_the_course_elements(browser_context, name):
    violations = visit(browser_context, built_site(), "file", name).axe
    record(f"site: {name}", violations)
    assert grave(violations, ("explorer", "content")) == []
