"""course_utils.widgets.Explorer: controls redraw a PNG; impossible settings show a message."""

import ipywidgets as widgets
import pytest
import torch

from course_utils import viz
from course_utils.widgets import Explorer


def _draw(size, sign):
    if size > 8:
        raise ValueError(f"size must be at most 8, got {size}")
    return viz.signed_image(sign * torch.arange(size * size, dtype=torch.float).view(size, size))


@pytest.fixture
def explorer():
    return Explorer(
        {"size": widgets.IntSlider(value=3, min=1, max=10), "sign": widgets.Dropdown(
            options=[1, -1], value=1)},
        _draw,
        title="demo",
    )


def test_it_draws_on_creation(explorer):
    assert bytes(explorer.image.value).startswith(b"\x89PNG")
    assert explorer.message.value == ""
    assert len(explorer.redraw_seconds) == 1


def test_changing_a_control_redraws(explorer):
    before = bytes(explorer.image.value)
    explorer.controls["size"].value = 5
    assert bytes(explorer.image.value) != before
    assert len(explorer.redraw_seconds) == 2


def test_an_impossible_setting_shows_the_message_not_a_traceback(explorer):
    explorer.controls["size"].value = 9
    assert "size must be at most 8, got 9" in explorer.message.value
    assert explorer.image.layout.display == "none"
    explorer.controls["size"].value = 4
    assert explorer.message.value == "" and explorer.image.layout.display != "none"


def test_other_errors_are_not_hidden():
    def broken(size):
        raise RuntimeError("a bug, not a setting")

    with pytest.raises(RuntimeError, match="a bug"):
        Explorer({"size": widgets.IntSlider(value=1)}, broken)


def test_repr_is_stable_for_notebook_outputs(explorer):
    assert repr(explorer) == "Explorer(size=3, sign=1)"
    assert "course-explorer" in explorer._dom_classes
