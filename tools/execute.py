"""Execute notebooks in place, top to bottom, as a learner first runs them (``make execute``).

The kernel refuses the network and has a torch hub folder of its own (tests/offline.py), so what
is committed does not depend on the contributor's network or caches: a pretrained AlexNet in
your own hub cache, say, would otherwise change what notebook 08 prints. Saved models are set
aside while it runs: notebook 07 is committed training, progress bars and all, as on a first
visit, not reusing a model from an earlier run.
The explorers' widget state is stored in the notebook's metadata (nbclient's
``store_widget_state``): the course's website and slide decks (make site, make slides) bring
the explorers to life from it, with no kernel; a notebook read on GitHub shows the still
figures beside them.

    python tools/execute.py notebooks/03-stride-padding-dilation.ipynb [...]
"""

from __future__ import annotations

import contextlib
import shutil
import sys
import tempfile
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbconvert.preprocessors import CoalesceStreamsPreprocessor

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

import offline  # noqa: E402

from course_utils.data import data_dir  # noqa: E402


@contextlib.contextmanager
def no_saved_models():
    """Run as on a first visit: the data folder's saved models (``models/``) are set aside.

    Afterwards the models the run trained stay (the tests can reuse them); if it trained none,
    the ones set aside come back.
    """
    models = data_dir() / "models"
    with tempfile.TemporaryDirectory(prefix="course-execute-") as aside:
        kept = Path(aside) / "models"
        if models.exists():
            shutil.move(str(models), str(kept))
        try:
            yield
        finally:
            if kept.exists() and not models.exists():
                shutil.move(str(kept), str(models))


def execute(path: Path, timeout: int = 600) -> None:
    """Run the notebook at ``path`` in a fresh kernel and write it back with its outputs."""
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb, timeout=timeout, kernel_name="python3", store_widget_state=True,
        resources={"metadata": {"path": str(path.parent)}},
    )
    client.execute()
    CoalesceStreamsPreprocessor().preprocess(nb, {})  # one stream per cell, as nbconvert writes
    nbformat.write(nb, path)


def main(paths: list[str]) -> int:
    if not paths:
        print(__doc__)
        return 2
    with offline.kernel_environment(), no_saved_models():
        for path in paths:
            print(f"executing {path}", flush=True)
            execute(Path(path))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
