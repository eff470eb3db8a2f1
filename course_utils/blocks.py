"""Convolutions and networks drawn as blocks of numbers (notebooks 01, 02, 07 and 08).

- :func:`conv1d_steps`: a 1d convolution one output at a time (window, products, sum); the
  same picture with a slider over the positions is the explorer
  :class:`course_utils.widgets.conv1d_stepper.Conv1dStepper`.
- :func:`conv2d_blocks`: a ``C×H×W`` input, ``D`` kernels ``C×h×w`` and the ``D×H'×W'`` output
  as boxes drawn to scale, their sizes written on them.
- :func:`network_diagram`: any network as a row of boxes, one per step of its forward pass,
  each sized by the activation it outputs (measured by :func:`course_utils.summary.summarize`).

Every number drawn comes from PyTorch (``F.conv1d``, ``F.conv2d``, a forward pass), not from a
formula typed here. Boxes are drawn in an oblique projection: channels go back and up.
"""

from __future__ import annotations

import math
import re

import torch
import torch.nn.functional as F
from matplotlib.patches import Polygon, Rectangle
from torch import nn

from course_utils.summary import Row, size_text, summarize
from course_utils.viz import CourseFigure

WINDOW, PAST, FUTURE, EDGE = "#fdae6b", "#ffffff", "#eeeeee", "#555555"
KERNEL_COLOURS = ["#e6550d", "#3182bd", "#31a354", "#756bb1", "#d6616b", "#8c6d31"]
DEPTH = (0.45, 0.35)  # where one channel of depth moves a box's back face: right and up
MAX_LENGTH = 16


