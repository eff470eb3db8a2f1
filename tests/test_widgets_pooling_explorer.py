"""The pooling explorer's Python side: the digits it sends (and banks for a page without a
kernel), the pooling, its still picture."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from course_utils.widgets import BANK_SIZE
from course_utils.widgets.pooling_explorer import PoolingExplorer, pool_image, pooling_figure


@pytest.fixture
def images():
    torch.manual_seed(0)
    return (torch.rand(4, 28, 28) * 255).to(torch.uint8)


def _pool_by_loop(x: torch.Tensor, k: int, s: int, mode: str) -> torch.Tensor:
    """Pooling one window at a time: the largest value, or the mean, of each k×k window."""
    rows, cols = (x.shape[0] - k) // s + 1, (x.shape[1] - k) // s + 1
    out = torch.empty(rows, cols)
    for i in range(rows):
        for j in range(cols):
            window = x[i * s:i * s + k, j * s:j * s + k]
            out[i, j] = window.max() if mode == "max" else window.double().mean()
    return out


@pytest.mark.parametrize(("k", "s", "mode"), [(2, 2, "max"), (3, 2, "max"), (3, 1, "avg"),
                                              (5, 3, "avg"), (1, 4, "max")])
def test_pool_image_against_a_loop(k, s, mode):
    x = torch.rand(11, 9, generator=torch.Generator().manual_seed(k * 10 + s))
    assert torch.allclose(pool_image(x, k, s, mode), _pool_by_loop(x, k, s, mode), atol=1e-6)


def test_a_hand_worked_grid():
    grid = torch.tensor([[1, 5, 0, 2], [3, 2, 8, 1], [0, 0, 4, 4], [9, 1, 4, 0]]).float()
    assert pool_image(grid, 2, 2, "max").tolist() == [[5, 8], [9, 4]]
    assert pool_image(grid, 2, 2, "avg").tolist() == [[2.75, 2.75], [2.5, 3.0]]
    assert pool_image(grid, 3, 1, "max").tolist() == [[8, 8], [9, 8]]


def test_sends_each_digit_the_browser_asks_for(images, from_browser):
    explorer = PoolingExplorer(images, digit=1)
    sent = np.frombuffer(explorer.image, dtype="<f4").reshape(28, 28)
    assert np.array_equal(sent, (images[1].float() / 255).numpy())
    from_browser(explorer, digit=3, kernel=3, stride=1, mode="avg")
    sent = np.frombuffer(explorer.image, dtype="<f4").reshape(28, 28)
    assert np.array_equal(sent, (images[3].float() / 255).numpy())
    assert torch.allclose(explorer.pooled(), _pool_by_loop(explorer.images[3], 3, 1, "avg"),
                          atol=1e-6)
    assert repr(explorer) == "PoolingExplorer(digit=3, kernel=3, stride=1, mode='avg')"


def test_the_bank_holds_what_the_kernel_sends_for_each_of_its_digits(from_browser):
    images = (torch.rand(25, 6, 7, generator=torch.Generator().manual_seed(2)) * 255).byte()
    explorer = PoolingExplorer(images, digit=20)
    assert explorer.bank == [*range(9), 20] and len(explorer.bank) == BANK_SIZE
    size = 6 * 7 * 4  # bytes of one digit
    for k, digit in enumerate(explorer.bank):
        from_browser(explorer, digit=digit)
        assert explorer.image == explorer.bank_images[k * size : (k + 1) * size]
    banked = np.frombuffer(explorer.bank_images, dtype="<f4").reshape(BANK_SIZE, 6, 7)
    assert np.array_equal(banked, (images[explorer.bank].float() / 255).numpy())


def test_the_grid_source(images, from_browser):
    explorer = PoolingExplorer(images, source="grid")
    assert len(explorer.grid) == 6 and all(0 <= v <= 9 for row in explorer.grid for v in row)
    grid = torch.tensor(explorer.grid, dtype=torch.float32)
    assert torch.equal(explorer.pooled(), _pool_by_loop(grid, 2, 2, "max"))
    from_browser(explorer, kernel=7)
    with pytest.raises(ValueError, match="window covers 7 cells but the padded input has only 6"):
        explorer.pooled()


def test_still_picture_outlines_the_chosen_window(images, from_browser):
    explorer = PoolingExplorer(images)
    from_browser(explorer, cell=[3, 5], kernel=3, stride=2)
    fig = explorer.figure()
    window = next(p for p in fig.axes[0].patches if p.get_gid() == "window")
    assert window.get_xy() == (5 * 2 - 0.5, 3 * 2 - 0.5) and window.get_width() == 3
    chosen = next(p for p in fig.axes[1].patches if p.get_gid() == "chosen")
    assert chosen.get_xy() == (5 - 0.5, 3 - 0.5)


def test_bad_input_raises_readable_errors(images):
    with pytest.raises(ValueError, match="mode must be 'max' or 'avg', got 'min'"):
        pool_image(torch.rand(5, 5), 2, 2, "min")
    with pytest.raises(ValueError, match="window covers 6 cells but the padded input has only 5"):
        pooling_figure(torch.rand(5, 5), 6)
    with pytest.raises(ValueError, match="N×H×W"):
        PoolingExplorer(images[0])
    with pytest.raises(TypeError, match="torch.Tensor"):
        PoolingExplorer([[0.0]])
    with pytest.raises(ValueError, match="grid must be a 2d grid of integers 0..9"):
        PoolingExplorer(images, grid=[[1, 12]])
    with pytest.raises(ValueError, match="expected mode 'max' or 'avg' and source"):
        PoolingExplorer(images, mode="min")
    with pytest.raises(ValueError, match="digit must be in \\[0, 3\\], got 4"):
        PoolingExplorer(images, digit=4)
