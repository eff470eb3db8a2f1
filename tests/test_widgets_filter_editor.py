"""The filter editor's Python side: the digit and torch's response it sends, the bank of digits
for a page without a kernel, presets, float32 weights, the still picture."""

from __future__ import annotations

import re
import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as F
import traitlets
from matplotlib.figure import Figure

from course_utils.convolution import FILTERS_3X3
from course_utils.viz import figure_to_png
from course_utils.widgets import BANK_SIZE
from course_utils.widgets.filter_editor import (
    CUSTOM,
    FLOAT32_MAX,
    FilterEditor,
    draw_filter_response,
)


@pytest.fixture
def editor():
    g = torch.Generator().manual_seed(0)
    images = (torch.rand(4, 28, 28, generator=g) * 255).to(torch.uint8)
    return FilterEditor(images, index=1, preset="Laplacian")


def _floats(raw: bytes, shape) -> torch.Tensor:
    return torch.from_numpy(np.frombuffer(raw, dtype="<f4").copy()).view(*shape)


def _response_by_loop(image: torch.Tensor, weights) -> torch.Tensor:
    """A 3×3 cross-correlation without padding, one output at a time."""
    k = torch.tensor(weights, dtype=torch.float64).view(3, 3)
    h, w = image.shape
    out = torch.empty(h - 2, w - 2, dtype=torch.float64)
    for i in range(h - 2):
        for j in range(w - 2):
            out[i, j] = (image[i:i + 3, j:j + 3].double() * k).sum()
    return out


def test_builds_with_the_preset_and_sends_digit_and_response(editor):
    assert editor.weights == FILTERS_3X3["Laplacian"].flatten().tolist()
    assert editor.shape == [28, 28] and editor.count == 4
    assert torch.equal(_floats(editor.image, (28, 28)), editor.images[1])
    expected = _response_by_loop(editor.images[1], editor.weights)
    assert torch.allclose(_floats(editor.response, (26, 26)).double(), expected, atol=1e-5)
    assert editor.response_for == {"index": 1, "weights": editor.weights}
    assert float(editor.images.max()) <= 1.0  # uint8 scaled to [0, 1]
    assert set(editor.presets) == set(FILTERS_3X3)


def test_another_digit_sends_its_pixels_and_response(editor, from_browser):
    from_browser(editor, index=3)
    assert torch.equal(_floats(editor.image, (28, 28)), editor.images[3])
    expected = F.conv2d(editor.images[3][None, None],
                        torch.tensor(editor.weights).view(1, 1, 3, 3))[0, 0]
    assert torch.allclose(_floats(editor.response, (26, 26)), expected, atol=1e-5)
    assert editor.response_for == {"index": 3, "weights": editor.weights}


def test_the_bank_holds_what_the_kernel_sends_for_each_of_its_digits(from_browser):
    images = (torch.rand(30, 5, 4, generator=torch.Generator().manual_seed(1)) * 255).byte()
    editor = FilterEditor(images, index=17)
    assert editor.bank == [*range(9), 17] and len(editor.bank) == BANK_SIZE
    bank = _floats(editor.bank_images, (BANK_SIZE, 5, 4))
    for k, index in enumerate(editor.bank):  # the kernel's answer, digit by digit
        from_browser(editor, index=index)
        assert editor.image == editor.bank_images[k * 80 : (k + 1) * 80]
        assert torch.equal(bank[k], editor.images[index])
    assert FilterEditor(images[:3], index=2).bank == [0, 1, 2]  # fewer digits than a bank


def test_typed_weights_get_torchs_response(editor, from_browser):
    weights = [0.5, 2, -1, 0, 3, 0, 1, 1, -2.5]
    from_browser(editor, weights=weights, preset=CUSTOM)
    assert editor.response_for == {"index": 1, "weights": weights}
    expected = _response_by_loop(editor.images[1], weights)
    assert torch.allclose(_floats(editor.response, (26, 26)).double(), expected, atol=1e-5)
    assert torch.allclose(editor.response_map().double(), expected, atol=1e-5)


