"""Checkers of notebook 06's exercises: right answers pass, typical wrong ones get feedback."""

from __future__ import annotations

from itertools import pairwise

import pytest
import torch
from torch import nn
from torch.nn import functional as F

from course_utils.exercises import modules
from course_utils.exercises.modules import (
    DICT_STATE,
    HiddenHeads,
    check_repaired,
    check_stack,
    held_tensors,
    reference_stack,
)
from course_utils.exercises.questions import check_answer
from course_utils.registration import find_hidden

# What HiddenHeads holds, read by hand from its source: two trunk layers, two heads, a temperature.
REPAIRED_SHAPES = sorted(
    [(32, 20), (32,), (32, 32), (32,), (10, 32), (10,), (2, 32), (2,), (1,)]
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


class TemperatureFirst(Repaired):
    """Right too: the temperature registered before the layers (parameters() lists it first)."""

    def __init__(self):
        nn.Module.__init__(self)
        self.temperature = nn.Parameter(torch.ones(1))
        self.trunk = nn.ModuleList([nn.Linear(20, 32), nn.Linear(32, 32)])
        self.heads = nn.ModuleDict({"digit": nn.Linear(32, 10), "parity": nn.Linear(32, 2)})


class NoRelu(Repaired):
    def forward(self, x):
        for layer in self.trunk:
            x = layer(x)
        return {name: head(x) / self.temperature for name, head in self.heads.items()}


class TimesTemperature(Repaired):
    def forward(self, x):
        for layer in self.trunk:
            x = F.relu(layer(x))
        return {name: head(x) * self.temperature for name, head in self.heads.items()}


@pytest.mark.parametrize("answer", [Repaired, RepairedWithSequential, TemperatureFirst])
def test_repaired_right(answer):
    feedback = check_repaired(answer)
    assert feedback.passed, feedback.message
    hidden_numbers = sum(h.numel for h in find_hidden(HiddenHeads()))
    assert hidden_numbers == 32 * 20 + 32 + 32 * 32 + 32 + 10 * 32 + 10 + 2 * 32 + 2 + 1
    assert f"{hidden_numbers:,} numbers" in feedback.message


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
        (NoRelu, "out['digit'] is not what HiddenHeads computes"),
        (TimesTemperature, "temperature of 1.5, out['digit'] is not"),
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
    assert sorted(tuple(t.shape) for t in held_tensors(HiddenHeads())) == REPAIRED_SHAPES


# Exercise 2: Stack(widths) ----------------------------------------------------------------


class Stack(nn.Module):
    def __init__(self, widths):
        super().__init__()
        self.layers = nn.ModuleList(nn.Linear(a, b) for a, b in pairwise(widths))

    def forward(self, x):
        for layer in self.layers[:-1]:
            x = F.relu(layer(x))
        return self.layers[-1](x)


class StackWithSequential(nn.Module):
    """Another right answer: an nn.Sequential built in a loop, with add_module."""

    def __init__(self, widths):
        super().__init__()
        self.net = nn.Sequential()
        for i, (a, b) in enumerate(pairwise(widths)):
            if i:
                self.net.add_module(f"relu{i}", nn.ReLU())
            self.net.add_module(f"fc{i}", nn.Linear(a, b))

    def forward(self, x):
        return self.net(x)


class StackStub(nn.Module):
    def __init__(self, widths):
        super().__init__()
        raise NotImplementedError("Student exercise: build the layers")


class InPlainList(nn.Module):
    def __init__(self, widths):
        super().__init__()
        self.layers = [nn.Linear(a, b) for a, b in pairwise(widths)]

    forward = Stack.forward


class ReluAtTheEnd(Stack):
    def forward(self, x):
        for layer in self.layers:
            x = F.relu(layer(x))
        return x


class NoReluAtAll(Stack):
    def forward(self, x):
        for layer in self.layers:
            x = layer(x)
        return x


class Reversed(Stack):
    """Registers the layers last first, then runs them first first."""

    def __init__(self, widths):
        super().__init__(widths)
        self.layers = nn.ModuleList(list(self.layers)[::-1])

    def forward(self, x):
        layers = list(self.layers)[::-1]
        for layer in layers[:-1]:
            x = F.relu(layer(x))
        return layers[-1](x)


class TwoLayersAlways(nn.Module):
    """Right only when there are exactly two layers."""

    def __init__(self, widths):
        super().__init__()
        self.first = nn.Linear(widths[0], widths[1])
        self.last = nn.Linear(widths[1], widths[-1])

    def forward(self, x):
        return self.last(F.relu(self.first(x)))


class NoBias(Stack):
    def __init__(self, widths):
        super().__init__(widths)
        self.layers = nn.ModuleList(
            nn.Linear(a, b, bias=False) for a, b in pairwise(widths)
        )


class KeepsAScale(Stack):
    """Uses a trainable scale that is a plain tensor: hidden, so never trained nor saved."""

    def __init__(self, widths):
        super().__init__(widths)
        self.scale = torch.ones(1, requires_grad=True)

    def forward(self, x):
        return super().forward(x) * self.scale


@pytest.mark.parametrize("answer", [Stack, StackWithSequential])
def test_stack_right(answer):
    feedback = check_stack(answer)
    assert feedback.passed, feedback.message
    assert "[2, 16, 16, 2]" in feedback.message


def test_stack_stub_is_not_implemented():
    feedback = check_stack(StackStub)
    assert not feedback.passed and not feedback.implemented
    assert "Not implemented yet" in feedback.message


@pytest.mark.parametrize(
    ("answer", "expected_text"),
    [
        (InPlainList, "layers[0]: a module (192 numbers) in a plain list"),
        (KeepsAScale, "scale: a tensor (1 number) as a plain attribute"),
        (ReluAtTheEnd, "no ReLU after the last layer"),
        (NoReluAtAll, "put a ReLU between consecutive layers"),
        (Reversed, "in the order the layers run"),
        (TwoLayersAlways, "for widths [2, 16, 16, 2] expected parameters of shapes"),
        (NoBias, "expected parameters of shapes [(64, 2), (64,), (2, 64), (2,)]"),
        (Stack([2, 3]), "a class deriving from nn.Module"),
    ],
)
def test_stack_wrong(answer, expected_text):
    feedback = check_stack(answer)
    assert not feedback.passed and feedback.implemented
    assert expected_text in feedback.message, feedback.message


def test_stack_whose_forward_raises():
    class Broken(Stack):
        def forward(self, x):
            return self.layers[-1](x)  # skips to the last layer: wrong input width

    feedback = check_stack(Broken)
    assert not feedback.passed and "raised RuntimeError" in feedback.message


def test_reference_stack_against_hand_built_layers():
    torch.manual_seed(0)
    built = reference_stack([4, 8, 3])
    torch.manual_seed(0)
    by_hand = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))
    x = torch.randn(5, 4)
    assert [type(m) for m in built] == [nn.Linear, nn.ReLU, nn.Linear]
    assert torch.equal(built(x), by_hand(x))


