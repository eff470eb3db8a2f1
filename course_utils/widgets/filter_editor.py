"""The filter editor (notebook 02): type a 3×3 filter, see its response on an MNIST digit.

Nine number boxes hold the filter; a preset menu fills them with one of the hand-made filters
of :mod:`course_utils.convolution`; a slider picks the training digit. The browser
(``filter_editor.js``) recomputes the response while you type; the kernel sends the digit and
the response torch computes (at the first draw, for another digit, and after each change of
the filter, which then replaces the browser's own). A page without a kernel offers the digits
of the bank the constructor sends (:func:`course_utils.widgets.digit_bank`).

A weight is a float32 number: finite and at most ``FLOAT32_MAX`` in size; anything else is
refused, here with a ``ValueError`` and in the page with a message beside the boxes. Huge
weights that pass can still overflow float32 in the response (to ±inf in the page, and to inf
or NaN in torch's sums): the picture and the still figure say so.
"""

from __future__ import annotations

import math

import torch
import traitlets
from matplotlib.figure import Figure

from course_utils.convolution import FILTERS_3X3, apply_filters
from course_utils.viz import as_tensor, show_signed, signed_limit
from course_utils.widgets import Explorer, binary, digit_bank, es_module, float32_bytes

CUSTOM = "custom"
FLOAT32_MAX = float(torch.finfo(torch.float32).max)  # 3.4028234663852886e38


def _filter_values(weights) -> list[float]:
    values = [float(v) for v in torch.as_tensor(weights, dtype=torch.float64).flatten()]
    if len(values) != 9:
        raise ValueError(f"expected 9 filter values (3×3, row by row), got {len(values)}")
    for k, v in enumerate(values):
        if not (math.isfinite(v) and abs(v) <= FLOAT32_MAX):
            raise ValueError(
                f"expected finite filter values within float32's range (±{FLOAT32_MAX:.8g}), "
                f"got {v:g} at row {k // 3 + 1}, column {k % 3 + 1}")
    return values


def _overflow(response: torch.Tensor) -> str:
    """What float32 overflow did to a response: "" or a sentence naming the cells."""
    inf, nan = int(response.isinf().sum()), int(response.isnan().sum())
    parts = [f"{n} {what}" for n, what in ((inf, "±inf"), (nan, "NaN")) if n]
    return f"float32 overflows: {' and '.join(parts)} of {response.numel()} cells" if parts else ""


def draw_filter_response(image: torch.Tensor, weights, title: str = "input") -> Figure:
    """The digit ``H×W``, the 3×3 filter (nine ``weights``, row by row) and its response
    ``(H-2)×(W-2)``, signed colours (zero white). ``ValueError`` for a filter that is not nine
    float32 numbers. Cells where float32 overflows are drawn in the end colours (NaN as zero)
    and counted in the title."""
    image = as_tensor(image, "image")
    if image.dim() != 2 or min(image.shape) < 3:
        raise ValueError(f"expected an image H×W of at least 3×3, got {tuple(image.shape)}")
    kernel = torch.tensor(_filter_values(weights), dtype=torch.float32).view(3, 3)
    response = apply_filters(image, kernel)[0]
    fig = Figure(figsize=(7.2, 2.5))
    axes = fig.subplots(1, 3, gridspec_kw={"width_ratios": [1, 0.8, 1.2]})
    show_signed(axes[0], image, title=title)
    show_signed(axes[1], kernel.double(), title="filter")  # float64: vmax - vmin can exceed float32
    limit = float(kernel.abs().max()) or 1.0
    for (r, c), v in zip(torch.cartesian_prod(torch.arange(3), torch.arange(3)).tolist(),
                         kernel.flatten().tolist(), strict=True):
        axes[1].text(c, r, f"{v:g}", ha="center", va="center", fontsize=8,
                     color="white" if abs(v) > 0.6 * limit else "black")
    top = signed_limit(response[response.isfinite()])  # the colour limit: finite cells only
    show_signed(axes[2], response.double().nan_to_num(nan=0.0).clamp(-top, top), vmax=top)
    overflow = _overflow(response)
    if overflow:  # huge weights: the cells beyond float32 are drawn in the end colours
        axes[2].set_title(overflow, fontsize=9)
    else:
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
    response = binary()  # torch's response, float32, for `response_for`
    response_for = traitlets.Dict().tag(sync=True)  # {"index": digit, "weights": nine weights}
    bank = traitlets.List(traitlets.Int()).tag(sync=True)  # digits for a page without a kernel
    bank_images = binary()  # their pixels, float32, one digit after the other

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
        bank = digit_bank(index, len(images))
        super().__init__(
            index=index, count=len(images), preset=preset, shape=list(images.shape[1:]),
            weights=_filter_values(FILTERS_3X3[preset]),
            presets={name: _filter_values(k) for name, k in FILTERS_3X3.items()},
            bank=bank, bank_images=float32_bytes(self.images[bank]),
        )
        self.observe(self._send_digit, names="index")
        self.observe(self._send_response, names="weights")
        self._send_digit()

    @traitlets.validate("weights")
    def _float32_weights(self, proposal):
        try:
            return _filter_values(proposal["value"])
        except ValueError as err:
            raise traitlets.TraitError(str(err)) from None

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
            self.response_for = {"index": self.index, "weights": list(self.weights)}

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
