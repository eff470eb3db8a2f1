"""The conv-arithmetic explorer redraws on every control, follows the output size, never crashes."""

from __future__ import annotations

import pytest

from course_utils.widgets.conv_explorer import ConvExplorer, conv_explorer

pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture
def explorer():
    return ConvExplorer(height=3, width=5, kernel=3, stride=2, padding=1)


@pytest.mark.parametrize(
    ("name", "value"),
    [("height", 6), ("width", 9), ("kernel", 2), ("stride", 1), ("padding", 2),
     ("dilation", 2), ("position", 4), ("mode", "1d")],
)
def test_every_control_changes_the_picture(explorer, name, value):
    before = explorer.image.value
    explorer.controls[name].value = value
    assert explorer.message.value == ""
    assert explorer.image.value != before


def test_position_slider_and_play_follow_the_output_size(explorer):
    assert explorer.output_cells() == 6  # a 2×3 output
    assert explorer.controls["position"].max == 5 and explorer.play.max == 5
    explorer.controls["stride"].value = 1  # 3×5 output
    assert explorer.controls["position"].max == 14 and explorer.play.max == 14
    explorer.controls["position"].value = 14
    explorer.controls["kernel"].value = 5  # 1×3 output: the position is clamped, not lost
    assert explorer.controls["position"].max == 2
    assert explorer.controls["position"].value == 2
    assert explorer.message.value == ""
    explorer.controls["mode"].value = "1d"  # length 5, padding 1, kernel 5: 3 outputs
    assert explorer.controls["position"].max == 2
    assert explorer.controls["height"].disabled


def test_impossible_setting_shows_a_message_not_a_traceback(explorer):
    explorer.controls["padding"].value = 0
    explorer.controls["kernel"].value = 5
    assert "kernel covers 5 cells" in explorer.message.value
    assert "padded input has only 3" in explorer.message.value
    assert explorer.image.layout.display == "none"
    explorer.controls["padding"].value = 1  # possible again: the picture comes back
    assert explorer.message.value == ""
    assert explorer.image.layout.display is None


def test_play_walks_every_position_once(explorer):
    images = set()
    for position in range(explorer.play.max + 1):
        explorer.controls["position"].value = position
        images.add(explorer.image.value)
    assert len(images) == explorer.output_cells() == 6


def test_moving_only_the_position_reuses_the_drawing(explorer):
    picture = explorer._picture[1]
    explorer.controls["position"].value = 3
    assert explorer._picture[1] is picture
    explorer.controls["dilation"].value = 2
    assert explorer._picture[1] is not picture


def test_lecture_example_and_factory():
    e = conv_explorer(height=3, width=5, kernel=3, stride=2, padding=2, position=20)
    assert e.output_cells() == 3 * 4
    assert e.controls["position"].value == 11  # clamped to the last cell
    assert "ConvExplorer(mode='2d', height=3" in repr(e)


def test_formula_shows_the_numbers_and_pytorchs_check(explorer):
    assert "⌊(3 + 2·1 − 1·(3−1) − 1) / 2⌋ + 1 = ⌊2 / 2⌋ + 1 = 2" in explorer.formula.value
    assert "nn.Conv2d on a 1×1×3×5 input gives (1, 1, 2, 3): PyTorch agrees ✓" in (
        explorer.formula.value)
    explorer.controls["mode"].value = "1d"
    assert "nn.Conv1d on a 1×1×5 input gives (1, 1, 3)" in explorer.formula.value
    explorer.controls["dilation"].value = 4
    assert explorer.formula.value == ""  # no stale formula next to the error message
    assert "kernel covers 9 cells" in explorer.message.value
