"""The explorers in Jupyter Notebook 7: the same notebook, its conv explorer operated.

Notebook 7's pages come from the same server as JupyterLab's (tests/browser/conftest.py);
the notebook is the one test_explorers_in_lab.py writes. All six explorers must display;
the convolution explorer is then operated from the keyboard and with the pointer, and what
the page shows is checked against the kernel.
"""

from __future__ import annotations

from explorer_notebook import CONV, control, kernel_settles, open_explorers, output_cell
from explorer_probe import Probe


def test_explorers_in_notebook7(lab_server, lab_page):
    notebook = open_explorers(lab_page, lab_server, notebook7=True)
    assert "/notebooks/" in lab_page.url and "/lab" not in lab_page.url
    conv = Probe(lab_page, CONV)
    conv.change(lambda: control(conv.root, "stride s, columns").press("ArrowLeft"),
                "stride, from keys")
    answer = kernel_settles(notebook, "[conv.stride, conv.output_shape]", [[2, 1], [3, 5]])
    assert answer == [[2, 1], [3, 5]]
    assert "output 3×5" in conv.text(".course-caption")
    picture = conv.root.locator("svg.course-conv")
    conv.change(lambda: picture.click(position=output_cell(picture, 1, 3)), "clicking a cell")
    assert kernel_settles(notebook, "conv.position", [1, 3]) == [1, 3]