@pytest.mark.parametrize("bad", [[3], [], [2, 0, 2], [2, 2.5]])
def test_reference_stack_refuses_bad_widths(bad):
    with pytest.raises(ValueError, match="at least two positive int widths"):
        reference_stack(bad)


# The question: state_dict() and a layer in a plain dict --------------------------------------


def test_dict_state_right_choice_is_what_state_dict_holds():
    keys = list(modules.LayerInDict().state_dict())
    assert keys == ["out.weight", "out.bias"]  # the hidden layer is not saved
    assert DICT_STATE.right_choice() == "b"
    assert check_answer(DICT_STATE, "b").passed
    for letter in "acd":
        feedback = check_answer(DICT_STATE, letter)
        assert not feedback.passed and feedback.message.startswith(f"Not quite ({letter})")


class _WithModuleDict(modules.LayerInDict):
    def __init__(self):
        super().__init__()
        self.layers = nn.ModuleDict(self.layers)


class _SavesTheDict(modules.LayerInDict):
    def state_dict(self, *args, **kwargs):
        return {"layers": self.layers, **super().state_dict(*args, **kwargs)}


class _Refuses(modules.LayerInDict):
    def state_dict(self, *args, **kwargs):
        raise RuntimeError("plain dict")


@pytest.mark.parametrize(
    ("module", "letter"), [(_WithModuleDict, "a"), (_SavesTheDict, "c"), (_Refuses, "d")]
)
def test_dict_state_follows_what_pytorch_does(monkeypatch, module, letter):
    monkeypatch.setattr(modules, "LayerInDict", module)
    assert DICT_STATE.right_choice() == letter
