"""The convolution-arithmetic explorer (notebook 03): kernel, stride, padding, dilation per axis.

The browser (``conv_explorer.js``) draws the padded input, the kernel's taps for one output
cell and the output map, the formulas with their numbers and the ``nn.Conv2d(...)`` line, and
answers every control at once. Hover or click an output cell (or use the arrow keys on the
picture) to see what it reads; ▶ walks every position; a transposed-convolution mode does the
same for ``nn.ConvTranspose2d``. The kernel confirms each geometry with a real PyTorch call
(the ``check`` trait). The geometry itself comes from :mod:`course_utils.arithmetic`.
"""

from __future__ import annotations

import json

import torch
import torch.nn.functional as F
import traitlets
from matplotlib.figure import Figure

from course_utils.arithmetic import conv_axes, output_cell
from course_utils.diagrams import conv2d_diagram
from course_utils.widgets import Explorer, es_module

LIMITS = {"size": 16, "kernel": 7, "stride": 4, "padding": 4, "dilation": 4}


def _pair():
    return traitlets.List(traitlets.Int(), minlen=2, maxlen=2).tag(sync=True)


class ConvExplorer(Explorer):
    """Explore output sizes: ``ConvExplorer(height=3, width=5, kernel=3, stride=2, padding=1)``.

    ``kernel``, ``stride``, ``padding`` and ``dilation`` are an int or a pair (rows, columns);
    ``position`` is the chosen output cell, a row-major index or a pair (row, col); sliders
    reach ``max_size`` for the input and the values of ``LIMITS`` (or the starting values).
    """

    _esm = es_module("conv_explorer.js")
    REPR = ("height", "width", "kernel", "stride", "padding", "dilation", "transposed",
            "position")
    height = traitlets.Int(5).tag(sync=True)
    width = traitlets.Int(7).tag(sync=True)
    kernel = _pair()
    stride = _pair()
    padding = _pair()
    dilation = _pair()
    transposed = traitlets.Bool(False).tag(sync=True)
    position = _pair()
    linked = traitlets.Bool(True).tag(sync=True)  # the "same for both axes" box
    interval_ms = traitlets.Int(500).tag(sync=True)
    limits = traitlets.Dict().tag(sync=True)
    check = traitlets.Dict().tag(sync=True)  # the output shape PyTorch gives, for the browser

    def __init__(self, height: int = 5, width: int = 7, kernel=3, stride=1, padding=0,
                 dilation=1, transposed: bool = False, position=0, max_size: int = 16,
                 interval_ms: int = 500):
        axes = conv_axes(kernel, stride, padding, dilation, transposed)  # ValueError if bad
        pairs = {name: [getattr(a, name) for a in axes]
                 for name in ("kernel", "stride", "padding", "dilation")}
        limits = dict(LIMITS, size=max(max_size, height, width))
        for name, pair in pairs.items():
            limits[name] = max(limits[name], *pair)
        super().__init__(height=height, width=width, transposed=transposed, limits=limits,
                         linked=all(p[0] == p[1] for p in pairs.values()) and height == width,
                         interval_ms=interval_ms, position=[0, 0], **pairs)
        try:
            rows, cols = self.output_shape
        except ValueError:  # an impossible setting: the explorer says why, position stays 0
            rows = cols = 0
        if rows:  # a position past the end is clamped to the last cell
            if isinstance(position, int) and not isinstance(position, bool):
                position = min(position, rows * cols - 1)
            self.position = list(output_cell(position, (rows, cols)))
        self.observe(self._check_with_torch, names=["height", "width", "kernel", "stride",
                                                     "padding", "dilation", "transposed"])
        self._check_with_torch()

    def axes(self):
        """The current geometry, one :class:`course_utils.arithmetic.Axis` per axis."""
        return conv_axes(self.kernel, self.stride, self.padding, self.dilation, self.transposed)

    @property
    def output_shape(self) -> tuple[int, int]:
        """The output's (rows, columns); ``ValueError`` (saying why) for an impossible setting."""
        rows, cols = self.axes()
        return rows.output_size(self.height), cols.output_size(self.width)

    def _check_with_torch(self, _change=None) -> None:
        """Run the geometry through PyTorch and send the shape (or its refusal) to the page."""
        key = json.dumps([[self.height, self.width], self.kernel, self.stride, self.padding,
                          self.dilation, self.transposed], separators=(",", ":"))
        conv = F.conv_transpose2d if self.transposed else F.conv2d
        try:
            with torch.no_grad():
                shape = conv(torch.zeros(1, 1, self.height, self.width),
                             torch.zeros(1, 1, *self.kernel), stride=tuple(self.stride),
                             padding=tuple(self.padding), dilation=tuple(self.dilation)).shape
        except RuntimeError as err:
            self.check = {"key": key, "error": str(err).splitlines()[0]}
        else:
            self.check = {"key": key, "shape": list(shape)}

    def figure(self) -> Figure:
        """The explorer's picture now, drawn by :func:`course_utils.diagrams.conv2d_diagram`."""
        out_h, out_w = self.output_shape
        i, j = self.position
        return conv2d_diagram(self.height, self.width, tuple(self.kernel), tuple(self.stride),
                              tuple(self.padding), tuple(self.dilation),
                              position=(min(i, out_h - 1), min(j, out_w - 1)),
                              transposed=self.transposed)


def conv_explorer(**settings) -> ConvExplorer:
    """A :class:`ConvExplorer`; keyword arguments set the starting values."""
    return ConvExplorer(**settings)
