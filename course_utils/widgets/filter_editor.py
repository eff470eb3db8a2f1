"""The filter editor (notebook 02): type a 3×3 filter, see its response on an MNIST digit.

Nine numeric inputs hold the filter; a preset menu fills them with one of the hand-made filters
of :mod:`course_utils.convolution`, and a slider picks the training digit. Choosing a preset
sets the nine inputs with redraws suspended, then redraws once.
"""

from __future__ import annotations

import contextlib
import math

import ipywidgets as widgets
import torch
from matplotlib.figure import Figure

from course_utils.convolution import FILTERS_3X3, apply_filters
from course_utils.viz import as_tensor, show_signed, signed_limit
from course_utils.widgets import Explorer

CUSTOM = "custom"


def _filter_values(weights) -> list[float]:
    values = [float(v) for v in weights]
    if len(values) != 9:
        raise ValueError(f"expected 9 filter values (3×3, row by row), got {len(values)}")
    if not all(math.isfinite(v) for v in values):
        raise ValueError(f"expected finite filter values, got {values}")
    return values


class FilterFigure:
    """A figure of three panels (digit, filter, response) built once and updated in place.

    Updating the pictures of an existing figure, rather than building a new one, keeps a redraw
    to rendering the PNG: axes creation and layout are the slow part of matplotlib. Colours are
    signed (zero white); each panel has its own scale, and the response's range is in its
    title (a colorbar would double the redraw time). ``annotate`` writes the nine values on the
    filter panel (the live editor leaves them out: its inputs show them, and text is slow).
    """

    def __init__(self, image_shape: tuple[int, int], annotate: bool = True):
        h, w = image_shape
        self.image_shape = (h, w)
        self.fig = Figure(figsize=(7.2, 2.5))
        axes = self.fig.subplots(1, 3, gridspec_kw={"width_ratios": [1, 0.8, 1.2]})
        self.axes = axes
        self.pictures = [
            show_signed(axes[0], torch.zeros(h, w), title="input"),
            show_signed(axes[1], torch.zeros(3, 3), title="filter"),
            show_signed(axes[2], torch.zeros(h - 2, w - 2), title="response"),
        ]
        self.texts = [
            axes[1].text(c, r, "", ha="center", va="center", fontsize=8)
            for r in range(3)
            for c in range(3)
            if annotate
        ]
        self.fig.tight_layout(pad=0.4)

    def update(self, image: torch.Tensor, weights, title: str = "input") -> Figure:
        """Show ``image`` (``H×W``), the filter (nine ``weights``) and its response."""
        values = _filter_values(weights)
        if tuple(image.shape) != self.image_shape:
            raise ValueError(
                f"expected an image of shape {self.image_shape}, got {tuple(image.shape)}"
            )
        kernel = torch.tensor(values).view(3, 3)
        response = apply_filters(image, kernel)[0]
        for picture, data in zip(self.pictures, (image, kernel, response), strict=True):
            vmax = signed_limit(data)
            picture.set_data(data.numpy())
            picture.set_clim(-vmax, vmax)
        vmax = signed_limit(kernel)
        for text, v in zip(self.texts, values if self.texts else [], strict=True):
            text.set_text(f"{v:g}")
            text.set_color("white" if abs(v) > 0.6 * vmax else "black")
        self.axes[0].set_title(title, fontsize=9)
        low, high = float(response.min()), float(response.max())
        self.axes[2].set_title(f"response: {low:.3g} (blue) to {high:.3g} (red)", fontsize=9)
        return self.fig


def draw_filter_response(image: torch.Tensor, weights, title: str = "input") -> Figure:
    """A new figure: the digit ``H×W``, the 3×3 filter (nine ``weights``, row by row) and its
    response map ``(H-2)×(W-2)``. Raises ``ValueError`` for a filter that is not nine finite
    numbers."""
    image = as_tensor(image, "image")
    if image.dim() != 2 or min(image.shape) < 3:
        raise ValueError(f"expected an image H×W of at least 3×3, got {tuple(image.shape)}")
    return FilterFigure(tuple(image.shape)).update(image, weights, title)


