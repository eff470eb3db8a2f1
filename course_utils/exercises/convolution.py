"""Checkers and check-your-understanding questions for notebooks 01 and 02 (convolution).

Each checker runs the learner's answer on a few cases, small and readable first, compares it
with PyTorch, and answers with a :class:`~course_utils.exercises.Feedback`. A wrong answer that
is exactly what one of the listed slips (``*_SLIPS``) computes gets that slip's hint. The
answers must be written by hand: the checkers refuse PyTorch's convolutions however they are
reached (:data:`BY_HAND`), and ``conv2d`` refuses a loop over the output positions too.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

import course_utils.convolution
from course_utils.arithmetic import conv_output_size
from course_utils.exercises import (
    CONVOLUTION,
    IN_PLACE,
    Feedback,
    Forbidden,
    Slip,
    check_function,
    check_value,
    correct,
    fmt,
    in_place,
    int_tuple,
    slip_hint,
    steps,
    wrong,
)
from course_utils.exercises.questions import Question
from course_utils.summary import module_label, size_text


def _ints(generator: torch.Generator, *shape: int) -> torch.Tensor:
    """Small integer values stored as float32, so that messages stay readable."""
    return torch.randint(-3, 4, shape, generator=generator).float()


def conv1d_cases(batched: bool = False, seed: int = 0) -> list[dict[str, torch.Tensor]]:
    """Cases ``{"x": ..., "u": ...}`` for a conv1d exercise: the lecture's two examples, then
    random ones of several lengths ``W`` and widths ``w`` (including ``w = 1`` and ``w = W``).

    ``batched``: ``x`` is ``N×C×W`` and ``u`` is ``D×C×w`` (as ``F.conv1d``); otherwise
    ``x`` is ``(W,)`` and ``u`` is ``(w,)``.
    """
    g = torch.Generator().manual_seed(seed)
    if not batched:
        cases = [
            {"x": torch.tensor([1.0, 2, 3, 4]), "u": torch.tensor([3.0, 2])},
            {"x": torch.tensor([0.0, 0, 0, 0, 1, 2, 3, 4, 4, 4, 4]), "u": torch.tensor([-1.0, 1])},
        ]
        sizes = [(6, 3), (5, 1), (7, 7), (10, 4), (9, 2)]
        cases += [{"x": _ints(g, big), "u": _ints(g, small)} for big, small in sizes]
        cases.append({"x": torch.randn(200, generator=g), "u": torch.randn(9, generator=g)})
        return cases
    cases = [{"x": torch.tensor([[[1.0, 2, 3, 4]]]), "u": torch.tensor([[[3.0, 2]]])}]
    shapes = [  # (N, C, W), (D, w)
        ((1, 2, 6), (1, 3)),
        ((2, 1, 5), (3, 2)),
        ((2, 3, 7), (2, 7)),
        ((3, 2, 8), (4, 1)),
        ((2, 3, 12), (5, 4)),
    ]
    for (n, c, big), (d, small) in shapes:
        cases.append({"x": _ints(g, n, c, big), "u": _ints(g, d, c, small)})
    cases.append({"x": torch.randn(4, 3, 100, generator=g), "u": torch.randn(6, 3, 7, generator=g)})
    return cases


def conv1d_reference(x: torch.Tensor, u: torch.Tensor) -> torch.Tensor:
    """``F.conv1d`` on ``(W,)`` and ``(w,)`` vectors, or on ``N×C×W`` and ``D×C×w`` tensors."""
    if x.dim() == 1:
        return F.conv1d(x.view(1, 1, -1), u.view(1, 1, -1)).view(-1)
    return F.conv1d(x, u)


def conv2d_reference(x: torch.Tensor, k: torch.Tensor) -> torch.Tensor:
    """``F.conv2d`` on one ``C×H×W`` image and ``D×C×h×w`` kernels: ``D×(H-h+1)×(W-w+1)``."""
    return F.conv2d(x.unsqueeze(0), k)[0]


BY_HAND = Forbidden(
    CONVOLUTION,
    python=(nn.Conv1d, nn.Conv2d, nn.Conv3d, nn.ConvTranspose1d, nn.ConvTranspose2d,
            nn.ConvTranspose3d, course_utils.convolution, sys.modules[__name__], np.convolve,
            np.correlate),
)
"""The exercises of notebooks 01 and 02 ask for the convolution by hand: no PyTorch
convolution (function, layer or aten operation), nothing of ``course_utils.convolution``'s or
this checker's (its references), no ``numpy.convolve`` / ``numpy.correlate``."""


