"""SqueezeNet v1.0 from its Deep-Compression file, and the Caffe preprocessing it expects.

The file ``compressed_SqueezeNet.net`` (songhan/SqueezeNet-Deep-Compression, BSD licence; Han,
Mao and Dally, 2016) stores SqueezeNet v1.0 (Iandola et al., 2016, "AlexNet-level accuracy with
50x fewer parameters") pruned and weight-shared in 675,763 bytes. :func:`decode` turns it into a
``state_dict`` for ``torchvision.models.squeezenet1_0`` (notebook 08). Layout, little-endian:

1. a header of 26 ``uint32``: how many non-zero weights each layer stores (``n``);
2. for each layer in order: a codebook of 256 ``float32`` (shared values, entry 0 is 0.0),
   ``out_channels`` ``float32`` biases, ``n`` ``uint8`` codes (indices into the codebook) and
   ``ceil(n/2)`` bytes of 4-bit gaps (low nibble first). Stored weight ``i`` sits at
   ``sum_{j<=i} (gap_j + 1) - 1`` in the flattened weight tensor; every other weight is 0;
3. nothing else: the last layer ends exactly at the end of the file.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np
import torch
import torchvision
from PIL import Image

from course_utils.data import SQUEEZENET, CorruptFileError, fetch, verify

CODEBOOK_SIZE = 256
CAFFE_MEAN_BGR = (104.0, 117.0, 123.0)
RESIZE = 256
CROP = 227
LICENCE_FILE = "licences/squeezenet-deep-compression.txt"
"""The weights' BSD licence text, inside the ``course_utils`` package (and so in every install)."""
LICENCE = (
    "SqueezeNet weights: " + SQUEEZENET.credit + " The licence text ships with the course, in "
    f"course_utils/{LICENCE_FILE}: print(course_utils.squeezenet.licence_text())."
)

_FIRE = (3, 4, 5, 7, 8, 9, 10, 12)
LAYERS: tuple[str, ...] = (
    ("features.0",)
    + tuple(f"features.{i}.{conv}" for i in _FIRE for conv in ("squeeze", "expand1x1", "expand3x3"))
    + ("classifier.1",)
)
"""The 26 convolutions of ``squeezenet1_0``, in the order the file stores them."""


@dataclass(frozen=True)
class LayerRecord:
    """What the file holds for one layer: ``stored`` non-zero weights out of ``size``."""

    name: str
    shape: tuple[int, ...]
    stored: int
    distinct: int
    start: int
    end: int

    @property
    def size(self) -> int:
        return int(np.prod(self.shape))

    @property
    def density(self) -> float:
        return self.stored / self.size


@dataclass
class Decoded:
    """The decoded file: a ``state_dict`` for ``squeezenet1_0`` and one record per layer."""

    state_dict: OrderedDict
    layers: list[LayerRecord]
    bytes_used: int
    file_size: int


def licence_text() -> str:
    """The BSD licence of the SqueezeNet Deep-Compression weights, as the course ships it."""
    return resources.files("course_utils").joinpath(LICENCE_FILE).read_text(encoding="utf-8")


def layer_shapes() -> OrderedDict:
    """Weight shapes ``C_out×C_in×kh×kw`` of the 26 layers, from torchvision's squeezenet1_0."""
    with torch.device("meta"):
        model = torchvision.models.squeezenet1_0()
    params = dict(model.named_parameters())
    return OrderedDict((name, tuple(params[name + ".weight"].shape)) for name in LAYERS)


def _take(buffer: bytes, offset: int, count: int, what: str) -> tuple[memoryview, int]:
    end = offset + count
    if count < 0 or end > len(buffer):
        raise CorruptFileError(
            f"the SqueezeNet file is truncated or corrupt: reading {what} needs bytes "
            f"{offset:,} to {end:,}, but the file has only {len(buffer):,} bytes (expected "
            f"{SQUEEZENET.size:,}). Delete it and fetch it again ({SQUEEZENET.url})."
        )
    return memoryview(buffer)[offset:end], end


def _positions(gap_bytes: memoryview, n: int) -> np.ndarray:
    packed = np.frombuffer(gap_bytes, dtype=np.uint8)
    gaps = np.empty(2 * len(packed), dtype=np.int64)
    gaps[0::2] = packed & 0x0F
    gaps[1::2] = packed >> 4
    return np.cumsum(gaps[:n] + 1) - 1


