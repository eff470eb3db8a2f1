"""The photo classifier's Python side: a file from the browser, its top classes, refusals."""

from __future__ import annotations

import io

import numpy as np
import pytest
import torch
from PIL import Image
from torch import nn

from course_utils.pretrained import Classifier
from course_utils.widgets.photo_classifier import TOP, TRANSPARENT, PhotoClassifier


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


def test_the_default_photo_is_classified_at_once():
    widget = PhotoClassifier(_classifier(), Image.new("RGB", (30, 20), (0, 0, 255)), "blue", k=2)
    assert widget.caption == "blue" and widget.network == "MeanColour"
    assert len(widget.classes) == TOP
    scores = torch.tensor([0.0, 0, 10] + [0] * 997)  # mean blue is 1: class 2 scores 10
    assert widget.classes[0] == [widget.classifier.categories[2],
                                 pytest.approx(float(scores.softmax(0)[2]))]
    assert Image.open(io.BytesIO(widget.photo)).format == "JPEG"
    assert repr(widget) == "PhotoClassifier(caption='blue', k=2)"


def test_a_file_from_the_browser_is_classified_and_then_let_go(from_browser):
    widget = PhotoClassifier(_classifier(), Image.new("RGB", (30, 20), (0, 0, 255)), "blue")
    from_browser(widget, upload_name="red.png", upload=_png((255, 0, 0)))
    assert widget.caption == "red.png" and widget.error == ""
    assert widget.classes[0][0] == widget.classifier.categories[0]  # red wins
    assert widget.upload == b""
    assert Image.open(io.BytesIO(widget.photo)).getpixel((5, 5))[0] > 200
    fig = widget.figure()
    assert fig.axes[0].get_title() == "red.png"
    assert len(fig.axes[1].patches) == widget.k


def test_an_unreadable_file_says_why_and_keeps_the_last_photo(from_browser):
    widget = PhotoClassifier(_classifier(), Image.new("RGB", (30, 20)), "black")
    before = widget.classes
    from_browser(widget, upload_name="notes.txt", upload=b"this is not a picture")
    assert widget.error.startswith("notes.txt: could not read this file as an image")
    assert widget.classes == before and widget.caption == "black"


def test_without_default_it_asks_for_a_photo():
    widget = PhotoClassifier(_classifier())
    assert widget.error == "Upload a photo (JPEG or PNG) to classify it."
    with pytest.raises(ValueError, match="Upload a photo"):
        widget.figure()
    with pytest.raises(TypeError, match="expected a course_utils.pretrained.Classifier"):
        PhotoClassifier(MeanColour())
    with pytest.raises(ValueError, match="k must be in \\[1, 10\\], got 0"):
        PhotoClassifier(_classifier(), k=0)


def test_a_transparent_png_is_put_on_white_and_says_so(from_browser):
    widget = PhotoClassifier(_classifier(), Image.new("RGB", (30, 20)), "black")
    clear = Image.new("RGBA", (24, 16), (0, 0, 0, 0))  # black, but wholly transparent
    buffer = io.BytesIO()
    clear.save(buffer, format="PNG")
    from_browser(widget, upload_name="clear.png", upload=buffer.getvalue())
    assert widget.notice == TRANSPARENT and widget.error == ""
    assert widget.image.getpixel((3, 3)) == (255, 255, 255)  # white, not the black beneath
    assert widget.classes[0][1] == widget.classes[1][1]  # red, green and blue score alike
    from_browser(widget, upload_name="red.png", upload=_png((255, 0, 0)))
    assert widget.notice == ""


def test_a_photo_is_turned_upright_as_its_exif_orientation_says(from_browser):
    widget = PhotoClassifier(_classifier(), Image.new("RGB", (30, 20)), "black")
    photo = Image.new("RGB", (40, 20), (0, 0, 255))
    exif = photo.getexif()
    exif[0x0112] = 6  # Orientation: the camera was turned; shown rotated by 90°
    buffer = io.BytesIO()
    photo.save(buffer, format="JPEG", exif=exif)
    from_browser(widget, upload_name="phone.jpg", upload=buffer.getvalue())
    assert widget.image.size == (20, 40)
