"""The project's setup files: the two README commands, CI, and Binder's environment.yml."""

import ast
import re
from pathlib import Path

import yaml
from packaging.requirements import Requirement

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())

# pip name -> conda-forge name, where they differ
CONDA_NAMES = {
    "torch": "pytorch-cpu",
    "matplotlib": "matplotlib-base",
    "jupyterlab-rise": "jupyterlab_rise",
}


def _readme_commands() -> list[str]:
    readme = (ROOT / "README.md").read_text()
    block = readme.split("## Get started")[1].split("```bash")[1].split("```")[0]
    return [line.split("#")[0].strip() for line in block.strip().splitlines()]


def test_the_readme_gives_exactly_two_setup_commands():
    assert _readme_commands() == ["make lab", "make test"]


def test_ci_runs_the_readmes_test_command():
    script = (ROOT / ".ci" / "run").read_text()
    lines = [line.strip() for line in script.splitlines()]
    commands = [line for line in lines if line and not line.startswith("#")]
    assert commands[-1] == _readme_commands()[1]
    assert "set -euo pipefail" in script


def test_ci_copies_the_shared_data_rather_than_downloading():
    script = (ROOT / ".ci" / "run").read_text()
    assert "datasets/mnist/*.gz" in script and "MNIST/raw" in script


def _conda_specs() -> dict[str, str]:
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    assert env["channels"] == ["conda-forge"]
    specs = {}
    for dep in env["dependencies"]:
        assert isinstance(dep, str), f"unexpected entry in environment.yml: {dep!r}"
        name, version = re.match(r"([A-Za-z0-9_.\-]+)\s*(.*)", dep).groups()
        specs[name] = version
    return specs


def test_environment_yml_lists_what_pyproject_lists():
    specs = _conda_specs()
    project = PYPROJECT["project"]
    wanted = project["dependencies"] + project["optional-dependencies"]["lab"]
    expected = {}
    for line in wanted:
        req = Requirement(line)
        expected[CONDA_NAMES.get(req.name, req.name)] = str(req.specifier)
    listed = {k: v for k, v in specs.items() if k not in ("python", "pip")}
    assert listed.keys() == expected.keys()
    for name, specifier in expected.items():
        assert set(listed[name].split(",")) == set(specifier.split(",")), name


def test_environment_yml_is_cpu_only_and_installs_the_course_package():
    specs = _conda_specs()
    assert "pytorch-cpu" in specs and "pytorch" not in specs
    assert not any("cuda" in name for name in specs)
    post_build = ROOT / "postBuild"
    assert post_build.stat().st_mode & 0o111, "postBuild must be executable"
    assert "pip install --no-deps -e ." in post_build.read_text()


def test_the_readme_badges_point_at_the_repository_in_pyproject():
    repo = PYPROJECT["project"]["urls"]["Repository"].removeprefix("https://github.com/")
    readme = (ROOT / "README.md").read_text()
    assert f"mybinder.org/v2/gh/{repo}/main" in readme
    assert f"colab.research.google.com/github/{repo}/blob/main/notebooks/" in readme


def _recipe(target: str) -> list[str]:
    makefile = (ROOT / "Makefile").read_text()
    (recipe,) = re.findall(rf"^{re.escape(target)}:.*\n((?:\t.*\n)+)", makefile, flags=re.M)
    return [line.strip() for line in recipe.splitlines()]


def _as_powershell(line: str) -> str | None:
    """A Makefile recipe line as a learner types it in PowerShell (None: nothing to type)."""
    if line.startswith(("@", "touch ")):
        return None  # the version check Python makes itself; make's own stamp
    line = line.split("||")[-1].strip()  # `test -x .venv/... || python -m venv .venv`
    for variable, value in {"$(PYTHON)": "python", "$(PY)": r".venv\Scripts\python",
                            "$(VENV)": ".venv", "$(PORT)": "8888", "$(ROOT_FLAG)": ""}.items():
        line = line.replace(variable, value)
    return line.strip()


def test_the_windows_commands_are_the_makefiles():
    readme = (ROOT / "README.md").read_text()
    block = readme.split("### Without `make` (Windows)")[1].split("```powershell")[1]
    typed = [line.strip() for line in block.split("```")[0].strip().splitlines()]
    expected = [_as_powershell(line) for target in ("$(STAMP)", "data", "lab")
                for line in _recipe(target)]
    assert typed == [line for line in expected if line]


def _bare_raises(source: str) -> list[int]:
    """Lines of ``pytest.raises(...)`` calls without ``match=`` in ``source``."""
    return [
        node.lineno
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "raises"
        and isinstance(node.func.value, ast.Name)
        and node.func.value.id == "pytest"
        and not any(k.arg == "match" for k in node.keywords)
    ]


def test_the_scan_finds_a_raises_without_match():
    source = "import pytest\nwith pytest.raises(ValueError):\n    pass\n"
    assert _bare_raises(source) == [2]
    assert _bare_raises(source.replace("ValueError)", "ValueError, match='x')")) == []


def test_every_pytest_raises_names_the_message_a_learner_reads():
    """An error test passes with the wrong error unless it checks the message (``match=``)."""
    bare = {
        path.relative_to(ROOT).as_posix(): lines
        for path in sorted((ROOT / "tests").rglob("*.py"))
        if (lines := _bare_raises(path.read_text(encoding="utf-8")))
    }
    assert bare == {}
