"""Drawings of one convolution: the padded input, the kernel's taps at one output cell, the output.

The geometry comes from :mod:`course_utils.arithmetic` (:class:`~course_utils.arithmetic.Axis`,
:func:`~course_utils.arithmetic.footprint`); this module only draws it. Colours (Okabe & Ito,
colour-blind safe, as the explorer in the browser): input cells white, zero padding grey and
hatched, the taps orange (pale orange where a tap falls on padding and reads a zero), the
output cell they produce blue.
"""

from __future__ import annotations

import numbers

import numpy as np
import torch
import torch.nn.functional as F
from matplotlib.collections import LineCollection
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch, Rectangle

from course_utils.arithmetic import Axis, conv_axes, footprint
from course_utils.viz import CourseFigure

# Cell categories of a drawn grid, and their colours.
PADDING, INPUT, TAP_ON_PADDING, TAP = 0, 1, 2, 3
CELL_COLOURS = ListedColormap(["#d9d9d9", "#ffffff", "#f6d79a", "#E69F00"])
OUTPUT_COLOUR, CHOSEN, SPAN, DOTS = "#e8f1f8", "#0072B2", "#D55E00", "#5b2a00"
EDGE = "#9e9e9e"


def grid_lines(ax, rows: int, cols: int, x0: float = 0.0, y0: float = 0.0) -> None:
    """Thin lines between the cells of a ``rows×cols`` grid, first cell centred at (x0, y0)."""
    xs = np.arange(cols + 1) - 0.5 + x0
    ys = np.arange(rows + 1) - 0.5 + y0
    segments = [[(x, ys[0]), (x, ys[-1])] for x in xs] + [[(xs[0], y), (xs[-1], y)] for y in ys]
    ax.add_collection(LineCollection(segments, colors=EDGE, linewidths=0.6))


def _cells(ax, categories: np.ndarray, x0: float, gid: str, frame=(0, 0)):
    """A grid of categories (PADDING ... TAP) at column ``x0``; a border ``frame`` (rows,
    columns) thick is zero padding, hatched."""
    rows, cols = categories.shape
    image = ax.imshow(categories, cmap=CELL_COLOURS, vmin=0, vmax=3, interpolation="nearest",
                      gid=gid, extent=(x0 - 0.5, x0 + cols - 0.5, rows - 0.5, -0.5))
    pr, pc = frame
    strips = [(0, 0, cols, pr), (0, rows - pr, cols, pr), (0, pr, pc, rows - 2 * pr),
              (cols - pc, pr, pc, rows - 2 * pr)]
    for x, y, w, h in strips:
        if w and h:
            ax.add_patch(Rectangle((x0 + x - 0.5, y - 0.5), w, h, fill=False, hatch="///",
                                   edgecolor="#a0a0a0", linewidth=0, gid="padding"))
    grid_lines(ax, rows, cols, x0=x0)
    return image


def _torch_check(height, width, axes: tuple[Axis, Axis], expected) -> str:
    """The shape a real ``nn.Conv2d`` (or ``nn.ConvTranspose2d``) gives, and whether it agrees."""
    conv, name = (F.conv_transpose2d, "nn.ConvTranspose2d") if axes[0].transposed else (
        F.conv2d, "nn.Conv2d")
    with torch.no_grad():
        got = tuple(conv(torch.zeros(1, 1, height, width),
                         torch.zeros(1, 1, *(a.kernel for a in axes)),
                         stride=tuple(a.stride for a in axes),
                         padding=tuple(a.padding for a in axes),
                         dilation=tuple(a.dilation for a in axes)).shape)
    verdict = "agrees ✓" if got[-2:] == tuple(expected) else "DISAGREES ✗"
    return f"{name} on a 1×1×{height}×{width} input gives {got}: PyTorch {verdict}"


