"""The notebooks as committed: executed, headed for Colab, listed in the contents, run by nbval."""

import re
import shlex
import subprocess
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


def _test_command(*args: str) -> list[list[list[list[str]]]]:
    """What ``make test`` runs (``make -n``: printed, not run; the recipe calls no sub-make,
    which -n would run): its steps in order; each step its lanes (tools/side_by_side.sh runs
    several side by side, any other step is one lane); each lane its commands (split at
    ``&&``), each command a list of words."""
    shown = subprocess.run(
        ["make", "-n", "--no-print-directory", "-C", str(ROOT), *args, "test"],
        capture_output=True, text=True, timeout=60, check=True,
    ).stdout.replace("\\\n", " ")
    steps = []
    for line in shown.splitlines():
        words = shlex.split(line)
        lanes = words[1:] if words and words[0] == "tools/side_by_side.sh" else [line]
        steps.append([[shlex.split(c) for c in lane.split(" && ")] for lane in lanes])
    return steps


def _commands(steps) -> list[list[str]]:
    return [command for step in steps for lane in step for command in lane]


def _pytest_runs(commands, generic: bool | None = None) -> list[list[str]]:
    runs = []
    for words in commands:
        env = [w for w in words if re.fullmatch(r"[A-Z_]+=\S*", w)]
        rest = words[len(env):]
        if rest[1:3] != ["-m", "pytest"]:
            continue
        if generic is None or generic == (sorted(env) == sorted(GENERIC)):
            runs.append(rest[3:])
    return runs


GENERIC = ["ATEN_CPU_CAPABILITY=default", "ONEDNN_MAX_CPU_ISA=SSE41"]


def _nbval_notebooks(runs) -> list[str]:
    """The notebooks the nbval runs among ``runs`` go through, in order, each once per run."""
    found = []
    for args in runs:
        if "--nbval" not in args:
            continue
        assert "--nbval-lax" not in args and "--nbval-current-env" in args, args
        for arg in args:
            if arg == "notebooks":
                found += [f"notebooks/{p.name}" for p in NOTEBOOKS]
            elif arg.endswith(".ipynb"):
                found.append(arg)
    return found


LAB = "tests/browser/test_notebooks_in_lab.py"


def _trains(path: Path) -> bool:
    """Whether a notebook trains the model, or reuses the one its first run saved."""
    nb = nbformat.read(path, as_version=4)
    return any("train_or_load(" in c.source for c in nb.cells if c.cell_type == "code")


def test_the_test_command_compares_every_notebook_once_and_07_first():
    """Each notebook's outputs are compared with the saved ones on the default CPU path: by
    nbval, or by the JupyterLab test, which compares every notebook's Run All as nbval would
    (tests/browser/nbval_compare.py); no notebook goes through nbval twice, and only 07, which
    trains the model that every later run of 07 (and the browser tests) reuse, goes through
    nbval before the browser: it is the first command of its lane, whatever runs beside it
    needs no model (no notebook that trains, no browser), and the generic pass over 07 comes
    after it in its lane."""
    steps = _test_command()
    default = _nbval_notebooks(_pytest_runs(_commands(steps), generic=False))
    assert len(default) == len(set(default)), default
    lab = [args for args in _pytest_runs(_commands(steps), generic=False)
           if LAB in args and "-k" not in args]
    assert len(lab) == 1, lab
    assert default == ["notebooks/07-mnist-convnet.ipynb"], default
    assert [p.name for p in NOTEBOOKS if _trains(p)] == ["07-mnist-convnet.ipynb"]
    trains = next(i for i, step in enumerate(steps)
                  if _nbval_notebooks(_pytest_runs(_commands([step]))))
    assert all(len(step) == 1 and not _pytest_runs(step[0]) for step in steps[:trains])
    (lane,) = [lane for lane in steps[trains] if _nbval_notebooks(_pytest_runs(lane[:1]))]
    assert _nbval_notebooks(_pytest_runs(lane[:1], generic=False)) == [
        "notebooks/07-mnist-convnet.ipynb"], "07 runs first: it trains what the rest reuse"
    for other in steps[trains]:
        if other is not lane:
            runs = _pytest_runs(other)
            beside = _nbval_notebooks(runs)
            assert not any(_trains(ROOT / nb) for nb in beside), f"beside 07's training: {runs}"
            assert not any(a.startswith("tests/browser") for r in runs for a in r), runs
    generic_07 = [i for i, command in enumerate(lane) if "notebooks/07-mnist-convnet.ipynb"
                  in _nbval_notebooks(_pytest_runs([command], generic=True))]
    later = _nbval_notebooks(_pytest_runs(_commands(steps[trains + 1:]), generic=True))
    assert (generic_07 and generic_07[0] > 0) or "notebooks/07-mnist-convnet.ipynb" in later, lane
    assert not any(LAB in args for args in _pytest_runs(_commands(steps[:trains + 1])))
    assert len(steps[trains]) == 2 and any(len(step) == 2 for step in steps[trains + 1:]), \
        "two lanes side by side"


def test_the_test_command_runs_nbval_again_on_the_generic_cpu_path():
    generic = _nbval_notebooks(_pytest_runs(_commands(_test_command()), generic=True))
    assert sorted(generic) == [f"notebooks/{p.name}" for p in NOTEBOOKS], generic


def test_the_test_command_runs_every_browser_test_in_a_pytest_of_its_own(pytestconfig):
    """Plain pytest leaves tests/browser out; the test command names it, in pytests of its own
    (named beside tests/, pytest would drop tests/browser as a duplicate), and between them
    they run every browser test file."""
    assert "browser" in pytestconfig.getini("norecursedirs")
    browser = ROOT / "tests" / "browser"
    ran = set()
    for args in _pytest_runs(_commands(_test_command())):
        named = [a for a in args if a.startswith("tests")]
        if not any(a.startswith("tests/browser") for a in named):
            continue
        assert named and all(a.startswith("tests/browser") for a in named), args
        ignored = {a.split("=", 1)[1] for a in args if a.startswith("--ignore=")}
        for arg in named:
            files = sorted(browser.glob("test_*.py")) if arg == "tests/browser" else [ROOT / arg]
            ran |= {str(f.relative_to(ROOT)) for f in files} - ignored
    assert ran == {str(f.relative_to(ROOT)) for f in browser.glob("test_*.py")}


def test_make_test_for_one_notebook_runs_its_checks_only():
    notebook = "notebooks/03-stride-padding-dilation.ipynb"
    commands = _commands(_test_command(f"NB={notebook}"))
    assert _nbval_notebooks(_pytest_runs(commands, generic=False)) == [notebook]
    assert _nbval_notebooks(_pytest_runs(commands, generic=True)) == [notebook]
    lab = "tests/browser/test_notebooks_in_lab.py"
    browser = [args for args in _pytest_runs(commands) if lab in args]
    assert browser and browser[0][-2:] == ["-k", "03-stride-padding-dilation"], browser


def test_notebook_07_is_committed_training_as_on_a_first_visit():
    """A learner reading notebook 07 sees the loop run: its progress bars, not a reused model
    (make execute sets saved models aside, tools/execute.py)."""
    nb = nbformat.read(ROOT / "notebooks" / "07-mnist-convnet.ipynb", as_version=4)
    (cell,) = [c for c in nb.cells if c.cell_type == "code" and "train_or_load(" in c.source]
    shown = "".join(o.get("text", "") for o in cell.outputs)
    assert "epoch 2/2: 100%" in shown and "Trained a new model" in shown, shown[:500]
