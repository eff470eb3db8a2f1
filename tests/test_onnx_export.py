"""The ONNX exports give PyTorch's answers (Python's onnxruntime), and the page's files hold them.

The same exports run in Chromium through onnxruntime-web in tests/browser/test_network_in_page.py.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pytest
import torch

from course_utils import onnx_export
from course_utils.checkpoints import CheckpointError
from course_utils.models import LectureNet
from course_utils.onnx_export import (
    GLUE,
    LECTURE_NET,
    SQUEEZENET,
    WASM,
    lecture_net_onnx,
    pack,
    run,
    runtime_dir,
    squeezenet_onnx,
    to_onnx,
    unpack,
    weights_digest,
    write_page_assets,
)
from course_utils.pretrained import CATEGORIES, labrador_photo
from course_utils.squeezenet import caffe_preprocess, load_squeezenet
from course_utils.training import mnist_data
from course_utils.widgets.activation_explorer import ActivationRecorder


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture(scope="module")
def lecture_net():
    torch.manual_seed(0)
    return LectureNet().eval()


@pytest.fixture(scope="module")
def squeezenet():
    return load_squeezenet()


def test_lecture_net_in_onnxruntime_gives_pytorchs_scores_and_maps(lecture_net):
    digits = mnist_data(n_train=1, n_test=12).test_x  # 12 test digits, 12×1×28×28
    out = run(lecture_net_onnx(lecture_net), digits)
    assert list(out) == ["scores", "probabilities", "conv1", "conv1.input", "conv2",
                         "conv2.input"]
    with torch.no_grad():
        scores = lecture_net(digits)
    assert np.allclose(out["scores"], scores.numpy(), atol=1e-4)
    assert np.allclose(out["probabilities"], scores.softmax(1).numpy(), atol=1e-6)
    for k in range(len(digits)):
        assert (np.argsort(-out["scores"][k])[:5] == scores[k].argsort(descending=True)[:5]
                .numpy()).all()
    recorder = ActivationRecorder(lecture_net)
    recorder(digits[3])
    for name in ("conv1", "conv2"):
        assert np.allclose(out[name][3], recorder.outputs[name].numpy(), atol=1e-5)
        assert np.allclose(out[f"{name}.input"][3], recorder.inputs[name].numpy(), atol=1e-5)


def test_squeezenet_in_onnxruntime_gives_pytorchs_scores_on_the_labrador(squeezenet):
    image = caffe_preprocess(labrador_photo())
    out = run(squeezenet_onnx(squeezenet), image)
    with torch.no_grad():
        scores = squeezenet(image)[0]
    assert np.abs(out["scores"][0] - scores.numpy()).max() < 1e-4
    top = np.argsort(-out["scores"][0])[:5]
    assert top.tolist() == scores.argsort(descending=True)[:5].tolist()
    assert CATEGORIES[top[0]] == "Labrador retriever"
    assert np.isclose(out["probabilities"][0].sum(), 1, atol=1e-5)


def test_an_export_names_what_it_cannot_find(lecture_net):
    with pytest.raises(ValueError, match="no convolution named \\['fc1'\\] in the model; it "
                                         "has \\['conv1', 'conv2'\\]"):
        to_onnx(lecture_net, torch.zeros(1, 1, 28, 28), ["fc1"])
    with pytest.raises(ValueError, match="expected an example input N×..., got \\(28,\\)"):
        to_onnx(lecture_net, torch.zeros(28))


def test_the_digest_follows_the_weights(lecture_net):
    other = LectureNet()
    other.load_state_dict(lecture_net.state_dict())
    assert weights_digest(other) == weights_digest(lecture_net)
    with torch.no_grad():
        other.fc2.bias[3] += 1e-6
    assert weights_digest(other) != weights_digest(lecture_net)
    with pytest.raises(TypeError, match="expected a torch.nn.Module, got OrderedDict"):
        weights_digest(lecture_net.state_dict())


def test_a_pack_holds_the_bytes_and_refuses_damage():
    data = bytes(range(256)) * 40
    script = pack("some.file", data, {"answer": [4, 2]})
    assert len(script) < len(data)  # gzip, then base64
    assert unpack(script) == ("some.file", data, {"answer": [4, 2]})
    damaged = script.replace('"size":10240', '"size":10241')
    with pytest.raises(ValueError, match="the pack of some.file is damaged"):
        unpack(damaged)
    with pytest.raises(ValueError, match="expected a script written by pack"):
        unpack("var x = 1;")


def test_the_page_assets_hold_the_runtime_unmodified_and_both_networks(tmp_path, lecture_net,
                                                                        squeezenet):
    written = write_page_assets(tmp_path, lecture_net=lecture_net, squeezenet=squeezenet)
    folder = tmp_path / "onnx"
    assert {p.name for p in written} == {p.name for p in folder.iterdir()} == {
        "ort.wasm.min.js", "course-onnx.js", f"{GLUE}.js", f"{WASM}.js", f"{LECTURE_NET}.js",
        f"{SQUEEZENET}.js"}
    assert sha((folder / "ort.wasm.min.js").read_bytes()) == sha(
        (runtime_dir() / "ort.wasm.min.js").read_bytes())
    for name in (GLUE, WASM):
        got, data, _ = unpack((folder / f"{name}.js").read_text())
        assert got == name and sha(data) == sha((runtime_dir() / name).read_bytes())
    _, model, meta = unpack((folder / f"{LECTURE_NET}.js").read_text())
    assert meta == {"digest": weights_digest(lecture_net)}
    assert model == lecture_net_onnx(lecture_net)
    _, _, meta = unpack((folder / f"{SQUEEZENET}.js").read_text())
    assert meta["categories"] == list(CATEGORIES) and meta["crop"] == 227
    total = sum(p.stat().st_size for p in written)
    assert total < 8 * 2**20, f"the in-page networks weigh {total / 2**20:.1f} MiB"


def test_without_a_trained_network_or_the_runtime_it_says_what_to_do(tmp_path):
    with pytest.raises(CheckpointError, match="the page's network is notebook 07's trained "
                                              "LectureNet, and no saved model at .*run notebook"):
        write_page_assets(tmp_path, lecture_net=tmp_path / "missing.pt")
    with pytest.raises(FileNotFoundError, match="lacks ort.wasm.min.js.*npm ci"):
        write_page_assets(tmp_path, runtime=tmp_path)
    with pytest.raises(TypeError, match="expected a LectureNet, a checkpoint's path or None"):
        onnx_export._lecture_net(42)
