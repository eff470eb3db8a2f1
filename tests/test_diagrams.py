"""course_utils.diagrams: the drawn footprint is what PyTorch reads, and bad settings say why."""

from __future__ import annotations

import random

import numpy as np
import pytest
import torch
from matplotlib.figure import Figure
from torch import nn

from course_utils.diagrams import (
    conv1d_diagram,
    conv2d_diagram,
    pool1d_diagram,
    receptive_field_diagram,
)
from course_utils.diagrams.convolution import INPUT, PADDING, TAP, TAP_ON_PADDING

pytestmark = pytest.mark.usefixtures("one_thread")


def _artists(fig: Figure):
    """Every drawn artist of the figure (cheaper than findobj, which builds all the ticks)."""
    for ax in fig.axes:
        yield from (*ax.images, *ax.lines, *ax.collections, *ax.patches, *ax.texts)
    yield from (*fig.texts, *fig.artists)


def _texts(fig: Figure) -> str:
    return " ".join(
        [a.get_text() for a in _artists(fig) if hasattr(a, "get_text")]
        + [ax.get_title() for ax in fig.axes]
        + [fig._suptitle.get_text() if fig._suptitle else ""]
    )


def _artist(fig: Figure, gid: str):
    found = [a for a in _artists(fig) if a.get_gid() == gid]
    assert len(found) == 1, f"expected one artist with gid {gid!r}, found {len(found)}"
    return found[0]


def _drawn_reads_2d(fig: Figure, height: int, width: int, border) -> tuple[set, set]:
    """Input cells the figure highlights, from the coloured cells and from the tap dots
    (``border``: the zero padding drawn around the input; none for a transposed one)."""
    cells = np.asarray(_artist(fig, "cells").get_array())
    pr, pc = border
    inner = cells[pr:pr + height, pc:pc + width]
    coloured = {tuple(int(v) for v in rc) for rc in np.argwhere(inner == TAP)}
    taps = _artist(fig, "taps")
    dots = {(int(r) - pr, int(c) - pc) for r, c in zip(taps.get_ydata(), taps.get_xdata(),
                                                      strict=True)}
    return coloured, {(r, c) for r, c in dots if 0 <= r < height and 0 <= c < width}


def _reads_by_probe_2d(height, width, k, s, p, d, i, j, transposed) -> set:
    """Input cells whose value changes output (i, j) of nn.Conv2d (nn.ConvTranspose2d)."""
    conv = (nn.ConvTranspose2d(1, 1, k, s, p, dilation=d, bias=False) if transposed
            else nn.Conv2d(1, 1, k, s, p, d, bias=False))
    nn.init.constant_(conv.weight, 1.0)
    x = torch.zeros(1, 1, height, width, requires_grad=True)
    conv(x)[0, 0, i, j].backward()
    return {tuple(int(v) for v in rc) for rc in x.grad[0, 0].nonzero()}


@pytest.mark.parametrize("transposed", [False, True])
def test_highlighted_cells_are_what_pytorch_reads_over_many_configurations(transposed):
    rng = random.Random(0 + transposed)
    checked = 0
    while checked < 15:
        h, w = rng.randint(1, 7), rng.randint(1, 7)
        k = (rng.randint(1, 4), rng.randint(1, 4))
        s = (rng.randint(1, 3), rng.randint(1, 3))
        p = (rng.randint(0, 2), rng.randint(0, 2))
        d = (rng.randint(1, 3), rng.randint(1, 3))
        kind = nn.ConvTranspose2d if transposed else nn.Conv2d
        try:
            with torch.no_grad():
                out_h, out_w = kind(1, 1, k, s, p, dilation=d)(torch.zeros(1, 1, h, w)).shape[2:]
        except RuntimeError:
            with pytest.raises(ValueError, match="expected (a kernel no wider|padding at most)"):
                conv2d_diagram(h, w, k, s, p, d, transposed=transposed)
            continue
        position = rng.randrange(out_h * out_w)
        fig = conv2d_diagram(h, w, k, s, p, d, position, check=False, size=2.0,
                             transposed=transposed)
        i, j = divmod(position, out_w)
        expected = _reads_by_probe_2d(h, w, k, s, p, d, i, j, transposed)
        coloured, dots = _drawn_reads_2d(fig, h, w, (0, 0) if transposed else p)
        assert coloured == expected, (h, w, k, s, p, d, position)
        assert dots == expected, (h, w, k, s, p, d, position)
        crop = p if transposed else (0, 0)
        chosen = np.argwhere(np.asarray(_artist(fig, "output").get_array()) == TAP)
        assert [tuple(v) for v in chosen.tolist()] == [(i + crop[0], j + crop[1])]
        checked += 1


