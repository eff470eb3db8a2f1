"""The pooling explorer (notebook 04): max or average pooling of an MNIST digit or a small grid.

Sliders pick the digit, the pooling kernel and the stride; menus pick max or average, and a
digit or a small grid of numbers. The browser (``pooling_explorer.js``) pools and redraws at
once and shows the window of the output cell under the pointer (or chosen with the arrow
keys); the kernel sends another digit's pixels when asked. A page without a kernel offers the
digits of the bank the constructor sends (:func:`course_utils.widgets.digit_bank`).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
import traitlets
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from course_utils.arithmetic import Axis, pool_output_size
from course_utils.viz import CourseFigure
from course_utils.widgets import Explorer, binary, digit_bank, es_module, float32_bytes

WINDOW, CHOSEN = "#E69F00", "#0072B2"


def _images(images) -> torch.Tensor:
    if not isinstance(images, torch.Tensor):
        raise TypeError(f"images must be a torch.Tensor N×H×W, got {type(images).__name__}")
    if images.dim() != 3 or len(images) == 0:
        raise ValueError(f"images must have shape N×H×W with N >= 1, got {tuple(images.shape)}")
    images = images.detach().float()
    if images.max() > 1.0:
        images = images / 255.0
    return images


def pool_image(image: torch.Tensor, kernel: int, stride: int, mode: str = "max") -> torch.Tensor:
    """Pool one ``H×W`` image with a square ``kernel`` and ``stride``: an ``H'×W'`` tensor."""
    if mode not in ("max", "avg"):
        raise ValueError(f"mode must be 'max' or 'avg', got {mode!r}")
    if image.dim() != 2:
        raise ValueError(f"expected an H×W image, got shape {tuple(image.shape)}")
    for n in image.shape:  # a clear ValueError when the window does not fit
        pool_output_size(n, kernel, stride)
    pool = F.max_pool2d if mode == "max" else F.avg_pool2d
    return pool(image[None, None], kernel, stride)[0, 0]


def pooling_figure(image, kernel: int = 2, stride: int | None = None, mode: str = "max",
                   cell=(0, 0), size: float = 3.2) -> Figure:
    """An ``H×W`` image with the pooling windows' grid, the window of output ``cell`` outlined,
    next to the pooled map at the same pixel scale. Grey levels run from 0 to the image's
    maximum, or at least 1 (255 for a uint8 digit); values are written on images up to 10×10.

    ``ValueError`` if the window does not fit or ``mode`` is not 'max' or 'avg'.
    """
    image = torch.as_tensor(image).detach().float()
    top = max(1.0, float(image.max()))
    stride = kernel if stride is None else stride
    pooled = pool_image(image, kernel, stride, mode)
    (h, w), (oh, ow) = image.shape, pooled.shape
    i, j = cell
    rows, cols = Axis(kernel, stride).window(i, h), Axis(kernel, stride).window(j, w)
    fig = CourseFigure(figsize=(size * 2.0, size * 1.15))
    ax_in = fig.add_axes((0.02, 0.04, 0.46, 0.8))
    ax_out = fig.add_axes((0.52, 0.04 + 0.8 * (1 - oh / h), 0.46 * ow / w, 0.8 * oh / h))
    ax_in.imshow(image.numpy(), cmap="gray_r", vmin=0, vmax=top, interpolation="nearest")
    segments = [[(c * stride - 0.5, -0.5), (c * stride - 0.5, h - 0.5)] for c in range(ow)] + [
        [(-0.5, r * stride - 0.5), (w - 0.5, r * stride - 0.5)] for r in range(oh)]
    ax_in.add_collection(LineCollection(segments, colors="#56B4E9", linewidths=0.5, alpha=0.8))
    ax_in.add_patch(Rectangle((cols[0] - 0.5, rows[0] - 0.5), kernel, kernel, fill=False,
                              edgecolor=WINDOW, linewidth=2.0, gid="window"))
    ax_in.set_title(f"input {h}×{w}, a window starts every {stride} px", fontsize=9)
    ax_out.imshow(pooled.numpy(), cmap="gray_r", vmin=0, vmax=top, interpolation="nearest")
    ax_out.add_patch(Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, edgecolor=CHOSEN,
                               linewidth=2.0, gid="chosen"))
    if h <= 10 and w <= 10:
        for ax, values in ((ax_in, image), (ax_out, pooled)):
            for (r, c), v in zip(torch.cartesian_prod(*map(torch.arange, values.shape)).tolist(),
                                 values.flatten().tolist(), strict=True):
                ax.text(c, r, f"{v:.3g}", ha="center", va="center", fontsize=8,
                        color="white" if v > 0.5 * top else "black")
    name = "max" if mode == "max" else "average"
    ax_out.set_title(f"{name} pooling, k={kernel}, s={stride}\n→ {oh}×{ow}", fontsize=9)
    for ax in (ax_in, ax_out):
        ax.set_xticks([])
        ax.set_yticks([])
    return fig


class PoolingExplorer(Explorer):
    """Pool MNIST digits: ``PoolingExplorer(images)`` with ``images`` an ``N×28×28`` tensor.

    ``source="grid"`` starts on the small grid of numbers ``grid`` (integers 0..9, default: a
    seeded 6×6) instead of a digit.
    """

    _esm = es_module("pooling_explorer.js")
    REPR = ("digit", "kernel", "stride", "mode")
    digit = traitlets.Int(0).tag(sync=True)
    count = traitlets.Int(1).tag(sync=True)
    kernel = traitlets.Int(2).tag(sync=True)
    stride = traitlets.Int(2).tag(sync=True)
    mode = traitlets.Unicode("max").tag(sync=True)
    source = traitlets.Unicode("digit").tag(sync=True)
    cell = traitlets.List(traitlets.Int(), [0, 0], minlen=2, maxlen=2).tag(sync=True)
    shape = traitlets.List(traitlets.Int()).tag(sync=True)
    image = binary()  # the digit, float32 in [0, 1], row by row
    grid = traitlets.List(traitlets.List(traitlets.Int())).tag(sync=True)
    bank = traitlets.List(traitlets.Int()).tag(sync=True)  # digits for a page without a kernel
    bank_images = binary()  # their pixels, float32, one digit after the other

    def __init__(self, images, digit: int = 0, kernel: int = 2, stride: int = 2,
                 mode: str = "max", source: str = "digit", grid=None):
        self.images = _images(images)
        if grid is None:
            grid = torch.randint(0, 10, (6, 6), generator=torch.Generator().manual_seed(0))
        grid = torch.as_tensor(grid)
        if grid.dim() != 2 or grid.dtype.is_floating_point or grid.min() < 0 or grid.max() > 9:
            raise ValueError(f"grid must be a 2d grid of integers 0..9, got {grid!r}")
        if mode not in ("max", "avg") or source not in ("digit", "grid"):
            raise ValueError(f"expected mode 'max' or 'avg' and source 'digit' or 'grid', got "
                             f"{mode!r} and {source!r}")
        if not 0 <= digit < len(self.images):
            raise ValueError(f"digit must be in [0, {len(self.images) - 1}], got {digit}")
        bank = digit_bank(digit, len(self.images))
        super().__init__(count=len(self.images), digit=digit, kernel=kernel, stride=stride,
                         mode=mode, source=source, grid=grid.tolist(),
                         shape=list(self.images.shape[1:]), bank=bank,
                         bank_images=float32_bytes(self.images[bank]))
        self.observe(self._send_digit, names="digit")
        self._send_digit()

    def _send_digit(self, _change=None) -> None:
        self.image = float32_bytes(self.images[self.digit])

    def picture(self) -> torch.Tensor:
        """What is being pooled: the digit (``H×W`` in [0, 1]) or the grid of numbers."""
        if self.source == "grid":
            return torch.tensor(self.grid, dtype=torch.float32)
        return self.images[self.digit]

    def pooled(self) -> torch.Tensor:
        """The pooled map now, computed by PyTorch (``ValueError`` if the window does not fit)."""
        return pool_image(self.picture(), self.kernel, self.stride, self.mode)

    def figure(self) -> Figure:
        """The input with its windows and the pooled map now (:func:`pooling_figure`)."""
        oh, ow = self.pooled().shape
        cell = (min(self.cell[0], oh - 1), min(self.cell[1], ow - 1))
        return pooling_figure(self.picture(), self.kernel, self.stride, self.mode, cell)
