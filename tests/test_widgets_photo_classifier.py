"""The photo classifier widget: both FileUpload formats, redraws, refusals."""

from __future__ import annotations

import datetime
import io

import ipywidgets
import numpy as np
import pytest
import torch
from PIL import Image
from torch import nn

from course_utils.pretrained import Classifier
from course_utils.widgets.photo_classifier import PhotoClassifier, uploaded_file


class MeanColour(nn.Module):
    """A stand-in network: class scores from the photo's mean red, green and blue."""

    def forward(self, x):
        mean = x.mean(dim=(2, 3))  # N×3
        return torch.cat([mean * 10, torch.zeros(len(x), 997)], dim=1)


def _classifier() -> Classifier:
    def preprocess(image: Image.Image) -> torch.Tensor:
        pixels = torch.from_numpy(np.asarray(image, dtype=np.float32).copy())
        return pixels.permute(2, 0, 1).unsqueeze(0) / 255

    return Classifier("MeanColour", MeanColour(), preprocess)


def _png(colour) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (24, 16), colour).save(buffer, format="PNG")
    return buffer.getvalue()


def _v8(content: bytes, name: str = "mine.png") -> tuple:
    return ({
        "name": name,
        "type": "image/png",
        "size": len(content),
        "content": memoryview(content),
        "last_modified": datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc),
    },)


def _upload(widget: PhotoClassifier, content: bytes, name: str = "mine.png") -> None:
    """What the browser does on an upload, in the installed ipywidgets' own format."""
    if ipywidgets.__version__.startswith("7."):  # value is a read-only dict, derived from data
        meta = {"name": name, "type": "image/png", "size": len(content), "lastModified": 0}
        widget.upload.set_trait("value", {name: {"metadata": meta, "content": content}})
    else:
        widget.upload.value = _v8(content, name)


def test_uploaded_file_reads_ipywidgets_7_and_8_values():
    content = _png((255, 0, 0))
    v7 = {"mine.png": {"metadata": {"name": "mine.png", "type": "image/png"}, "content": content}}
    assert uploaded_file(v7) == ("mine.png", content)
    assert uploaded_file(_v8(content)) == ("mine.png", content)
    assert uploaded_file(list(_v8(content))) == ("mine.png", content)
    for empty in ((), {}, None):
        assert uploaded_file(empty) is None


def test_uploaded_file_rejects_other_values():
    with pytest.raises(TypeError, match="FileUpload value"):
        uploaded_file("photo.png")
    with pytest.raises(TypeError, match="ipywidgets 7"):
        uploaded_file({"mine.png": b"bytes"})
    with pytest.raises(TypeError, match="tuple"):
        uploaded_file(({"name": "x"},))


def test_upload_and_k_redraw_the_image():
    widget = PhotoClassifier(_classifier(), Image.new("RGB", (30, 20), (0, 0, 255)), "blue", k=2)
    first = widget.image.value
    assert first and widget.message.value == ""
    _upload(widget, _png((255, 0, 0)))
    second = widget.image.value
    assert second != first
    assert widget._cache[3].argmax() == 0  # red wins
    widget.k.value = 3
    assert widget.image.value not in (first, second)
    assert len(widget.redraw_seconds) == 3


def test_an_unreadable_upload_shows_a_message_not_a_traceback():
    widget = PhotoClassifier(_classifier(), Image.new("RGB", (30, 20)), "black")
    _upload(widget, b"this is not a picture", "notes.txt")
    assert "as an image" in widget.message.value
    assert widget.image.layout.display == "none"


def test_without_default_it_asks_for_a_photo():
    widget = PhotoClassifier(_classifier())
    assert "Upload a photo" in widget.message.value
    with pytest.raises(TypeError, match="Classifier"):
        PhotoClassifier(MeanColour())
