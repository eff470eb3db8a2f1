"""Checkers for notebook 08 (standard convnets, pretrained networks).

- :data:`ALEXNET_PARAMETERS_QUESTION`: where most of AlexNet's parameters are (the answer and
  its explanation counted on torchvision's AlexNet).
- :func:`check_conv1_output_size`: AlexNet's first convolution (11×11, stride 4, padding 2),
  its output size by hand for any input size.
- :func:`check_preprocess`: turn a PIL photo into a valid AlexNet input ``1×3×224×224``
  (resize the shorter side to 256, centre crop 224, values in [0, 1], ImageNet mean and std).
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable
from functools import cache

import numpy as np
import torch
import torchvision
from PIL import Image
from torchvision import transforms as T
from torchvision.transforms._presets import ImageClassification

import course_utils.arithmetic
from course_utils.exercises import (
    ANY_OPERATION,
    Feedback,
    Forbidden,
    Slip,
    cases_showing,
    compare_tensors,
    correct,
    fmt,
    run,
    slip_hint,
    wrong,
)
from course_utils.exercises.questions import Question
from course_utils.pretrained import (
    ALEXNET_WEIGHTS,
    lecture_normalise,
    linear_parameters,
    parameter_count,
)
from course_utils.summary import summarize

IMAGENET_MEAN = tuple(ALEXNET_WEIGHTS.transforms().mean)
IMAGENET_STD = tuple(ALEXNET_WEIGHTS.transforms().std)
PHOTO_SIZES = ((320, 240), (240, 320), (256, 256), (500, 375))
PREPROCESS_ATOL = 0.05  # a tensor-side resize differs a little from PIL's; errors are larger


@cache
def _alexnet() -> torch.nn.Module:
    """torchvision's AlexNet, on the meta device (shapes only)."""
    with torch.device("meta"):
        return torchvision.models.alexnet()


def _alexnet_parameters_question() -> Question:
    """Where AlexNet keeps its parameters, every number counted on torchvision's AlexNet."""
    alexnet = _alexnet()
    total = parameter_count(alexnet)
    convs = sum(isinstance(m, torch.nn.Conv2d) for m in alexnet.modules())
    linears = sum(isinstance(m, torch.nn.Linear) for m in alexnet.modules())
    shares = {
        "a": parameter_count(alexnet.features) / total,
        "b": linear_parameters(alexnet) / total,
        "d": parameter_count(alexnet.avgpool) / total,
    }
    rows = summarize(alexnet, (3, 224, 224)).rows
    conv_work = sum(r.products for r in rows if r.operation.startswith("nn.Conv2d"))
    conv_work /= sum(r.products for r in rows)
    first = alexnet.classifier[1]
    tally = (
        f"the {convs} convolutions hold {shares['a']:.0%} of the parameters, the {linears} "
        f"linear layers {shares['b']:.0%}"
    )

    def right() -> str:
        largest = max(shares, key=shares.get)
        return largest if shares[largest] > 0.6 else "c"

    return Question(
        prompt=f"Where are most of AlexNet's {total:,} parameters?",
        choices={
            "a": f"In the {convs} convolutions, which do most of the work on the image.",
            "b": f"In the {linears} linear layers of the classifier.",
            "c": "About evenly split between the convolutions and the linear layers.",
            "d": "In the adaptive average pooling, which adapts to the size of the image.",
        },
        why={
            "a": f"The convolutions do {conv_work:.0%} of the multiply-adds, but their small "
                 f"kernels are shared by every position of the image: {tally}.",
            "b": f"{tally}. The first linear layer alone, {first.in_features:,} → "
                 f"{first.out_features:,}, has {parameter_count(first):,}: one weight for "
                 "every pair of input and output.",
            "c": f"Far from even: {tally}.",
            "d": f"Pooling learns nothing: it has {parameter_count(alexnet.avgpool)} parameters, "
                 f"and {tally}.",
        },
        right=right,
    )


ALEXNET_PARAMETERS_QUESTION = _alexnet_parameters_question()


