"""Notebook 01's 1d convolution, one output at a time: ``Conv1dStepper(x, u)``.

A slider (or ▶, the arrow keys on the picture, a click or a drag on it) picks the output
position ``i``; the browser (``conv1d_stepper.js``) slides the kernel ``u`` under the window
``x[i : i + w]`` and shows the products and their sum, output ``i`` of ``F.conv1d``. Every
number is computed here, once, by PyTorch, and sent written as the still picture writes it
(:func:`course_utils.blocks.conv1d_steps`, which :meth:`Conv1dStepper.figure` draws), so the
page only places what the kernel computed.
"""

from __future__ import annotations

from numbers import Integral

import torch
import torch.nn.functional as F
import traitlets
from matplotlib.figure import Figure

from course_utils.blocks import _number, conv1d_steps
from course_utils.widgets import Explorer, es_module


def as_signal(values, name: str) -> torch.Tensor:
    """``values`` (a tensor, an array, a list or a tuple of real numbers) as a 1d float tensor
    ``(W,)``: float64 stays float64, anything else becomes float32."""
    expected = (f"{name} must be real numbers (a 1d tensor, array or list), got "
                f"{type(values).__name__} {values!r:.40}")
    if isinstance(values, (str, bytes)):  # torch's own message names only the type
        raise TypeError(expected)
    try:
        t = torch.as_tensor(values).detach().cpu()
    except (TypeError, ValueError, RuntimeError) as err:
        raise TypeError(expected) from err
    if t.dtype == torch.bool or t.is_complex():
        raise TypeError(f"{name} must hold real numbers, got dtype {t.dtype}")
    if t.dim() != 1 or len(t) == 0:
        raise ValueError(f"{name} must be 1d with at least one value, got shape {tuple(t.shape)}")
    t = t.to(torch.float64 if t.dtype == torch.float64 else torch.float32)
    bad = (~torch.isfinite(t)).nonzero()
    if len(bad):
        k = int(bad[0])
        raise ValueError(f"{name} must hold finite numbers, got {t[k].item()} at index {k}")
    return t


def _integer(value, name: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise TypeError(f"{name} must be an int, got {type(value).__name__} {value!r}")
    if not low <= value <= high:
        raise ValueError(f"{name} must be in [{low}, {high}], got {value}")
    return int(value)


class Conv1dStepper(Explorer):
    """Step through ``x ⊛ u`` (valid positions, stride 1), one output at a time.

    ``x``: the signal ``(W,)``, ``u``: the kernel ``(w,)`` with ``w <= W`` (tensors, arrays or
    lists of real numbers); ``position``: the output shown first, in ``[0, W - w]``;
    ``interval_ms``: the pace of ▶.
    """

    _esm = es_module("conv1d_stepper.js")
    REPR = ("x", "u", "position")
    position = traitlets.Int(0).tag(sync=True)
    interval_ms = traitlets.Int(800).tag(sync=True)
    # What the page writes, as conv1d_steps writes it: x, u, products (a row per position),
    # outputs. Sent once.
    numbers = traitlets.Dict().tag(sync=True)

    def __init__(self, x, u, position: int = 0, interval_ms: int = 800):
        x, u = as_signal(x, "x"), as_signal(u, "u")
        if len(u) > len(x):
            raise ValueError(f"the kernel u must be no longer than the signal x (w <= W), got "
                             f"W = {len(x)} and w = {len(u)}")
        dtype = torch.promote_types(x.dtype, u.dtype)
        self.x, self.u = x.to(dtype), u.to(dtype)
        last = len(x) - len(u)
        position = _integer(position, "position", 0, last)
        interval_ms = _integer(interval_ms, "interval_ms", 1, 60_000)
        written = {name: [_number(v) for v in values.tolist()]
                   for name, values in (("x", self.x), ("u", self.u), ("outputs", self.outputs()))}
        written["products"] = [[_number(v) for v in row] for row in self.products().tolist()]
        super().__init__(position=position, interval_ms=interval_ms, numbers=written)

    @traitlets.validate("position")
    def _an_output(self, proposal):
        value, last = proposal["value"], len(self.x) - len(self.u)
        if not 0 <= value <= last:
            raise traitlets.TraitError(f"position must be in [0, {last}], got {value}")
        return value

    def outputs(self) -> torch.Tensor:
        """``x ⊛ u`` as ``F.conv1d`` computes it: ``(W - w + 1,)``."""
        return F.conv1d(self.x.view(1, 1, -1), self.u.view(1, 1, -1)).view(-1)

    def products(self) -> torch.Tensor:
        """Each window times the kernel, term by term: ``(W - w + 1, w)``, row ``i`` for
        output ``i``."""
        return self.x.unfold(0, len(self.u), 1) * self.u

    def figure(self) -> Figure:
        """The chosen step as a still picture, :func:`course_utils.blocks.conv1d_steps`
        (which draws signals of up to 16 values; ``ValueError`` for longer ones)."""
        return conv1d_steps(self.x, self.u, positions=[self.position])