def test_taps_on_padding_are_drawn_apart_from_taps_on_the_input():
    fig = conv2d_diagram(3, 5, 3, stride=2, padding=(2, 1), position=0, check=False)
    cells = np.asarray(_artist(fig, "cells").get_array())
    assert cells.shape == (7, 7)
    assert (cells == TAP).sum() == 2 and (cells == TAP_ON_PADDING).sum() == 7
    assert (cells[2:5, 1:6] != PADDING).all() and (cells == INPUT).sum() == 15 - 2
    assert len([a for a in _artists(fig) if a.get_gid() == "padding"]) == 4  # four hatched strips


def test_transposed_example_draws_the_cropped_border_and_pytorchs_shape():
    fig = conv2d_diagram(3, 5, 3, stride=2, padding=1, position=(2, 3), transposed=True)
    text = _texts(fig)
    assert "nn.ConvTranspose2d on a 1×1×3×5 input gives (1, 1, 5, 9): PyTorch agrees ✓" in text
    assert "(3 − 1)·2 − 2·1 + 1·(3−1) + 1 = 5" in text
    outputs = np.asarray(_artist(fig, "output").get_array())
    assert outputs.shape == (7, 11)  # 5×9 and the border of 1 that padding crops
    assert (outputs[0] == PADDING).all() and (outputs[:, -1] == PADDING).all()


def test_conv1d_highlighted_taps_are_what_conv1d_reads():
    rng = random.Random(1)
    checked = 0
    while checked < 15:
        n, k, s = rng.randint(1, 16), rng.randint(1, 5), rng.randint(1, 4)
        p, d = rng.randint(0, 3), rng.randint(1, 4)
        conv = nn.Conv1d(1, 1, k, s, p, d, bias=False)
        nn.init.constant_(conv.weight, 1.0)
        try:
            out = conv(torch.zeros(1, 1, n)).shape[-1]
        except RuntimeError:
            with pytest.raises(ValueError, match="expected a kernel no wider"):
                conv1d_diagram(n, k, s, p, d)
            continue
        o = rng.randrange(out)
        x = torch.zeros(1, 1, n, requires_grad=True)
        conv(x)[0, 0, o].backward()
        expected = set(x.grad[0, 0].nonzero().flatten().tolist())
        fig = conv1d_diagram(n, k, s, p, d, position=o, check=False, size=2.0)
        cells = np.asarray(_artist(fig, "cells").get_array())[0]
        assert set(np.flatnonzero(cells == TAP) - p) == expected
        dots = {int(t) - p for t in _artist(fig, "taps").get_xdata()}
        assert {t for t in dots if 0 <= t < n} == expected
        assert len([a for a in _artists(fig) if a.get_gid() == "output"]) == out
        checked += 1


def test_lecture_example_formula_and_pytorch_check_are_written_on_the_figure():
    fig = conv2d_diagram(3, 5, 3, stride=2, padding=(2, 1), position=4)
    text = _texts(fig)
    assert "⌊(3 + 2·2 − 1·(3−1) − 1) / 2⌋ + 1 = ⌊4 / 2⌋ + 1 = 3" in text
    assert "⌊(5 + 2·1 − 1·(3−1) − 1) / 2⌋ + 1 = ⌊4 / 2⌋ + 1 = 3" in text
    assert "(1, 1, 3, 3): PyTorch agrees ✓" in text
    assert "cell (1, 1)" in text


