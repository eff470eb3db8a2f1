"""Kernel-side tests of the filter editor: each change redraws, a preset redraws once."""

from __future__ import annotations

import pytest
import torch
from matplotlib.figure import Figure

from course_utils.convolution import FILTERS_3X3
from course_utils.widgets.filter_editor import CUSTOM, FilterEditor, draw_filter_response


@pytest.fixture
def editor():
    g = torch.Generator().manual_seed(0)
    images = (torch.rand(4, 28, 28, generator=g) * 255).to(torch.uint8)
    return FilterEditor(images, index=1, preset="Laplacian")


def test_builds_with_the_preset(editor):
    assert editor.image.value[:4] == b"\x89PNG"
    assert [c.value for c in editor.cells] == FILTERS_3X3["Laplacian"].flatten().tolist()
    assert editor.values()["index"] == 1
    assert float(editor.images.max()) <= 1.0  # uint8 scaled to [0, 1]
    assert len(editor.redraw_seconds) == 1


def test_digit_change_redraws(editor):
    before = editor.image.value
    editor.controls["index"].value = 2
    assert editor.image.value != before
    assert len(editor.redraw_seconds) == 2


def test_cell_change_redraws_once_and_marks_custom(editor):
    before = editor.image.value
    editor.cells[4].value = 1.0
    assert editor.image.value != before
    assert len(editor.redraw_seconds) == 2
    assert editor.preset.value == CUSTOM


def test_preset_sets_nine_cells_with_one_redraw(editor):
    before = editor.image.value
    editor.preset.value = "Sobel x"
    assert len(editor.redraw_seconds) == 2  # one redraw, not nine
    assert [c.value for c in editor.cells] == FILTERS_3X3["Sobel x"].flatten().tolist()
    assert editor.image.value != before
    editor.preset.value = "Gaussian blur"
    assert len(editor.redraw_seconds) == 3
    assert editor.cells[4].value == pytest.approx(0.25)


def test_custom_choice_keeps_the_cells(editor):
    editor.cells[0].value = 7.0
    count = len(editor.redraw_seconds)
    editor.preset.value = "box"
    editor.preset.value = CUSTOM
    assert len(editor.redraw_seconds) == count + 1
    assert all(c.value == 1.0 for c in editor.cells)


def test_set_filter_recognises_a_preset(editor):
    editor.set_filter(FILTERS_3X3["identity"])
    assert editor.preset.value == "identity"
    editor.set_filter([0.1, 2, 3, 4, 5, 6, 7, 8, 9])
    assert editor.preset.value == CUSTOM
    assert editor.cells[0].value == 0.1
    assert len(editor.redraw_seconds) == 3
    with pytest.raises(ValueError, match="9 filter values"):
        editor.set_filter([1, 2, 3])


def test_identity_response_is_the_cropped_digit(editor):
    editor.preset.value = "identity"
    picture = editor.figure.pictures[2].get_array()
    assert torch.allclose(torch.as_tensor(picture), editor.images[1][1:-1, 1:-1])


def test_impossible_filter_shows_a_message(editor):
    editor.cells[0].value = float("inf")
    assert "finite" in editor.message.value
    assert editor.image.layout.display == "none"
    editor.cells[0].value = 0.0
    assert editor.message.value == "" and editor.image.layout.display is None


def test_bad_arguments():
    with pytest.raises(ValueError, match="N×H×W"):
        FilterEditor(torch.zeros(28, 28))
    with pytest.raises(ValueError, match="at least 3×3"):
        FilterEditor(torch.zeros(2, 2, 28))
    with pytest.raises(ValueError, match="unknown preset"):
        FilterEditor(torch.zeros(2, 28, 28), preset="emboss")


def test_default_images_are_mnist():
    editor = FilterEditor()
    assert editor.images.shape == (1000, 28, 28)
    assert editor.controls["index"].value == 12


def test_static_figure():
    fig = draw_filter_response(torch.rand(28, 28), FILTERS_3X3["Sobel y"].flatten())
    assert isinstance(fig, Figure) and len(fig.axes) == 3
    assert [t.get_text() for t in fig.axes[1].texts][:3] == ["-1", "-2", "-1"]
    with pytest.raises(ValueError, match="9 filter values"):
        draw_filter_response(torch.rand(28, 28), [1.0] * 8)
    with pytest.raises(ValueError, match="at least 3×3"):
        draw_filter_response(torch.rand(2, 28), [1.0] * 9)