class FilterEditor(Explorer):
    """A 3×3 grid of numbers, a preset menu and a digit slider; the response map redraws live.

    ``images``: ``N×H×W`` (uint8 0..255 or float in [0, 1]); default: the first 1,000 MNIST
    training digits. Values are scaled to [0, 1] before filtering.
    """

    def __init__(
        self, images: torch.Tensor | None = None, index: int = 12, preset: str = "Laplacian"
    ):
        if images is None:
            from course_utils.data import mnist_tensors

            images = mnist_tensors(train=True)[0][:1000]
        if not isinstance(images, torch.Tensor) or images.dim() != 3 or min(images.shape) < 1:
            shape = tuple(images.shape) if isinstance(images, torch.Tensor) else type(images)
            raise ValueError(f"expected images N×H×W as a tensor, got {shape}")
        if min(images.shape[1:]) < 3:
            raise ValueError(f"expected images of at least 3×3, got {tuple(images.shape[1:])}")
        if preset not in FILTERS_3X3:
            raise ValueError(f"unknown preset {preset!r}; expected one of {list(FILTERS_3X3)}")
        self.images = images.float() / 255.0 if images.dtype == torch.uint8 else images.float()
        self._suspended = False
        self.figure = FilterFigure(tuple(self.images.shape[1:]), annotate=False)
        self.cells = [
            widgets.FloatText(value=float(v), step=0.5, layout=widgets.Layout(width="64px"))
            for v in FILTERS_3X3[preset].flatten()
        ]
        self.grid = widgets.GridBox(
            self.cells, layout=widgets.Layout(grid_template_columns="repeat(3, 68px)")
        )
        self.preset = widgets.Dropdown(
            options=[*FILTERS_3X3, CUSTOM], value=preset, description="preset"
        )
        digit = widgets.IntSlider(
            value=index,
            min=0,
            max=len(self.images) - 1,
            description="digit",
            continuous_update=False,
        )
        super().__init__(
            {"index": digit},
            self._draw,
            title="Filter editor: a 3×3 filter on an MNIST training digit",
            extra=[widgets.HBox([self.preset, self.grid])],
        )
        for cell in self.cells:
            cell.observe(self._on_cell, names="value")
        self.preset.observe(self._on_preset, names="value")

    def values(self) -> dict:
        return {**super().values(), "weights": tuple(cell.value for cell in self.cells)}

    def _draw(self, index: int, weights) -> Figure:
        if not 0 <= index < len(self.images):
            raise ValueError(f"expected a digit index in [0, {len(self.images) - 1}], got {index}")
        return self.figure.update(self.images[index], weights, title=f"digit {index}")

    @contextlib.contextmanager
    def hold(self):
        """Change several controls inside ``with editor.hold():`` and redraw once at the end."""
        self._suspended = True
        try:
            yield
        finally:
            self._suspended = False
        self.redraw()

    def set_filter(self, weights) -> None:
        """Set the nine inputs (a 3×3 tensor or nine numbers, row by row) with one redraw."""
        values = [float(v) for v in torch.as_tensor(weights, dtype=torch.float64).flatten()]
        if len(values) != 9:
            raise ValueError(f"expected 9 filter values (3×3), got {len(values)}")
        with self.hold():
            for cell, v in zip(self.cells, values, strict=True):
                cell.value = v
            self.preset.value = self._matching_preset()

    def _matching_preset(self) -> str:
        current = torch.tensor([cell.value for cell in self.cells]).view(3, 3)
        for name, kernel in FILTERS_3X3.items():
            if torch.allclose(current, kernel, atol=1e-6):
                return name
        return CUSTOM

    def _on_change(self, _change) -> None:
        if not self._suspended:
            self.redraw()

    def _on_cell(self, _change) -> None:
        if self._suspended:
            return
        with self.hold():
            self.preset.value = self._matching_preset()

    def _on_preset(self, change) -> None:
        if self._suspended or change["new"] == CUSTOM:
            return
        self.set_filter(FILTERS_3X3[change["new"]])
