"""Pretrained classifiers for notebook 08: AlexNet through torchvision's weights API (when its
weights can be had), SqueezeNet from the course's Deep-Compression file (always), photos to
classify, the top-k list in the lecture's format, and a table of model sizes and costs.

Offline, :func:`load_alexnet` answers within seconds with a :class:`DataNotFoundError` that says
how to get the weights, and :func:`best_classifier` falls back to SqueezeNet.
"""

from __future__ import annotations

import io
import pickle
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import torch
import torchvision
from PIL import Image, ImageOps, UnidentifiedImageError
from torch import nn

from course_utils.data import (
    LABRADOR,
    TIMEOUT_S,
    DataNotFoundError,
    _socket_timeout,
    fetch,
    host_reachable,
)
from course_utils.summary import summarize

ALEXNET_WEIGHTS = torchvision.models.AlexNet_Weights.IMAGENET1K_V1
CATEGORIES: tuple[str, ...] = tuple(ALEXNET_WEIGHTS.meta["categories"])
"""The 1,000 ImageNet-1k class names in index order (part of torchvision, works offline)."""

BYTES_PER_MB = 2**20  # torchvision's "_file_size" (AlexNet: 233.087) counts MB of 2**20 bytes


def alexnet_cache_path() -> Path:
    """Where torch's hub cache keeps AlexNet's weights (``$TORCH_HOME/hub/checkpoints/...``)."""
    return Path(torch.hub.get_dir()) / "checkpoints" / Path(ALEXNET_WEIGHTS.url).name


def _alexnet_missing(reason: str) -> str:
    return (
        f"Pretrained AlexNet is not available ({reason}).\n"
        f"Its weights (233 MB) are not in the torch hub cache at {alexnet_cache_path()}.\n"
        f"To use it, run this notebook online once, or download {ALEXNET_WEIGHTS.url}\n"
        f"and save it at that path. The notebook carries on with SqueezeNet."
    )


def load_alexnet(download: bool = True, timeout: float = 5.0) -> nn.Module:
    """torchvision's AlexNet with ``AlexNet_Weights.IMAGENET1K_V1``, in eval mode.

    Input ``N×3×224×224`` (``ALEXNET_WEIGHTS.transforms()``), output ``N×1000`` scores.
    The weights come from torch's hub cache if they are there; else, if ``download`` is true
    and the server answers within ``timeout`` seconds, they are downloaded (233 MB, hash
    checked). Otherwise :class:`DataNotFoundError` says how to get them, within seconds.
    """
    cached = alexnet_cache_path()
    if cached.is_file():
        try:
            return torchvision.models.alexnet(weights=ALEXNET_WEIGHTS).eval()
        except (RuntimeError, OSError, EOFError, pickle.UnpicklingError) as err:
            raise DataNotFoundError(
                f"The AlexNet weights in the torch hub cache, {cached}, could not be read "
                f"({type(err).__name__}: {err}). The file is probably damaged or incomplete: "
                f"delete it and run again to download it afresh."
            ) from err
    if not download:
        raise DataNotFoundError(_alexnet_missing("download=False"))
    if not host_reachable(ALEXNET_WEIGHTS.url, timeout=timeout):
        raise DataNotFoundError(_alexnet_missing("no connection to download.pytorch.org"))
    try:
        with _socket_timeout(TIMEOUT_S):
            return torchvision.models.alexnet(weights=ALEXNET_WEIGHTS).eval()
    except (OSError, RuntimeError) as err:
        raise DataNotFoundError(_alexnet_missing(f"the download failed: {err}")) from err


def lecture_normalise(image: torch.Tensor) -> torch.Tensor:
    """The lecture's ad-hoc normalisation: ``0.5 + 0.5 * (x - mean) / std`` over all pixels.

    ``image``: ``3×H×W`` (or ``1×3×H×W``) with values in [0, 1]; returns ``1×3×H×W``.
    One mean and one standard deviation for the whole image, whatever the channel.
    """
    if not isinstance(image, torch.Tensor):
        raise TypeError(f"expected a torch.Tensor 3×H×W, got {type(image).__name__}")
    if image.dim() == 3:
        image = image.unsqueeze(0)
    if image.dim() != 4 or image.shape[:2] != (1, 3):
        raise ValueError(f"expected an image 3×H×W or 1×3×H×W, got shape {tuple(image.shape)}")
    image = image.float()
    return 0.5 + 0.5 * (image - image.mean()) / image.std()


