"""The Deep-Compression decoder on the real file, on damaged copies, and the decoded network."""

from __future__ import annotations

import fnmatch
from pathlib import Path

import numpy as np
import pytest
import torch
import torchvision
from PIL import Image

from course_utils.data import LABRADOR, SQUEEZENET, CorruptFileError
from course_utils.squeezenet import (
    CAFFE_MEAN_BGR,
    CROP,
    LAYERS,
    LICENCE,
    LICENCE_FILE,
    caffe_preprocess,
    decode,
    licence_text,
    load_squeezenet,
)

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent

LABRADOR_INDEX = 208


def _required(remote):
    path = remote.path()
    if not path.is_file():
        pytest.fail(
            f"{path} is missing: the tests need the {remote.name} in the data folder "
            f"(CI copies it there in .ci/run; locally run `make data` or copy it from shared/)."
        )
    return path


@pytest.fixture(scope="module")
def raw() -> bytes:
    return _required(SQUEEZENET).read_bytes()


@pytest.fixture(scope="module")
def decoded(raw):
    return decode(raw)


@pytest.fixture(scope="module")
def model():
    return load_squeezenet(_required(SQUEEZENET))


def test_every_byte_of_the_file_is_used(decoded, raw):
    assert len(raw) == SQUEEZENET.size == 675_763
    assert decoded.bytes_used == decoded.file_size == len(raw)
    assert decoded.layers[0].start == 4 * 26
    assert all(a.end == b.start for a, b in zip(decoded.layers, decoded.layers[1:], strict=False))
    assert decoded.layers[-1].end == len(raw)


def test_state_dict_matches_squeezenet1_0_keys_and_shapes(decoded):
    reference = torchvision.models.squeezenet1_0(weights=None).state_dict()
    assert list(decoded.state_dict) == list(reference)
    for key, tensor in reference.items():
        assert decoded.state_dict[key].shape == tensor.shape, key
        assert decoded.state_dict[key].dtype == torch.float32, key


def test_layers_are_pruned_and_weight_shared(decoded):
    assert [r.name for r in decoded.layers] == list(LAYERS) and len(LAYERS) == 26
    for record in decoded.layers:
        weight = decoded.state_dict[record.name + ".weight"]
        assert 0 < record.stored <= record.size == weight.numel()
        assert record.distinct <= 256
        assert torch.unique(weight).numel() == record.distinct
    # the 3x3 expand convolutions keep about a third of their weights
    expand3 = [r.density for r in decoded.layers if r.name.endswith("expand3x3")]
    assert all(0.25 < d < 0.4 for d in expand3)
    total = sum(r.size for r in decoded.layers) + sum(r.shape[0] for r in decoded.layers)
    assert total == 1_248_424


def test_truncated_file_gives_a_clear_error(raw):
    for cut in (len(raw) - 1, len(raw) // 2, 50, 0):
        with pytest.raises(CorruptFileError, match="truncated"):
            decode(raw[:cut])


def test_trailing_bytes_are_an_error(raw):
    with pytest.raises(CorruptFileError, match="left over"):
        decode(raw + b"\0\0")


def test_garbage_file_gives_a_clear_error():
    garbage = np.random.default_rng(0).integers(0, 256, SQUEEZENET.size, dtype=np.uint8)
    with pytest.raises(CorruptFileError, match="corrupt"):
        decode(garbage.tobytes())


def test_header_counting_one_weight_too_many_is_caught(raw):
    header = np.frombuffer(raw[:104], dtype="<u4").copy()
    header[0] = 96 * 3 * 7 * 7 + 1
    with pytest.raises(CorruptFileError, match="features.0"):
        decode(header.tobytes() + raw[104:])


def test_a_damaged_copy_fails_its_checksum(raw, tmp_path):
    damaged = bytearray(raw)
    damaged[1000] ^= 0xFF
    path = tmp_path / "compressed_SqueezeNet.net"
    path.write_bytes(bytes(damaged))
    with pytest.raises(CorruptFileError, match="sha256"):
        load_squeezenet(path)


def test_decode_rejects_other_types():
    with pytest.raises(TypeError, match="path or bytes"):
        decode(12)


def test_caffe_preprocess_is_bgr_0_255_minus_mean():
    red = Image.new("RGB", (300, 260), (255, 0, 0))
    x = caffe_preprocess(red)
    assert x.shape == (1, 3, CROP, CROP) and x.dtype == torch.float32
    b, g, r = CAFFE_MEAN_BGR
    assert torch.allclose(x[0, 0], torch.full((CROP, CROP), -b))
    assert torch.allclose(x[0, 1], torch.full((CROP, CROP), -g))
    assert torch.allclose(x[0, 2], torch.full((CROP, CROP), 255 - r))
    with pytest.raises(TypeError, match="PIL"):
        caffe_preprocess(torch.zeros(3, 227, 227))


def test_labrador_top1_on_the_decoded_network(model):
    with Image.open(_required(LABRADOR)) as image:
        x = caffe_preprocess(image)
    with torch.no_grad():
        p = model(x).softmax(1)[0]
    assert int(p.argmax()) == LABRADOR_INDEX
    assert p[LABRADOR_INDEX] > 0.9


def test_the_weights_licence_ships_with_the_package():
    text = licence_text()
    assert "songhan/SqueezeNet-Deep-Compression" in text and "BSD LICENSE" in text
    assert "Redistributions of source code must retain the above copyright notice" in text
    assert "Redistributions in binary form must reproduce the above copyright notice" in text
    assert text == (ROOT / "course_utils" / LICENCE_FILE).read_text(encoding="utf-8")
    # what the notebook prints names that file, and nothing only the build machine has
    assert f"course_utils/{LICENCE_FILE}" in LICENCE and "shared" not in LICENCE
    # the package data declared in pyproject.toml takes it into wheels and installs
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    patterns = pyproject["tool"]["setuptools"]["package-data"]["course_utils"]
    assert any(fnmatch.fnmatch(LICENCE_FILE, pattern) for pattern in patterns)
