"""Drawings of convolution arithmetic: padding, stride, dilation, receptive fields, pooling.

Notebooks 03 and 04 draw with these functions, and so do their explorers (each redraw calls
one of them). Every function returns a matplotlib ``Figure`` made without pyplot and raises
``ValueError`` with a readable message for an impossible setting (a kernel wider than the
padded input, an output position outside the output map).

Colours: input cells white, zero padding grey and hatched, the kernel's taps orange (a lighter
orange where a tap falls on padding and so reads a zero), the output cell they produce orange.
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping, Sequence

import numpy as np
import torch
import torch.nn.functional as F
from matplotlib.collections import LineCollection, PatchCollection
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch, Rectangle

from course_utils.arithmetic import (
    Layer,
    _per_dim,
    conv_output_size,
    effective_kernel_size,
    pool_output_size,
    receptive_fields,
    window_positions,
)
from course_utils.viz import CourseFigure

# Cell categories of the padded input image, and their colours.
PADDING, INPUT, TAP_ON_PADDING, TAP = 0, 1, 2, 3
CELL_COLOURS = ListedColormap(["#d9d9d9", "#ffffff", "#fdd0a2", "#f16913"])
OUTPUT_COLOUR, HIGHLIGHT = "#dbe9f6", "#f16913"
EDGE = "#9e9e9e"


def _check_mode(mode: str) -> str:
    if mode not in ("1d", "2d"):
        raise ValueError(f"mode must be '1d' or '2d', got {mode!r}")
    return mode


def _grid_lines(ax, rows: int, cols: int, x0: float = 0.0, y0: float = 0.0) -> None:
    """Thin lines between the cells of a ``rows×cols`` grid, first cell centred at (x0, y0)."""
    xs = np.arange(cols + 1) - 0.5 + x0
    ys = np.arange(rows + 1) - 0.5 + y0
    segments = [[(x, ys[0]), (x, ys[-1])] for x in xs] + [[(xs[0], y), (xs[-1], y)] for y in ys]
    ax.add_collection(LineCollection(segments, colors=EDGE, linewidths=0.6))


def _hatch_padding(ax, rows: int, cols: int, pad_r: int, pad_c: int) -> None:
    """Hatched strips over the zero padding of a padded ``rows×cols`` grid."""
    strips = []
    if pad_r:
        strips += [(-0.5, -0.5, cols, pad_r), (-0.5, rows - pad_r - 0.5, cols, pad_r)]
    if pad_c:
        inner = rows - 2 * pad_r
        strips += [
            (-0.5, pad_r - 0.5, pad_c, inner),
            (cols - pad_c - 0.5, pad_r - 0.5, pad_c, inner),
        ]
    for x, y, w, h in strips:
        ax.add_patch(Rectangle((x, y), w, h, fill=False, hatch="///", edgecolor="#a0a0a0",
                               linewidth=0, gid="padding"))


def _formula(name: str, size: int, k: int, s: int, p: int, d: int, out: int) -> str:
    """The output-size formula for one dimension, with its numbers filled in.

    Plain text with Unicode floor brackets (no mathtext: it is redrawn on every slider move).
    """
    top = size + 2 * p - d * (k - 1) - 1
    return (
        f"{name}_out = ⌊({name} + 2p − d(k−1) − 1) / s⌋ + 1"
        f" = ⌊({size} + 2·{p} − {d}·({k}−1) − 1) / {s}⌋ + 1 = ⌊{top} / {s}⌋ + 1 = {out}"
    )


def _position_2d(position, out_h: int, out_w: int) -> tuple[int, int]:
    if isinstance(position, numbers.Integral) and not isinstance(position, bool):
        if not 0 <= position < out_h * out_w:
            raise ValueError(
                f"position must be in [0, {out_h * out_w - 1}] for a {out_h}×{out_w} output, "
                f"got {position}"
            )
        return divmod(int(position), out_w)
    try:
        i, j = position
    except (TypeError, ValueError):
        raise ValueError(
            f"position must be an int (row-major index) or a pair (row, col), got {position!r}"
        ) from None
    if not (0 <= i < out_h and 0 <= j < out_w):
        raise ValueError(
            f"position must be inside the {out_h}×{out_w} output, got ({i}, {j})"
        )
    return int(i), int(j)


def conv2d_footprint(
    height: int, width: int, kernel, stride=1, padding=0, dilation=1, position=0
) -> dict:
    """What output ``position`` of a 2d convolution reads, as a dict of plain values.

    Keys: ``output`` (out_h, out_w), ``position`` (row, col), ``rows`` and ``cols`` (the
    kernel taps' rows and columns in unpadded input coordinates, negative or >= the size on
    padding), ``reads`` (the set of (row, col) input cells actually read, padding excluded).
    Arguments other than the sizes are an int or a pair (rows, cols).
    """
    k, s, p, d = (_per_dim(n, v, 2) for n, v in (
        ("kernel", kernel), ("stride", stride), ("padding", padding), ("dilation", dilation)))
    out_h = conv_output_size(height, k[0], s[0], p[0], d[0])
    out_w = conv_output_size(width, k[1], s[1], p[1], d[1])
    i, j = _position_2d(position, out_h, out_w)
    rows = window_positions(i, height, k[0], s[0], p[0], d[0])
    cols = window_positions(j, width, k[1], s[1], p[1], d[1])
    reads = {(r, c) for r in rows for c in cols if 0 <= r < height and 0 <= c < width}
    return dict(output=(out_h, out_w), position=(i, j), rows=rows, cols=cols, reads=reads,
                kernel=k, stride=s, padding=p, dilation=d)


class Conv2dPicture:
    """The 2d drawing for one geometry; :meth:`show` moves the kernel to another position.

    Building the figure is the slow part of a redraw; moving the kernel only updates a few
    artists, which keeps an animation over every output position smooth. Everything is drawn
    in one axes (input grid on the left, output grid on the right) to keep the build cheap.
    ``lines`` holds the formulas with their numbers (and the PyTorch check with ``check``);
    with ``text=False`` they are not drawn, for a caller that shows them elsewhere.
    """

    GAP = 3  # least number of cells between the input and the output grids, for the arrow

    def __init__(self, height, width, kernel=3, stride=1, padding=0, dilation=1,
                 check: bool = True, size: float = 4.0, text: bool = True):
        fp = conv2d_footprint(height, width, kernel, stride, padding, dilation, 0)
        self.height, self.width = height, width
        self.output = (out_h, out_w) = fp["output"]
        k, s, p, d = fp["kernel"], fp["stride"], fp["padding"], fp["dilation"]
        self.params = dict(kernel=k, stride=s, padding=p, dilation=d)
        ph, pw = height + 2 * p[0], width + 2 * p[1]
        self.base = np.full((ph, pw), PADDING)
        self.base[p[0]:p[0] + height, p[1]:p[1] + width] = INPUT
        fig_w, fig_h = size * 2.1, size * (1.05 if text else 0.78)
        box = (0.03, 0.3, 0.94, 0.55) if text else (0.03, 0.03, 0.94, 0.8)
        # When the height limits the cell size, widen the gap so the picture fills the width.
        cell = box[3] * fig_h / max(ph, out_h)
        gap = min(max(self.GAP, box[2] * fig_w / cell - pw - out_w), max(self.GAP, pw))
        self.x_out = x_out = pw + gap  # column where the output grid starts

        fig = self.figure = CourseFigure(figsize=(fig_w, fig_h))
        ax = self.ax = fig.add_axes(box)
        ax.set_axis_off()
        ax.set_anchor("NW")
        ax.set_xlim(-0.5, x_out + out_w - 0.5)
        ax.set_ylim(max(ph, out_h) - 0.5, -0.5)
        ax.set_aspect("equal")
        self.cells = ax.imshow(self.base, cmap=CELL_COLOURS, vmin=0, vmax=3,
                               interpolation="nearest", gid="cells",
                               extent=(-0.5, pw - 0.5, ph - 0.5, -0.5))
        _hatch_padding(ax, ph, pw, p[0], p[1])
        _grid_lines(ax, ph, pw)
        self.span = Rectangle((0, 0), 1, 1, fill=False, edgecolor=HIGHLIGHT, linewidth=2,
                              linestyle="--", gid="span")
        ax.add_patch(self.span)
        (self.taps,) = ax.plot([], [], "o", color="#7f2704", markersize=3, gid="taps")
        self.out = ax.imshow(
            np.zeros((out_h, out_w)), cmap=ListedColormap([OUTPUT_COLOUR, HIGHLIGHT]), vmin=0,
            vmax=1, interpolation="nearest", gid="output",
            extent=(x_out - 0.5, x_out + out_w - 0.5, out_h - 0.5, -0.5))
        _grid_lines(ax, out_h, out_w, x0=x_out)
        ax.text(-0.5, -0.8, f"input {height}×{width}, padding ({p[0]}, {p[1]}) → {ph}×{pw}",
                fontsize=10, va="bottom")
        self.out_title = ax.text(x_out - 0.5, -0.8, "", fontsize=10, va="bottom")
        self.arrow = FancyArrowPatch((0, 0), (1, 1), arrowstyle="->", mutation_scale=12,
                                     color=HIGHLIGHT, linewidth=1.5)
        ax.add_patch(self.arrow)
        lines = [
            _formula("H", height, k[0], s[0], p[0], d[0], out_h),
            _formula("W", width, k[1], s[1], p[1], d[1], out_w),
        ]
        if check:
            lines.append(_torch_check_2d(height, width, k, s, p, d, (out_h, out_w)))
        self.lines = lines
        if text:
            fig.text(0.03, 0.24, "\n".join(lines), fontsize=9.5, va="top", linespacing=1.6)
        fig.suptitle(
            f"kernel {k[0]}×{k[1]}, stride ({s[0]}, {s[1]}), dilation ({d[0]}, {d[1]}): "
            f"the kernel spans {1 + (k[0] - 1) * d[0]}×{1 + (k[1] - 1) * d[1]} cells",
            fontsize=11, x=0.03, ha="left",
        )
        self.position = None

    def show(self, position) -> Figure:
        """Move the kernel to output ``position`` (row-major index or (row, col))."""
        out_h, out_w = self.output
        i, j = _position_2d(position, out_h, out_w)
        k, s, p, d = (self.params[n] for n in ("kernel", "stride", "padding", "dilation"))
        tap_r = [r + p[0] for r in window_positions(i, self.height, k[0], s[0], p[0], d[0])]
        tap_c = [c + p[1] for c in window_positions(j, self.width, k[1], s[1], p[1], d[1])]
        cells = self.base.copy()
        rr, cc = np.meshgrid(tap_r, tap_c, indexing="ij")
        cells[rr, cc] = np.where(cells[rr, cc] == INPUT, TAP, TAP_ON_PADDING)
        self.cells.set_data(cells)
        self.span.set_xy((tap_c[0] - 0.5, tap_r[0] - 0.5))
        self.span.set_width(tap_c[-1] - tap_c[0] + 1)
        self.span.set_height(tap_r[-1] - tap_r[0] + 1)
        self.taps.set_data(cc.ravel(), rr.ravel())
        out = np.zeros((out_h, out_w))
        out[i, j] = 1
        self.out.set_data(out)
        self.out_title.set_text(f"output {out_h}×{out_w}, cell ({i}, {j})")
        self.arrow.set_positions((tap_c[-1] + 0.5, (tap_r[0] + tap_r[-1]) / 2),
                                 (self.x_out + j - 0.5, i))
        self.position = (i, j)
        return self.figure


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
) -> Figure:
    """Padded input, the dilated kernel at one output position, and the output map.

    ``position`` is a row-major index into the output map or a pair (row, col); ``kernel``,
    ``stride``, ``padding`` and ``dilation`` are each an int or a pair (rows, cols). Zero
    padding is grey and hatched; the kernel's taps are orange dots on orange cells (light
    orange on padding, where they read a zero), inside a dashed box showing the dilated span;
    the output cell they produce is orange. Below: the formula for both output sizes with the
    numbers filled in, and, with ``check``, the shape ``nn.Conv2d`` gives on a
    ``1×1×height×width`` input. ``ValueError`` for an impossible setting.
    """
    picture = Conv2dPicture(height, width, kernel, stride, padding, dilation, check, size)
    return picture.show(position)


def _torch_check_2d(height, width, k, s, p, d, expected) -> str:
    weight = torch.zeros(1, 1, *k)
    got = tuple(F.conv2d(torch.zeros(1, 1, height, width), weight, None, s, p, d).shape)
    verdict = "agrees ✓" if got[-2:] == expected else "DISAGREES ✗"
    return f"nn.Conv2d on a 1×1×{height}×{width} input gives {got}: PyTorch {verdict}"


class Conv1dPicture:
    """The 1d drawing for one geometry; :meth:`show` moves the kernel to another position.

    ``lines`` and ``text`` as in :class:`Conv2dPicture`.
    """

    def __init__(self, length, kernel=3, stride=1, padding=0, dilation=1,
                 check: bool = True, size: float = 4.0, text: bool = True):
        out = self.output = conv_output_size(length, kernel, stride, padding, dilation)
        self.length, self.params = length, (kernel, stride, padding, dilation)
        self.key = (length, kernel, stride, padding, dilation, check, size)
        padded = length + 2 * padding
        span = effective_kernel_size(kernel, dilation)
        self.base = np.full((1, padded), PADDING)
        self.base[0, padding:padding + length] = INPUT
        width = max(padded, 8)
        fig = self.figure = CourseFigure(
            figsize=(max(size * 2.1, 0.32 * width), size * (0.95 if text else 0.68)))
        ax = self.ax = fig.add_axes((0.08, 0.36, 0.9, 0.46) if text else (0.08, 0.04, 0.9, 0.68))
        self.y_out = y_out = 2.5
        self.cells = ax.imshow(self.base, cmap=CELL_COLOURS, vmin=0, vmax=3,
                               interpolation="nearest", gid="cells",
                               extent=(-0.5, padded - 0.5, 0.5, -0.5))
        _hatch_padding(ax, 1, padded, 0, padding)
        _grid_lines(ax, 1, padded)
        self.centres = [o * stride + (span - 1) / 2 for o in range(out)]
        self.out_cells = PatchCollection(
            [Rectangle((c - 0.5, y_out - 0.5), 1, 1) for c in self.centres],
            facecolors=OUTPUT_COLOUR, edgecolors=EDGE, linewidths=0.6, gid="output")
        ax.add_collection(self.out_cells)
        self.links = LineCollection([], colors=HIGHLIGHT, linewidths=1.2)
        ax.add_collection(self.links)
        (self.taps,) = ax.plot([], [], "o", color="#7f2704", markersize=3, gid="taps")
        ax.text(-1.0, 0, "input", ha="right", va="center", fontsize=9)
        ax.text(-1.0, y_out, "output", ha="right", va="center", fontsize=9)
        ax.set_xlim(-0.5, width - 0.5)
        ax.set_ylim(y_out + 0.7, -0.7)
        ax.set_aspect("equal")
        ax.set_axis_off()
        lines = [_formula("L", length, kernel, stride, padding, dilation, out)]
        if check:
            weight = torch.zeros(1, 1, kernel)
            got = tuple(F.conv1d(torch.zeros(1, 1, length), weight, None, stride, padding,
                                 dilation).shape)
            verdict = "agrees ✓" if got[-1] == out else "DISAGREES ✗"
            lines.append(f"nn.Conv1d on a 1×1×{length} input gives {got}: PyTorch {verdict}")
        self.lines = lines
        if text:
            fig.text(0.03, 0.27, "\n".join(lines), fontsize=10, va="top", linespacing=1.6)
        self.title = fig.suptitle("", fontsize=11)
        self.span = span
        self.position = None

    def show(self, position: int) -> Figure:
        """Move the kernel to output ``position``."""
        out = self.output
        if isinstance(position, bool) or not isinstance(position, numbers.Integral):
            raise ValueError(f"position must be an int, got {position!r}")
        if not 0 <= position < out:
            raise ValueError(
                f"position must be in [0, {out - 1}] for an output of {out}, got {position}")
        kernel, stride, padding, dilation = self.params
        taps = [t + padding for t in
                window_positions(position, self.length, kernel, stride, padding, dilation)]
        cells = self.base.copy()
        cells[0, taps] = np.where(cells[0, taps] == INPUT, TAP, TAP_ON_PADDING)
        self.cells.set_data(cells)
        self.out_cells.set_facecolors(
            [HIGHLIGHT if o == position else OUTPUT_COLOUR for o in range(out)])
        self.links.set_segments(
            [[(t, 0.5), (self.centres[position], self.y_out - 0.5)] for t in taps])
        self.taps.set_data(taps, [0] * len(taps))
        self.title.set_text(
            f"length {self.length}, padding {padding}, kernel {kernel}, stride {stride}, "
            f"dilation {dilation} (span {self.span}): output cell {position} of {out}")
        self.position = position
        return self.figure


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
    picture = Conv1dPicture(length, kernel, stride, padding, dilation, check, size)
    return picture.show(position)


def conv_picture(mode: str = "2d", height: int = 5, width: int = 5, **kwargs):
    """A :class:`Conv2dPicture`, or (``mode="1d"``) a :class:`Conv1dPicture` of length ``width``."""
    if _check_mode(mode) == "1d":
        return Conv1dPicture(width, **kwargs)
    return Conv2dPicture(height, width, **kwargs)


def conv_diagram(mode: str = "2d", height: int = 5, width: int = 5, position=0,
                 **kwargs) -> Figure:
    """:func:`conv2d_diagram` (``mode="2d"``) or :func:`conv1d_diagram` of length ``width``."""
    return conv_picture(mode, height, width, **kwargs).show(position)


def _as_layer(layer) -> Layer:
    if isinstance(layer, Layer):
        return layer
    receptive_fields([layer])  # raises a clear ValueError for anything malformed
    return Layer(*layer)


def receptive_field_cone(layers: Sequence[Layer | tuple]) -> list[set[int]]:
    """The units of each level (input first) that the single top unit of a stack depends on.

    Valid (unpadded) convolutions: unit ``q`` of level ``l`` reads units
    ``q*stride + j*dilation`` (0 <= j < kernel) of level ``l-1``. Returns one set per level,
    ``len(layers) + 1`` in all, the last being ``{0}``; the first spans the receptive field.
    """
    layers = [_as_layer(layer) for layer in layers]
    levels = [{0}]
    for layer in reversed(layers):
        below = {q * layer.stride + j * layer.dilation for q in levels[0]
                 for j in range(layer.kernel)}
        levels.insert(0, below)
    return levels


def receptive_field_diagram(
    stacks: Mapping[str, Sequence[Layer | tuple]], size: float = 3.2
) -> Figure:
    """One cone per stack (the units a top unit depends on, level by level) and a growth plot.

    ``stacks`` maps a label to a list of layers (:class:`Layer` or ``(kernel, stride,
    dilation)``). Each cone is drawn in input units; the last panel plots the receptive field
    against depth for every stack, computed by :func:`receptive_fields`.
    """
    if not isinstance(stacks, Mapping) or not stacks:
        raise ValueError(f"stacks must be a non-empty dict label -> layers, got {stacks!r}")
    parsed = {label: [_as_layer(layer) for layer in layers] for label, layers in stacks.items()}
    if any(not layers for layers in parsed.values()):
        raise ValueError("every stack must have at least one layer")
    widths = [receptive_fields(layers)[-1] for layers in parsed.values()]
    depth = max(len(layers) for layers in parsed.values())
    fig = CourseFigure(figsize=(size * (len(parsed) + 1.2), size))
    grid = fig.add_gridspec(1, len(parsed) + 1, width_ratios=[*(max(w, 12) for w in widths),
                                                              max(widths) * 0.8])
    for n, (label, layers) in enumerate(parsed.items()):
        _draw_cone(fig.add_subplot(grid[0, n]), layers, label)
    ax = fig.add_subplot(grid[0, -1])
    for label, layers in parsed.items():
        fields = receptive_fields(layers)
        ax.plot(range(0, len(fields) + 1), [1, *fields], "o-", label=label)
        ax.annotate(str(fields[-1]), (len(fields), fields[-1]), textcoords="offset points",
                    xytext=(-14, 4), fontsize=9)
    ax.set_xlabel("layers")
    ax.set_ylabel("receptive field (cells)")
    ax.set_xticks(range(depth + 1))
    ax.legend(fontsize=8, loc="upper left")
    ax.grid(alpha=0.3)
    ax.set_title("growth with depth", fontsize=10)
    fig.tight_layout()
    return fig


def _draw_cone(ax, layers: list[Layer], label: str, rise: float = 3.0) -> None:
    """Units of each level (input at the bottom) as boxes, those the top unit sees coloured."""
    fields = [1, *receptive_fields(layers)]
    jumps = [1]
    for layer in layers:
        jumps.append(jumps[-1] * layer.stride)
    top = fields[-1]
    levels = receptive_field_cone(layers)

    def centre(level: int, q: int) -> float:
        return q * jumps[level] + (fields[level] - 1) / 2

    boxes, colours, segments = [], [], []
    for level in range(len(layers) + 1):
        count = (top - fields[level]) // jumps[level] + 1
        y = level * rise
        for q in range(count):
            boxes.append(Rectangle((centre(level, q) - 0.4, y - 0.4), 0.8, 0.8))
            colours.append(HIGHLIGHT if q in levels[level] else "#eeeeee")
        if level:
            layer = layers[level - 1]
            for q in levels[level]:
                for j in range(layer.kernel):
                    below = q * layer.stride + j * layer.dilation
                    segments.append([(centre(level, q), y - 0.4),
                                     (centre(level - 1, below), y - rise + 0.4)])
    ax.add_collection(LineCollection(segments, colors="#fdae6b", linewidths=0.8))
    ax.add_collection(PatchCollection(boxes, facecolors=colours, edgecolors=EDGE,
                                      linewidths=0.5, gid="units"))
    ax.set_xlim(-0.8, max(top, 12) - 0.2)
    ax.set_ylim(-0.8, len(layers) * rise + 0.8)
    ax.set_aspect("equal")
    ax.set_yticks([level * rise for level in range(len(layers) + 1)])
    ax.set_yticklabels(["input"] + [f"k={lay.kernel}, d={lay.dilation}"
                                    + (f", s={lay.stride}" if lay.stride > 1 else "")
                                    for lay in layers], fontsize=8)
    ax.tick_params(length=0)
    ax.set_xticks([])
    for spine in ax.spines.values():
        spine.set_visible(False)
    ax.set_title(f"{label}: receptive field {top}", fontsize=10)


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
    values = torch.as_tensor(x, dtype=torch.float32) if not isinstance(x, torch.Tensor) else x
    if values.dim() != 1:
        raise ValueError(f"expected a 1d tensor of values, got shape {tuple(values.shape)}")
    values = values.detach().float()
    stride = kernel if stride is None else stride
    out_len = pool_output_size(len(values), kernel, stride)
    pool = F.max_pool1d if mode == "max" else F.avg_pool1d
    pooled = pool(values[None, None], kernel, stride)[0, 0]
    if len(pooled) != out_len:  # pragma: no cover - pool_output_size is tested against PyTorch
        raise RuntimeError("pool_output_size disagrees with PyTorch")

    n = len(values)
    fig = CourseFigure(figsize=(max(size * 1.6, 0.55 * n), size * 0.75))
    ax = fig.add_axes((0.02, 0.02, 0.96, 0.8))
    tints = ["#fee6ce", "#c6dbef"]
    cover = np.zeros(n, dtype=int) - 1
    for o in range(out_len):
        cover[o * stride:o * stride + kernel] = np.where(
            cover[o * stride:o * stride + kernel] < 0, o, cover[o * stride:o * stride + kernel])
    boxes = [Rectangle((i - 0.5, -0.5), 1, 1) for i in range(n)]
    ax.add_collection(PatchCollection(
        boxes, facecolors=[tints[c % 2] if c >= 0 else "#ffffff" for c in cover],
        edgecolors=EDGE, linewidths=0.8))
    y_out = 2.2
    segments, winners = [], []
    for o in range(out_len):
        window = values[o * stride:o * stride + kernel]
        centre = o * stride + (kernel - 1) / 2
        sources = ([o * stride + int(window.argmax())] if mode == "max"
                   else list(range(o * stride, o * stride + kernel)))
        winners += sources if mode == "max" else []
        segments += [[(i, 0.5), (centre, y_out - 0.5)] for i in sources]
        ax.add_patch(Rectangle((centre - 0.5, y_out - 0.5), 1, 1, facecolor=tints[o % 2],
                               edgecolor="#555555", linewidth=1.0))
        ax.text(centre, y_out, _number(float(pooled[o])), ha="center", va="center",
                fontsize=11, gid="pooled")
    ax.add_collection(LineCollection(segments, colors="#7f2704", linewidths=1.0))
    for i in winners:
        ax.add_patch(Rectangle((i - 0.45, -0.45), 0.9, 0.9, fill=False, edgecolor="#7f2704",
                               linewidth=2))
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