FLIPPED = ("flipped the kernel (numpy.convolve's convention); here it is read in the same order "
           "as the signal")
DTYPE = "converted the result to another dtype: keep the input's (float32)"


def _conv1d_slips(batched: bool) -> tuple[Slip, ...]:
    """The slips of ``conv1d``, written as a learner would (by hand: the checker refuses
    PyTorch's convolutions). The right answer they start from stays inside this function:
    nothing a learner can import from here computes a convolution."""
    if not batched:
        def conv(x, u):
            return x.unfold(0, len(u), 1) @ u

        return (
            Slip(FLIPPED, lambda x, u: conv(x, u.flip(0))),
            Slip("made the output one value short: a width-w kernel fits W - w + 1 positions",
                 lambda x, u: conv(x, u)[:-1]),
            Slip("made the output one value too long: a width-w kernel fits W - w + 1 "
                 "positions", lambda x, u: torch.cat([conv(x, u), x.new_zeros(1)])),
            Slip(DTYPE, lambda x, u: conv(x, u).double()),
            Slip(IN_PLACE, in_place(conv), by_result=False),
        )

    def conv(x, u):
        return torch.einsum("ncpk,dck->ndp", x.unfold(2, u.shape[2], 1), u)

    return (
        Slip(FLIPPED, lambda x, u: conv(x, u.flip(-1))),
        Slip("made each output one value short: a width-w kernel fits W - w + 1 positions",
             lambda x, u: conv(x, u)[..., :-1]),
        Slip("kept one map per input channel: each kernel spans all C channels and sums their "
             "products into one map",
             lambda x, u: torch.einsum("ncpk,dck->ndcp", x.unfold(2, u.shape[2], 1), u)),
        Slip("used only the first channel: each kernel spans all C channels",
             lambda x, u: torch.einsum("npk,dk->ndp", x[:, 0].unfold(1, u.shape[2], 1),
                                       u[:, 0])),
        Slip("put the positions before the kernels: the result is N×D×(W - w + 1)",
             lambda x, u: conv(x, u).transpose(1, 2)),
        Slip("mixed up the samples and the kernels: the result is N×D×(W - w + 1), one row of "
             "maps per sample", lambda x, u: conv(x, u).transpose(0, 1)),
        Slip(DTYPE, lambda x, u: conv(x, u).double()),
        Slip(IN_PLACE, in_place(conv), by_result=False),
    )


VECTOR_CONV1D_SLIPS = _conv1d_slips(batched=False)
"""Slips of ``conv1d(x, u)`` on vectors (``check_conv1d(fn)``)."""
BATCHED_CONV1D_SLIPS = _conv1d_slips(batched=True)
"""Slips of ``conv1d(x, u)`` on batches (``check_conv1d(fn, batched=True)``, notebook 01)."""


def check_conv1d(conv1d: Callable, batched: bool = False) -> Feedback:
    """Check a learner's ``conv1d(x, u)`` against ``F.conv1d``, computed by hand; never raises.

    ``batched=False``: ``x`` ``(W,)``, ``u`` ``(w,)`` → ``(W - w + 1,)``.
    ``batched=True``: ``x`` ``N×C×W``, ``u`` ``D×C×w`` → ``N×D×(W - w + 1)``.
    """
    cases = conv1d_cases(batched)
    feedback = check_function(conv1d, cases, conv1d_reference, "conv1d(x, u)", forbidden=BY_HAND,
                              slips=BATCHED_CONV1D_SLIPS if batched else VECTOR_CONV1D_SLIPS)
    if feedback.passed:
        kind = "N×C×W inputs with D×C×w kernels" if batched else "vectors"
        return correct(f"conv1d(x, u) agrees with F.conv1d on all {len(cases)} cases ({kind}).")
    return feedback