def conv2d_diagram(
    height: int,
    width: int,
    kernel=3,
    stride=1,
    padding=0,
    dilation=1,
    position=0,
    check: bool = True,
    size: float = 4.0,
    transposed: bool = False,
) -> Figure:
    """The padded input, the dilated kernel at one output ``position``, and the output map.

    ``position`` is a row-major index into the output or a pair (row, col); ``kernel``,
    ``stride``, ``padding`` and ``dilation`` are each an int or a pair (rows, cols). The taps
    are dots on orange cells inside a dashed box (the dilated span); the output cell they
    produce is blue. With ``transposed`` the input is drawn unpadded and the output with the
    border that padding crops (hatched), for ``nn.ConvTranspose2d``. Below: both size formulas
    with their numbers and, with ``check``, the shape PyTorch gives. ``ValueError`` for an
    impossible setting.
    """
    axes = conv_axes(kernel, stride, padding, dilation, transposed)
    fp = footprint(height, width, *axes, position)
    (out_h, out_w), (i, j) = fp["output"], fp["position"]
    pr, pc = (a.padding for a in axes)
    shift = (0, 0) if transposed else (pr, pc)  # where input cell (0, 0) is drawn
    inputs = np.full((height + 2 * shift[0], width + 2 * shift[1]), PADDING)
    inputs[shift[0]:shift[0] + height, shift[1]:shift[1] + width] = INPUT
    taps = [(r + shift[0], c + shift[1]) for r in fp["rows"] for c in fp["cols"]
            if r is not None and c is not None]
    for r, c in taps:
        inputs[r, c] = TAP if inputs[r, c] == INPUT else TAP_ON_PADDING
    crop = (pr, pc) if transposed else (0, 0)  # the output's border that padding crops
    outputs = np.full((out_h + 2 * crop[0], out_w + 2 * crop[1]), PADDING)
    outputs[crop[0]:crop[0] + out_h, crop[1]:crop[1] + out_w] = INPUT

    fig = CourseFigure(figsize=(size * 2.1, size * 1.05))
    ax = fig.add_axes((0.03, 0.3, 0.94, 0.55))
    ax.set_axis_off()
    ax.set_anchor("NW")
    x_out = inputs.shape[1] + 3
    ax.set_xlim(-0.5, x_out + outputs.shape[1] - 0.5)
    ax.set_ylim(max(inputs.shape[0], outputs.shape[0]) - 0.5, -0.5)
    ax.set_aspect("equal")
    _cells(ax, inputs, 0, "cells", shift)
    out_image = _cells(ax, outputs, x_out, "output", crop)
    out_image.set_cmap(ListedColormap(["#d9d9d9", OUTPUT_COLOUR, "#d9d9d9", CHOSEN]))
    chosen = outputs.copy()
    chosen[i + crop[0], j + crop[1]] = TAP
    out_image.set_data(chosen)
    rows, cols = ([t[n] for t in taps] for n in (0, 1))
    ax.plot(cols, rows, "o", color=DOTS, markersize=3, gid="taps")
    if taps:  # (an output of a transposed convolution can receive nothing)
        ax.add_patch(Rectangle((min(cols) - 0.5, min(rows) - 0.5), max(cols) - min(cols) + 1,
                               max(rows) - min(rows) + 1, fill=False, edgecolor=SPAN,
                               linewidth=2, linestyle="--", gid="span"))
        ax.add_patch(FancyArrowPatch((max(cols) + 0.5, (min(rows) + max(rows)) / 2),
                                     (x_out + j + crop[1] - 0.5, i + crop[0]), color=SPAN,
                                     arrowstyle="->", mutation_scale=12, linewidth=1.5))
    ax.text(-0.5, -0.8, f"input {height}×{width}" + ("" if transposed else
            f", padding ({pr}, {pc}) → {inputs.shape[0]}×{inputs.shape[1]}"),
            fontsize=10, va="bottom")
    ax.text(x_out - 0.5, -0.8, f"output {out_h}×{out_w}, cell ({i}, {j})"
            + (f", padding crops ({pr}, {pc})" if transposed and (pr or pc) else ""),
            fontsize=10, va="bottom")
    lines = [axes[0].formula(height, "H"), axes[1].formula(width, "W")]
    if check:
        lines.append(_torch_check(height, width, axes, (out_h, out_w)))
    fig.text(0.03, 0.24, "\n".join(lines), fontsize=9.5, va="top", linespacing=1.6)
    k, s, d = ([getattr(a, n) for a in axes] for n in ("kernel", "stride", "dilation"))
    fig.suptitle(f"{'transposed ' if transposed else ''}kernel {k[0]}×{k[1]}, stride "
                 f"({s[0]}, {s[1]}), dilation ({d[0]}, {d[1]}): the kernel spans "
                 f"{axes[0].span}×{axes[1].span} cells", fontsize=11, x=0.03, ha="left")
    return fig


