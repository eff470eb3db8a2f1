"""Checkers and check-your-understanding questions for notebooks 01 and 02 (convolution).

Each checker runs the learner's answer on a few cases, small and readable first, compares it
with PyTorch, and answers with a :class:`~course_utils.exercises.Feedback`; when an answer is
wrong in a typical way (a flipped kernel, an output one too long or short, another dtype) the
message adds a hint.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from course_utils.exercises import (
    Feedback,
    attempt,
    check_value,
    compare_tensors,
    correct,
    fmt,
    int_tuple,
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


def _run(fn: Callable, case: dict, what: str):
    """(result, None) or (None, Feedback) when the learner's function did not return."""
    args = {k: v.clone() for k, v in case.items()}
    inputs = " and ".join(f"{k} = {fmt(v)}" for k, v in case.items())
    return attempt(what, f"for {inputs} your function", fn, **args)


def _hint(problem: Feedback, got, expected: torch.Tensor, flipped: torch.Tensor, size: str):
    """Add a tutor's hint to ``problem`` for the usual mistakes."""
    if not isinstance(got, torch.Tensor):
        return problem
    if got.shape == flipped.shape and not torch.allclose(flipped, expected):
        if torch.allclose(got.detach().to(flipped.dtype), flipped, atol=1e-4):
            problem.message += (
                ". Hint: this is what a flipped kernel gives (numpy.convolve's convention); "
                "here the kernel is read in the same order as the signal."
            )
            return problem
    if got.dim() == expected.dim() and got.shape != expected.shape:
        problem.message += f". Hint: each output should have {size} values."
    elif got.shape == expected.shape and got.dtype != expected.dtype:
        problem.message += ". Hint: keep the input's dtype (float32): do not convert the result."
    return problem


def check_conv1d(conv1d: Callable, batched: bool = False) -> Feedback:
    """Check a learner's ``conv1d(x, u)`` against ``F.conv1d``; never raises.

    ``batched=False``: ``x`` ``(W,)``, ``u`` ``(w,)`` → ``(W - w + 1,)``.
    ``batched=True``: ``x`` ``N×C×W``, ``u`` ``D×C×w`` → ``N×D×(W - w + 1)``.
    """
    what = "conv1d(x, u)"
    if not callable(conv1d):
        return wrong(f"expected a function {what}, got {type(conv1d).__name__}")
    cases = conv1d_cases(batched)
    for case in cases:
        got, failure = _run(conv1d, case, what)
        if failure is not None:
            return failure
        expected = conv1d_reference(**case)
        problem = compare_tensors(got, expected, case)
        if problem is not None:
            flipped = conv1d_reference(case["x"], case["u"].flip(-1))
            return _hint(problem, got, expected, flipped, "W - w + 1")
    kind = "N×C×W inputs with D×C×w kernels" if batched else "vectors"
    return correct(f"{what} agrees with F.conv1d on all {len(cases)} cases ({kind}).")


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


def check_conv2d(conv2d: Callable) -> Feedback:
    """Check a learner's ``conv2d(x, k)``, ``x`` ``C×H×W`` and ``k`` ``D×C×h×w`` →
    ``D×(H-h+1)×(W-w+1)``, against ``F.conv2d``; never raises."""
    what = "conv2d(x, k)"
    if not callable(conv2d):
        return wrong(f"expected a function {what}, got {type(conv2d).__name__}")
    cases = conv2d_cases()
    for case in cases:
        got, failure = _run(conv2d, case, what)
        if failure is not None:
            return failure
        expected = F.conv2d(case["x"].unsqueeze(0), case["k"])[0]
        problem = compare_tensors(got, expected, case)
        if problem is not None:
            flipped = F.conv2d(case["x"].unsqueeze(0), case["k"].flip(-1, -2))[0]
            return _hint(problem, got, expected, flipped, "D×(H-h+1)×(W-w+1)")
    return correct(f"{what} agrees with F.conv2d on all {len(cases)} cases.")


def output_shape(layer: nn.Module, input_shape: Sequence[int]) -> tuple[int, ...]:
    """The shape ``layer`` gives for an input of ``input_shape`` (found by running it on zeros)."""
    with torch.no_grad():
        return tuple(layer(torch.zeros(*input_shape)).shape)


def _shape_hint(predicted: tuple[int, ...], expected: tuple[int, ...], layer: nn.Module) -> str:
    """The tutor's hint for a wrong predicted shape, computed from the slip."""
    if len(predicted) != len(expected):
        return (f"the output has {len(expected)} dimensions, like the input: "
                "batch, channels, height, width")
    if predicted[1] != expected[1]:
        if predicted[1] == getattr(layer, "in_channels", None):
            return (f"{predicted[1]} is the number of input channels; each kernel spans all of "
                    "them and gives one map, so there is one output channel per kernel "
                    "(out_channels)")
        return "there is one output channel per kernel (out_channels)"
    if predicted[0] != expected[0]:
        return "the batch size is kept: each input of the batch gives its own output"
    if predicted[2:] == expected[:1:-1]:
        return "height and width are swapped: kernel_size=(h, w) and N×C×H×W put height first"
    plain = all(getattr(layer, name, default) in (default, (default, default))
                for name, default in (("stride", 1), ("padding", 0), ("dilation", 1)))
    if plain:
        return "a kernel of size k shrinks that dimension by k - 1"
    return "each side becomes (n + 2·padding − dilation·(k − 1) − 1) // stride + 1"


def check_output_shape(predicted, layer: nn.Module, input_shape: Sequence[int]) -> Feedback:
    """Check a predicted output shape of ``layer`` on an input of ``input_shape``; never raises.

    ``predicted``: a tuple of ints (``...`` or None while the learner has not answered). The
    right shape is the one ``layer`` outputs; the hint is computed from the slip.
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
    feedback.message += f". Hint: {_shape_hint(as_ints, expected, layer)}."
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
    with torch.device("meta"):
        maps = [size_text(F.conv2d(torch.empty(1, 3, n, n), torch.empty(layer.weight.shape))
                          .shape[1:]) for n in sizes]

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
