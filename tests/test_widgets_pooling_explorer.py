"""The pooling explorer redraws on every control and explains impossible settings."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from course_utils.widgets.pooling_explorer import PoolingExplorer, pool_image, pooling_figure


@pytest.fixture
def images():
    torch.manual_seed(0)
    return (torch.rand(4, 28, 28) * 255).to(torch.uint8)


@pytest.mark.parametrize(
    ("name", "value"), [("digit", 2), ("kernel", 3), ("stride", 1), ("mode", "avg")]
)
def test_every_control_changes_the_picture(images, name, value):
    explorer = PoolingExplorer(images)
    before = explorer.image.value
    explorer.controls[name].value = value
    assert explorer.message.value == ""
    assert explorer.image.value != before


def test_pool_image_is_pytorchs_pooling():
    x = torch.rand(28, 28)
    assert torch.equal(pool_image(x, 2, 2, "max"), F.max_pool2d(x[None, None], 2)[0, 0])
    assert torch.allclose(pool_image(x, 3, 1, "avg"), F.avg_pool2d(x[None, None], 3, 1)[0, 0])
    assert pool_image(x, 3, 2).shape == (13, 13)


def test_bad_input_raises_readable_errors(images):
    with pytest.raises(ValueError, match="mode must be 'max' or 'avg', got 'min'"):
        pool_image(torch.rand(5, 5), 2, 2, "min")
    with pytest.raises(ValueError, match="window covers 6 cells but the padded input has only 5"):
        pooling_figure(torch.rand(5, 5), 6)
    with pytest.raises(ValueError, match="N×H×W"):
        PoolingExplorer(images[0])
    with pytest.raises(TypeError, match="torch.Tensor"):
        PoolingExplorer([[0.0]])


def test_a_window_too_big_for_the_image_shows_a_message():
    explorer = PoolingExplorer(torch.rand(2, 6, 6))
    explorer.controls["kernel"].value = 7
    assert "window covers 7 cells" in explorer.message.value
    assert explorer.image.layout.display == "none"