def conv1d_diagram(
    length: int,
    kernel: int = 3,
    stride: int = 1,
    padding: int = 0,
    dilation: int = 1,
    position: int = 0,
    check: bool = True,
    size: float = 4.0,
) -> Figure:
    """A 1d convolution: the padded input row, the taps of output ``position``, the output row.

    Each output cell sits under the centre of its window, so the stride shows as the spacing
    between output cells. The formula is shown with its numbers and, with ``check``, the length
    ``nn.Conv1d`` gives on a ``1×1×length`` input. ``ValueError`` for an impossible setting.
    """
    axis = Axis(kernel, stride, padding, dilation)
    out = axis.output_size(length)
    if isinstance(position, bool) or not isinstance(position, numbers.Integral):
        raise ValueError(f"position must be an int, got {position!r}")
    if not 0 <= position < out:
        raise ValueError(f"position must be in [0, {out - 1}] for an output of {out}, "
                         f"got {position}")
    taps = [t + padding for t in axis.window(position, length)]
    cells = np.full((1, length + 2 * padding), PADDING)
    cells[0, padding:padding + length] = INPUT
    cells[0, taps] = np.where(cells[0, taps] == INPUT, TAP, TAP_ON_PADDING)
    width = max(cells.shape[1], 8)
    fig = CourseFigure(figsize=(max(size * 2.1, 0.32 * width), size * 0.95))
    ax = fig.add_axes((0.08, 0.36, 0.9, 0.46))
    _cells(ax, cells, 0, "cells", (0, padding))
    y_out = 2.5
    centres = [o * stride + (axis.span - 1) / 2 for o in range(out)]
    for o, x in enumerate(centres):
        ax.add_patch(Rectangle((x - 0.5, y_out - 0.5), 1, 1, edgecolor=EDGE, linewidth=0.6,
                               facecolor=CHOSEN if o == position else OUTPUT_COLOUR,
                               gid="output"))
    ax.add_collection(LineCollection([[(t, 0.5), (centres[position], y_out - 0.5)]
                                      for t in taps], colors=SPAN, linewidths=1.2))
    ax.plot(taps, [0] * len(taps), "o", color=DOTS, markersize=3, gid="taps")
    ax.text(-1.0, 0, "input", ha="right", va="center", fontsize=9)
    ax.text(-1.0, y_out, "output", ha="right", va="center", fontsize=9)
    ax.set_xlim(-0.5, width - 0.5)
    ax.set_ylim(y_out + 0.7, -0.7)
    ax.set_aspect("equal")
    ax.set_axis_off()
    lines = [axis.formula(length, "L")]
    if check:
        with torch.no_grad():
            got = tuple(F.conv1d(torch.zeros(1, 1, length), torch.zeros(1, 1, kernel), None,
                                 stride, padding, dilation).shape)
        verdict = "agrees ✓" if got[-1] == out else "DISAGREES ✗"
        lines.append(f"nn.Conv1d on a 1×1×{length} input gives {got}: PyTorch {verdict}")
    fig.text(0.03, 0.27, "\n".join(lines), fontsize=10, va="top", linespacing=1.6)
    fig.suptitle(f"length {length}, padding {padding}, kernel {kernel}, stride {stride}, "
                 f"dilation {dilation} (span {axis.span}): output cell {position} of {out}",
                 fontsize=11)
    return fig
