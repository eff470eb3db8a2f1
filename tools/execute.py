"""Execute notebooks in place, top to bottom, as the tests run them (``make execute``).

The kernel refuses the network and has a torch hub folder of its own (tests/offline.py), so what
is committed does not depend on the contributor's network or caches: a pretrained AlexNet in
your own hub cache, say, would otherwise change what notebook 08 prints. Widget state is not
stored: a notebook opened without a kernel shows the static figures.

    python tools/execute.py notebooks/03-stride-padding-dilation.ipynb [...]
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbconvert.preprocessors import CoalesceStreamsPreprocessor

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

import offline  # noqa: E402


def execute(path: Path, timeout: int = 600) -> None:
    """Run the notebook at ``path`` in a fresh kernel and write it back with its outputs."""
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb, timeout=timeout, kernel_name="python3", store_widget_state=False,
        resources={"metadata": {"path": str(path.parent)}},
    )
    client.execute()
    CoalesceStreamsPreprocessor().preprocess(nb, {})  # one stream per cell, as nbconvert writes
    nbformat.write(nb, path)


def main(paths: list[str]) -> int:
    if not paths:
        print(__doc__)
        return 2
    with offline.kernel_environment():
        for path in paths:
            print(f"executing {path}", flush=True)
            execute(Path(path))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