@dataclass
class Classifier:
    """A pretrained network with its preprocessing: ``preprocess(PIL image) -> 1×3×H×W``."""

    name: str
    model: nn.Module
    preprocess: Callable[[Image.Image], torch.Tensor]
    categories: Sequence[str] = CATEGORIES

    def scores(self, image: Image.Image) -> torch.Tensor:
        """The network's 1,000 class scores for one photo (a 1d tensor)."""
        if not isinstance(image, Image.Image):
            raise TypeError(f"expected a PIL.Image.Image, got {type(image).__name__}")
        with torch.no_grad():
            return self.model(self.preprocess(image.convert("RGB")))[0]

    def top_k(self, image: Image.Image, k: int = 5) -> list[tuple[str, float, float]]:
        """The ``k`` best classes as ``(name, score, probability)``, best first."""
        return top_k(self.scores(image), self.categories, k)


def alexnet_classifier(download: bool = True, timeout: float = 5.0) -> Classifier:
    """Pretrained AlexNet with ``weights.transforms()`` (:class:`DataNotFoundError` offline)."""
    model = load_alexnet(download=download, timeout=timeout)
    transform = ALEXNET_WEIGHTS.transforms()
    return Classifier("AlexNet", model, lambda image: transform(image).unsqueeze(0))


def squeezenet_classifier(path=None) -> Classifier:
    """SqueezeNet v1.0 decoded from the Deep-Compression file, with Caffe preprocessing."""
    from course_utils.squeezenet import caffe_preprocess, load_squeezenet

    return Classifier("SqueezeNet", load_squeezenet(path), caffe_preprocess)


def best_classifier(download: bool = True, timeout: float = 5.0) -> tuple[Classifier, str]:
    """AlexNet if its weights can be had, else SqueezeNet; and a line saying which and why."""
    try:
        return alexnet_classifier(download, timeout), "Using pretrained AlexNet."
    except DataNotFoundError as err:
        reason = str(err).splitlines()[0]
        return squeezenet_classifier(), f"{reason}\nUsing SqueezeNet instead."


def top_k(scores: torch.Tensor, categories: Sequence[str] = CATEGORIES, k: int = 15):
    """The ``k`` highest of ``scores`` (1d, or ``1×C``) as ``(name, score, probability)``."""
    if not isinstance(scores, torch.Tensor):
        raise TypeError(f"expected a tensor of class scores, got {type(scores).__name__}")
    scores = scores.detach().float()
    if scores.dim() == 2 and scores.shape[0] == 1:
        scores = scores[0]
    if scores.dim() != 1 or len(scores) != len(categories):
        raise ValueError(
            f"expected {len(categories)} class scores (1d or 1×{len(categories)}), "
            f"got shape {tuple(scores.shape)}"
        )
    if not isinstance(k, int) or not 1 <= k <= len(scores):
        raise ValueError(f"k must be an int in [1, {len(scores)}], got {k!r}")
    probabilities = scores.softmax(0)
    values, indexes = scores.sort(descending=True)
    return [
        (categories[i], float(v), float(probabilities[i]))
        for v, i in zip(values[:k].tolist(), indexes[:k].tolist(), strict=True)
    ]


def format_top_k(
    scores: torch.Tensor, categories: Sequence[str] = CATEGORIES, k: int = 15, decimals: int = 2
) -> str:
    """The lecture's listing, one class a line: ``#1 (12.26) Weimaraner``.

    ``decimals``: how many decimals of each score to show (the lecture shows 2). Scores computed
    on different processors can differ in their fifth significant digit, so a listing compared
    across machines shows fewer.
    """
    if isinstance(decimals, bool) or not isinstance(decimals, int) or decimals < 0:
        raise ValueError(f"decimals must be an int >= 0, got {decimals!r}")
    return "\n".join(
        f"#{rank} ({score:.{decimals}f}) {name}"
        for rank, (name, score, _) in enumerate(top_k(scores, categories, k), start=1)
    )


def parameter_count(model: nn.Module) -> int:
    """How many numbers the network learns (works on the meta device, without memory)."""
    if not isinstance(model, nn.Module):
        raise TypeError(f"expected a torch.nn.Module, got {type(model).__name__}")
    return sum(p.numel() for p in model.parameters())


@dataclass(frozen=True)
class Network:
    """A network of the size table: how to build it, its input ``C×H×W``, its ImageNet weights."""

    build: Callable[[], nn.Module]
    input_shape: tuple[int, int, int]
    weights: torchvision.models.WeightsEnum | None = None


def default_networks() -> dict[str, Network]:
    """The five networks of the size table (LeNet-5 reads MNIST digits, the others ImageNet)."""
    from course_utils.models import LeNet5

    models = torchvision.models
    return {
        "LeNet-5": Network(LeNet5, (1, 28, 28)),
        "AlexNet": Network(models.alexnet, (3, 224, 224), ALEXNET_WEIGHTS),
        "VGG-16": Network(models.vgg16, (3, 224, 224), models.VGG16_Weights.IMAGENET1K_V1),
        "ResNet-18": Network(models.resnet18, (3, 224, 224), models.ResNet18_Weights.IMAGENET1K_V1),
        "SqueezeNet 1.0": Network(
            models.squeezenet1_0, (3, 224, 224), models.SqueezeNet1_0_Weights.IMAGENET1K_V1
        ),
    }


