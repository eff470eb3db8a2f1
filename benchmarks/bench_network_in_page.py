"""The networks in the page (issue 20): what they add to a built page, and how fast they answer.

    tools/ensure_chromium.sh
    .venv/bin/python benchmarks/bench_network_in_page.py [--repeats 40] [--site build/site]

1. Weight: ``course_utils.onnx_export.write_page_assets`` writes the runtime and both networks
   into a temporary folder (notebook 07's trained LectureNet from the data folder, SqueezeNet);
   each file's size on disk and gzip-compressed (what a web server that compresses sends), and
   the total. With ``--site``: that built site's size, and the part of it the networks are.
2. Latency: tests/browser/test_network_in_page.py with ``COURSE_LATENCY_REPEATS`` changes of
   each kind, in headless Chromium on the 2-core machine: a dot added to a drawing → the frame
   showing the new maps, probabilities and unit, on a page without a kernel (ONNX Runtime Web)
   and in JupyterLab (the kernel); a photo chosen → its top-k bars (SqueezeNet in the page).
   Prints test-artifacts/network-in-page/latency*.md. Goals: a stroke ≤ 16 ms median on the
   page, ≤ 100 ms through the kernel; a photo ≤ 500 ms.
"""

from __future__ import annotations

import argparse
import gzip
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from course_utils.onnx_export import FOLDER, write_page_assets

ROOT = Path(__file__).resolve().parents[1]
REPORTS = ROOT / "test-artifacts" / "network-in-page"
MIB = 2**20


def size_of(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def weight(site: Path | None) -> str:
    with tempfile.TemporaryDirectory() as tmp:
        files = write_page_assets(tmp)
        lines = ["| file | bytes | gzip (a compressing server sends) |", "|---|---:|---:|"]
        total = packed = 0
        for path in files:
            data = path.read_bytes()
            zipped = len(gzip.compress(data, compresslevel=6))
            total, packed = total + len(data), packed + zipped
            lines.append(f"| {FOLDER}/{path.name} | {len(data):,} | {zipped:,} |")
        lines.append(f"| **total** | **{total:,}** ({total / MIB:.2f} MiB) | "
                     f"**{packed:,}** ({packed / MIB:.2f} MiB) |")
    if site is not None:
        ours = [p for p in site.rglob(FOLDER) if p.is_dir()]
        added = sum(size_of(p) for p in ours)
        whole = size_of(site)
        lines += ["", f"{site}: {whole / MIB:.1f} MiB, of which {added / MIB:.1f} MiB are the "
                      f"in-page networks ({len(ours)} folder(s) {FOLDER}/); without them "
                      f"{(whole - added) / MIB:.1f} MiB."]
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=40, help="changes timed per kind")
    parser.add_argument("--site", type=Path, help="a built site, to report its size")
    args = parser.parse_args(argv)
    print(weight(args.site), "\n")
    env = dict(os.environ, COURSE_LATENCY_REPEATS=str(args.repeats))
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                           "tests/browser/test_network_in_page.py"], cwd=ROOT, env=env,
                          check=False)
    for report in sorted(REPORTS.glob("latency*.md")):
        print(report.read_text())
    return done.returncode


if __name__ == "__main__":
    raise SystemExit(main())