def test_set_filter_recognises_a_preset(editor):
    editor.set_filter(FILTERS_3X3["identity"])
    assert editor.preset == "identity"
    assert torch.equal(editor.response_map(), editor.images[1][1:-1, 1:-1])
    editor.set_filter([0.1, 2, 3, 4, 5, 6, 7, 8, 9])
    assert editor.preset == CUSTOM and editor.weights[0] == 0.1
    with pytest.raises(ValueError, match="expected 9 filter values \\(3×3, row by row\\), got 3"):
        editor.set_filter([1, 2, 3])
    with pytest.raises(ValueError, match="expected finite filter values within float32's "
                                         "range .* got inf at row 1, column 1"):
        editor.set_filter([float("inf")] + [0] * 8)


@pytest.mark.parametrize("bad", [1e40, -1e40, float("nan"), FLOAT32_MAX * 1.0001])
def test_weights_beyond_float32_are_refused(editor, bad):
    weights = [0.0] * 9
    weights[5] = bad
    where = re.escape(f"got {bad:g} at row 2, column 3")
    with pytest.raises(ValueError, match=re.escape("float32's range (±3.4028235e+38), ") + where):
        editor.set_filter(weights)
    with pytest.raises(traitlets.TraitError, match=where):
        editor.weights = weights  # what a page would send
    assert editor.weights == FILTERS_3X3["Laplacian"].flatten().tolist()
    editor.set_filter([FLOAT32_MAX] + [0.0] * 8)  # the largest float32 is a weight
    assert editor.weights[0] == FLOAT32_MAX


def test_huge_weights_overflow_float32_and_the_picture_says_so(editor):
    editor.set_filter([FLOAT32_MAX, FLOAT32_MAX, 0, 0, 1e20, 0, 0, -FLOAT32_MAX, -FLOAT32_MAX])
    response = editor.response_map()
    # inf where the largest add up; NaN where torch's float32 sums meet inf - inf (which
    # depends on the order the CPU's kernels add in)
    inf, nan = int(response.isinf().sum()), int(response.isnan().sum())
    assert inf + nan > 0 and response.isfinite().any()
    figure = editor.figure()
    title = figure.axes[2].get_title()
    assert title.startswith("float32 overflows: ") and title.endswith(f" of {26 * 26} cells")
    assert (f"{inf} ±inf" in title) == (inf > 0) and (f"{nan} NaN" in title) == (nan > 0)
    colours = figure.axes[2].images[0]
    low, high = colours.get_clim()
    finite = response[response.isfinite()]
    assert high == -low == pytest.approx(float(finite.abs().max()))  # limits from finite cells
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow inside matplotlib's colour scaling either
        assert figure_to_png(figure, dpi=30).startswith(b"\x89PNG")


def test_bad_arguments():
    with pytest.raises(ValueError, match="expected images N×H×W as a tensor, got \\(28, 28\\)"):
        FilterEditor(torch.zeros(28, 28))
    with pytest.raises(ValueError, match="expected images of at least 3×3, got \\(2, 28\\)"):
        FilterEditor(torch.zeros(2, 2, 28))
    with pytest.raises(ValueError, match="unknown preset 'emboss'"):
        FilterEditor(torch.zeros(2, 28, 28), preset="emboss")
    with pytest.raises(ValueError, match="expected a digit index in \\[0, 1\\], got 5"):
        FilterEditor(torch.zeros(2, 28, 28), index=5)


def test_default_images_are_mnist():
    editor = FilterEditor()
    assert editor.images.shape == (1000, 28, 28)
    assert editor.index == 12


def test_still_pictures(editor):
    fig = draw_filter_response(torch.rand(28, 28), FILTERS_3X3["Sobel y"].flatten())
    assert isinstance(fig, Figure) and len(fig.axes) == 3
    assert [t.get_text() for t in fig.axes[1].texts][:3] == ["-1", "-2", "-1"]
    editor.set_filter(FILTERS_3X3["box"])
    shown = torch.as_tensor(editor.figure().axes[2].images[0].get_array())
    assert torch.allclose(shown.double(), _response_by_loop(editor.images[1], [1.0] * 9),
                          atol=1e-5)
    with pytest.raises(ValueError, match="9 filter values"):
        draw_filter_response(torch.rand(28, 28), [1.0] * 8)
    with pytest.raises(ValueError, match="at least 3×3"):
        draw_filter_response(torch.rand(2, 28), [1.0] * 9)
