"""The 1d convolution stepper's Python side: the numbers it sends, its input, its still picture.

What the page draws from these numbers is checked in Chromium (tests/browser/
test_explorer_modules.py and test_explorers_in_lab.py).
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
import traitlets

from course_utils.blocks import conv1d_steps
from course_utils.widgets import Conv1dStepper


def _written(fig, gid: str) -> list[str]:
    return [t.get_text() for ax in fig.axes for t in ax.texts if t.get_gid() == gid]


def test_the_lectures_example():
    stepper = Conv1dStepper(torch.tensor([1.0, 2, 3, 4]), torch.tensor([3.0, 2]))
    assert stepper.numbers == {"x": ["1", "2", "3", "4"], "u": ["3", "2"],
                               "products": [["3", "4"], ["6", "6"], ["9", "8"]],
                               "outputs": ["7", "12", "17"]}
    assert repr(stepper) == ("Conv1dStepper(x=tensor([1., 2., 3., 4.]), u=tensor([3., 2.]), "
                             "position=0)")


@pytest.mark.parametrize("seed", range(6))
def test_outputs_and_products_against_numpy_and_a_loop(seed):
    g = torch.Generator().manual_seed(seed)
    width = int(torch.randint(1, 30, (1,), generator=g))
    w = int(torch.randint(1, width + 1, (1,), generator=g))
    x, u = torch.randn(width, generator=g), torch.randn(w, generator=g)
    stepper = Conv1dStepper(x, u)
    expected = np.correlate(x.double().numpy(), u.double().numpy(), mode="valid")  # no flip
    assert np.allclose(stepper.outputs().numpy(), expected, atol=1e-5)
    products = stepper.products()
    assert products.shape == (width - w + 1, w)
    for i in range(width - w + 1):
        assert torch.equal(products[i], x[i : i + w] * u)


@pytest.mark.parametrize("seed", range(4))
def test_the_page_writes_what_the_still_picture_writes(seed):
    """Every number sent is the text conv1d_steps draws for the same step."""
    g = torch.Generator().manual_seed(seed)
    x = (torch.randn(9, generator=g) * 4).round(decimals=seed % 3)
    u = (torch.randn(3, generator=g) * 2).round(decimals=seed % 2)
    stepper = Conv1dStepper(x, u)
    sent = stepper.numbers
    for i in range(7):
        fig = conv1d_steps(x, u, positions=[i])
        assert _written(fig, "x") == sent["x"]
        assert _written(fig, "u") == [f"×{v}" for v in sent["u"]]
        assert _written(fig, "product") == sent["products"][i]
        assert _written(fig, "output") == sent["outputs"][: i + 1]


@pytest.mark.parametrize(
    ("x", "u"),
    [
        ([1, 2, 3, 4], (3, 2)),
        (np.array([1, 2, 3, 4], dtype=np.int16), np.array([3.0, 2.0])),
        (torch.arange(1, 5), torch.tensor([3.0, 2.0], dtype=torch.float64)),
        (torch.tensor([1.0, 2, 3, 4], dtype=torch.float16), [3, 2]),
    ],
)
def test_any_1d_sequence_of_real_numbers(x, u):
    stepper = Conv1dStepper(x, u, position=2)
    assert stepper.x.dtype == stepper.u.dtype and stepper.x.is_floating_point()
    assert stepper.outputs().tolist() == [7, 12, 17]
    assert stepper.numbers["products"][2] == ["9", "8"]


def test_a_signal_longer_than_the_still_picture_draws():
    x, u = torch.linspace(-1, 1, 40), torch.tensor([1.0, -1.0])
    stepper = Conv1dStepper(x, u, position=38)
    assert len(stepper.numbers["outputs"]) == 39 and len(stepper.numbers["products"][38]) == 2
    with pytest.raises(ValueError, match=r"W <= 16 \(longer rows are unreadable\), got W = 40"):
        stepper.figure()


@pytest.mark.parametrize(
    ("x", "u", "settings", "error", "match"),
    [
        ("1234", [1.0], {}, TypeError, "x must be real numbers .* got str '1234'"),
        ([1.0, 2.0], None, {}, TypeError, "u must be real numbers .* got NoneType None"),
        ([1.0, "a"], [1.0], {}, TypeError, "x must be real numbers .* got list"),
        ([True, False], [1.0], {}, TypeError, "x must hold real numbers, got dtype torch.bool"),
        ([1.0, 2.0], [1j], {}, TypeError, "u must hold real numbers, got dtype torch.complex"),
        (torch.ones(2, 4), [1.0], {}, ValueError, r"x must be 1d .* got shape \(2, 4\)"),
        ([1.0, 2.0], [], {}, ValueError, r"u must be 1d with at least one value, got shape \(0,\)"),
        (3.0, [1.0], {}, ValueError, r"x must be 1d .* got shape \(\)"),
        ([1.0, float("nan")], [1.0], {}, ValueError, "x must hold finite numbers, got nan at "
                                                     "index 1"),
        ([1.0, 2.0], [1.0, 2.0, 3.0], {}, ValueError, r"w <= W\), got W = 2 and w = 3"),
        ([1.0, 2.0, 3.0], [1.0], {"position": 3}, ValueError, r"position must be in \[0, 2\], "
                                                              "got 3"),
        ([1.0, 2.0, 3.0], [1.0], {"position": 1.0}, TypeError, "position must be an int, got "
                                                               "float"),
        ([1.0, 2.0], [1.0], {"interval_ms": 0}, ValueError, r"interval_ms must be in \[1, "),
    ],
)
def test_bad_input_says_what_was_expected(x, u, settings, error, match):
    with pytest.raises(error, match=match):
        Conv1dStepper(x, u, **settings)


def test_the_position_the_page_sends_draws_that_step(from_browser):
    x, u = torch.tensor([1.0, 2, 3, 4]), torch.tensor([3.0, 2])
    stepper = Conv1dStepper(x, u, position=np.int64(1))
    assert stepper.position == 1
    sent = stepper.numbers
    from_browser(stepper, position=2)
    assert stepper.position == 2 and stepper.numbers is sent  # the numbers are sent once
    assert _written(stepper.figure(), "sum") == ["output 2: 9 + 8 = 17"]
    with pytest.raises(traitlets.TraitError, match=r"position must be in \[0, 2\], got 3"):
        stepper.position = 3
