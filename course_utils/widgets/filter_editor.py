"""The filter editor (notebook 02): type a 3×3 filter, see its response on an MNIST digit.

Nine number boxes hold the filter; a preset menu fills them with one of the hand-made filters
of :mod:`course_utils.convolution`; a slider picks the training digit. The browser
(``filter_editor.js``) recomputes the response while you type; the kernel sends the digit and
the response torch computes (at the first draw, for another digit, and after each change of
the filter, which then replaces the browser's own).
"""

from __future__ import annotations

import math

import torch
import traitlets
from matplotlib.figure import Figure

from course_utils.convolution import FILTERS_3X3, apply_filters
from course_utils.viz import as_tensor, show_signed
from course_utils.widgets import Explorer, binary, es_module, float32_bytes

CUSTOM = "custom"


def _filter_values(weights) -> list[float]:
    values = [float(v) for v in torch.as_tensor(weights, dtype=torch.float64).flatten()]
    if len(values) != 9:
        raise ValueError(f"expected 9 filter values (3×3, row by row), got {len(values)}")
    if not all(math.isfinite(v) for v in values):
        raise ValueError(f"expected finite filter values, got {values}")
    return values


def draw_filter_response(image: torch.Tensor, weights, title: str = "input") -> Figure:
    """The digit ``H×W``, the 3×3 filter (nine ``weights``, row by row) and its response
    ``(H-2)×(W-2)``, signed colours (zero white). ``ValueError`` for a filter that is not nine
    finite numbers."""
    image = as_tensor(image, "image")
    if image.dim() != 2 or min(image.shape) < 3:
        raise ValueError(f"expected an image H×W of at least 3×3, got {tuple(image.shape)}")
    kernel = torch.tensor(_filter_values(weights), dtype=torch.float32).view(3, 3)
    response = apply_filters(image, kernel)[0]
    fig = Figure(figsize=(7.2, 2.5))
    axes = fig.subplots(1, 3, gridspec_kw={"width_ratios": [1, 0.8, 1.2]})
    show_signed(axes[0], image, title=title)
    show_signed(axes[1], kernel, title="filter")
    limit = float(kernel.abs().max()) or 1.0
    for (r, c), v in zip(torch.cartesian_prod(torch.arange(3), torch.arange(3)).tolist(),
                         kernel.flatten().tolist(), strict=True):
        axes[1].text(c, r, f"{v:g}", ha="center", va="center", fontsize=8,
                     color="white" if abs(v) > 0.6 * limit else "black")
    show_signed(axes[2], response)
    low, high = float(response.min()), float(response.max())
    axes[2].set_title(f"response: {low:.3g} (blue) to {high:.3g} (red)", fontsize=9)
    fig.tight_layout(pad=0.4)
    return fig


class FilterEditor(Explorer):
    """A 3×3 grid of numbers, a preset menu and a digit slider; the response redraws as you type.

    ``images``: ``N×H×W`` (uint8 0..255 or float in [0, 1]); default: the first 1,000 MNIST
    training digits. Values are scaled to [0, 1] before filtering.
    """

    _esm = es_module("filter_editor.js")
    REPR = ("index", "weights")
    index = traitlets.Int(0).tag(sync=True)
    count = traitlets.Int(1).tag(sync=True)  # how many digits the slider offers
    weights = traitlets.List(traitlets.Float(), minlen=9, maxlen=9).tag(sync=True)
    preset = traitlets.Unicode(CUSTOM).tag(sync=True)
    presets = traitlets.Dict().tag(sync=True)  # name -> nine weights
    shape = traitlets.List(traitlets.Int()).tag(sync=True)  # the digit's [H, W]
    image = binary()  # the digit, float32, row by row
    response = binary()  # torch's response to `response_weights`, float32
    response_weights = traitlets.List(traitlets.Float()).tag(sync=True)

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
        if not 0 <= index < len(images):
            raise ValueError(f"expected a digit index in [0, {len(images) - 1}], got {index}")
        self.images = images.float() / 255.0 if images.dtype == torch.uint8 else images.float()
        super().__init__(
            index=index, count=len(images), preset=preset, shape=list(images.shape[1:]),
            weights=_filter_values(FILTERS_3X3[preset]),
            presets={name: _filter_values(k) for name, k in FILTERS_3X3.items()},
        )
        self.observe(self._send_digit, names="index")
        self.observe(self._send_response, names="weights")
        self._send_digit()

    def response_map(self) -> torch.Tensor:
        """The response ``(H-2)×(W-2)`` of the current digit to the current filter (torch)."""
        kernel = torch.tensor(self.weights, dtype=torch.float32).view(3, 3)
        return apply_filters(self.images[self.index], kernel)[0]

    def _send_digit(self, _change=None) -> None:
        with self.hold_sync():
            self.image = float32_bytes(self.images[self.index])
            self._send_response()

    def _send_response(self, _change=None) -> None:
        with self.hold_sync():
            self.response = float32_bytes(self.response_map())
            self.response_weights = list(self.weights)

    def set_filter(self, weights) -> None:
        """Set the nine weights (a 3×3 tensor or nine numbers, row by row) and the preset name."""
        values = _filter_values(weights)
        with self.hold_sync():
            self.weights = values
            self.preset = next((name for name, k in self.presets.items() if k == values), CUSTOM)

    def figure(self) -> Figure:
        """The digit, the filter and the response now (:func:`draw_filter_response`)."""
        return draw_filter_response(self.images[self.index], self.weights,
                                    title=f"digit {self.index}")
