"""A digit drawn by hand, made into an MNIST digit the way MNIST's were made (notebook 07).

MNIST's digits were written on paper, scanned, and then, per LeCun et al.: the digit's bounding
box scaled (keeping its aspect ratio) to fit a 20×20 box, anti-aliased, and placed in a 28×28
image so that its centre of mass falls on the image's centre. The activation explorer's drawing
pad (``course_utils/widgets/activation_explorer.js``) does the same to the ink drawn on it,
in the page; this module is the reference it is checked against (tests/browser), and what the
kernel runs on a drawing in JupyterLab:

1. the ink: ``PAD×PAD`` values in 0..255 (255 full ink), 4 ink pixels per pixel of the digit;
2. its bounding box (every row and column with any ink) is resampled to ``h'×w'`` pixels, the
   longer side ``BOX`` = 20, the other ``round(BOX · short / long)``, by area averaging (each
   new pixel is the mean of the ink it covers, fractions of pixels included);
3. the result is pasted into a ``SIDE×SIDE`` image, moved by whole pixels so that its centre
   of mass (the pixels' intensities as weights, in pixel indices) is nearest to pixel
   ``(SIDE/2, SIDE/2)`` = (14, 14), where MNIST's digits have theirs; what would fall outside
   is cut off. (Each of the 69,982 MNIST digits that do not touch their image's edge comes
   back pixel for pixel from a copy enlarged 4 times; tests/test_digits.py checks 2,000.)
4. the course's normalisation (:data:`course_utils.training.MNIST_MEAN`, ``MNIST_STD``).
"""

from __future__ import annotations

import math

import numpy as np
import torch
from PIL import Image, ImageDraw

from course_utils.training import MNIST_MEAN, MNIST_STD

PAD = 112  # the drawing pad's side, in ink pixels: 4 per pixel of the 28×28 digit
SIDE = 28  # an MNIST digit's side
BOX = 20  # the side of the box a digit's bounding box is scaled into
# A centre of mass exactly halfway between two whole-pixel positions (a symmetric stroke) goes
# to the earlier one, here and in the page, whatever the last bits of the two sums.
TIE = 1e-9


def area_weights(n_in: int, n_out: int) -> np.ndarray:
    """Area-averaging weights ``n_out×n_in``: output pixel ``o`` is the mean of the input over
    ``[o·n_in/n_out, (o+1)·n_in/n_out)``, fractions of pixels weighted by how much is covered.
    Each row sums to 1."""
    for name, n in (("n_in", n_in), ("n_out", n_out)):
        if not isinstance(n, int) or n < 1:
            raise ValueError(f"{name} must be a positive int, got {n!r}")
    edges = np.arange(n_out + 1) * n_in / n_out
    low, high = edges[:-1, None], edges[1:, None]
    pixel = np.arange(n_in)[None, :]
    covered = np.clip(np.minimum(high, pixel + 1) - np.maximum(low, pixel), 0, None)
    return covered * (n_out / n_in)


def _ink(ink) -> np.ndarray:
    if isinstance(ink, (bytes, bytearray, memoryview)):
        raw = np.frombuffer(bytes(ink), dtype=np.uint8)
        side = math.isqrt(len(raw))
        if side * side != len(raw) or side == 0:
            raise ValueError(
                f"expected the ink of a square pad (side² bytes, {PAD * PAD:,} for the course's "
                f"{PAD}×{PAD} pad), got {len(raw):,} bytes"
            )
        ink = raw.reshape(side, side)
    if isinstance(ink, torch.Tensor):
        ink = ink.detach().cpu().numpy()
    if not isinstance(ink, np.ndarray) or ink.ndim != 2 or 0 in ink.shape:
        raise ValueError(
            f"expected ink H×W (values 0..255), got {getattr(ink, 'shape', type(ink).__name__)}"
        )
    ink = ink.astype(np.float64)
    if not np.isfinite(ink).all() or ink.min() < 0 or ink.max() > 255:
        raise ValueError(f"expected ink values in 0..255, got {ink.min():g} to {ink.max():g}")
    return ink / 255.0


def mnist_style(ink) -> torch.Tensor:
    """Ink drawn on the pad (``H×W`` uint8 or floats in 0..255, or the page's ``H·W`` bytes)
    as an MNIST digit: ``SIDE×SIDE`` float32 in [0, 1] (steps 1 to 3 of the module's doc).

    ``ValueError`` when there is no ink, or the ink is not a 2d array of values in 0..255.
    """
    ink = _ink(ink)
    rows, cols = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
    if not len(rows):
        raise ValueError("the drawing has no ink: draw a digit on the pad first")
    crop = ink[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    h, w = crop.shape
    scale = BOX / max(h, w)
    th, tw = (max(1, math.floor(n * scale + 0.5)) for n in (h, w))
    small = area_weights(h, th) @ crop @ area_weights(w, tw).T
    total = small.sum()
    cy = (np.arange(th) * small.sum(axis=1)).sum() / total
    cx = (np.arange(tw) * small.sum(axis=0)).sum() / total
    top, left = (math.ceil(SIDE / 2 - 0.5 - c - TIE) for c in (cy, cx))
    out = np.zeros((SIDE, SIDE))
    r0, c0 = max(0, top), max(0, left)
    r1, c1 = min(SIDE, top + th), min(SIDE, left + tw)
    out[r0:r1, c0:c1] = small[r0 - top : r1 - top, c0 - left : c1 - left]
    return torch.from_numpy(out.astype(np.float32))


def drawn_digit(ink) -> torch.Tensor:
    """Ink drawn on the pad as the network's input: ``1×SIDE×SIDE`` float32, MNIST-style
    (:func:`mnist_style`) and normalised as the course normalises MNIST (step 4)."""
    return ((mnist_style(ink) - MNIST_MEAN) / MNIST_STD).unsqueeze(0)


def strokes_ink(strokes, width: int = 10) -> np.ndarray:
    """Ink ``PAD×PAD`` (uint8, 255 full ink) for strokes drawn with PIL: each stroke a list of
    ``(x, y)`` points in ink pixels, joined by lines ``width`` pixels wide. Notebook 07 draws
    the digits it discusses this way; the page's pad draws its own (activation_explorer.js)."""
    if isinstance(width, bool) or not isinstance(width, int) or width < 1:
        raise ValueError(f"width must be a positive int (ink pixels), got {width!r}")
    image = Image.new("L", (PAD, PAD))
    pen = ImageDraw.Draw(image)
    for stroke in strokes:
        points = [tuple(float(v) for v in point) for point in stroke]
        if not points or any(len(point) != 2 for point in points):
            raise ValueError(f"expected a stroke of (x, y) points, got {stroke!r}")
        pen.line(points, fill=255, width=width, joint="curve")
        for x, y in (points[0], points[-1]):  # round ends, as the pad's brush makes them
            pen.ellipse((x - width / 2, y - width / 2, x + width / 2, y + width / 2), fill=255)
    return np.asarray(image)