def decode(source) -> Decoded:
    """Decode the Deep-Compression bytes (a path or ``bytes``) into a ``squeezenet1_0`` state.

    Returns a :class:`Decoded` whose ``state_dict`` maps each ``<layer>.weight`` to a float32
    tensor ``C_out×C_in×kh×kw`` and each ``<layer>.bias`` to ``C_out``. Raises
    :class:`course_utils.data.CorruptFileError` (a ``ValueError``) when the file is truncated,
    too long, or its counts and positions do not fit the network.
    """
    if isinstance(source, (str, Path)):
        buffer = Path(source).read_bytes()
    elif isinstance(source, (bytes, bytearray, memoryview)):
        buffer = bytes(source)
    else:
        raise TypeError(f"expected a path or bytes, got {type(source).__name__}")
    shapes = layer_shapes()
    header, offset = _take(buffer, 0, 4 * len(LAYERS), "the header")
    counts = np.frombuffer(header, dtype="<u4")
    state: OrderedDict = OrderedDict()
    records = []
    for name, shape, n in zip(LAYERS, shapes.values(), counts.tolist(), strict=True):
        size = int(np.prod(shape))
        if n > size:
            raise CorruptFileError(
                f"the SqueezeNet file is corrupt: its header says layer {name} stores {n:,} "
                f"weights, but that layer has only {size:,} (shape {shape}). Is this "
                f"compressed_SqueezeNet.net? Fetch it again from {SQUEEZENET.url}"
            )
        start = offset
        raw, offset = _take(buffer, offset, 4 * CODEBOOK_SIZE, f"the codebook of {name}")
        codebook = np.frombuffer(raw, dtype="<f4")
        raw, offset = _take(buffer, offset, 4 * shape[0], f"the biases of {name}")
        bias = np.frombuffer(raw, dtype="<f4")
        codes, offset = _take(buffer, offset, n, f"the weight codes of {name}")
        gap_bytes, offset = _take(buffer, offset, (n + 1) // 2, f"the gaps of {name}")
        positions = _positions(gap_bytes, n)
        if n and positions[-1] >= size:
            raise CorruptFileError(
                f"the SqueezeNet file is corrupt: weights of {name} land at position "
                f"{int(positions[-1]):,}, past the end of its {size:,} weights. Fetch it again "
                f"from {SQUEEZENET.url}"
            )
        if not (np.isfinite(codebook).all() and np.isfinite(bias).all()):
            raise CorruptFileError(
                f"the SqueezeNet file is corrupt: {name} has non-finite codebook or bias values"
            )
        weight = np.zeros(size, dtype=np.float32)
        weight[positions] = codebook[np.frombuffer(codes, dtype=np.uint8)]
        state[name + ".weight"] = torch.from_numpy(weight.reshape(shape))
        state[name + ".bias"] = torch.from_numpy(bias.copy())
        distinct = len(np.unique(weight))
        records.append(LayerRecord(name, shape, n, distinct, start, offset))
    if offset != len(buffer):
        raise CorruptFileError(
            f"the SqueezeNet file is corrupt: the 26 layers end at byte {offset:,} but the file "
            f"has {len(buffer):,} bytes ({len(buffer) - offset:,} left over). Fetch it again "
            f"from {SQUEEZENET.url}"
        )
    return Decoded(state, records, offset, len(buffer))


def load_squeezenet(path=None, check: bool = True) -> torch.nn.Module:
    """``torchvision.models.squeezenet1_0`` with the decoded weights, in eval mode.

    ``path`` defaults to the course's copy (fetched, size and sha256 checked, by
    :func:`course_utils.data.fetch`). With an explicit path, ``check`` verifies it the same
    way. Input: ``N×3×227×227`` Caffe-preprocessed images (:func:`caffe_preprocess`);
    output: ``N×1000`` class scores (before softmax).
    """
    if path is None:
        path = fetch(SQUEEZENET)
    elif check:
        path = verify(SQUEEZENET, Path(path))
    decoded = decode(path)
    model = torchvision.models.squeezenet1_0(weights=None)
    model.load_state_dict(decoded.state_dict, strict=True)
    return model.eval()


def caffe_preprocess(image: Image.Image) -> torch.Tensor:
    """A PIL image as the Caffe-trained network wants it: ``1×3×227×227`` float32.

    Shorter side resized to 256 (bilinear), centre crop 227×227, channels in BGR order, values
    0..255 minus the per-channel mean (104, 117, 123) for (B, G, R).
    """
    if not isinstance(image, Image.Image):
        raise TypeError(f"expected a PIL.Image.Image, got {type(image).__name__}")
    from torchvision.transforms import functional as TF

    image = image.convert("RGB")
    image = TF.resize(image, RESIZE, interpolation=TF.InterpolationMode.BILINEAR)
    image = TF.center_crop(image, [CROP, CROP])
    rgb = torch.from_numpy(np.asarray(image, dtype=np.float32).copy()).permute(2, 0, 1)
    bgr = rgb.flip(0)
    mean = torch.tensor(CAFFE_MEAN_BGR).view(3, 1, 1)
    return (bgr - mean).unsqueeze(0)
