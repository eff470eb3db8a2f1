"""Drawing receptive fields: the cone of units a top unit depends on, and its growth with depth.

The units and the field sizes come from :mod:`course_utils.arithmetic`
(:func:`~course_utils.arithmetic.receptive_field_cone`,
:func:`~course_utils.arithmetic.receptive_fields`); this module only draws them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from matplotlib.collections import LineCollection, PatchCollection
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from course_utils.arithmetic import Axis, as_axis, receptive_field_cone, receptive_fields
from course_utils.viz import CourseFigure

SEEN, UNSEEN, LINKS, EDGE = "#E69F00", "#eeeeee", "#f6d79a", "#9e9e9e"


def receptive_field_diagram(
    stacks: Mapping[str, Sequence[Axis | tuple]], size: float = 3.2
) -> Figure:
    """One cone per stack (the units a top unit depends on, level by level) and a growth plot.

    ``stacks`` maps a label to a list of layers (:class:`~course_utils.arithmetic.Axis` or
    ``(kernel, stride, dilation)``). Each cone is drawn in input units; the last panel plots
    the receptive field against depth for every stack.
    """
    if not isinstance(stacks, Mapping) or not stacks:
        raise ValueError(f"stacks must be a non-empty dict label -> layers, got {stacks!r}")
    fields = {label: receptive_fields(layers) for label, layers in stacks.items()}
    if any(not f for f in fields.values()):
        raise ValueError("every stack must have at least one layer")
    widths = [f[-1] for f in fields.values()]
    fig = CourseFigure(figsize=(size * (len(stacks) + 1.2), size))
    grid = fig.add_gridspec(1, len(stacks) + 1, width_ratios=[*(max(w, 12) for w in widths),
                                                              max(widths) * 0.8])
    for n, (label, layers) in enumerate(stacks.items()):
        _draw_cone(fig.add_subplot(grid[0, n]), list(layers), label)
    ax = fig.add_subplot(grid[0, -1])
    for label, f in fields.items():
        ax.plot(range(0, len(f) + 1), [1, *f], "o-", label=label)
        ax.annotate(str(f[-1]), (len(f), f[-1]), textcoords="offset points", xytext=(-14, 4),
                    fontsize=9)
    ax.set_xlabel("layers")
    ax.set_ylabel("receptive field (cells)")
    ax.set_xticks(range(max(len(f) for f in fields.values()) + 1))
    ax.legend(fontsize=8, loc="upper left")
    ax.grid(alpha=0.3)
    ax.set_title("growth with depth", fontsize=10)
    fig.tight_layout()
    return fig


def _draw_cone(ax, layers: list, label: str, rise: float = 3.0) -> None:
    """Units of each level (input at the bottom) as boxes, those the top unit sees coloured."""
    levels = receptive_field_cone(layers)
    layers = [as_axis(layer) for layer in layers]
    fields = [1, *receptive_fields(layers)]
    jumps = [1]
    for layer in layers:
        jumps.append(jumps[-1] * layer.stride)
    top = fields[-1]

    def centre(level: int, q: int) -> float:
        return q * jumps[level] + (fields[level] - 1) / 2

    boxes, colours, segments = [], [], []
    for level in range(len(layers) + 1):
        y = level * rise
        for q in range((top - fields[level]) // jumps[level] + 1):
            boxes.append(Rectangle((centre(level, q) - 0.4, y - 0.4), 0.8, 0.8))
            colours.append(SEEN if q in levels[level] else UNSEEN)
        if level:
            layer = layers[level - 1]
            segments += [[(centre(level, q), y - 0.4),
                          (centre(level - 1, q * layer.stride + j * layer.dilation),
                           y - rise + 0.4)]
                         for q in levels[level] for j in range(layer.kernel)]
    ax.add_collection(LineCollection(segments, colors=LINKS, linewidths=0.8))
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
