"""The conv-arithmetic explorer (notebook 03): sizes, padding, stride, dilation, one position.

Sliders set the input's height and width, the kernel size, stride, padding and dilation; the
position slider (driven by a Play control) picks an output cell. The picture comes from
:mod:`course_utils.diagrams`: the padded input with the dilated kernel's taps, the output map
with the chosen cell, the formula with its numbers, and the shape a real ``nn.Conv2d`` (or
``nn.Conv1d`` in 1d mode) gives. An impossible setting shows its message instead.
"""

from __future__ import annotations

import html

import ipywidgets as widgets

from course_utils.arithmetic import conv_output_size
from course_utils.diagrams import conv_picture
from course_utils.widgets import Explorer


def _slider(description: str, value: int, low: int, high: int) -> widgets.IntSlider:
    return widgets.IntSlider(
        value=value, min=low, max=high, description=description, continuous_update=False,
        layout=widgets.Layout(width="260px"), style={"description_width": "80px"},
    )


class ConvExplorer(Explorer):
    """Explore output sizes: ``ConvExplorer(height=3, width=5, kernel=3, stride=2, padding=1)``.

    The position slider's maximum follows the number of output cells (``out_h × out_w``, or the
    output length in 1d), so every position it offers exists; Play walks through all of them.
    """

    def __init__(
        self,
        mode: str = "2d",
        height: int = 5,
        width: int = 7,
        kernel: int = 3,
        stride: int = 1,
        padding: int = 0,
        dilation: int = 1,
        position: int = 0,
        max_size: int = 16,
        interval_ms: int = 500,
    ):
        self._holding = False
        self._picture = None
        controls = {
            "mode": widgets.ToggleButtons(options=["2d", "1d"], value=mode, description="mode",
                                          style={"button_width": "48px"}),
            "height": _slider("height H", height, 1, max_size),
            "width": _slider("width W", width, 1, max_size),
            "kernel": _slider("kernel k", kernel, 1, 7),
            "stride": _slider("stride s", stride, 1, 4),
            "padding": _slider("padding p", padding, 0, 4),
            "dilation": _slider("dilation d", dilation, 1, 4),
            "position": _slider("position", 0, 0, 0),
        }
        self.play = widgets.Play(value=0, min=0, max=0, interval=interval_ms,
                                 description="play", show_repeat=False)
        widgets.jslink((self.play, "value"), (controls["position"], "value"))
        # The formula is HTML text under the picture: cheaper to redraw than glyphs in a PNG.
        self.formula = widgets.HTML(value="")
        hint = widgets.HTML(
            "<span style='color:#555'>▶ walks the kernel over every output position "
            "(row by row); the position slider counts output cells.</span>")
        self.controls = controls
        self._sync_position()
        controls["position"].value = min(position, controls["position"].max)
        super().__init__(controls, self._draw, title="Convolution arithmetic explorer",
                         extra=[widgets.HBox([self.play, hint])])
        self.children = (*self.children, self.formula)

    def output_cells(self) -> int:
        """Number of output positions for the current settings (``ValueError`` if impossible)."""
        v = {name: c.value for name, c in self.controls.items()}
        args = (v["kernel"], v["stride"], v["padding"], v["dilation"])
        out_w = conv_output_size(v["width"], *args)
        if v["mode"] == "1d":
            return out_w
        return conv_output_size(v["height"], *args) * out_w

    def _sync_position(self) -> None:
        """Make the position slider and the Play control span the output cells."""
        try:
            cells = self.output_cells()
        except ValueError:
            return  # the drawing will say why
        self._holding = True
        try:
            for control in (self.controls["position"], self.play):
                if control.value > cells - 1:
                    control.value = cells - 1
                control.max = cells - 1
        finally:
            self._holding = False
        self.controls["height"].disabled = self.controls["mode"].value == "1d"

    def _on_change(self, change) -> None:
        if self._holding:
            return
        if change.owner is not self.controls["position"]:
            self._sync_position()
        self.redraw()

    def _draw(self, mode, height, width, kernel, stride, padding, dilation, position):
        geometry = dict(kernel=kernel, stride=stride, padding=padding, dilation=dilation)
        key = (mode, height if mode == "2d" else None, width, kernel, stride, padding, dilation)
        if self._picture is None or self._picture[0] != key:
            self._picture = None
            self.formula.value = ""
            picture = conv_picture(mode, height, width, text=False, **geometry)
            self._picture = (key, picture)
            self.formula.value = "<br>".join(
                f"<code style='font-size:13px'>{html.escape(line)}</code>"
                for line in picture.lines)
        return self._picture[1].show(position)


def conv_explorer(**settings) -> ConvExplorer:
    """A :class:`ConvExplorer`; keyword arguments set the starting values."""
    return ConvExplorer(**settings)