def test_dilated_example_shrinks_by_eight():
    fig = conv2d_diagram(20, 30, 3, dilation=4, position=(11, 21))
    text = _texts(fig)
    assert "(1, 1, 12, 22): PyTorch agrees ✓" in text
    assert "spans 9×9 cells" in text


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (dict(height=2, width=5, kernel=3), "kernel covers 3 cells .* only 2"),
        (dict(height=5, width=5, kernel=3, position=9), "position must be in \\[0, 8\\]"),
        (dict(height=5, width=5, kernel=3, position=(3, 0)), "inside the 3×3 output"),
        (dict(height=5, width=5, kernel=3, position="a"), "position must be an int"),
        (dict(height=5, width=5, kernel=3, stride=0), "stride must be an integer >= 1, got 0"),
        (dict(height=5, width=5, kernel=(3, 3, 3)), "kernel must be an int or 2 ints"),
        (dict(height=1, width=1, kernel=1, padding=1, transposed=True), "padding at most 0"),
    ],
)
def test_impossible_2d_settings_raise_a_readable_value_error(kwargs, message):
    with pytest.raises(ValueError, match=message):
        conv2d_diagram(**kwargs)


def test_conv1d_diagram_rejects_positions_outside_the_output():
    assert isinstance(conv1d_diagram(7, kernel=3, position=4), Figure)
    with pytest.raises(ValueError, match="position must be in \\[0, 4\\] for an output of 5"):
        conv1d_diagram(7, kernel=3, position=5)
    with pytest.raises(ValueError, match="position must be an int, got 1.5"):
        conv1d_diagram(7, kernel=3, position=1.5)


def test_receptive_field_diagram_draws_one_cone_per_stack_and_rejects_bad_stacks():
    fig = receptive_field_diagram({"plain": [(3,)] * 4, "dilated": [(3, 1, d) for d in (1, 2)]})
    units = [a for a in _artists(fig) if a.get_gid() == "units"]
    assert len(units) == 2
    seen = [int((np.asarray(u.get_facecolors())[:, 2] < 0.5).sum()) for u in units]
    assert seen == [3 + 5 + 7 + 9 + 1, 3 + 7 + 1]  # the cone's units, top unit included
    titles = " ".join(ax.get_title() for ax in fig.axes)
    assert "plain: receptive field 9" in titles and "dilated: receptive field 7" in titles
    with pytest.raises(ValueError, match="non-empty dict"):
        receptive_field_diagram({})
    with pytest.raises(ValueError, match="at least one layer"):
        receptive_field_diagram({"empty": []})
    with pytest.raises(ValueError, match="each layer must be an Axis or a tuple"):
        receptive_field_diagram({"bad": [3]})


@pytest.mark.parametrize(
    ("mode", "kernel", "stride", "expected"),
    [  # worked by hand on 1 4 2 2 0 3 5 1 7
        ("max", 2, None, [4, 2, 3, 5]),
        ("avg", 2, None, [2.5, 2, 1.5, 3]),
        ("max", 3, 2, [4, 2, 5, 7]),
        ("avg", 3, 3, [7 / 3, 5 / 3, 13 / 3]),
    ],
)
def test_pool1d_diagram_writes_the_pooled_values(mode, kernel, stride, expected):
    x = torch.tensor([1.0, 4, 2, 2, 0, 3, 5, 1, 7])
    fig = pool1d_diagram(x, kernel, stride, mode=mode)
    written = [t.get_text() for t in [a for a in _artists(fig) if a.get_gid() == "pooled"]]
    assert [float(v) for v in written] == pytest.approx(expected, abs=0.01)


def test_pool1d_diagram_rejects_bad_input():
    with pytest.raises(ValueError, match="mode must be 'max' or 'avg', got 'min'"):
        pool1d_diagram([1, 2], mode="min")
    with pytest.raises(ValueError, match="expected a 1d tensor"):
        pool1d_diagram(torch.zeros(2, 2))
    with pytest.raises(ValueError, match="window covers 3 cells but the padded input has only 2"):
        pool1d_diagram([1, 2], 3)