def conv1_output_size(size: int) -> int:
    """The height (= width) of AlexNet's first convolution's output for a ``size``×``size``
    input, measured by running torchvision's layer on the meta device."""
    with torch.device("meta"):
        return _alexnet().features[0](torch.empty(1, 3, size, size)).shape[-1]


FORMULA = Forbidden(ANY_OPERATION, python=(course_utils.arithmetic, sys.modules[__name__]),
                    layers=True, task="work it out in integer arithmetic")
"""``alexnet_conv1_size`` is a formula: no layer (AlexNet's or another) built and measured, no
PyTorch, no ``course_utils.arithmetic`` nor this checker's code (its reference)."""


def _conv1_slips() -> tuple[Slip, ...]:
    """The slips, as a learner's formulas for the kernel, stride and padding of AlexNet's
    first convolution (read off torchvision's layer)."""
    conv1 = _alexnet().features[0]
    k, s, p = conv1.kernel_size[0], conv1.stride[0], conv1.padding[0]
    return (
        Slip(f"forgot the − 1: the kernel spans {k} cells, so the formula takes away {k}, "
             f"not {k - 1}", lambda n: (n + 2 * p - (k - 1)) // s + 1),
        Slip(f"left out the padding ({p} on each side) or the final + 1 (the first window "
             "position counts too)", lambda n: (n - k) // s + 1),
        Slip("counted the padding once: it is added on both sides, 2 × padding",
             lambda n: (n + p - k) // s + 1),
        Slip("divided with /: PyTorch rounds down, use integer division //",
             lambda n: (n + 2 * p - k) / s + 1),
        Slip("rounded up: PyTorch rounds the division down",
             lambda n: -(-(n + 2 * p - k) // s) + 1),
        Slip("only divided by the stride: the kernel and the padding count too",
             lambda n: n // s),
        Slip(f"forgot the stride: the kernel moves {s} pixels at a time",
             lambda n: n + 2 * p - k + 1),
    )


CONV1_SLIPS = _conv1_slips()
"""Slips of ``alexnet_conv1_size(size)`` (notebook 08)."""


@cache
def conv1_sizes() -> tuple[int, ...]:
    """The sizes the checker tries: common image sizes, then one that shows each slip."""
    common = [{"size": n} for n in (224, 227, 256, 64, 100, 301)]
    chosen = cases_showing(CONV1_SLIPS, conv1_output_size, common,
                           ({"size": n} for n in range(11, 400)))
    return tuple(case["size"] for case in chosen)


def check_conv1_output_size(fn: Callable[[int], int]) -> Feedback:
    """Check ``fn(size) -> int``: the height (= width) of AlexNet's conv1 output.

    The reference is torchvision's layer itself (e.g. 55 for 224), tried on
    :func:`conv1_sizes`. Never raises on a wrong answer.
    """
    what = "alexnet_conv1_size(size)"
    if not callable(fn):
        return wrong(f"expected a function ({what}), got {type(fn).__name__}")
    sizes = conv1_sizes()
    for size in sizes:
        expected = conv1_output_size(size)
        got, failed = run(what, f"for size = {size} your function", fn, {"size": size}, FORMULA)
        if failed is not None:
            return failed
        if isinstance(got, bool) or not isinstance(got, (int, float)) or got != expected:
            hint = slip_hint(CONV1_SLIPS, got, lambda slip, size=size: slip.answer(size))
            return wrong(f"for size = {size} expected {expected}, got {fmt(got)}{hint}",
                         size=size, expected=expected, got=got)
        if not isinstance(got, int):
            return wrong(
                f"for size = {size} the value {fmt(got)} is right but a {type(got).__name__}: "
                "return an int (a number of pixels)."
            )
    shown = ", ".join(f"{s} → {conv1_output_size(s)}" for s in sizes)
    return correct(f"{what} gives {shown}.")


def reference_preprocess(image: Image.Image) -> torch.Tensor:
    """The right answer: torchvision's ``AlexNet_Weights.IMAGENET1K_V1.transforms()``, batched."""
    return ALEXNET_WEIGHTS.transforms()(image).unsqueeze(0)


OWN_PIPELINE = Forbidden(
    python=((ImageClassification, "weights.transforms()"), sys.modules[__name__]),
    task="build it from Resize, CenterCrop, ToTensor and Normalize",
)
"""``preprocess`` is built from the transforms: not the weights' own ``transforms()``, nor
this checker's reference."""


def sample_photos() -> list[Image.Image]:
    """Deterministic synthetic RGB photos (smooth colour ramps plus noise) of several sizes."""
    rng = np.random.default_rng(7)
    photos = []
    for width, height in PHOTO_SIZES:
        y, x = np.mgrid[0:height, 0:width]
        base = np.stack([x / width, y / height, 0.5 + 0.5 * np.sin(x / 17 + y / 23)], axis=-1)
        noisy = np.clip(base * 200 + rng.normal(0, 20, base.shape) + 20, 0, 255)
        photos.append(Image.fromarray(noisy.astype(np.uint8), mode="RGB"))
    return photos


def _affine_fit(got: torch.Tensor, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, float]:
    """Per channel, the least-squares ``a``, ``b`` with ``got ≈ a·x + b``, and the worst misfit.

    ``got``, ``x``: ``1×3×H×W``; the misfit is in units of ``x`` (inf if some ``a`` is 0).
    """
    xs, gs = x[0].flatten(1).double(), got[0].flatten(1).double()
    xc = xs - xs.mean(1, keepdim=True)
    a = (xc * (gs - gs.mean(1, keepdim=True))).sum(1) / (xc * xc).sum(1).clamp_min(1e-12)
    b = gs.mean(1) - a * xs.mean(1)
    if bool((a.abs() < 1e-6).any()):
        return a, b, math.inf
    return a, b, float(((gs - b[:, None]) / a[:, None] - xs).abs().max())


def _preprocess_hint(got: torch.Tensor, expected: torch.Tensor) -> str:
    """A hint computed from the slip: what ``got`` is, given the right ``expected``."""
    if tuple(got.shape) == tuple(expected.shape[1:]):
        return " The network takes a batch: add a first dimension with .unsqueeze(0)."
    if got.dim() == 4 and got.shape[-1] == 3:
        return " Channels come first in PyTorch (N×C×H×W): use ToTensor or .permute(2, 0, 1)."
    if tuple(got.shape) != tuple(expected.shape):
        return ""
    if not got.is_floating_point():
        return " Expected float32 values (ToTensor turns 0..255 bytes into 0..1 floats)."
    mean = torch.tensor(IMAGENET_MEAN, dtype=torch.float64)
    std = torch.tensor(IMAGENET_STD, dtype=torch.float64)
    crop = expected.double() * std.view(1, 3, 1, 1) + mean.view(1, 3, 1, 1)  # values in [0, 1]
    a, b, misfit = _affine_fit(got, crop)
    if misfit > PREPROCESS_ATOL * min(IMAGENET_STD):
        return (
            " The values do not match pixel by pixel: check the resizing and cropping, shorter "
            "side resized to 256 (bilinear, keeping the aspect ratio), then a 224×224 centre crop."
        )
    if torch.allclose(a, torch.ones(3, dtype=a.dtype), atol=0.02) and b.abs().max() < 0.02:
        return " The values are still in [0, 1]: subtract the ImageNet mean, divide by the std."
    if torch.allclose(a, 255 / std, rtol=0.02):
        return " The values look like 0..255: divide by 255 (ToTensor does) before normalising."
    if a.max() - a.min() < 1e-3 * a.abs().max() and b.max() - b.min() < 1e-3 * b.abs().max():
        return (
            " Every channel is shifted and scaled the same way, as the lecture's normalisation "
            "does: use the per-channel ImageNet mean and std."
        )
    return (
        f" Your values are normalised with a mean of about {fmt(tuple((-b / a).tolist()), 3)} "
        f"and a std of about {fmt(tuple((1 / a).tolist()), 3)}; ImageNet's are "
        f"{fmt(IMAGENET_MEAN)} and {fmt(IMAGENET_STD)}."
    )


def check_preprocess(fn: Callable[[Image.Image], torch.Tensor]) -> Feedback:
    """Check ``fn(image) -> 1×3×224×224`` against ``AlexNet_Weights.IMAGENET1K_V1.transforms()``.

    Tried on synthetic photos of several sizes and shapes; values must agree within 0.05.
    Never raises on a wrong answer.
    """
    what = "preprocess(image)"
    if not callable(fn):
        return wrong(f"expected a function ({what}), got {type(fn).__name__}")
    photos = sample_photos()
    for photo in photos:
        expected = reference_preprocess(photo)
        inputs = {"a photo of (width, height)": photo.size}
        got, failed = run(what, f"for a {fmt(photo.size)} photo your function", fn,
                          {"image": photo.copy()}, OWN_PIPELINE)
        if failed is not None:
            return failed
        if not isinstance(got, torch.Tensor) or tuple(got.shape) != tuple(expected.shape):
            problem = compare_tensors(got, expected, inputs)
            hint = _preprocess_hint(got, expected) if isinstance(got, torch.Tensor) else ""
            return wrong(problem.message + "." + hint)
        if not got.is_floating_point():
            return wrong(
                f"for a {fmt(photo.size)} photo expected float32 values, got dtype {got.dtype}."
                + _preprocess_hint(got, expected)
            )
        gap = float((got.detach().float() - expected).abs().max())
        if not gap <= PREPROCESS_ATOL:
            return wrong(
                f"for a {fmt(photo.size)} photo (width, height) the shape is right, but values "
                f"differ from the reference by up to {gap:.3g} (allowed: {PREPROCESS_ATOL})."
                + _preprocess_hint(got.detach().float(), expected),
                gap=gap,
            )
    return correct(f"{what} matches weights.transforms() on all {len(photos)} photos.")


def _preprocess_slips() -> tuple[Slip, ...]:
    """The slips of ``preprocess``, as the pipelines a learner builds from the transforms."""
    def pipeline(*steps, batch: bool = True) -> Callable[[Image.Image], torch.Tensor]:
        transform = T.Compose(list(steps))
        return lambda image: transform(image).unsqueeze(0) if batch else transform(image)

    crop, normalise = (T.Resize(256), T.CenterCrop(224)), T.Normalize(IMAGENET_MEAN, IMAGENET_STD)
    right, unnormalised = pipeline(*crop, T.ToTensor(), normalise), pipeline(*crop, T.ToTensor())
    return (
        Slip("add a first dimension with .unsqueeze(0)",
             pipeline(*crop, T.ToTensor(), normalise, batch=False), by_result=False),
        Slip("still in [0, 1]", unnormalised, by_result=False),
        Slip("lecture's normalisation",
             pipeline(*crop, T.ToTensor(), lecture_normalise, batch=False), by_result=False),
        Slip("shorter side resized to 256",
             pipeline(T.Resize((224, 224)), T.ToTensor(), normalise), by_result=False),
        Slip("shorter side resized to 256", pipeline(T.CenterCrop(224), T.ToTensor(), normalise),
             by_result=False),
        Slip("bilinear", pipeline(T.Resize(256, interpolation=T.InterpolationMode.NEAREST),
                                  T.CenterCrop(224), T.ToTensor(), normalise), by_result=False),
        Slip("Channels come first", lambda image: right(image).permute(0, 2, 3, 1),
             by_result=False),
        Slip("Expected float32 values", lambda image: (255 * unnormalised(image)).to(torch.uint8),
             by_result=False),
        Slip(f"mean of about {fmt(IMAGENET_STD, 3)}",
             pipeline(*crop, T.ToTensor(), T.Normalize(IMAGENET_STD, IMAGENET_MEAN)),
             by_result=False),
        Slip("Every channel is shifted and scaled the same way",
             pipeline(*crop, T.ToTensor(), T.Normalize([0.5] * 3, [0.5] * 3)), by_result=False),
        Slip("look like 0..255",
             pipeline(*crop, T.PILToTensor(), T.ConvertImageDtype(torch.float32),
                      T.Lambda(lambda x: 255 * x), normalise), by_result=False),
        Slip("expected a torch.Tensor", lambda image: image, by_result=False),
    )


PREPROCESS_SLIPS = _preprocess_slips()
"""Slips of ``preprocess(image)`` (notebook 08), each a pipeline a learner builds."""
