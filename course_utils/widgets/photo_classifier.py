"""Classify a photo of your own: upload it, see the network's top classes as bars (notebook 08).

The browser (``photo_classifier.js``) sends the file; the kernel runs the network at hand
(AlexNet online, SqueezeNet offline: see :func:`course_utils.pretrained.best_classifier`) and
sends back a thumbnail and the ten most likely classes; the browser draws the top ``k`` bars
and redraws them at once when ``k`` changes.

On a page without a kernel (the course's website, a deck) the photo never leaves the page:
SqueezeNet, exported to ONNX by :mod:`course_utils.onnx_export`, classifies it there in ONNX
Runtime Web, after the same preprocessing as :func:`course_utils.squeezenet.caffe_preprocess`
(PIL's bilinear resize reproduced, to the pixel). Where the notebook's network is AlexNet, the
page still uses SqueezeNet (AlexNet's 233 MB are too much for a page), and says so.
"""

from __future__ import annotations

import io
import textwrap

import numpy as np
import traitlets
from matplotlib.figure import Figure
from PIL import Image

from course_utils.pretrained import Classifier, is_transparent, load_photo
from course_utils.viz import CourseFigure
from course_utils.widgets import Explorer, binary, es_module

THUMBNAIL = 320  # the photo is sent at most this many pixels wide or high
TOP = 10  # classes sent to the browser (the k slider goes up to this)
TRANSPARENT = "Its transparent parts were put on white before classifying it."


class PhotoClassifier(Explorer):
    """Upload a photo; see it beside the ``k`` classes the network finds most likely.

    ``classifier``: a :class:`course_utils.pretrained.Classifier`. Until a photo is uploaded,
    ``default`` (a PIL image, with ``default_caption``) is shown, if given.
    """

    _esm = es_module("photo_classifier.js")
    REPR = ("caption", "k")
    k = traitlets.Int(5).tag(sync=True)
    network = traitlets.Unicode("").tag(sync=True)
    caption = traitlets.Unicode("").tag(sync=True)
    photo = binary()  # a JPEG thumbnail of the photo being classified
    classes = traitlets.List().tag(sync=True)  # [[name, probability], ...], best first
    upload = binary()  # a file from the browser; emptied once it is classified
    upload_name = traitlets.Unicode("").tag(sync=True)
    error = traitlets.Unicode("").tag(sync=True)  # why the last upload could not be used
    notice = traitlets.Unicode("").tag(sync=True)  # what was done to the photo to classify it

    def __init__(self, classifier: Classifier, default: Image.Image | None = None,
                 default_caption: str = "", k: int = 5):
        if not isinstance(classifier, Classifier):
            raise TypeError(
                f"expected a course_utils.pretrained.Classifier, got {type(classifier).__name__}"
            )
        if not 1 <= k <= TOP:
            raise ValueError(f"k must be in [1, {TOP}], got {k!r}")
        self.classifier = classifier
        self.image: Image.Image | None = None
        self.thumbnail: Image.Image | None = None  # the photo as sent and drawn
        self.probabilities: np.ndarray | None = None
        super().__init__(k=k, network=classifier.name)
        if default is not None:
            self.classify(default, default_caption)
        else:
            self.error = "Upload a photo (JPEG or PNG) to classify it."
        self.observe(self._on_upload, names="upload")

    def classify(self, image: Image.Image, caption: str, notice: str = "") -> None:
        """Run the network on ``image`` and send its thumbnail and top classes to the page
        (``notice``: what was done to the photo first, shown with it)."""
        probabilities = self.classifier.scores(image).softmax(0).numpy()
        order = np.argsort(probabilities)[::-1][:TOP]
        thumbnail = image.convert("RGB")
        thumbnail.thumbnail((THUMBNAIL, THUMBNAIL))
        buffer = io.BytesIO()
        thumbnail.save(buffer, format="JPEG", quality=85)
        self.image, self.thumbnail, self.probabilities = image, thumbnail, probabilities
        with self.hold_sync():
            self.photo = buffer.getvalue()
            self.caption = caption
            self.notice = notice
            self.classes = [[self.classifier.categories[i], float(probabilities[i])]
                            for i in order]
            self.error = ""

    def _on_upload(self, change) -> None:
        content = change["new"]
        if not content:
            return
        try:
            image = load_photo(content)
        except ValueError as err:
            self.error = f"{self.upload_name or 'this file'}: {err}"
        else:
            with Image.open(io.BytesIO(content)) as header:  # reads the header only
                transparent = is_transparent(header)
            self.classify(image, self.upload_name or "your photo",
                          TRANSPARENT if transparent else "")
        self.upload = b""  # the photo is kept as an image; the raw file is not needed

    def figure(self) -> Figure:
        """The photo (left) and its ``k`` most likely classes with their probabilities (right)."""
        if self.image is None:
            raise ValueError(self.error)
        order = np.argsort(self.probabilities)[::-1][:self.k]
        fig = CourseFigure(figsize=(8.0, 3.2))
        ax_photo = fig.add_axes((0.0, 0.02, 0.32, 0.84))
        ax_bars = fig.add_axes((0.62, 0.16, 0.35, 0.78))
        ax_photo.imshow(np.asarray(self.thumbnail))
        ax_photo.set_axis_off()
        ax_photo.set_title("\n".join(textwrap.wrap(self.caption, 40)) or "photo", fontsize=8)
        labels = [textwrap.shorten(self.classifier.categories[i], 30) for i in order]
        ax_bars.barh(range(len(order)), self.probabilities[order], color="#56B4E9")
        ax_bars.set_yticks(range(len(order)), labels, fontsize=8)
        ax_bars.invert_yaxis()
        ax_bars.set_xlim(0, 1)
        ax_bars.set_xlabel(f"probability ({self.classifier.name})")
        for row, p in enumerate(self.probabilities[order]):
            ax_bars.text(min(p, 0.8) + 0.02, row, f"{p:.2f}", va="center", fontsize=7)
        return fig