def conv2d_cases(seed: int = 0) -> list[dict[str, torch.Tensor]]:
    """Cases ``{"x": C×H×W, "k": D×C×h×w}`` for a conv2d exercise, small ones first."""
    g = torch.Generator().manual_seed(seed)
    shapes = [  # (C, H, W), (D, h, w)
        ((1, 3, 3), (1, 2, 2)),
        ((1, 3, 4), (1, 3, 3)),
        ((2, 4, 5), (3, 2, 3)),
        ((1, 3, 3), (2, 3, 3)),
        ((3, 6, 6), (2, 1, 1)),
    ]
    cases = [
        {"x": _ints(g, c, hh, ww), "k": _ints(g, d, c, h, w)} for (c, hh, ww), (d, h, w) in shapes
    ]
    cases.append(
        {"x": torch.randn(3, 28, 28, generator=g), "k": torch.randn(4, 3, 5, 3, generator=g)}
    )
    return cases


def position_cases(seed: int = 1) -> tuple[dict[str, torch.Tensor], dict[str, torch.Tensor]]:
    """Two cases for the loop test: the same kernels (``3×2×2×3``) on a ``2×4×5`` image and on
    a ``2×9×11`` one, 3×3 and 8×9 output positions."""
    g = torch.Generator().manual_seed(seed)
    k = torch.randn(3, 2, 2, 3, generator=g)
    return tuple({"x": torch.randn(2, h, w, generator=g), "k": k} for h, w in ((4, 5), (9, 11)))


LOOPS = "loops over the output positions"


def _conv2d_slips() -> tuple[Slip, ...]:
    """The slips of ``conv2d``, written as a learner would (the right answer they start from
    stays inside this function)."""
    def windows(x, k):
        return x.unfold(1, k.shape[2], 1).unfold(2, k.shape[3], 1)  # C×(H-h+1)×(W-w+1)×h×w

    def conv(x, k):
        return torch.einsum("cijab,dcab->dij", windows(x, k), k)

    def over_positions(x, k):
        d, _, h, w = k.shape
        out = x.new_zeros(d, x.shape[1] - h + 1, x.shape[2] - w + 1)
        for i in range(out.shape[1]):
            for j in range(out.shape[2]):
                out[:, i, j] = (x[:, i:i + h, j:j + w] * k).sum(dim=(1, 2, 3))
        return out

    return (
        Slip(FLIPPED, lambda x, k: conv(x, k.flip(-1, -2))),
        Slip("swapped rows and columns: the result is D×(H-h+1)×(W-w+1)",
             lambda x, k: conv(x, k).transpose(1, 2)),
        Slip("kept a batch dimension: x is one C×H×W image, the result D×(H-h+1)×(W-w+1)",
             lambda x, k: conv(x, k).unsqueeze(0)),
        Slip("kept one map per input channel: each kernel sums over all C channels",
             lambda x, k: torch.einsum("cijab,dcab->dcij", windows(x, k), k)),
        Slip("made the maps one row and one column short: a kernel of height h fits H - h + 1 "
             "rows", lambda x, k: conv(x, k)[:, :-1, :-1]),
        Slip(DTYPE, lambda x, k: conv(x, k).double()),
        Slip(IN_PLACE, in_place(conv), by_result=False),
        Slip(LOOPS, over_positions, by_result=False),
    )


CONV2D_SLIPS = _conv2d_slips()
"""Slips of ``conv2d(x, k)`` (``check_conv2d``, notebook 02)."""


def _loops_over_positions(conv2d: Callable) -> Feedback | None:
    """A Feedback if ``conv2d`` does more work on a larger image with the same kernels."""
    small, large = position_cases()
    for case in (small, large):  # once first: PyTorch's first calls set things up
        steps(conv2d, case)
    few, many = steps(conv2d, small), steps(conv2d, large)
    if few is None or many is None or many <= few:
        return None
    shown = [size_text(tuple(c["x"].shape)) for c in (small, large)]
    return wrong(
        f"the values are right, but your function takes {few:,} steps (PyTorch operations and "
        f"Python lines) for a {shown[0]} image and {many:,} for a {shown[1]} one with the same "
        f"kernels: it {LOOPS}. The exercise asks for all positions at once: Tensor.unfold on "
        "both spatial dimensions gives every window, and torch.einsum sums the products"
    )


