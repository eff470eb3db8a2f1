"""The photo classifier's kernel side: classifying an uploaded photo (notebook 08).

    .venv/bin/python benchmarks/bench_photo_classifier.py

A photo chosen in the page goes to the kernel, which decodes it, runs SqueezeNet (the network
the course has offline) and sends a thumbnail and the ten best classes back; the top-k bars
are then drawn by the page alone (benchmarks/bench_explorers_browser.py). This times the
kernel's part for 30 uploads of two JPEG photos (the Labrador, matplotlib's Grace Hopper).
"""

from __future__ import annotations

import io

from timing import report, time_changes

from course_utils.pretrained import grace_hopper_photo, labrador_photo, squeezenet_classifier
from course_utils.widgets.photo_classifier import PhotoClassifier


def jpeg(image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=90)
    return buffer.getvalue()


def main() -> None:
    widget = PhotoClassifier(squeezenet_classifier(), labrador_photo(), "Labrador")
    files = [jpeg(labrador_photo()), jpeg(grace_hopper_photo())]

    def upload(n: int) -> None:
        widget.upload_name = f"photo{n}.jpg"
        widget.upload = files[n % 2]

    changes = [lambda n=n: upload(n) for n in range(32)]
    print(report("photo classifier (SqueezeNet), an uploaded photo", *time_changes(changes)))


if __name__ == "__main__":
    main()
