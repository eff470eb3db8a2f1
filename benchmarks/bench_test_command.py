"""Where the test command's time goes: each pytest run's span, the idle CPU, and the CPU time
of each kind of process (kernels, Chromium, pytest, npm, ...).

    .venv/bin/python benchmarks/bench_test_command.py            # make test, here
    .venv/bin/python benchmarks/bench_test_command.py --clone    # .ci/run in a fresh clone

``--clone`` clones this repository (its committed main) into a temporary folder with
``../shared`` beside it (a link to this repository's ``../shared``) and runs
``CI=true bash .ci/run`` there, as CI does: the virtual environment is made from nothing, so the
figure is the one the 10-minute budget is about. Without it, ``make test`` runs here, reusing
.venv.

While it runs, the benchmark samples (psutil) twice a second the whole machine's idle time and
the CPU time of every process, by kind (its command line). A small pytest plugin (``-p``, through
``PYTEST_ADDOPTS`` and ``PYTHONPATH``) notes when each pytest run and each test starts and ends.
It writes a Markdown report (``--out``, default ``test-artifacts/test-command.md``): the
machine, the wall time and exit status, each pytest run with its start and end (seconds from the
command's start) and its longest test files, the idle core-seconds, and the CPU time by kind.

It needs make and bash (what make test needs); a benchmark, not a test: nothing in make test
runs it.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import platform
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]

PLUGIN = '''
import json, os, sys, time
_log = open(os.path.join(os.environ["COURSE_BENCH_LOG"], f"pytest-{os.getpid()}.jsonl"), "a",
            buffering=1)
def _write(**entry):
    _log.write(json.dumps(dict(entry, t=time.time())) + "\\n")
def pytest_sessionstart(session):
    _write(kind="session-start", args=sys.argv[1:], cwd=os.getcwd())
def pytest_sessionfinish(session, exitstatus):
    _write(kind="session-end", status=int(exitstatus))
def pytest_runtest_logstart(nodeid, location):
    _write(kind="start", node=nodeid)
def pytest_runtest_logfinish(nodeid, location):
    _write(kind="end", node=nodeid)
'''


def kind(cmd: list[str]) -> str:
    """What a process is, from its command line."""
    line = " ".join(cmd)
    if "chromium" in line or "chrome" in line:
        for part in ("renderer", "gpu-process", "utility", "zygote"):
            if f"--type={part}" in line:
                return f"Chromium ({part})"
        return "Chromium (browser)"
    if "ipykernel" in line:
        return "kernels"
    if "pytest" in line:
        return "pytest (nbval)" if "--nbval" in line else (
            "pytest (browser tests)" if "tests/browser" in line else "pytest (unit tests)")
    if "jupyter" in line:
        return "Jupyter server"
    if "playwright" in line or "/node" in line or line.startswith("node"):
        return "Playwright's driver (node)"
    if "npm" in line:
        return "npm"
    if " pip " in f" {line} " or "pip install" in line or "-m pip" in line:
        return "pip"
    if "ruff" in line:
        return "ruff"
    if "python" in cmd[0]:
        return "other Python (subprocesses of tests, make data, ...)"
    return "other"


class Sampler(threading.Thread):
    """Every ``every`` s until stopped (psutil): the machine's idle core-seconds since the last
    sample, and the CPU time each process used since then, by kind. The kind is read from the
    process's command line at each sample (a Chromium renderer forked from the zygote counts as
    a renderer once it has renamed itself); what a process used before the first sample (a
    process already running) is not counted, nor what one uses in its last half second."""

    def __init__(self, every: float = 0.5):
        super().__init__(daemon=True)
        self.every, self.stopped = every, threading.Event()
        self.idle: list[tuple[float, float]] = []  # (time, idle core-seconds since the last)
        self.cpu: collections.Counter = collections.Counter()
        self._used: dict[tuple[int, float], float] = {}  # (pid, start) -> CPU seconds so far

    @staticmethod
    def _idle() -> float:
        times = psutil.cpu_times()  # summed over cores
        return times.idle + getattr(times, "iowait", 0.0)

    def _processes(self, count: bool = True) -> None:
        for proc in psutil.process_iter(["cmdline", "cpu_times", "create_time"]):
            info = proc.info
            if proc.pid == os.getpid() or not info["cmdline"] or info["cpu_times"] is None:
                continue  # this benchmark, a kernel thread, or a process gone meanwhile
            key = (proc.pid, info["create_time"])
            used = info["cpu_times"].user + info["cpu_times"].system
            before = self._used.get(key, 0.0 if count else used)
            self._used[key] = used
            if used > before:
                self.cpu[kind(info["cmdline"])] += used - before

    def run(self) -> None:
        previous = self._idle()
        self._processes(count=False)
        while not self.stopped.wait(self.every):
            now = self._idle()
            self.idle.append((time.time(), now - previous))
            previous = now
            self._processes()


def pytest_runs(folder: Path, t0: float) -> list[dict]:
    """Each pytest run the plugin saw: its arguments, span and the time in each test file."""
    runs = []
    for path in sorted(folder.glob("pytest-*.jsonl")):
        run = {"args": [], "start": None, "end": None, "status": None,
               "files": collections.Counter(), "tests": 0}
        started = {}
        for line in path.read_text().splitlines():
            entry = json.loads(line)
            if entry["kind"] == "session-start":
                run.update(args=entry["args"], start=entry["t"] - t0, cwd=entry["cwd"])
            elif entry["kind"] == "session-end":
                run.update(end=entry["t"] - t0, status=entry["status"])
            elif entry["kind"] == "start":
                started[entry["node"]] = entry["t"]
            elif entry["kind"] == "end" and entry["node"] in started:
                seconds = entry["t"] - started.pop(entry["node"])
                run["files"][entry["node"].split("::")[0]] += seconds
                run["tests"] += 1
        if run["start"] is not None:
            runs.append(run)
    return sorted(runs, key=lambda r: r["start"])


def label(args: list[str]) -> str:
    """A short name for a pytest run from its arguments."""
    named = [a for a in args if not a.startswith("-") and "/" in a or a in ("tests", "notebooks")]
    named = [a for a in named if not a.endswith(".cfg")]
    shown = ", ".join(Path(a).stem if a.endswith((".py", ".ipynb")) else a for a in named[:4])
    more = f" and {len(named) - 4} more" if len(named) > 4 else ""
    return ("nbval: " if "--nbval" in args else "") + shown + more


def cpu_model() -> str:
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return platform.processor() or "unknown"
    model = next((line.split(":", 1)[1].strip() for line in text.splitlines()
                  if line.startswith("model name")), "unknown")
    avx512 = " avx512f" in text
    return f"{model}, {'with' if avx512 else 'without'} AVX-512, {os.cpu_count()} cores"


def report(out: Path, command: str, status: int, wall: float, runs: list[dict],
           sampler: Sampler, t0: float) -> str:
    busy = sum(sampler.cpu.values())
    idle = sum(i for t, i in sampler.idle if t >= t0)
    lines = [
        "# Where the test command's time goes", "",
        f"`{command}`, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime(t0))}; "
        f"{cpu_model()}. Written by benchmarks/bench_test_command.py.", "",
        f"- wall: **{wall:.1f} s**, exit status {status}",
        f"- CPU time of its processes: {busy:.0f} core-seconds; the machine idle for "
        f"{idle:.0f} core-seconds of the {wall * (os.cpu_count() or 1):.0f} it had", "",
        "## Each pytest run (seconds from the command's start)", "",
        "| pytest run | start | end | s | tests | longest files (s) |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for run in runs:
        end = run["end"] if run["end"] is not None else float("nan")
        longest = ", ".join(f"{Path(f).name} {s:.1f}" for f, s in run["files"].most_common(4))
        lines.append(f"| {label(run['args'])} | {run['start']:.1f} | {end:.1f} | "
                     f"{end - run['start']:.1f} | {run['tests']} | {longest} |")
    lines += ["", "## CPU time by kind of process (core-seconds)", "",
              "| process | core-seconds | share |", "|---|---:|---:|"]
    for what, seconds in sampler.cpu.most_common():
        lines.append(f"| {what} | {seconds:.1f} | {seconds / busy:.0%} |")
    text = "\n".join(lines) + "\n"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text)
    return text


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clone", action="store_true",
                        help="run .ci/run in a fresh clone (the venv made from nothing)")
    parser.add_argument("--out", type=Path, default=ROOT / "test-artifacts" / "test-command.md")
    args = parser.parse_args(argv)
    shared = ROOT.parent / "shared"
    with tempfile.TemporaryDirectory(prefix="bench-test-command-") as scratch:
        scratch = Path(scratch)
        logs = scratch / "logs"
        logs.mkdir()
        (scratch / "plugin").mkdir()
        (scratch / "plugin" / "course_bench_timeline.py").write_text(PLUGIN)
        if args.clone:
            if not shared.is_dir():
                parser.error(f"--clone needs {shared} (the shared data beside the repository)")
            (scratch / "shared").symlink_to(shared)
            where = scratch / "course"
            subprocess.run(["git", "clone", "-q", str(ROOT), str(where)], check=True)
            command, shown = ["bash", ".ci/run"], "git clone, then CI=true bash .ci/run"
        else:
            where, command, shown = ROOT, ["make", "test"], "make test"
        env = dict(os.environ, CI="true", COURSE_BENCH_LOG=str(logs),
                   PYTHONPATH=os.pathsep.join(filter(None, [str(scratch / "plugin"),
                                                            os.environ.get("PYTHONPATH")])),
                   PYTEST_ADDOPTS=" ".join(filter(None, [os.environ.get("PYTEST_ADDOPTS"),
                                                         "-p course_bench_timeline"])))
        sampler = Sampler()
        sampler.start()
        t0 = time.time()
        with open(scratch / "output.log", "wb") as output:
            status = subprocess.run(command, cwd=where, env=env, stdout=output,
                                    stderr=subprocess.STDOUT).returncode
        wall = time.time() - t0
        sampler.stopped.set()
        sampler.join()
        if status:
            tail = (scratch / "output.log").read_text(errors="replace")[-3000:]
            print(f"{shown} failed (exit status {status}):\n{tail}", file=sys.stderr)
        print(report(args.out, shown, status, wall, pytest_runs(logs, t0), sampler, t0))
    return status


if __name__ == "__main__":
    sys.exit(main())
