"""course_utils.viz: signed pictures, filter and activation grids, PNG export."""

import numpy as np
import pytest
import torch

from course_utils import viz

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _images(fig):
    return [image for ax in fig.axes for image in ax.get_images()]


def test_show_signed_centres_zero_on_the_diverging_map():
    x = torch.tensor([[-2.0, 0.0], [1.0, 0.5]])
    fig = viz.CourseFigure()
    image = viz.show_signed(fig.add_subplot(), x, title="x")
    assert image.get_clim() == (-2.0, 2.0) and image.get_cmap().name == viz.SIGNED_CMAP
    assert fig.axes[0].get_title() == "x"


def test_an_all_zero_tensor_still_gets_a_colour_scale():
    assert viz.signed_limit(torch.zeros(3, 3)) == 1.0
    assert viz.signed_limit(torch.tensor([-0.5, 0.25])) == 0.5


def test_as_tensor_takes_arrays_and_refuses_the_rest():
    x = viz.as_tensor(np.ones((2, 3), dtype=np.float64))
    assert x.dtype == torch.float32 and x.shape == (2, 3)
    with pytest.raises(TypeError, match="must be a torch.Tensor or numpy array, got list"):
        viz.as_tensor([[1, 2], [3, 4]])
    with pytest.raises(TypeError, match="x must be real, got dtype torch.complex64"):
        viz.as_tensor(torch.zeros(2, dtype=torch.complex64))


def test_filter_grid_one_channel_is_signed_with_a_shared_scale():
    w = torch.randn(5, 1, 3, 3)
    fig = viz.filter_grid(w, ncols=5, titles=list("abcde"))
    images = _images(fig)
    assert len(images) == 5 and len(fig.axes) == 5
    limit = float(w.abs().max())
    assert all(im.get_clim() == pytest.approx((-limit, limit)) for im in images)


def test_filter_grid_rgb_filters_are_drawn_in_colour():
    fig = viz.filter_grid(torch.randn(7, 3, 11, 11), ncols=4)
    images = _images(fig)
    assert len(images) == 7 and len(fig.axes) == 8  # 2 rows of 4, one left empty
    rgb = images[0].get_array()
    assert rgb.shape == (11, 11, 3) and rgb.min() >= 0 and rgb.max() <= 1


@pytest.mark.parametrize("shape", [(3, 3), (2, 1, 3), (1, 2, 1, 3, 3)])
def test_filter_grid_rejects_other_shapes(shape):
    with pytest.raises(ValueError, match=r"expected filters of shape D×C×h×w, got shape"):
        viz.filter_grid(torch.zeros(shape))


@pytest.mark.parametrize("shape", [(6, 8, 8), (1, 6, 8, 8)])
def test_activation_grid_draws_one_panel_per_channel(shape):
    fig = viz.activation_grid(torch.randn(shape))
    assert len(_images(fig)) == 6


@pytest.mark.parametrize("shape", [(8, 8), (2, 6, 8, 8)])
def test_activation_grid_rejects_other_shapes(shape):
    with pytest.raises(ValueError, match=r"expected activation maps C×H×W or 1×C×H×W"):
        viz.activation_grid(torch.zeros(shape))


def test_figures_render_to_png_for_widgets_and_notebooks():
    fig = viz.filter_grid(torch.eye(4).view(1, 1, 4, 4))
    assert viz.figure_to_png(fig).startswith(PNG_MAGIC)
    assert fig._repr_png_().startswith(PNG_MAGIC)
    with pytest.raises(TypeError, match="expected a matplotlib Figure"):
        viz.figure_to_png("not a figure")
