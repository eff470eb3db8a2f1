"""Install the course-rise-widgets JupyterLab extension into this Python environment.

jupyterlab-rise's slideshow app does not share three JupyterLab packages that ipywidgets 8's
widget manager asks for, so without this no explorer renders in a slideshow (see the comment
in share/jupyter/labextensions/course-rise-widgets/static/remoteEntry.js). The extension is
plain files: this copies them to ``<sys.prefix>/share/jupyter/labextensions``, where JupyterLab
and jupyterlab-rise look. ``make venv`` (and so ``make lab``) and Binder's postBuild run it.

    python tools/rise_widgets.py
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

NAME = "course-rise-widgets"
SOURCE = Path(__file__).resolve().parent.parent / "share" / "jupyter" / "labextensions" / NAME


def install(prefix: Path = Path(sys.prefix)) -> Path:
    """Copy the extension under ``prefix``; the folder it now lives in."""
    target = prefix / "share" / "jupyter" / "labextensions" / NAME
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(SOURCE, target)
    return target


if __name__ == "__main__":
    print(f"installed {install()}")
