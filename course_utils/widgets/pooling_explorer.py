"""The pooling explorer (notebook 04): max or average pooling of an MNIST digit.

Sliders pick the digit, the pooling kernel and the stride; buttons pick max or average. The
picture shows the digit with the pooling windows' grid and the first window outlined, and the
pooled map at the same scale, with its size from :func:`course_utils.arithmetic.pool_output_size`.
"""

from __future__ import annotations

import ipywidgets as widgets
import numpy as np
import torch
import torch.nn.functional as F
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from course_utils.arithmetic import pool_output_size
from course_utils.viz import CourseFigure
from course_utils.widgets import Explorer


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
                   size: float = 3.2) -> Figure:
    """An ``H×W`` image with the pooling windows drawn over it, next to the pooled map.

    ``ValueError`` if the window does not fit or ``mode`` is not 'max' or 'avg'.
    """
    image = _images(torch.as_tensor(image)[None])[0]
    stride = kernel if stride is None else stride
    pooled = pool_image(image, kernel, stride, mode)
    h, w = image.shape
    oh, ow = pooled.shape
    fig = CourseFigure(figsize=(size * 2.0, size * 1.15))
    ax_in = fig.add_axes((0.02, 0.04, 0.46, 0.8))
    ax_out = fig.add_axes((0.52, 0.04 + 0.8 * (1 - oh / h), 0.46 * ow / w, 0.8 * oh / h))
    ax_in.imshow(image.numpy(), cmap="gray_r", vmin=0, vmax=1, interpolation="nearest")
    starts_r = np.arange(oh) * stride - 0.5
    starts_c = np.arange(ow) * stride - 0.5
    segments = [[(c, -0.5), (c, h - 0.5)] for c in starts_c] + [
        [(-0.5, r), (w - 0.5, r)] for r in starts_r]
    ax_in.add_collection(LineCollection(segments, colors="#4292c6", linewidths=0.5, alpha=0.7))
    ax_in.add_patch(Rectangle((-0.5, -0.5), kernel, kernel, fill=False, edgecolor="#f16913",
                              linewidth=2.0))
    ax_in.set_title(f"input {h}×{w}, a window starts every {stride} px", fontsize=9)
    ax_out.imshow(pooled.numpy(), cmap="gray_r", vmin=0, vmax=1, interpolation="nearest")
    ax_out.add_patch(Rectangle((-0.5, -0.5), 1, 1, fill=False, edgecolor="#f16913",
                               linewidth=2.0))
    name = "max" if mode == "max" else "average"
    ax_out.set_title(f"{name} pooling, k={kernel}, s={stride}\n→ {oh}×{ow}", fontsize=9)
    for ax in (ax_in, ax_out):
        ax.set_xticks([])
        ax.set_yticks([])
    return fig


class PoolingExplorer(Explorer):
    """Pool MNIST digits: ``PoolingExplorer(images)`` with ``images`` an ``N×28×28`` tensor."""

    def __init__(self, images, digit: int = 0, kernel: int = 2, stride: int = 2,
                 mode: str = "max"):
        self.images = _images(images)
        controls = {
            "digit": widgets.IntSlider(value=digit, min=0, max=len(self.images) - 1,
                                       description="digit", continuous_update=False),
            "kernel": widgets.IntSlider(value=kernel, min=1, max=8, description="kernel",
                                        continuous_update=False),
            "stride": widgets.IntSlider(value=stride, min=1, max=8, description="stride",
                                        continuous_update=False),
            "mode": widgets.ToggleButtons(options=["max", "avg"], value=mode,
                                          description="pooling", style={"button_width": "48px"}),
        }
        super().__init__(controls, self._draw, title="Pooling explorer")

    def _draw(self, digit, kernel, stride, mode) -> Figure:
        return pooling_figure(self.images[digit], kernel, stride, mode)
