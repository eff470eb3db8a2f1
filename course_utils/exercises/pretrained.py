"""Checkers for notebook 08 (standard convnets, pretrained networks).

- :func:`check_conv1_output_size`: AlexNet's first convolution (11×11, stride 4, padding 2),
  its output size by hand for any input size.
- :func:`check_preprocess`: turn a PIL photo into a valid AlexNet input ``1×3×224×224``
  (resize the shorter side to 256, centre crop 224, values in [0, 1], ImageNet mean and std).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
from PIL import Image

from course_utils.arithmetic import conv_output_size
from course_utils.exercises import (
    Feedback,
    attempt,
    compare_tensors,
    correct,
    fmt,
    wrong,
)

ALEXNET_CONV1 = {"kernel": 11, "stride": 4, "padding": 2}
SIZES = (224, 227, 256, 64, 100, 301)
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
PHOTO_SIZES = ((320, 240), (240, 320), (256, 256), (500, 375))
PREPROCESS_ATOL = 0.05  # a tensor-side resize differs a little from PIL's; errors are larger


_CONV1_MISTAKES = (
    # Leaving out the padding (4 pixels in all) or the final + 1 (4 / stride 4) gives the same.
    (lambda n: (n - 11) // 4 + 1, "It looks like the padding (2 on each side) or the final + 1 "
     "(the first window position counts too) was left out."),
    (lambda n: (n + 2 - 11) // 4 + 1, "Padding is added on both sides: 2 × padding."),
    (lambda n: (n + 4 - 11) / 4 + 1, "PyTorch rounds down: use integer division //."),
    (lambda n: n // 4, "Dividing by the stride is not enough: the kernel and padding count too."),
)


def _conv1_hint(fn: Callable[[int], int]) -> str:
    """A hint if ``fn`` matches a typical mistake on every size, else ''."""
    for mistake, hint in _CONV1_MISTAKES:
        try:
            if all(fn(n) == mistake(n) for n in SIZES):
                return " " + hint
        except Exception:  # the learner's function failing just means no hint
            return ""
    return ""


def check_conv1_output_size(fn: Callable[[int], int]) -> Feedback:
    """Check ``fn(size) -> int``: the height (= width) of AlexNet's conv1 output.

    The reference is ``floor((size + 2·2 - 11) / 4) + 1`` (e.g. 55 for 224), tried on several
    sizes. Never raises on a wrong answer.
    """
    what = "alexnet_conv1_size(size)"
    if not callable(fn):
        return wrong(f"expected a function ({what}), got {type(fn).__name__}")
    for size in SIZES:
        expected = conv_output_size(size, **ALEXNET_CONV1)
        got, failed = attempt(what, f"for size = {size} your function", fn, size)
        if failed is not None:
            return failed
        if isinstance(got, torch.Tensor) and got.numel() == 1:
            got = got.item()
        if isinstance(got, bool) or not isinstance(got, (int, float)) or got != expected:
            return wrong(
                f"for size = {size} expected {expected}, got {fmt(got)}." + _conv1_hint(fn),
                size=size,
                expected=expected,
                got=got,
            )
        if not isinstance(got, int):
            return wrong(
                f"for size = {size} the value {fmt(got)} is right but a {type(got).__name__}: "
                "return an int (a number of pixels)."
            )
    return correct(
        f"{what} gives {', '.join(f'{s} → {conv_output_size(s, **ALEXNET_CONV1)}' for s in SIZES)}."
    )


def reference_preprocess(image: Image.Image) -> torch.Tensor:
    """The right answer: torchvision's ``AlexNet_Weights.IMAGENET1K_V1.transforms()``, batched."""
    from torchvision.models import AlexNet_Weights

    return AlexNet_Weights.IMAGENET1K_V1.transforms()(image).unsqueeze(0)


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


def _preprocess_hint(got: torch.Tensor, expected: torch.Tensor) -> str:
    if tuple(got.shape) == tuple(expected.shape[1:]):
        return " The network takes a batch: add a first dimension with .unsqueeze(0)."
    if got.dim() == 4 and got.shape[-1] == 3:
        return " Channels come first in PyTorch (N×C×H×W): use ToTensor or .permute(2, 0, 1)."
    if tuple(got.shape) != tuple(expected.shape):
        return ""
    if not got.is_floating_point():
        return " Expected float32 values (ToTensor turns 0..255 bytes into 0..1 floats)."
    if got.min() >= 0 and got.max() <= 1.0:
        return " The values are still in [0, 1]: subtract the ImageNet mean, divide by the std."
    if got.max() > 10:
        return " The values look like 0..255: divide by 255 (ToTensor does) before normalising."
    mean = got.mean(dim=(0, 2, 3))
    if torch.allclose(mean, torch.full_like(mean, float(mean.mean())), atol=0.02):
        return (
            " Every channel is shifted the same way, as the lecture's normalisation does: "
            "use the per-channel ImageNet mean and std."
        )
    return (
        " Check the order: shorter side resized to 256 (keeping the aspect ratio), then a "
        "224×224 centre crop, then ToTensor, then Normalize."
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
        got, failed = attempt(
            what, f"for {fmt(photo.size)} photo your function", fn, photo.copy()
        )
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