def linear_parameters(model: nn.Module) -> int:
    """How many of the network's parameters belong to its ``nn.Linear`` layers."""
    if not isinstance(model, nn.Module):
        raise TypeError(f"expected a torch.nn.Module, got {type(model).__name__}")
    return sum(parameter_count(m) for m in model.modules() if isinstance(m, nn.Linear))


def size_table(networks: dict[str, Network] | None = None) -> list[dict]:
    """Size, cost and accuracy of each network, one row (a dict) per network.

    Columns: parameters, float32 MB (2**20 bytes), millions of multiply-adds for one input
    (biases not counted), the shares (%) of the parameters and of the multiply-adds that belong
    to linear layers, and the top-1 / top-5 ImageNet accuracy (%) of torchvision's weights ("-"
    where there are none). Networks are
    built on the meta device (shapes only, no memory); :func:`course_utils.summary.summarize`
    counts the multiply-adds for one input of ``input_shape``.
    """
    rows = []
    for name, network in (networks or default_networks()).items():
        if not isinstance(network, Network):
            raise TypeError(f"expected a Network for {name!r}, got {type(network).__name__}")
        with torch.device("meta"):
            model = network.build()
        count = parameter_count(model)
        steps = summarize(model, network.input_shape)
        linear_work = sum(r.products for r in steps.rows if r.operation.startswith("nn.Linear("))
        metrics = network.weights.meta["_metrics"]["ImageNet-1K"] if network.weights else {}
        rows.append({
            "network": name,
            "parameters": count,
            "float32 MB": 4 * count / BYTES_PER_MB,
            "M mult-adds": steps.total_products / 1e6,
            "linear %": 100 * linear_parameters(model) / count,
            "linear work %": 100 * linear_work / steps.total_products,
            "top-1 %": metrics.get("acc@1", "-"),
            "top-5 %": metrics.get("acc@5", "-"),
        })
    return rows


def format_table(rows: list[dict]) -> str:
    """Rows of dicts (same keys) as a fixed-width text table; ints with thousands separators."""
    if not rows:
        raise ValueError("expected at least one row, got none")
    keys = list(rows[0])

    def cell(v) -> str:
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            return str(v)
        return f"{v:,}" if isinstance(v, int) else f"{v:,.2f}"

    cells = [[cell(r[k]) for k in keys] for r in rows]
    widths = [max(len(k), *(len(c[i]) for c in cells)) for i, k in enumerate(keys)]
    lines = ["  ".join(k.ljust(w) if i == 0 else k.rjust(w) for i, (k, w) in
                       enumerate(zip(keys, widths, strict=True)))]
    for c in cells:
        lines.append("  ".join(v.ljust(w) if i == 0 else v.rjust(w) for i, (v, w) in
                               enumerate(zip(c, widths, strict=True))))
    return "\n".join(lines)


def is_transparent(image: Image.Image) -> bool:
    """Whether a PIL image has an alpha channel or a transparent colour (as Pillow 10.1's
    ``has_transparency_data``, which older Pillows lack)."""
    return image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in image.info


def load_photo(source) -> Image.Image:
    """An RGB PIL image from a path, a file object or bytes; ``ValueError`` if it is no image.

    As a browser shows it: turned upright as its EXIF orientation says (a phone's portrait
    photo), and transparent parts put on white (PIL alone would keep the colour under them,
    often black). The photo classifier does the same in a page without a kernel.
    """
    if isinstance(source, (bytes, bytearray, memoryview)):
        source = io.BytesIO(bytes(source))
    elif isinstance(source, str):
        source = Path(source)
    if not isinstance(source, Path) and not hasattr(source, "read"):
        raise TypeError(f"expected a path, a file object or bytes, got {type(source).__name__}")
    try:
        with Image.open(source) as image:
            image = ImageOps.exif_transpose(image)
            if is_transparent(image):
                white = Image.new("RGBA", image.size, (255, 255, 255, 255))
                return Image.alpha_composite(white, image.convert("RGBA")).convert("RGB")
            return image.convert("RGB")
    except UnidentifiedImageError as err:
        raise ValueError(f"could not read this file as an image (JPEG, PNG...): {err}") from err


def labrador_photo() -> Image.Image:
    """The yellow Labrador photo (700×577); credit: ``course_utils.data.LABRADOR.credit``."""
    return load_photo(fetch(LABRADOR))


def grace_hopper_photo() -> Image.Image:
    """Matplotlib's bundled sample photo ``grace_hopper.jpg`` (512×600)."""
    from matplotlib import cbook

    with cbook.get_sample_data("grace_hopper.jpg") as f:
        return load_photo(f)
