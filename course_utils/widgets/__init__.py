"""Interactive explorers: controls on top, a picture redrawn on every change.

Every explorer is an :class:`Explorer`: an ``ipywidgets.VBox`` holding its controls, an
``ipywidgets.Image`` with the figure as PNG bytes, and a message line. Drawing into an Image
(not an ``Output``) keeps nbval's comparison stable, and the same code runs with ipywidgets 7
(Colab) and 8 (JupyterLab). A drawing function that raises ``ValueError`` (an impossible
setting) shows its message in place of the picture, never a traceback.
"""

from __future__ import annotations

import html
import time
from collections.abc import Callable, Mapping

import ipywidgets as widgets
from matplotlib.figure import Figure

from course_utils.viz import figure_to_png


class Explorer(widgets.VBox):
    """Controls plus a figure that ``draw(**values)`` redraws whenever a control changes.

    ``controls`` maps each keyword of ``draw`` to a widget with a ``value``. ``draw`` returns
    a matplotlib ``Figure``. ``redraw_seconds`` keeps the duration of every redraw.
    """

    def __init__(
        self,
        controls: Mapping[str, widgets.Widget],
        draw: Callable[..., Figure],
        title: str = "",
        dpi: int = 80,
        extra: list[widgets.Widget] | None = None,
    ):
        self.controls = dict(controls)
        self.draw = draw
        self.dpi = dpi
        self.redraw_seconds: list[float] = []
        self.image = widgets.Image(format="png")
        self.message = widgets.HTML(value="")
        header = [widgets.HTML(value=f"<b>{html.escape(title)}</b>")] if title else []
        box = widgets.Box(
            list(self.controls.values()),
            layout=widgets.Layout(display="flex", flex_flow="row wrap"),
        )
        super().__init__(header + [box] + list(extra or []) + [self.message, self.image])
        # CSS hooks for the browser tests (tests/browser): find explorers and their pictures.
        self.add_class("course-explorer")
        self.image.add_class("course-explorer-image")
        self.message.add_class("course-explorer-message")
        for control in self.controls.values():
            control.observe(self._on_change, names="value")
        self.redraw()

    def values(self) -> dict:
        return {name: control.value for name, control in self.controls.items()}

    def _on_change(self, _change) -> None:
        self.redraw()

    def redraw(self) -> None:
        """Draw with the current values into the image (or show why it cannot be drawn)."""
        start = time.perf_counter()
        try:
            fig = self.draw(**self.values())
        except ValueError as err:
            self.message.value = (
                f"<span style='color:#b00020'>⚠ {html.escape(str(err))}</span>"
            )
            self.image.layout.display = "none"
        else:
            self.image.value = figure_to_png(fig, dpi=self.dpi)
            self.image.layout.display = None
            self.message.value = ""
        self.redraw_seconds.append(time.perf_counter() - start)

    def __repr__(self) -> str:
        settings = ", ".join(f"{k}={v!r}" for k, v in self.values().items())
        return f"{type(self).__name__}({settings})"
