"""Classify a photo of your own: a FileUpload, and the network's top classes as bars (notebook 08).

Works with whichever pretrained network is at hand (AlexNet online, SqueezeNet offline: see
:func:`course_utils.pretrained.best_classifier`), and with both ``FileUpload`` value formats:
ipywidgets 7 gives ``{filename: {"metadata": {...}, "content": bytes}}``, ipywidgets 8 a tuple of
``{"name": ..., "content": memoryview, ...}``.
"""

from __future__ import annotations

import hashlib
import textwrap

import ipywidgets as widgets
import numpy as np
from matplotlib.figure import Figure
from PIL import Image

from course_utils.pretrained import Classifier, load_photo
from course_utils.widgets import Explorer

THUMBNAIL = 200  # the photo is drawn at most this many pixels wide or high (fast redraws)


def uploaded_file(value) -> tuple[str, bytes] | None:
    """``(name, content bytes)`` of the last file in a FileUpload value, or None if empty.

    Accepts the ipywidgets 7 dict and the ipywidgets 8 tuple of dicts; anything else is a
    ``TypeError``.
    """
    if value is None or len(value) == 0:
        return None
    if isinstance(value, dict):  # ipywidgets 7: {name: {"metadata": ..., "content": bytes}}
        name, entry = list(value.items())[-1]
        if not isinstance(entry, dict) or "content" not in entry:
            raise TypeError(
                f"expected {{name: {{'content': bytes}}}} (ipywidgets 7), got {entry!r}"
            )
        return str(name), bytes(entry["content"])
    if isinstance(value, (tuple, list)):  # ipywidgets 8: ({"name": ..., "content": ...}, ...)
        entry = value[-1]
        if not isinstance(entry, dict) or "content" not in entry:
            raise TypeError(f"expected a tuple of {{'name', 'content'}} dicts, got {entry!r}")
        return str(entry.get("name", "your photo")), bytes(entry["content"])
    raise TypeError(
        f"expected a FileUpload value (a dict in ipywidgets 7, a tuple in 8), "
        f"got {type(value).__name__}"
    )


class PhotoClassifier(Explorer):
    """Upload a photo; see it beside the ``k`` classes the network finds most likely.

    ``classifier``: a :class:`course_utils.pretrained.Classifier`. Until a photo is uploaded,
    ``default`` (a PIL image, with ``default_caption``) is shown, if given.
    """

    def __init__(
        self,
        classifier: Classifier,
        default: Image.Image | None = None,
        default_caption: str = "",
        k: int = 5,
    ):
        if not isinstance(classifier, Classifier):
            raise TypeError(
                f"expected a course_utils.pretrained.Classifier, got {type(classifier).__name__}"
            )
        self.classifier = classifier
        self.default = default
        self.default_caption = default_caption
        self._cache: tuple[str, str, Image.Image, np.ndarray] | None = None
        self.upload = widgets.FileUpload(accept="image/*", multiple=False, description="Photo")
        self.k = widgets.IntSlider(value=k, min=1, max=10, description="top k")
        super().__init__(
            {"upload": self.upload, "k": self.k},
            self.draw_photo,
            title=f"Classify your own photo with {classifier.name}",
        )

    def _photo_and_probabilities(self, upload) -> tuple[str, Image.Image, np.ndarray]:
        found = uploaded_file(upload)
        if found is None:
            if self.default is None:
                raise ValueError("Upload a photo (JPEG or PNG) to classify it.")
            key, name, image = "default", self.default_caption, self.default
        else:
            name, content = found
            key = hashlib.sha1(content).hexdigest()
            image = None
        if self._cache is None or self._cache[0] != key:
            if image is None:
                image = load_photo(content)
            probabilities = self.classifier.scores(image).softmax(0).numpy()
            thumbnail = image.copy()
            thumbnail.thumbnail((THUMBNAIL, THUMBNAIL))
            self._cache = (key, name, thumbnail, probabilities)
        return self._cache[1:]

    def draw_photo(self, upload, k: int) -> Figure:
        """The photo (left) and its ``k`` most likely classes with their probabilities (right)."""
        name, image, probabilities = self._photo_and_probabilities(upload)
        order = np.argsort(probabilities)[::-1][:k]
        fig = Figure(figsize=(8.0, 3.2))
        ax_photo = fig.add_axes((0.0, 0.02, 0.32, 0.84))
        ax_bars = fig.add_axes((0.62, 0.16, 0.35, 0.78))
        ax_photo.imshow(np.asarray(image), interpolation="nearest")
        ax_photo.set_axis_off()
        ax_photo.set_title("\n".join(textwrap.wrap(name, 40)) or "photo", fontsize=8)
        labels = [textwrap.shorten(self.classifier.categories[i], 30) for i in order]
        ax_bars.barh(range(k), probabilities[order], color="tab:blue")
        ax_bars.set_yticks(range(k), labels, fontsize=8)
        ax_bars.invert_yaxis()
        ax_bars.set_xlim(0, 1)
        ax_bars.set_xlabel(f"probability ({self.classifier.name})")
        for row, p in enumerate(probabilities[order]):
            ax_bars.text(min(p, 0.8) + 0.02, row, f"{p:.2f}", va="center", fontsize=7)
        return fig
