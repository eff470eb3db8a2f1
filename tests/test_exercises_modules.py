"""Checkers of notebook 06's exercises: right answers pass, typical wrong ones get feedback."""

from __future__ import annotations

import pytest
import torch
from torch import nn
from torch.nn import functional as F

from course_utils.exercises.modules import (
    REPAIRED_SHAPES,
    HiddenHeads,
    check_layer_shapes,
    check_repaired,
    expected_shapes,
)

# Exercise 1: repair HiddenHeads ----------------------------------------------------------


class Repaired(nn.Module):
    def __init__(self):
        super().__init__()
        self.trunk = nn.ModuleList([nn.Linear(20, 32), nn.Linear(32, 32)])
        self.heads = nn.ModuleDict({"digit": nn.Linear(32, 10), "parity": nn.Linear(32, 2)})
        self.temperature = nn.Parameter(torch.ones(1))

    def forward(self, x):
        for layer in self.trunk:
            x = F.relu(layer(x))
        return {name: head(x) / self.temperature for name, head in self.heads.items()}


class RepairedWithSequential(nn.Module):
    """Another right answer: a Sequential trunk, heads added with add_module, register_parameter."""

    def __init__(self):
        super().__init__()
        self.trunk = nn.Sequential(nn.Linear(20, 32), nn.ReLU(), nn.Linear(32, 32), nn.ReLU())
        self.add_module("digit", nn.Linear(32, 10))
        self.add_module("parity", nn.Linear(32, 2))
        self.register_parameter("temperature", nn.Parameter(torch.ones(1)))

    def forward(self, x):
        x = self.trunk(x)
        t = self.temperature
        return {"digit": self.digit(x) / t, "parity": self.parity(x) / t}


class Stub(nn.Module):
    def __init__(self):
        super().__init__()
        raise NotImplementedError("Student exercise: register the layers")


class HalfRepaired(Repaired):
    """The layers are fixed, but the temperature is still a plain tensor."""

    def __init__(self):
        super().__init__()
        del self.temperature
        self.temperature = torch.ones(1, requires_grad=True)


class DroppedTemperature(Repaired):
    """Registered everything, but lost the temperature altogether."""

    def __init__(self):
        super().__init__()
        del self.temperature

    def forward(self, x):
        for layer in self.trunk:
            x = F.relu(layer(x))
        return {name: head(x) for name, head in self.heads.items()}


class UnusedTemperature(Repaired):
    def forward(self, x):
        for layer in self.trunk:
            x = F.relu(layer(x))
        return {name: head(x) for name, head in self.heads.items()}


class WrongWidth(Repaired):
    def __init__(self):
        super().__init__()
        self.heads["parity"] = nn.Linear(32, 3)


class ReturnsTuple(Repaired):
    def forward(self, x):
        out = super().forward(x)
        return out["digit"], out["parity"]


class BrokenForward(Repaired):
    def forward(self, x):
        return self.heads["digit"](x)  # skips the trunk: 20 features into a 32-input layer


@pytest.mark.parametrize("answer", [Repaired, RepairedWithSequential])
def test_repaired_right(answer):
    feedback = check_repaired(answer)
    assert feedback.passed, feedback.message
    assert "2,125 numbers" in feedback.message


def test_repaired_stub_is_not_implemented():
    feedback = check_repaired(Stub)
    assert not feedback.passed and not feedback.implemented
    assert "Not implemented yet" in feedback.message


@pytest.mark.parametrize(
    ("answer", "expected_text"),
    [
        (HiddenHeads, "trunk[0]"),
        (HalfRepaired, "temperature"),
        (DroppedTemperature, "shapes"),
        (WrongWidth, "shapes"),
        (UnusedTemperature, "never uses them: temperature"),
        (ReturnsTuple, "a dict with keys"),
        (BrokenForward, "raised RuntimeError"),
        (Repaired(), "a class deriving from nn.Module"),
        ("Repaired", "a class deriving from nn.Module"),
    ],
)
def test_repaired_wrong(answer, expected_text):
    feedback = check_repaired(answer)
    assert not feedback.passed and feedback.implemented
    assert expected_text in feedback.message, feedback.message


def test_hidden_heads_really_hides_everything():
    assert list(HiddenHeads().parameters()) == []
    assert sorted(tuple(p.shape) for p in Repaired().parameters()) == REPAIRED_SHAPES


# Exercise 2: predict the shapes ----------------------------------------------------------

RIGHT = {
    "conv weight": (8, 3, 5, 3),
    "conv bias": (8,),
    "conv output": (16, 8, 15, 16),
    "linear output": (2, 3, 5),
}


def test_expected_shapes_by_hand():
    # (32 + 2·1 − 5) // 2 + 1 = 15 rows, (32 + 2·1 − 3) // 2 + 1 = 16 columns
    assert expected_shapes() == RIGHT


def test_shapes_right():
    assert check_layer_shapes(lambda: RIGHT).passed
    sizes = {k: torch.Size(v) for k, v in RIGHT.items()}
    lists = {k: list(v) for k, v in RIGHT.items()} | {"conv bias": 8}
    assert check_layer_shapes(lambda: sizes).passed
    assert check_layer_shapes(lambda: lists).passed


def test_shapes_stub_is_not_implemented():
    def predicted_shapes():
        raise NotImplementedError("Student exercise: predict the four shapes")

    feedback = check_layer_shapes(predicted_shapes)
    assert not feedback.passed and not feedback.implemented


@pytest.mark.parametrize(
    ("key", "value", "expected_text"),
    [
        ("conv weight", (3, 8, 5, 3), "out_channels × in_channels"),
        ("conv weight", (8, 3, 3, 5), "(height, width)"),
        ("conv bias", (3,), "one bias per output channel"),
        ("conv output", (16, 8, 28, 30), "stride 1 and no padding"),
        ("conv output", (16, 8, 14, 15), "forgets the padding"),
        ("conv output", (16, 8, 30, 32), "stride 2 halves"),
        ("linear output", (2, 5), "keeps every leading dimension"),
        ("linear output", (6, 5), "does not flatten"),
        ("linear output", (2, 3, 6), "expected (2, 3, 5), got (2, 3, 6)"),
        ("conv bias", "eight", "a tuple of ints"),
        ("conv output", (16.0, 8, 15, 16), "a tuple of ints"),
    ],
)
def test_shapes_wrong(key, value, expected_text):
    feedback = check_layer_shapes(lambda: RIGHT | {key: value})
    assert not feedback.passed and feedback.implemented
    assert key in feedback.message and expected_text in feedback.message, feedback.message


def test_shapes_wrong_container():
    assert "lacks the key(s) 'linear output'" in check_layer_shapes(
        lambda: {k: v for k, v in RIGHT.items() if k != "linear output"}
    ).message
    assert "expected a dict" in check_layer_shapes(lambda: list(RIGHT.values())).message
    assert "expected a function" in check_layer_shapes(RIGHT).message
    assert "raised ZeroDivisionError" in check_layer_shapes(lambda: 1 / 0).message
