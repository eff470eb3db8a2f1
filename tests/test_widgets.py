"""course_utils.widgets: the explorers' shared Python side (ES modules, binary traits, repr)."""

import re

import numpy as np
import pytest
import torch
import traitlets

from course_utils.widgets import (
    BANK_SIZE,
    HERE,
    Explorer,
    binary,
    digit_bank,
    es_module,
    float32_bytes,
)


class Demo(Explorer):
    _esm = es_module("conv_explorer.js")
    REPR = ("size", "pair")
    size = traitlets.Int(3).tag(sync=True)
    pair = traitlets.List([1, 2]).tag(sync=True)
    data = binary()


def test_each_module_ships_the_shared_modules_first_then_its_own():
    source = es_module("pooling_explorer.js")
    parts = [(HERE / name).read_text() for name in
             ("geometry.js", "drawing.js", "pooling_explorer.js")]
    assert source == "\n".join(parts)
    assert source.count("export default") == 1
    assert not re.search(r"^\s*import\b|\bimport\(", source, re.M), "it must import nothing"
    addresses = set(re.findall(r"https?://[^\s\"'`]+", source))
    assert addresses <= {"http://www.w3.org/2000/svg"}, addresses  # SVG's name, no CDN


def test_every_explorer_module_and_the_style_sheet_are_in_the_package():
    names = {p.name for p in HERE.glob("*.js")}
    assert {"geometry.js", "drawing.js", "conv_explorer.js", "filter_editor.js",
            "pooling_explorer.js", "activation_explorer.js", "photo_classifier.js"} <= names
    assert ".course-explorer" in Explorer._css


def test_binary_values_from_the_browser_arrive_as_bytes(from_browser):
    demo = Demo()
    from_browser(demo, data=b"\x00\x01\x02")
    assert demo.data == b"\x00\x01\x02" and isinstance(demo.data, bytes)
    state = demo.get_state()
    assert bytes(state["data"]) == b"\x00\x01\x02"


def test_float32_bytes_round_trip_row_by_row():
    x = torch.arange(6, dtype=torch.float64).view(2, 3) / 4
    raw = float32_bytes(x)
    assert len(raw) == 6 * 4
    assert np.frombuffer(raw, dtype="<f4").tolist() == x.flatten().tolist()
    assert float32_bytes(x.numpy().T) == float32_bytes(x.T.contiguous())


def test_repr_names_the_settings_for_the_notebooks_text_output():
    assert repr(Demo()) == "Demo(size=3, pair=(1, 2))"
    with pytest.raises(NotImplementedError, match="Demo draws no figure"):
        Demo().figure()


def test_the_digit_bank_holds_the_current_digit_and_the_first_others():
    assert digit_bank(0, 1000) == list(range(BANK_SIZE))
    assert digit_bank(12, 1000) == [*range(BANK_SIZE - 1), 12]
    assert digit_bank(5, 1000) == list(range(BANK_SIZE))
    assert digit_bank(2, 4) == [0, 1, 2, 3]
    assert digit_bank(3, 50, size=3) == [0, 1, 3]
    with pytest.raises(ValueError, match="expected a current digit in \\[0, 3\\], got 4"):
        digit_bank(4, 4)
