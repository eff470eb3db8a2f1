"""course_utils.data: the data folder, MNIST through torchvision, verified downloads offline."""

import time
from pathlib import Path

import pytest
import torch

from course_utils import data

ROOT = Path(__file__).resolve().parent.parent


def test_data_dir_defaults_to_the_repository_data_folder(monkeypatch):
    monkeypatch.delenv(data.ENV_VAR, raising=False)
    assert data.data_dir() == ROOT / "data"


def test_data_dir_follows_the_environment_variable(monkeypatch, tmp_path):
    monkeypatch.setenv(data.ENV_VAR, str(tmp_path))
    assert data.data_dir() == tmp_path.resolve()
    assert data.SQUEEZENET.path() == tmp_path.resolve() / "weights" / "compressed_SqueezeNet.net"


def test_mnist_loads_from_the_data_folder():
    images, labels = data.mnist_tensors(train=True)
    assert images.shape == (60_000, 28, 28) and images.dtype == torch.uint8
    assert labels.shape == (60_000,) and labels.dtype == torch.int64
    test_images, _ = data.mnist_tensors(train=False)
    assert test_images.shape == (10_000, 28, 28)
    assert labels[12].item() == 3  # the lecture's digit


def test_mnist_digit_is_a_float_image_in_unit_range():
    digit = data.mnist_digit(12)
    assert digit.shape == (28, 28) and digit.dtype == torch.float32
    assert 0.0 <= digit.min() and digit.max() <= 1.0 and digit.max() > 0.5


@pytest.mark.parametrize("index", [-1, 60_000, 1.5, "12"])
def test_mnist_digit_rejects_bad_indices(index):
    with pytest.raises(ValueError, match="index must be an int"):
        data.mnist_digit(index)


@pytest.mark.network_attempt
def test_mnist_offline_without_files_says_which_files_go_where(monkeypatch, tmp_path):
    monkeypatch.setenv(data.ENV_VAR, str(tmp_path))
    start = time.monotonic()
    with pytest.raises(data.DataNotFoundError, match="MNIST is not in the data folder") as err:
        data.mnist(train=True)
    assert time.monotonic() - start < 10
    message = str(err.value)
    for name in data.MNIST_FILES:
        assert str(tmp_path / "MNIST" / "raw" / name) in message
    assert "Traceback" not in message and data.ENV_VAR in message


def test_mnist_without_download_does_not_try_the_network(monkeypatch, tmp_path):
    monkeypatch.setenv(data.ENV_VAR, str(tmp_path))
    with pytest.raises(data.DataNotFoundError, match="download=False"):
        data.mnist(download=False)


@pytest.mark.network_attempt
def test_fetch_offline_names_the_address_and_the_destination(monkeypatch, tmp_path):
    monkeypatch.setenv(data.ENV_VAR, str(tmp_path))
    start = time.monotonic()
    with pytest.raises(data.DataNotFoundError, match="could not be downloaded") as err:
        data.fetch(data.SQUEEZENET)
    assert time.monotonic() - start < 10
    assert data.SQUEEZENET.url in str(err.value)
    assert str(tmp_path / data.SQUEEZENET.relpath) in str(err.value)


def _copy_prefix(tmp_path, nbytes):
    source = data.SQUEEZENET.path()
    assert source.is_file(), f"expected the SqueezeNet file at {source} (make data copies it)"
    target = tmp_path / data.SQUEEZENET.relpath
    target.parent.mkdir(parents=True)
    target.write_bytes(source.read_bytes()[:nbytes] if nbytes else source.read_bytes())
    return target


def test_fetch_returns_a_verified_local_copy(monkeypatch, tmp_path):
    target = _copy_prefix(tmp_path, None)
    monkeypatch.setenv(data.ENV_VAR, str(tmp_path))
    assert data.fetch(data.SQUEEZENET) == target.resolve()


def test_a_truncated_file_is_reported_with_both_sizes(monkeypatch, tmp_path):
    _copy_prefix(tmp_path, 1000)
    monkeypatch.setenv(data.ENV_VAR, str(tmp_path))
    with pytest.raises(data.CorruptFileError, match="1,000 bytes, expected 675,763 bytes"):
        data.fetch(data.SQUEEZENET)


def test_a_damaged_file_fails_its_checksum(monkeypatch, tmp_path):
    target = _copy_prefix(tmp_path, None)
    damaged = bytearray(target.read_bytes())
    damaged[100] ^= 0xFF
    target.write_bytes(bytes(damaged))
    monkeypatch.setenv(data.ENV_VAR, str(tmp_path))
    with pytest.raises(data.CorruptFileError, match="sha256"):
        data.fetch(data.SQUEEZENET)


def test_the_command_line_reports_each_item(capsys):
    assert data.main() == 0
    out = capsys.readouterr().out
    assert out.count("ok ") == 3 and "MISSING" not in out