def check_conv2d(conv2d: Callable) -> Feedback:
    """Check a learner's ``conv2d(x, k)``, ``x`` ``C×H×W`` and ``k`` ``D×C×h×w`` →
    ``D×(H-h+1)×(W-w+1)``, against ``F.conv2d``, computed by hand and without a loop over
    positions; never raises."""
    cases = conv2d_cases()
    feedback = check_function(conv2d, cases, conv2d_reference, "conv2d(x, k)", forbidden=BY_HAND,
                              slips=CONV2D_SLIPS)
    if not feedback.passed:
        return feedback
    looping = _loops_over_positions(conv2d)
    if looping is not None:
        return looping
    return correct(f"conv2d(x, k) agrees with F.conv2d on all {len(cases)} cases, without a "
                   "loop over positions.")


def output_shape(layer: nn.Module, input_shape: Sequence[int]) -> tuple[int, ...]:
    """The shape ``layer`` gives for an input of ``input_shape`` (found by running it on zeros)."""
    with torch.no_grad():
        return tuple(layer(torch.zeros(*input_shape)).shape)


def _predicted(layer: nn.Module, input_shape: Sequence[int], sides: Callable) -> tuple[int, ...]:
    """``(N, out_channels, *sides(H, W, h, w))``: a prediction that reads the layer's kernel."""
    n, _, height, width = input_shape
    h, w = layer.kernel_size
    return (n, layer.out_channels, *sides(height, width, h, w))


def _unpadded(height, width, h, w):
    return height - h + 1, width - w + 1


OUTPUT_SHAPE_SLIPS = (
    Slip("counted the input channels: each kernel spans all of them and gives one map, so "
         "there is one output channel per kernel (out_channels)",
         lambda layer, shape: (shape[0], shape[1], *_unpadded(*shape[2:], *layer.kernel_size))),
    Slip("left out the batch dimension: the output has 4 dimensions, like the input (batch, "
         "channels, height, width)", lambda layer, shape: _predicted(layer, shape, _unpadded)[1:]),
    Slip("kept one sample: the batch size is kept, each input of the batch gives its own output",
         lambda layer, shape: (1, *_predicted(layer, shape, _unpadded)[1:])),
    Slip("swapped height and width: kernel_size=(h, w) and N×C×H×W put height first",
         lambda layer, shape: _predicted(layer, shape, lambda *s: _unpadded(*s)[::-1])),
    Slip("read kernel_size=(h, w) as w rows and h columns: height comes first",
         lambda layer, shape: _predicted(layer, shape, lambda a, b, h, w: _unpadded(a, b, w, h))),
    Slip("used the kernel's height for both sides: kernel_size=(h, w) shrinks them by h - 1 "
         "and w - 1", lambda layer, shape: _predicted(layer, shape,
                                                       lambda a, b, h, w: _unpadded(a, b, h, h))),
    Slip("shrank each side by k: a kernel of size k shrinks that dimension by k - 1",
         lambda layer, shape: _predicted(layer, shape, lambda a, b, h, w: (a - h, b - w))),
    Slip("kept the input's height and width: without padding a kernel of size k shrinks each "
         "side by k - 1", lambda layer, shape: _predicted(layer, shape, lambda a, b, h, w: (a, b))),
    Slip("put the channels last: PyTorch's order is N×C×H×W",
         lambda layer, shape: (shape[0], *_unpadded(*shape[2:], *layer.kernel_size),
                               layer.out_channels)),
    Slip("left out the stride, padding or dilation: each side becomes "
         "(n + 2·padding − dilation·(k − 1) − 1) // stride + 1",
         lambda layer, shape: _predicted(layer, shape, _unpadded)),
)
"""Slips of a predicted output shape, each a function of the layer and the input shape
(``check_output_shape``; notebook 02 asks about ``nn.Conv2d(3, 8, kernel_size=(5, 3))`` on
``2×3×32×20``)."""


def _shape_hint(predicted: tuple[int, ...], expected: tuple[int, ...]) -> str:
    """The tutor's hint for a wrong predicted shape that no slip explains."""
    if len(predicted) != len(expected):
        return (f"the output has {len(expected)} dimensions, like the input: "
                "batch, channels, height, width")
    if predicted[1] != expected[1]:
        return "there is one output channel per kernel (out_channels)"
    if predicted[0] != expected[0]:
        return "the batch size is kept: each input of the batch gives its own output"
    return "each side becomes (n + 2·padding − dilation·(k − 1) − 1) // stride + 1"


