"""Drawing tensors: signed pictures, grids of filters, grids of activation maps.

Every function returns a :class:`CourseFigure` (a matplotlib ``Figure`` made without pyplot):
a notebook shows it once, as the cell's value, and loops of redraws leave no open figures behind.
"""

from __future__ import annotations

import io
import math

import numpy as np
import torch
from matplotlib.figure import Figure

SIGNED_CMAP = "RdBu_r"  # diverging: negative blue, zero white, positive red


class CourseFigure(Figure):
    """A matplotlib Figure that a notebook shows as a PNG when it is a cell's value.

    Figures made without pyplot are not picked up by the inline backend; this one renders
    itself, so drawing functions can return it whatever backend the notebook uses.
    """

    def _repr_png_(self) -> bytes:
        return figure_to_png(self, dpi=100)


def as_tensor(x, name: str = "x") -> torch.Tensor:
    """A detached float CPU tensor from a tensor or array; TypeError for anything else."""
    if isinstance(x, np.ndarray):
        x = torch.from_numpy(x)
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor or numpy array, got {type(x).__name__}")
    if x.is_complex():
        raise TypeError(f"{name} must be real, got dtype {x.dtype}")
    return x.detach().cpu().float()


def signed_limit(x: torch.Tensor) -> float:
    """Symmetric colour limit so that zero sits at the centre of the colormap."""
    m = float(x.abs().max()) if x.numel() else 0.0
    return m if m > 0 else 1.0


def show_signed(ax, x: torch.Tensor, vmax: float | None = None, title: str | None = None):
    """Draw a 2d tensor on ``ax`` with zero white, negatives blue and positives red."""
    vmax = signed_limit(x) if vmax is None else vmax
    image = ax.imshow(x.numpy(), cmap=SIGNED_CMAP, vmin=-vmax, vmax=vmax, interpolation="nearest")
    ax.set_xticks([])
    ax.set_yticks([])
    if title:
        ax.set_title(title, fontsize=9)
    return image


def _grid(n: int, ncols: int | None) -> tuple[int, int]:
    ncols = ncols or min(n, max(1, math.ceil(math.sqrt(n * 1.5))))
    return math.ceil(n / ncols), ncols


def filter_grid(weight, ncols: int | None = None, titles=None, size: float = 1.0) -> Figure:
    """The filters of a conv layer, ``D×C×h×w``, one panel each.

    ``C = 1``: signed images (zero white). ``C = 3``: RGB, each filter rescaled to [0, 1].
    Other ``C``: channel 0 of each filter, signed.
    """
    w = as_tensor(weight, "weight")
    if w.dim() != 4:
        raise ValueError(f"expected filters of shape D×C×h×w, got shape {tuple(w.shape)}")
    d, c = w.shape[:2]
    nrows, ncols = _grid(d, ncols)
    fig = CourseFigure(figsize=(ncols * size, nrows * size * (1.25 if titles is not None else 1.0)))
    vmax = signed_limit(w)
    for i in range(nrows * ncols):
        ax = fig.add_subplot(nrows, ncols, i + 1)
        ax.set_axis_off()
        if i >= d:
            continue
        title = None if titles is None else str(titles[i])
        if c == 3:
            f = w[i]
            f = (f - f.min()) / (f.max() - f.min() + 1e-12)
            ax.imshow(f.permute(1, 2, 0).numpy(), interpolation="nearest")
            if title:
                ax.set_title(title, fontsize=8)
        else:
            show_signed(ax, w[i, 0], vmax=vmax, title=title)
    fig.tight_layout(pad=0.3)
    return fig


def activation_grid(maps, ncols: int | None = None, titles=None, size: float = 1.2) -> Figure:
    """Activation maps ``C×H×W`` (or ``1×C×H×W``), one signed panel per channel."""
    a = as_tensor(maps, "maps")
    if a.dim() == 4 and a.shape[0] == 1:
        a = a[0]
    if a.dim() != 3:
        raise ValueError(f"expected activation maps C×H×W or 1×C×H×W, got {tuple(a.shape)}")
    n = a.shape[0]
    nrows, ncols = _grid(n, ncols)
    fig = CourseFigure(figsize=(ncols * size, nrows * size * (1.25 if titles is not None else 1.0)))
    for i in range(nrows * ncols):
        ax = fig.add_subplot(nrows, ncols, i + 1)
        ax.set_axis_off()
        if i < n:
            show_signed(ax, a[i], title=None if titles is None else str(titles[i]))
    fig.tight_layout(pad=0.3)
    return fig


def figure_to_png(fig: Figure, dpi: int = 80) -> bytes:
    """PNG bytes of a figure (a notebook's picture of a :class:`CourseFigure`, or to save)."""
    if not isinstance(fig, Figure):
        raise TypeError(f"expected a matplotlib Figure, got {type(fig).__name__}")
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()
