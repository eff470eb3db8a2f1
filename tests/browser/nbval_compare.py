"""nbval's comparison, applied to the outputs a notebook's run in JupyterLab left.

``make test`` runs each notebook in JupyterLab anyway (test_notebooks_in_lab.py); comparing
what that run printed with the outputs saved in the notebook is the check ``pytest --nbval``
makes, so the command need not run the notebook once more for nbval alone. Everything that
decides the verdict is nbval's own (the pinned nbval): its per-cell options (``# NBVAL_…``
comments, ``nbval-…`` tags), its stream merging, the keys it skips, its comparison and its
report; the sanitizing patterns are the ones ``make`` gives nbval (tests/nbval_sanitize.cfg).
Only the outputs come from JupyterLab's notebook model instead of nbval's own kernel client.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import nbformat
from nbval.plugin import (
    IPyNbCell,
    IPyNbFile,
    coalesce_streams,
    find_comment_markers,
    find_metadata_tags,
    get_sanitize_patterns,
)

SANITIZE = Path(__file__).resolve().parents[1] / "nbval_sanitize.cfg"


def compare_notebook(session, notebook: Path, outputs: list[list[dict]]) -> list[str]:
    """Each code cell's outputs (``outputs[k]``: the k-th code cell's, as nbformat JSON)
    against the ones saved in ``notebook``, as ``pytest --nbval`` compares them; a line per
    cell that differs (empty: all agree)."""
    nb = nbformat.read(notebook, as_version=4)
    code = [cell for cell in nb.cells if cell.cell_type == "code"]
    if len(code) != len(outputs):
        return [f"{notebook.name}: {len(code)} code cells in the file, {len(outputs)} in the page"]
    # nbval's collector and items, made as `pytest --nbval` makes them (not run: no kernel).
    parent = IPyNbFile.from_parent(session, path=notebook)
    if not parent.compare_outputs:
        raise ValueError("nbval is in --nbval-lax mode: the outputs would not be compared")
    parent.sanitize_patterns.update(get_sanitize_patterns(SANITIZE.read_text()))
    problems = []
    for number, (cell, shown) in enumerate(zip(code, outputs, strict=True)):
        options = defaultdict(bool, find_metadata_tags(cell.metadata))
        options.update(dict(find_comment_markers(cell.source)))
        options.setdefault("check", parent.compare_outputs)
        if options["skip"]:
            continue
        item = IPyNbCell.from_parent(parent, name=f"Cell {number}", cell_num=number,
                                     cell=cell, options=options)
        test = coalesce_streams([nbformat.from_dict(out) for out in shown])
        unrun = cell.execution_count is None
        if unrun and cell.outputs:
            problems.append(f"Cell {number}: unrun reference cell has outputs")
        elif options["check"] and not unrun:
            if not item.compare_outputs(test, coalesce_streams(cell.outputs)):
                problems.append(f"Cell {number}: cell outputs differ\n"
                                + "\n".join(item.comparison_traceback))
    return problems
