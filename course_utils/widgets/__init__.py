"""Interactive explorers: a thin Python class plus an ES module that draws in the browser.

Every explorer is an :class:`Explorer`, an ``anywidget.AnyWidget``: its state lives in synced
traits, what only torch can compute (a digit's response, activations, class scores) is
computed here and sent as data, and the module beside it (``<name>.js``, shipped in this
package, after ``geometry.js`` and ``drawing.js``) draws and answers the controls in the
browser at once, without a round trip to the kernel. What the browser computes to redraw is
compared with :mod:`course_utils.arithmetic` and PyTorch by the browser tests.

The same classes run with ipywidgets 7 (Colab) and 8 (JupyterLab 4, Notebook 7). A committed
notebook keeps its widget state (tools/execute.py), from which the course's website and slide
decks run the same modules with no kernel (``host()`` in ``drawing.js`` says which); GitHub
shows no widget, so each explorer also draws its current state with matplotlib:
``explorer.figure()``, the still picture a notebook shows beside it.

An explorer whose kernel sends another digit also sends a bank of digits from its constructor
(:func:`digit_bank`): on a page without a kernel its digit control offers those.
"""

from __future__ import annotations

from pathlib import Path

import anywidget
import numpy as np
import torch
import traitlets
from matplotlib.figure import Figure

HERE = Path(__file__).resolve().parent
BANK_SIZE = 10  # digits a page without a kernel offers


def es_module(name: str) -> str:
    """The ES module of one explorer as the browser gets it: the shared modules, then its own."""
    return "\n".join((HERE / f).read_text(encoding="utf-8")
                     for f in ("geometry.js", "drawing.js", name))


def _bytes_from_json(value, _widget) -> bytes:
    """A binary trait from the front end (a memoryview in ipywidgets 8, bytes in 7) as bytes."""
    return bytes(value) if value is not None else b""


def binary(**tags) -> traitlets.Bytes:
    """A synced bytes trait (float32 arrays, photos) sent as a binary buffer, not JSON."""
    return traitlets.Bytes(b"").tag(sync=True, from_json=_bytes_from_json, **tags)


def float32_bytes(x) -> bytes:
    """The values of a tensor or array as little-endian float32 bytes, row by row."""
    if isinstance(x, torch.Tensor):
        x = x.detach().cpu().numpy()
    return np.ascontiguousarray(x, dtype="<f4").tobytes()


def digit_bank(current: int, count: int, size: int = BANK_SIZE) -> list[int]:
    """The digits (indices in ``[0, count)``) whose data an explorer ships for a page without
    a kernel: ``current`` and the first others, ``min(size, count)`` in all, in order."""
    if not 0 <= current < count:
        raise ValueError(f"expected a current digit in [0, {count - 1}], got {current}")
    others = [k for k in range(min(size, count)) if k != current][: size - 1]
    return sorted([current, *others])


class Explorer(anywidget.AnyWidget):
    """Base of the explorers: shared style, a stable ``repr`` (a notebook's text output), and
    :meth:`figure` (the still picture of the current state)."""

    _css = (HERE / "explorer.css").read_text(encoding="utf-8")
    REPR: tuple[str, ...] = ()  # traits shown by repr, in order

    def __repr__(self) -> str:
        settings = ", ".join(f"{name}={self._repr_value(name)!r}" for name in self.REPR)
        return f"{type(self).__name__}({settings})"

    def _repr_value(self, name: str):
        value = getattr(self, name)
        return tuple(value) if isinstance(value, list) else value

    def figure(self) -> Figure:
        """The current state as a matplotlib figure (the still picture beside the explorer)."""
        raise NotImplementedError(f"{type(self).__name__} draws no figure")

    @traitlets.validate("index", "digit")
    def _one_of_the_images(self, proposal):
        """A trait named ``index`` or ``digit`` picks one of the explorer's ``images``."""
        value, count = proposal["value"], len(self.images)
        if not 0 <= value < count:
            raise traitlets.TraitError(
                f"{proposal['trait'].name} must be in [0, {count - 1}], got {value}")
        return value


# ``from course_utils.widgets import conv_explorer`` gives the function that builds the
# explorer (as the lecture's example reads); the module stays importable by its full name,
# ``course_utils.widgets.conv_explorer``. ``Conv1dStepper`` (notebook 01) likewise. Imported
# last: the modules need Explorer above.
from course_utils.widgets.conv1d_stepper import Conv1dStepper as Conv1dStepper  # noqa: E402
from course_utils.widgets.conv_explorer import conv_explorer as conv_explorer  # noqa: E402