def check_output_shape(predicted, layer: nn.Module, input_shape: Sequence[int]) -> Feedback:
    """Check a predicted output shape of ``layer`` on an input of ``input_shape``; never raises.

    ``predicted``: a tuple of ints (``...`` or None while the learner has not answered). The
    right shape is the one ``layer`` outputs; a slip of :data:`OUTPUT_SHAPE_SLIPS` is named.
    """
    expected = output_shape(layer, input_shape)
    what = f"the output shape of {layer} on an input of shape {tuple(input_shape)}"
    if predicted is ... or predicted is None:
        return Feedback(False, "Not answered yet: replace ... by your prediction (a tuple of "
                        "ints), then run this cell again.", implemented=False)
    as_ints = int_tuple(predicted)
    if as_ints is None:
        return wrong(f"expected a tuple of ints, got {fmt(predicted)}")
    feedback = check_value(as_ints, expected, what)
    if feedback.passed:
        return correct(f"{what} is {expected}.")
    hint = slip_hint(OUTPUT_SHAPE_SLIPS, as_ints,
                     lambda slip: slip.answer(layer, tuple(input_shape)))
    feedback.message += hint if hint != "." else f". Hint: {_shape_hint(as_ints, expected)}."
    return feedback


# ---------------------------------------------------------------------------------------------
# Check-your-understanding questions (the right letter is computed with PyTorch)


def _shifted_input() -> Question:
    x = torch.tensor([0.0, 0, 1, 3, 1, 0, 0, 0, 0, 0, 0, 0])
    u, shift = torch.tensor([1.0, 2, 1]), 4
    y = conv1d_reference(x, u)
    peak, top = int(y.argmax()), fmt(float(y.max()))
    claims = {"a": (peak, True), "b": (peak + shift, True), "c": (peak + shift, False)}

    def right() -> str:
        moved = conv1d_reference(torch.roll(x, shift), u)  # x ends in zeros: a plain shift
        seen = (int(moved.argmax()), bool(moved.max() == y.max()))
        return next(letter for letter, claim in claims.items() if claim == seen)

    return Question(
        prompt=(f"With x = {fmt(x)} and u = {fmt(u)}, x ⊛ u is largest at output {peak}, "
                f"where it is {top}. Shift x right by {shift} (zeros come in on the left, the "
                "bump stays inside). Where is the new output largest, and how large?"),
        choices={
            "a": f"At {peak} again, still {top}: the same kernel everywhere means the output "
                 "does not change.",
            "b": f"At {peak + shift}, still {top}: the output moves with the input.",
            "c": f"At {peak + shift}, but no longer {top}: the bump now meets the kernel at "
                 "another place.",
        },
        why={
            "a": "that would be invariance. What is the same everywhere is the operation; its "
                 f"output moves with the input, so the peak goes from {peak} to "
                 f"{peak + shift}.",
            "b": f"output {peak + shift} now reads the window that output {peak} read before, "
                 f"with the same kernel, so it gives the same {top}. Shift the input, and the "
                 "output shifts by as much: translation equivariance.",
            "c": f"the window under output {peak + shift} holds exactly the numbers output "
                 f"{peak} saw before, and the kernel is the same at every position: same "
                 f"products, same {top}.",
        },
        right=right,
    )


def _flipped_kernel() -> Question:
    x, u = torch.tensor([1.0, 2, 3, 4]), torch.tensor([3.0, 2])
    textbook = torch.from_numpy(np.convolve(x.numpy(), u.numpy(), mode="valid"))
    candidates = {"a": u, "b": u.flip(0), "c": -u}

    def right() -> str:
        return next(letter for letter, kernel in candidates.items()
                    if conv1d_reference(x, kernel).tolist() == textbook.tolist())

    gives = {letter: fmt(conv1d_reference(x, k)) for letter, k in candidates.items()}
    return Question(
        prompt=(f"numpy.convolve(x, u, mode='valid') with x = {fmt(x)} and u = {fmt(u)} "
                f"gives {fmt(textbook)}. Which kernel makes F.conv1d give the same?"),
        choices={letter: fmt(k) for letter, k in candidates.items()},
        why={
            "a": f"F.conv1d reads u in the same order as x and gives {gives['a']}: the two "
                 "libraries disagree on the same kernel.",
            "b": "numpy.convolve is the textbook convolution: it reads the kernel backwards. "
                 f"F.conv1d with the kernel flipped does the same, {gives['b']}.",
            "c": f"negating the kernel negates every output, {gives['c']}; numpy's version "
                 "differs by the order of the taps, not their sign.",
        },
        right=right,
    )


