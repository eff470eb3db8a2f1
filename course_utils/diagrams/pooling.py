"""Drawing 1d pooling (notebook 04): the windows over a row of values, and what each keeps.

Window positions come from :mod:`course_utils.arithmetic`; the pooled values from PyTorch.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from matplotlib.collections import LineCollection, PatchCollection
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from course_utils.arithmetic import Axis, pool_output_size
from course_utils.viz import CourseFigure

TINTS, WINNER, EDGE = ("#f6d79a", "#c6dbef"), "#5b2a00", "#9e9e9e"


def pool1d_diagram(
    x, kernel: int = 2, stride: int | None = None, mode: str = "max", size: float = 4.0
) -> Figure:
    """1d pooling of the values ``x`` (a 1d tensor or sequence): windows, winners, outputs.

    The output is computed by ``F.max_pool1d`` or ``F.avg_pool1d``. For max pooling the value
    each window keeps is outlined and joined to its output; for average pooling every value of
    the window is joined to it. ``ValueError`` for an impossible setting or a bad ``mode``.
    """
    if mode not in ("max", "avg"):
        raise ValueError(f"mode must be 'max' or 'avg', got {mode!r}")
    values = x if isinstance(x, torch.Tensor) else torch.as_tensor(x, dtype=torch.float32)
    if values.dim() != 1:
        raise ValueError(f"expected a 1d tensor of values, got shape {tuple(values.shape)}")
    values = values.detach().float()
    stride = kernel if stride is None else stride
    n, out_len = len(values), pool_output_size(len(values), kernel, stride)
    pool = F.max_pool1d if mode == "max" else F.avg_pool1d
    pooled = pool(values[None, None], kernel, stride)[0, 0]
    windows = [Axis(kernel, stride).window(o, n) for o in range(out_len)]

    fig = CourseFigure(figsize=(max(size * 1.6, 0.55 * n), size * 0.75))
    ax = fig.add_axes((0.02, 0.02, 0.96, 0.8))
    first = {}  # each input cell is tinted by the first window that covers it
    for o, window in enumerate(windows):
        for i in window:
            first.setdefault(i, o)
    ax.add_collection(PatchCollection(
        [Rectangle((i - 0.5, -0.5), 1, 1) for i in range(n)],
        facecolors=[TINTS[first[i] % 2] if i in first else "#ffffff" for i in range(n)],
        edgecolors=EDGE, linewidths=0.8))
    y_out = 2.2
    segments = []
    for o, window in enumerate(windows):
        centre = (window[0] + window[-1]) / 2
        sources = [window[int(values[window].argmax())]] if mode == "max" else window
        segments += [[(i, 0.5), (centre, y_out - 0.5)] for i in sources]
        if mode == "max":
            ax.add_patch(Rectangle((sources[0] - 0.45, -0.45), 0.9, 0.9, fill=False,
                                   edgecolor=WINNER, linewidth=2))
        ax.add_patch(Rectangle((centre - 0.5, y_out - 0.5), 1, 1, facecolor=TINTS[o % 2],
                               edgecolor="#555555", linewidth=1.0))
        ax.text(centre, y_out, _number(float(pooled[o])), ha="center", va="center",
                fontsize=11, gid="pooled")
    ax.add_collection(LineCollection(segments, colors=WINNER, linewidths=1.0))
    for i, v in enumerate(values.tolist()):
        ax.text(i, 0, _number(v), ha="center", va="center", fontsize=11)
    ax.text(-0.8, 0, "input", ha="right", va="center", fontsize=9)
    ax.text(-0.8, y_out, "output", ha="right", va="center", fontsize=9)
    ax.set_xlim(-2.2, max(n, 6) - 0.4)
    ax.set_ylim(y_out + 0.7, -0.7)
    ax.set_aspect("equal")
    ax.set_axis_off()
    name = "max" if mode == "max" else "average"
    ax.set_title(f"1d {name} pooling, kernel {kernel}, stride {stride}: "
                 f"{n} values → {out_len}", fontsize=11)
    return fig


def _number(v: float) -> str:
    return str(int(v)) if v == int(v) else f"{v:.2f}"
