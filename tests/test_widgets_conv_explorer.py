"""The conv-arithmetic explorer's Python side: its settings, PyTorch's check, its still picture.

What the browser draws is tested in tests/browser (test_explorer_modules.py compares its
geometry with course_utils.arithmetic; test_explorers_in_lab.py operates it).
"""

from __future__ import annotations

import json

import pytest
import torch
from matplotlib.figure import Figure
from torch import nn

from course_utils.arithmetic import conv_output_shape
from course_utils.widgets.conv_explorer import ConvExplorer, conv_explorer

pytestmark = pytest.mark.usefixtures("one_thread")


def test_the_lectures_example():
    from course_utils.widgets import conv_explorer as from_the_package

    assert from_the_package is conv_explorer  # the function, as the lecture's example reads
    explorer = from_the_package(height=3, width=5, kernel=3, stride=(2, 2), padding=(2, 1))
    assert explorer.output_shape == (3, 3)
    assert explorer.output_shape == conv_output_shape((3, 5), 3, 2, (2, 1))
    assert explorer.kernel == [3, 3] and explorer.padding == [2, 1]
    assert not explorer.linked  # the axes differ, so the sliders start unlinked
    assert repr(explorer) == (
        "ConvExplorer(height=3, width=5, kernel=(3, 3), stride=(2, 2), padding=(2, 1), "
        "dilation=(1, 1), transposed=False, position=(0, 0))")


def test_pytorch_checks_each_geometry_the_browser_sends(from_browser):
    explorer = ConvExplorer(height=3, width=5, kernel=3, stride=2, padding=1)
    for change in [dict(stride=[1, 1]), dict(kernel=[2, 5], dilation=[2, 1]),
                   dict(transposed=True), dict(height=1, padding=[3, 0])]:
        from_browser(explorer, **change)
        h, w = explorer.height, explorer.width
        key = json.loads(explorer.check["key"])
        assert key == [[h, w], explorer.kernel, explorer.stride, explorer.padding,
                       explorer.dilation, explorer.transposed]
        kind = nn.ConvTranspose2d if explorer.transposed else nn.Conv2d
        layer = kind(1, 1, explorer.kernel, explorer.stride, explorer.padding,
                     dilation=explorer.dilation)
        try:
            expected = list(layer(torch.zeros(1, 1, h, w)).shape)
        except RuntimeError:
            assert "error" in explorer.check
            with pytest.raises(ValueError, match="padding at most|kernel no wider"):
                _ = explorer.output_shape
        else:
            assert explorer.check["shape"] == expected
            assert list(explorer.output_shape) == expected[2:]


def test_position_is_kept_inside_the_output():
    assert conv_explorer(height=3, width=5, kernel=3, stride=2, padding=2,
                         position=20).position == [2, 3]  # clamped to the last of 3×4 cells
    assert ConvExplorer(height=6, width=6, kernel=3, position=(1, 2)).position == [1, 2]
    with pytest.raises(ValueError, match="inside the 4×4 output, got \\(4, 0\\)"):
        ConvExplorer(height=6, width=6, kernel=3, position=(4, 0))


def test_an_impossible_start_is_shown_not_raised():
    explorer = ConvExplorer(height=2, width=2, kernel=5)
    assert explorer.check["error"]  # PyTorch refuses too
    with pytest.raises(ValueError, match="kernel covers 5 cells .* only 2"):
        _ = explorer.output_shape


def test_bad_settings_say_what_was_expected():
    with pytest.raises(ValueError, match="stride must be an int or 2 ints, got \\(1, 2, 3\\)"):
        ConvExplorer(stride=(1, 2, 3))
    with pytest.raises(ValueError, match="dilation must be an integer >= 1, got 0"):
        ConvExplorer(dilation=0)


def test_sliders_reach_the_starting_values():
    explorer = ConvExplorer(height=20, width=4, kernel=9, stride=1, padding=5)
    assert explorer.limits["size"] == 20 and explorer.limits["kernel"] == 9
    assert explorer.limits["padding"] == 5 and explorer.limits["stride"] == 4


@pytest.mark.parametrize("transposed", [False, True])
def test_still_picture_follows_the_state(from_browser, transposed):
    explorer = ConvExplorer(height=3, width=5, kernel=3, stride=2, padding=1,
                            transposed=transposed)
    from_browser(explorer, position=[1, 2])
    fig = explorer.figure()
    assert isinstance(fig, Figure)
    text = " ".join(t.get_text() for t in fig.texts + fig.axes[0].texts)
    out_h, out_w = explorer.output_shape
    assert f"output {out_h}×{out_w}, cell (1, 2)" in text
    assert "PyTorch agrees ✓" in text