def _kernel_numbers() -> Question:
    layer = nn.Conv2d(3, 8, kernel_size=5)
    d, c, h, w = layer.weight.shape
    counts = {"a": h * w, "b": c * h * w, "c": d * h * w}
    return Question(
        prompt=f"{module_label(layer)} reads RGB images. How many weights does ONE kernel hold?",
        choices={letter: f"{n}" for letter, n in counts.items()},
        why={
            "a": f"{h}×{w} = {h * w} is a kernel for one channel; each kernel spans all {c}.",
            "b": f"one kernel is {c}×{h}×{w} = {c * h * w} weights: it spans all {c} input "
                 "channels and sums over them, to give one number per position.",
            "c": f"{d}×{h}×{w} = {d * h * w} mixes up input and output channels: there are {d} "
                 f"kernels, each {c}×{h}×{w}.",
        },
        right=lambda: next(k for k, n in counts.items() if n == layer.weight[0].numel()),
    )


def _weights_and_image_size() -> Question:
    layer, sizes = nn.Conv2d(3, 16, kernel_size=5), (32, 256)
    count = sum(p.numel() for p in layer.parameters())
    ratio = (sizes[1] // sizes[0]) ** 2
    # The output's size by the arithmetic nn.Conv2d uses (a meta-device conv2d would import
    # torch's symbolic shapes and SymPy, a second of every kernel's start on a slow machine).
    axes = list(zip(layer.kernel_size, layer.stride, layer.padding, layer.dilation,
                    strict=True))
    maps = [size_text((layer.out_channels, *(conv_output_size(n, *axis) for axis in axes)))
            for n in sizes]

    def right() -> str:
        try:
            with torch.no_grad():
                layer(torch.zeros(1, 3, sizes[1], sizes[1]))
        except RuntimeError:
            return "c"
        after = sum(p.numel() for p in layer.parameters())
        return {count: "a", count * ratio: "b"}[after]

    d, c, h, w = layer.weight.shape
    return Question(
        prompt=(f"{module_label(layer)} holds {count:,} numbers (weights and biases) and reads "
                f"{sizes[0]}×{sizes[0]} RGB images. How many does it hold when it reads "
                f"{sizes[1]}×{sizes[1]} images?"),
        choices={
            "a": f"{count:,}: the same layer reads any image size.",
            "b": f"{count * ratio:,}: {ratio} times more, like the number of pixels.",
            "c": f"It cannot read {sizes[1]}×{sizes[1]} images: a layer is built for one image "
                 "size.",
        },
        why={
            "a": f"the numbers are {d} kernels of {c}×{h}×{w} plus {d} biases, whatever the "
                 f"image. Only the output grows, from {maps[0]} to {maps[1]}: the same kernels "
                 "slide over more positions.",
            "b": "that is how a dense layer would grow. A convolution reuses its kernels at "
                 "every position: more pixels give more outputs, not more weights.",
            "c": "nn.Conv2d knows its channels and kernel size, not the image size: any image at "
                 "least as large as the kernel will do (in notebook 07 the dense layer after the "
                 "convolutions is what fixes the size).",
        },
        right=right,
    )


SHIFTED_INPUT = _shifted_input()
"""Notebook 01: where the peak of ``x ⊛ u`` goes when ``x`` is shifted (equivariance)."""
FLIPPED_KERNEL = _flipped_kernel()
"""Notebook 01: which kernel makes ``F.conv1d`` agree with ``numpy.convolve``."""
KERNEL_NUMBERS = _kernel_numbers()
"""Notebook 02: how many weights one kernel of ``nn.Conv2d(3, 8, 3)`` holds."""
WEIGHTS_AND_IMAGE_SIZE = _weights_and_image_size()
"""Notebook 02: a layer's number of weights does not depend on the image size."""
