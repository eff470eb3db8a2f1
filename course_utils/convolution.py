"""Convolution by hand, in 1d and 2d, as a matrix, and the hand-made 3×3 filters (notebooks 01-03).

Everything here computes what deep-learning libraries call a convolution: the kernel is not
flipped (signal processing calls it a cross-correlation), and only positions where the kernel
fits entirely inside the input are kept, so a width-``w`` kernel on a width-``W`` signal gives
``W - w + 1`` values. Each function agrees with ``torch.nn.functional.conv1d`` / ``conv2d``.

``conv_matrix`` writes any convolution ``F.conv1d`` / ``F.conv2d`` computes, stride and padding
included, as the dense matrix it multiplies its input by (notebooks 01 to 03).

The notebooks write ``conv1d_loop``, ``conv1d_unfold``, ``conv1d_as_strided`` (notebook 01) and
``conv2d_loop`` (notebook 02) under these same names, without the input checks; the versions
here are the tested ones the rest of the course and its tests use.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F

from course_utils.viz import CourseFigure, as_tensor, show_signed

# ---------------------------------------------------------------------------------------------
# Input checks


def _tensor(x, name: str) -> torch.Tensor:
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(x).__name__}")
    if not x.is_floating_point():
        raise TypeError(f"{name} must be a floating-point tensor, got dtype {x.dtype}")
    return x


def _check_1d(x, u) -> tuple[torch.Tensor, torch.Tensor]:
    x, u = _tensor(x, "x"), _tensor(u, "u")
    if x.dim() != 1 or u.dim() != 1:
        raise ValueError(
            f"expected a signal x of shape (W,) and a kernel u of shape (w,), "
            f"got x {tuple(x.shape)} and u {tuple(u.shape)}"
        )
    if len(u) == 0 or len(u) > len(x):
        raise ValueError(f"expected a kernel width w with 1 <= w <= W = {len(x)}, got w = {len(u)}")
    return x, u


# ---------------------------------------------------------------------------------------------
# 1d convolution


def conv1d_loop(x: torch.Tensor, u: torch.Tensor) -> torch.Tensor:
    """``(x ⊛ u)_i = Σ_j x_{i+j} u_j`` with a Python loop over the ``W - w + 1`` positions.

    ``x``: ``(W,)``, ``u``: ``(w,)`` → ``(W - w + 1,)``, same dtype as ``x``.
    """
    x, u = _check_1d(x, u)
    w = len(u)
    out = torch.empty(len(x) - w + 1, dtype=x.dtype)
    for i in range(len(out)):
        out[i] = (x[i : i + w] * u).sum()
    return out


def conv1d_unfold(x: torch.Tensor, u: torch.Tensor) -> torch.Tensor:
    """1d convolution without a Python loop: all windows with ``Tensor.unfold``, then one product.

    Either ``x``: ``(W,)`` and ``u``: ``(w,)`` → ``(W - w + 1,)``, or, like ``F.conv1d``,
    ``x``: ``N×C×W`` and ``u``: ``D×C×w`` → ``N×D×(W - w + 1)``.
    """
    if isinstance(x, torch.Tensor) and isinstance(u, torch.Tensor) and x.dim() == u.dim() == 3:
        _tensor(x, "x"), _tensor(u, "u")
        if x.shape[1] != u.shape[1] or not 1 <= u.shape[2] <= x.shape[2]:
            raise ValueError(
                f"expected x N×C×W and u D×C×w with the same C and w <= W, "
                f"got x {tuple(x.shape)} and u {tuple(u.shape)}"
            )
        windows = x.unfold(2, u.shape[2], 1)  # N×C×(W-w+1)×w
        return torch.einsum("ncpk,dck->ndp", windows, u)
    x, u = _check_1d(x, u)
    return x.unfold(0, len(u), 1) @ u  # (W-w+1)×w times w


def conv1d_as_strided(x: torch.Tensor, u: torch.Tensor) -> torch.Tensor:
    """1d convolution through a strided view: row ``i`` of the view is ``x[i : i + w]``.

    ``x``: ``(W,)``, ``u``: ``(w,)`` → ``(W - w + 1,)``. No data is copied to build the view.
    """
    x, u = _check_1d(x, u)
    x = x.contiguous()
    n, w = len(x) - len(u) + 1, len(u)
    windows = x.as_strided(size=(n, w), stride=(x.stride(0), x.stride(0)))
    return windows @ u


# ---------------------------------------------------------------------------------------------
# 2d convolution


def conv2d_loop(x: torch.Tensor, k: torch.Tensor, bias: torch.Tensor | None = None) -> torch.Tensor:
    """2d convolution with a loop over output positions, as ``F.conv2d`` without padding.

    ``x``: ``C×H×W``; ``k``: ``D×C×h×w`` (``D`` kernels) → ``D×(H-h+1)×(W-w+1)``, or one
    kernel ``C×h×w`` → one map ``(H-h+1)×(W-w+1)``. ``bias``: ``(D,)`` or None.
    """
    x, k = _tensor(x, "x"), _tensor(k, "k")
    single = k.dim() == 3
    if single:
        k = k.unsqueeze(0)
    if x.dim() != 3 or k.dim() != 4:
        raise ValueError(
            f"expected x C×H×W and k D×C×h×w (or C×h×w), got x {tuple(x.shape)} "
            f"and k {tuple(k.shape) if not single else tuple(k.shape[1:])}"
        )
    c, height, width = x.shape
    d, kc, h, w = k.shape
    if kc != c or h > height or w > width:
        raise ValueError(
            f"expected a kernel with C = {c} channels and at most {height}×{width}, "
            f"got {kc} channels and {h}×{w}"
        )
    if bias is not None and tuple(bias.shape) != (d,):
        raise ValueError(f"expected a bias of shape ({d},), got {tuple(bias.shape)}")
    out = torch.empty(d, height - h + 1, width - w + 1, dtype=x.dtype)
    flat = k.reshape(d, -1)
    for i in range(height - h + 1):
        for j in range(width - w + 1):
            out[:, i, j] = flat @ x[:, i : i + h, j : j + w].reshape(-1)
    if bias is not None:
        out += bias.view(d, 1, 1)
    return out[0] if single else out


def receptive_field_mask(x_shape: Sequence[int], k: torch.Tensor, d: int, i: int, j: int):
    """Mask ``H×W`` of the input pixels that output ``[d, i, j]`` depends on, found by autograd.

    (Its size, for a stack of layers, is ``course_utils.arithmetic.receptive_field``.)

    ``x_shape``: ``(C, H, W)``; ``k``: ``D×C×h×w``. The input is random; a pixel counts when
    the gradient of the output with respect to it is non-zero in some channel.
    """
    generator = torch.Generator().manual_seed(0)
    x = torch.randn(*x_shape, generator=generator).requires_grad_()
    y = F.conv2d(x.unsqueeze(0), k.detach())[0]
    if not (0 <= d < y.shape[0] and 0 <= i < y.shape[1] and 0 <= j < y.shape[2]):
        raise ValueError(f"expected an output index inside {tuple(y.shape)}, got {(d, i, j)}")
    y[d, i, j].backward()
    return (x.grad != 0).any(dim=0)


MATRIX_LIMIT = 4096  # input numbers: the matrix holds their square, 64 MiB as float32


def conv_matrix(weight: torch.Tensor, input_shape: Sequence[int], **conv) -> torch.Tensor:
    """The dense matrix ``M`` of a convolution: ``M @ x.flatten()`` is ``F.conv1d`` /
    ``F.conv2d(x, weight, **conv)`` flattened, for every input ``x`` of ``input_shape``.

    ``weight``: ``D×C×w`` (1d) with ``input_shape`` ``(C, W)``, or ``D×C×h×w`` (2d) with
    ``(C, H, W)``; ``conv``: ``stride``, ``padding``, ``dilation``, ``groups`` as PyTorch takes
    them → ``M`` of shape (outputs, inputs), e.g. ``D·H'·W' × C·H·W`` (no bias: it is not
    linear). Column ``j`` is the convolution of the ``j``-th one-hot input (notebooks 01-03).
    At most ``MATRIX_LIMIT`` input numbers.
    """
    weight = _tensor(weight, "weight")
    input_shape = tuple(input_shape)
    if weight.dim() not in (3, 4) or len(input_shape) != weight.dim() - 1:
        raise ValueError(
            f"expected a weight D×C×w with an input shape (C, W), or D×C×h×w with (C, H, W), "
            f"got weight {tuple(weight.shape)} and input shape {input_shape}"
        )
    n = 1
    for size in input_shape:
        n *= size
    if n > MATRIX_LIMIT:
        raise ValueError(
            f"expected at most {MATRIX_LIMIT:,} input numbers (the matrix holds their square), "
            f"got {n:,} for input shape {input_shape}"
        )
    convolve = F.conv1d if weight.dim() == 3 else F.conv2d
    one_hot = torch.eye(n, dtype=weight.dtype, device=weight.device).view(n, *input_shape)
    with torch.no_grad():
        columns = convolve(one_hot, weight, **conv)  # n × output shape: one column per input
    return columns.reshape(n, -1).T.contiguous()


# ---------------------------------------------------------------------------------------------
# Hand-made 3×3 filters


def _t(rows) -> torch.Tensor:
    return torch.tensor(rows, dtype=torch.float32)


FILTERS_3X3: dict[str, torch.Tensor] = {
    "identity": _t([[0, 0, 0], [0, 1, 0], [0, 0, 0]]),
    "box": _t([[1, 1, 1], [1, 1, 1], [1, 1, 1]]),
    "horizontal derivative": _t([[-1, 0, 1], [-1, 0, 1], [-1, 0, 1]]),
    "vertical derivative": _t([[-1, -1, -1], [0, 0, 0], [1, 1, 1]]),
    "Laplacian": _t([[0, -1, 0], [-1, 4, -1], [0, -1, 0]]),
    "sharpen": _t([[0, -1, 0], [-1, 5, -1], [0, -1, 0]]),
    "Sobel x": _t([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]]),
    "Sobel y": _t([[-1, -2, -1], [0, 0, 0], [1, 2, 1]]),
    "Gaussian blur": _t([[1, 2, 1], [2, 4, 2], [1, 2, 1]]) / 16,
}
"""Name → ``3×3`` float32 kernel. The first five are the lecture's, in the lecture's order,
under its names: its "Laplacian" is the negative of the discrete Laplacian
``[[0, 1, 0], [1, -4, 1], [0, 1, 0]]`` (positive where a pixel is brighter than its neighbours)."""

LECTURE_FILTERS: tuple[str, ...] = (
    "identity",
    "box",
    "horizontal derivative",
    "vertical derivative",
    "Laplacian",
)


def filter_bank(names: Sequence[str] = LECTURE_FILTERS) -> torch.Tensor:
    """The named presets stacked as conv weights ``D×1×3×3`` (``D = len(names)``)."""
    if isinstance(names, str):
        raise TypeError(f"expected a sequence of filter names, got the string {names!r}")
    unknown = [n for n in names if n not in FILTERS_3X3]
    if unknown:
        raise ValueError(f"unknown filter {unknown[0]!r}; expected one of {list(FILTERS_3X3)}")
    return torch.stack([FILTERS_3X3[n] for n in names]).unsqueeze(1)


def apply_filters(image, filters) -> torch.Tensor:
    """Apply 3×3 (or any ``h×w``) filters to one grey image, with no bias and no padding.

    ``image``: ``H×W`` (e.g. an MNIST digit); ``filters``: ``D×1×h×w``, ``D×h×w`` or ``h×w``
    → responses ``D×(H-h+1)×(W-w+1)``: what an ``nn.Conv2d(1, D, (h, w))`` with these weights
    and its biases zeroed computes (as in the lecture), without building the layer.
    """
    image = as_tensor(image, "image")
    weight = as_tensor(filters, "filters")
    if image.dim() != 2:
        raise ValueError(f"expected an image H×W, got shape {tuple(image.shape)}")
    if weight.dim() == 2:
        weight = weight.unsqueeze(0)
    if weight.dim() == 3:
        weight = weight.unsqueeze(1)
    if weight.dim() != 4 or weight.shape[1] != 1:
        raise ValueError(f"expected filters D×1×h×w, D×h×w or h×w, got {tuple(weight.shape)}")
    h, w = weight.shape[2:]
    if h > image.shape[0] or w > image.shape[1]:
        raise ValueError(f"a {h}×{w} filter does not fit in a {tuple(image.shape)} image")
    return F.conv2d(image.view(1, 1, *image.shape), weight)[0]


def filters_figure(
    image, names: Sequence[str] = LECTURE_FILTERS, size: float = 1.6
) -> CourseFigure:
    """The image, then under it each named filter and its response, all as signed images.

    ``image``: ``H×W``. Each response has its own colour scale (zero white).
    """
    image = as_tensor(image, "image")
    responses = apply_filters(image, filter_bank(names))
    n = len(names) + 1
    fig = CourseFigure(figsize=(n * size, 2.4 * size))
    show_signed(fig.add_subplot(2, n, 1), image, title="input")
    fig.add_subplot(2, n, n + 1).set_axis_off()
    for col, name in enumerate(names, start=2):
        show_signed(fig.add_subplot(2, n, col), FILTERS_3X3[name], title=name)
        show_signed(fig.add_subplot(2, n, n + col), responses[col - 2], title="response")
    fig.tight_layout(pad=0.3)
    return fig