def _number(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else f"{v:.2g}"


def _vector(v, name: str) -> torch.Tensor:
    if not isinstance(v, torch.Tensor) or not v.is_floating_point():
        got = v.dtype if isinstance(v, torch.Tensor) else type(v).__name__
        raise TypeError(f"{name} must be a floating-point torch.Tensor, got {got}")
    if v.dim() != 1:
        raise ValueError(f"{name} must be 1d, got shape {tuple(v.shape)}")
    return v.detach().cpu()


def _check_1d(x, u) -> tuple[torch.Tensor, torch.Tensor]:
    x, u = _vector(x, "x"), _vector(u, "u")
    if not 1 <= len(u) <= len(x) <= MAX_LENGTH:
        raise ValueError(f"expected 1 <= w <= W <= {MAX_LENGTH} (longer rows are unreadable), "
                         f"got W = {len(x)} and w = {len(u)}")
    return x, u


def _cells(ax, y, values, colours, start, gid) -> None:
    for k, (v, colour) in enumerate(zip(values, colours, strict=True)):
        ax.add_patch(Rectangle((start + k, y), 1, 1, fc=colour, ec=EDGE, lw=0.8))
        if v is not None:
            ax.text(start + k + 0.5, y + 0.5, v, ha="center", va="center", fontsize=10, gid=gid)


def conv1d_steps(x: torch.Tensor, u: torch.Tensor, positions=None, size: float = 0.42):
    """``x ⊛ u`` one output at a time: for each position, the window of ``x`` under ``u``,
    the products, and their sum written into the output row.

    ``x``: ``(W,)``, ``u``: ``(w,)``; ``positions``: output indices to draw, one panel each
    (default all ``W - w + 1``). The outputs are ``F.conv1d``'s.
    """
    x, u = _check_1d(x, u)
    out = F.conv1d(x.view(1, 1, -1), u.view(1, 1, -1)).view(-1)
    positions = list(range(len(out))) if positions is None else list(positions)
    if not positions or any(not 0 <= p < len(out) for p in positions):
        raise ValueError(f"positions must be output indices in [0, {len(out) - 1}], "
                         f"got {positions}")
    panel = len(x) + 1.5
    right = panel * len(positions) - 1.5
    fig = CourseFigure(figsize=(size * (right + 4), size * 5.6))
    ax = fig.add_axes((0, 0, 1, 1))
    for y, name in zip((3, 2, 1, 0), ("x", "u", "products", "x ⊛ u"), strict=True):
        ax.text(-0.3, y + 0.5, name, ha="right", va="center", fontsize=9)
    for n, i in enumerate(positions):
        left, window = n * panel, range(i, i + len(u))
        products = x[i : i + len(u)] * u
        _cells(ax, 3, [_number(v) for v in x],
               [WINDOW if k in window else PAST for k in range(len(x))], left, "x")
        _cells(ax, 2, [f"×{_number(v)}" for v in u], [WINDOW] * len(u), left + i, "u")
        _cells(ax, 1, [_number(v) for v in products], [PAST] * len(u), left + i, "product")
        shown = [_number(v) if k <= i else None for k, v in enumerate(out)]
        _cells(ax, 0, shown, [WINDOW if k == i else PAST if k < i else FUTURE
                              for k in range(len(out))], left, "output")
        terms = " + ".join(_number(v) for v in products).replace("+ -", "− ")
        ax.text(left + len(x) / 2, 4.3, f"output {i}: {terms} = {_number(out[i])}",
                ha="center", va="bottom", fontsize=10, gid="sum")
    ax.set_xlim(-3.8, right + 0.2)
    ax.set_ylim(-0.2, 5.4)
    ax.set_aspect("equal")
    ax.set_axis_off()
    return fig


def _box(ax, x, y, w, h, depth, colour, faces="fst", slices=1, gid=None) -> None:
    """A box ``w`` wide and ``h`` tall, front face lower-left at ``(x, y)``, ``depth`` deep
    (drawn up and to the right), with ``faces`` among front/side/top and ``slices`` lines
    across its depth."""
    dx, dy = depth * DEPTH[0], depth * DEPTH[1]
    style = dict(fc=colour, ec=EDGE, lw=0.7, gid=gid)
    if "t" in faces:
        ax.add_patch(Polygon([(x, y + h), (x + w, y + h), (x + w + dx, y + h + dy),
                              (x + dx, y + h + dy)], **style))
    if "s" in faces:
        ax.add_patch(Polygon([(x + w, y), (x + w + dx, y + dy), (x + w + dx, y + h + dy),
                              (x + w, y + h)], **style))
    if "f" in faces:
        ax.add_patch(Rectangle((x, y), w, h, **style))
    if slices <= 32:  # more would blur into a grey face
        for k in range(1, slices):
            sx, sy = dx * k / slices, dy * k / slices
            ax.plot([x + sx, x + w + sx, x + w + sx], [y + h + sy, y + h + sy, y + sy],
                    color=EDGE, lw=0.3)


def _shape(shape, name: str, length: int) -> tuple[int, ...]:
    try:
        shape = tuple(int(s) for s in shape)
    except (TypeError, ValueError) as err:
        raise TypeError(f"{name} must be a shape (a tuple of ints), got {shape!r}") from err
    if len(shape) != length or any(s < 1 for s in shape):
        raise ValueError(f"expected {name} of {length} positive sizes, got {shape}")
    return shape


def conv2d_blocks(input_shape, weight_shape, unit: float = 0.2):
    """A layer's tensors as boxes to scale: the ``C×H×W`` input with the window of output
    ``(0, 0)``, the ``D`` kernels ``C×h×w``, and the ``D×H'×W'`` output, one slice per kernel.

    ``input_shape``: ``(C, H, W)``; ``weight_shape``: ``(D, C, h, w)`` (e.g. ``x.shape`` and
    ``conv.weight.shape``). The output size is ``F.conv2d``'s, run on the meta device.
    """
    c, height, width = _shape(input_shape, "input_shape", 3)
    d, kc, h, w = _shape(weight_shape, "weight_shape", 4)
    if kc != c or h > height or w > width:
        raise ValueError(f"a kernel {kc}×{h}×{w} does not fit a {c}×{height}×{width} input "
                         "(same C needed, h <= H, w <= W)")
    with torch.device("meta"):
        out = F.conv2d(torch.empty(1, c, height, width), torch.empty(d, c, h, w))
    _, d, out_h, out_w = out.shape
    shown = min(d, len(KERNEL_COLOURS))
    kernels_x = width + c * DEPTH[0] + 3.5
    out_x = kernels_x + max(w + c * DEPTH[0], 6) + 3.5
    right = out_x + out_w + d * DEPTH[0]
    stack = shown * h + (shown - 1) * 1.0
    middle = max(height, stack, out_h) / 2
    yi, yo, bottom = middle - height / 2, middle - out_h / 2, min(middle - stack / 2, 0.0)
    top = max(yi + height + c * DEPTH[1], middle + stack / 2, yo + out_h + d * DEPTH[1]) + 1.5
    fig = CourseFigure(figsize=(unit * (right + 4.5), unit * (top + 4.5)))
    ax = fig.add_axes((0, 0, 1, 1))
    _box(ax, 0, yi, width, height, c, "#d9d9d9", slices=c, gid="input")
    _box(ax, 0, yi + height - h, w, h, c, WINDOW, faces="ft", gid="window")
    for k in range(shown):
        y0 = middle + stack / 2 - h - k * (h + 1.0)
        _box(ax, kernels_x, y0, w, h, c, KERNEL_COLOURS[k], slices=c, gid="kernel")
    for k in reversed(range(d)):
        _box(ax, out_x + k * DEPTH[0], yo + k * DEPTH[1], out_w, out_h, 1,
             KERNEL_COLOURS[k] if k < shown else "#bdbdbd", gid="output")
    _box(ax, out_x, yo + out_h - 1, 1, 1, d, WINDOW, faces="ft", gid="output value")
    ax.text(kernels_x - 1.75, middle, "⊛", ha="center", va="center", fontsize=16)
    ax.text(out_x - 1.75, middle, "=", ha="center", va="center", fontsize=16)
    text = dict(ha="center", va="top", fontsize=9)
    side = text | dict(va="center", rotation=90)
    ax.text(width / 2, yi - 0.5, f"W = {width}", **text)
    ax.text(-0.5, middle, f"H = {height}", **side | dict(ha="right"))
    ax.text(c * DEPTH[0] / 2, yi + height + c * DEPTH[1] + 0.3, f"C = {c}", fontsize=9)
    ax.text(out_x + out_w / 2, yo - 0.5, f"W′ = W − w + 1 = {out_w}", **text)
    ax.text(right + 0.5, middle, f"H′ = H − h + 1 = {out_h}", **side | dict(ha="left"))
    ax.text(out_x + d * DEPTH[0] / 2, yo + out_h + d * DEPTH[1] + 0.3, f"D = {d}", fontsize=9)
    bold = text | dict(fontsize=10, weight="bold", gid="size")
    ax.text(width / 2, bottom - 2.0, f"input {c}×{height}×{width}", **bold)
    drawn = f" ({shown} drawn)" if shown < d else ""
    ax.text(kernels_x + w / 2, bottom - 2.0, f"{d} kernels {c}×{h}×{w}{drawn}", **bold)
    ax.text(out_x + out_w / 2, bottom - 2.0, f"output {d}×{out_h}×{out_w}", **bold)
    ax.set_xlim(-2, right + 2.5)
    ax.set_ylim(bottom - 3.5, top)
    ax.set_aspect("equal")
    ax.set_axis_off()
    return fig


def _kind(operation: str) -> str:
    name = operation.split("(")[0].split(".")[-1].lower()
    for kind in ("conv", "pool", "linear", "view", "flatten", "reshape"):
        if kind in name:
            return "reshape" if kind in ("view", "flatten") else kind
    return "other"


KIND_COLOURS = {"input": "#f0f0f0", "conv": "#9ecae1", "pool": "#a1d99b", "linear": "#fdae6b",
                "reshape": "#d9d9d9", "other": "#dadaeb"}
_QUIET = re.compile(r",?\s*\b(padding=0|dilation=1|ceil_mode=False|inplace=(True|False))\b")


def _label(operation: str, width: int = 22) -> str:
    """``nn.MaxPool2d(kernel_size=3, stride=2, padding=0, ...)`` as short wrapped lines."""
    text = _QUIET.sub("", operation).replace("(x, ", "(").replace("(x)", "()")
    name, _, rest = text.partition("(")
    lines, line = [name.split(".")[-1]], ""
    for part in re.split(r",\s*(?![^()]*\))", rest.rstrip(")")):
        if line and len(line) + len(part) > width:
            lines.append(line.rstrip(", "))
            line = ""
        line += part + ", " if part else ""
    return "\n".join([*lines, line.rstrip(", ")] if line else lines)


def _side(n: int) -> float:
    return 0.35 * math.log2(1 + n)


def _extent(shape: tuple[int, ...]) -> tuple[float, float, float]:
    """Width, height and depth (in channels of :data:`DEPTH`) of an activation's box."""
    if len(shape) <= 1:  # a vector, or a single number
        return 0.35, _side(math.prod(shape)), 0.0
    channels = math.prod(shape[:-2])
    return _side(shape[-1]), _side(shape[-2]), _side(channels) * 1.1 if channels > 1 else 0.0


def network_diagram(model: nn.Module, input_shape=(1, 28, 28), per_row: int = 8,
                    unit: float = 0.3):
    """``model`` as boxes, one per step of its forward pass on one ``input_shape`` sample.

    Each box is sized by the activation the step outputs (sides grow with the logarithm of
    each size) and labelled with the step and the size; steps that keep the size and hold no
    parameters (ReLU, Dropout) are written on the arrow that leaves the box before them.
    """
    if not isinstance(model, nn.Module):
        hint = f" (the class: build one, {model.__name__}())" if isinstance(model, type) else ""
        raise TypeError(f"expected an nn.Module, got {type(model).__name__}{hint}")
    try:
        shape = tuple(int(s) for s in input_shape)
    except (TypeError, ValueError) as err:
        raise TypeError(f"input_shape must be one sample's shape, e.g. (1, 28, 28), "
                        f"got {input_shape!r}") from err
    if not shape or min(shape) < 1:
        raise ValueError(f"input_shape must hold positive sizes, got {input_shape!r}")
    try:
        rows = summarize(model, shape).rows
    except Exception as err:  # the model's own complaint about the input, whatever its type
        raise ValueError(f"{type(model).__name__} does not run on one input of shape "
                         f"{size_text(shape)} ({type(err).__name__}: {err})") from err
    steps: list[tuple[Row, list[str]]] = [(Row("input", 0, 0, shape), [])]
    for row in rows:
        if row.output_shape == steps[-1][0].output_shape and row.parameters == 0:
            name = _label(row.operation).split("\n")[0]
            steps[-1][1].append(re.sub(r"(?<=.{6})(?=[A-Z])", "\n", name, count=1)
                                if len(name) > 12 else name)
        else:
            steps.append((row, []))
    boxes = [_extent(row.output_shape) for row, _ in steps]
    slot = max(4.0, max(w + d * DEPTH[0] for w, _, d in boxes) + 1.6)
    tallest = max(h + d * DEPTH[1] for _, h, d in boxes)
    height = tallest + 3.4
    n_rows = math.ceil(len(steps) / per_row)
    per_row = math.ceil(len(steps) / n_rows)
    fig = CourseFigure(figsize=(unit * slot * per_row, unit * height * n_rows))
    ax = fig.add_axes((0, 0, 1, 1))
    for index, ((row, after), (w, h, depth)) in enumerate(zip(steps, boxes, strict=True)):
        line, col = divmod(index, per_row)
        x0, base = col * slot + 0.2, (n_rows - 1 - line) * height + 3.1
        kind = "input" if index == 0 else _kind(row.operation)
        _box(ax, x0, base, w, h, depth, KIND_COLOURS[kind], faces="fst" if depth else "f",
             gid="activation")
        ax.text(x0, base - 0.25, size_text(row.output_shape), va="top", fontsize=8,
                weight="bold", gid="shape")
        ax.text(x0, base - 0.95, "input" if index == 0 else _label(row.operation), va="top",
                fontsize=7, linespacing=1.1, gid="operation")
        if index + 1 < len(steps) or after:  # the last box's arrow only carries labels
            start, y = x0 + w + depth * DEPTH[0] + 0.15, base + min(h, 1.0) / 2
            last_in_row = col + 1 == per_row or index + 1 == len(steps)
            end = start + 1.0 if last_in_row else (col + 1) * slot + 0.05
            ax.annotate("", (end, y), (start, y),
                        arrowprops=dict(arrowstyle="->", color=EDGE, lw=0.8))
            if after:
                ax.text((start + end) / 2, y + 0.15, "\n".join(after), ha="center",
                        va="bottom", fontsize=6.5, color="#444444", gid="arrow")
    ax.set_xlim(0, slot * per_row)
    ax.set_ylim(0, height * n_rows)
    ax.set_aspect("equal")
    ax.set_axis_off()
    return fig
