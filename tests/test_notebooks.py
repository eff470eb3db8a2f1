"""The notebooks as committed: executed, headed for Colab, listed in the contents, run by nbval."""

import re
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))

import notebook_header  # noqa: E402

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
IDS = [p.name for p in NOTEBOOKS]


def test_the_course_has_its_numbered_notebooks():
    assert NOTEBOOKS and NOTEBOOKS[0].name == "00-start-here.ipynb"
    for path in NOTEBOOKS:
        assert re.fullmatch(r"\d\d-[a-z0-9-]+\.ipynb", path.name), path.name
    numbers = [int(p.name[:2]) for p in NOTEBOOKS]
    assert numbers == list(range(len(NOTEBOOKS))), f"numbers with gaps or repeats: {numbers}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_committed_executed_top_to_bottom_without_errors(path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    code = [c for c in nb.cells if c.cell_type == "code" and c.source.strip()]
    counts = [c.execution_count for c in code]
    assert counts == list(range(1, len(code) + 1)), f"execution counts {counts}"
    errors = [o for c in code for o in c.outputs if o.output_type == "error"]
    assert not errors, f"error outputs: {[e.ename for e in errors]}"
    assert nb.metadata.kernelspec.name == "python3"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_each_notebook_opens_with_the_colab_header(path):
    nb = nbformat.read(path, as_version=4)
    assert notebook_header.stale(nb, path) is None
    assert "colab.research.google.com/github/" in nb.cells[0].source
    assert path.name in nb.cells[0].source


def test_the_header_follows_the_repository_address_in_one_place(tmp_path):
    badge, install = notebook_header.header_sources(
        Path("01-x.ipynb"), url="https://github.com/someone/fork"
    )
    assert "github/someone/fork/blob/main/notebooks/01-x.ipynb" in badge
    assert 'git+https://github.com/someone/fork"' in install
    assert 'if "google.colab" in sys.modules:' in install


def _links(markdown: str) -> set[str]:
    return set(re.findall(r"\]\(([^)#]+\.ipynb)\)", markdown))


def test_start_here_lists_every_notebook_and_nothing_else():
    nb = nbformat.read(ROOT / "notebooks" / "00-start-here.ipynb", as_version=4)
    (contents,) = [c for c in nb.cells if c.cell_type == "markdown" and "## Contents" in c.source]
    assert _links(contents.source) == {p.name for p in NOTEBOOKS[1:]}


def test_the_readme_table_lists_every_notebook_and_nothing_else():
    readme = (ROOT / "README.md").read_text()
    table = readme.split("## What the course covers")[1].split("\n## ")[0]
    assert _links(table) == {f"notebooks/{p.name}" for p in NOTEBOOKS}


def test_the_test_command_runs_nbval_over_the_whole_notebooks_folder():
    makefile = (ROOT / "Makefile").read_text()
    (recipe,) = re.findall(r"^test:.*\n((?:\t.*\n)+)", makefile, flags=re.M)
    assert re.search(r"pytest .*\bnotebooks\b.*\$\(NBVAL\)", recipe), recipe
    nbval = re.search(r"^NBVAL := (.*)$", makefile, flags=re.M).group(1)
    assert "--nbval " in nbval + " " and "--nbval-current-env" in nbval
    assert "--nbval-lax" not in nbval


def test_the_test_command_runs_nbval_again_on_the_generic_cpu_path():
    makefile = (ROOT / "Makefile").read_text()
    (recipe,) = re.findall(r"^test:.*\n((?:\t.*\n)+)", makefile, flags=re.M)
    generic_pass = r'"\$\(GENERIC_CPU\) \$\(PY\) -m pytest \$\(NBVAL\) notebooks"'
    assert re.search(generic_pass, recipe), recipe
    generic = re.search(r"^GENERIC_CPU := (.*)$", makefile, flags=re.M).group(1).split()
    assert sorted(generic) == ["ATEN_CPU_CAPABILITY=default", "ONEDNN_MAX_CPU_ISA=SSE41"]


def test_plain_pytest_leaves_the_browser_tests_to_the_test_command(pytestconfig):
    assert "browser" in pytestconfig.getini("norecursedirs")
    makefile = (ROOT / "Makefile").read_text()
    (recipe,) = re.findall(r"^test:.*\n((?:\t.*\n)+)", makefile, flags=re.M)
    # A run of its own: named beside tests/, pytest would drop tests/browser as a duplicate.
    assert re.search(r'"\$\(PY\) -m pytest tests/browser"', recipe), recipe


def test_the_browser_tests_are_collected_when_named():
    """What the test command's browser run collects: every notebook, and no collection error."""
    import subprocess
    import sys

    listed = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "tests/browser"],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )
    assert listed.returncode == 0, listed.stdout[-2000:] + listed.stderr[-2000:]
    for path in NOTEBOOKS:
        assert f"test_notebook_in_jupyterlab[{path.stem}]" in listed.stdout, path.name


def test_notebook_07_is_committed_training_as_on_a_first_visit():
    """A learner reading notebook 07 sees the loop run: its progress bars, not a reused model
    (make execute sets saved models aside, tools/execute.py)."""
    nb = nbformat.read(ROOT / "notebooks" / "07-mnist-convnet.ipynb", as_version=4)
    (cell,) = [c for c in nb.cells if c.cell_type == "code" and "train_or_load(" in c.source]
    shown = "".join(o.get("text", "") for o in cell.outputs)
    assert "epoch 2/2: 100%" in shown and "Trained a new model" in shown, shown[:500]
