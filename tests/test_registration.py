"""course_utils.registration: hidden modules, parameters and tensors are found, and only those."""

from __future__ import annotations

import pytest
import torch
import torchvision
from torch import nn

from course_utils.models import LectureNet, LeNet5
from course_utils.registration import (
    Hidden,
    assert_registered,
    check_registration,
    find_hidden,
)


class Buggy(nn.Module):
    """The lecture's example: a Linear kept in a plain dict."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 32, kernel_size=5)
        self.param = nn.Parameter(torch.empty(123, 456))
        self.ouch = {}
        self.ouch[0] = nn.Linear(543, 21)


class InList(nn.Module):
    def __init__(self):
        super().__init__()
        self.layers = [nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2)]


class InTuple(nn.Module):
    def __init__(self):
        super().__init__()
        self.pair = (nn.Parameter(torch.zeros(3)), nn.Parameter(torch.zeros(5)))
        self.branches = (nn.Linear(1, 2), nn.Conv2d(1, 1, 1))


class InSet(nn.Module):
    def __init__(self):
        super().__init__()
        self.bag = {nn.Linear(2, 2)}


class Nested(nn.Module):
    """Hidden things two containers deep, and a Buggy as a registered submodule."""

    def __init__(self):
        super().__init__()
        self.inner = Buggy()
        self.blocks = {"a": [nn.Linear(2, 3), nn.Linear(3, 3)]}
        self.weights = [{"w": torch.zeros(2, 2, requires_grad=True)}]


class PlainTensor(nn.Module):
    def __init__(self):
        super().__init__()
        self.scale = torch.ones(7, requires_grad=True)


class Sound(nn.Module):
    """Registered everything; plain containers that only refer to registered things or hold
    constants, which must not raise an alarm."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 2, 3)
        self.heads = nn.ModuleDict({"a": nn.Linear(2, 2), "b": nn.Linear(2, 3)})
        self.stack = nn.ModuleList([nn.Linear(2, 2)])
        self.extra = nn.ParameterList([nn.Parameter(torch.zeros(3))])
        self.register_parameter("gain", nn.Parameter(torch.ones(1)))
        self.register_buffer("running", torch.zeros(2))
        self.by_name = {"conv": self.conv, "head_a": self.heads["a"]}  # references only
        self.order = [self.conv, self.stack]
        self.sizes = (3, 4)
        self.constants = [torch.ones(2), {"eye": torch.eye(2)}]  # no grad: not parameters
        self.cache = (torch.ones(2, requires_grad=True) * 2,)  # not a leaf: an activation
        self.loop = []
        self.loop.append(self.loop)  # a container holding itself must not recurse forever


def paths(model):
    return [h.path for h in find_hidden(model)]


def test_lecture_buggy_names_the_dict_entry_and_the_fix():
    (hidden,) = find_hidden(Buggy())
    assert hidden.path == "ouch[0]"
    assert hidden.kind == "module"
    assert hidden.containers == ("dict",)
    assert hidden.numel == 543 * 21 + 21
    assert "nn.ModuleDict" in hidden.fix
    assert "str(key)" in hidden.fix  # the key 0 is not a string


def test_list_of_modules():
    found = find_hidden(InList())
    assert [h.path for h in found] == ["layers[0]", "layers[1]", "layers[2]"]
    assert all("nn.ModuleList" in h.fix for h in found)
    assert [h.numel for h in found] == [40, 0, 18]


def test_tuples_of_parameters_and_modules():
    found = find_hidden(InTuple())
    assert [(h.path, h.kind, h.numel) for h in found] == [
        ("pair[0]", "parameter", 3),
        ("pair[1]", "parameter", 5),
        ("branches[0]", "module", 4),
        ("branches[1]", "module", 2),
    ]
    assert all("nn.ParameterList" in h.fix and "register_parameter" in h.fix for h in found[:2])
    assert all(h.containers == ("tuple",) and "nn.ModuleList" in h.fix for h in found[2:])


def test_set_of_modules():
    (hidden,) = find_hidden(InSet())
    assert hidden.path == "bag{Linear}"
    assert hidden.containers == ("set",)
    assert "nn.ModuleList" in hidden.fix and "use a list" in hidden.fix


def test_nested_containers_and_submodules():
    found = {h.path: h for h in find_hidden(Nested())}
    assert set(found) == {"inner.ouch[0]", "blocks['a'][0]", "blocks['a'][1]", "weights[0]['w']"}
    assert found["blocks['a'][0]"].containers == ("dict", "list")
    assert "nn.ModuleDict of nn.ModuleList" in found["blocks['a'][0]"].fix
    assert "make inner.ouch an nn.ModuleDict" in found["inner.ouch[0]"].fix
    tensor = found["weights[0]['w']"]
    assert tensor.kind == "tensor" and tensor.containers == ("list", "dict")
    assert "nn.ModuleList of nn.ParameterDict" in tensor.fix


def test_plain_tensor_that_requires_grad():
    (hidden,) = find_hidden(PlainTensor())
    assert (hidden.path, hidden.kind, hidden.containers) == ("scale", "tensor", ())
    assert "register_parameter('scale'" in hidden.fix


def test_sound_module_has_no_alarm():
    assert find_hidden(Sound()) == []
    assert check_registration(Sound()).ok


@pytest.mark.parametrize(
    "build",
    [
        torchvision.models.alexnet,
        torchvision.models.resnet18,
        torchvision.models.squeezenet1_0,
        torchvision.models.vgg11,
    ],
    ids=lambda f: f.__name__,
)
def test_no_false_alarm_on_torchvision(build):
    with torch.device("meta"):  # the same structure, without filling 100M random weights
        model = build(weights=None)
    assert sum(p.numel() for p in model.parameters()) > 1_000_000
    assert find_hidden(model) == []


@pytest.mark.parametrize("build", [LectureNet, LeNet5], ids=lambda c: c.__name__)
def test_no_false_alarm_on_course_models(build):
    assert find_hidden(build()) == []


def test_fixing_buggy_clears_the_report():
    model = Buggy()
    model.ouch = nn.ModuleDict({"0": model.ouch[0]})
    assert find_hidden(model) == []
    assert "ouch.0.weight" in model.state_dict()


def test_report_text():
    report = check_registration(Buggy())
    assert not report.ok and not report
    text = str(report)
    assert text.startswith("Buggy: 1 hidden from parameters()")
    assert "11,424 numbers" in text and "ouch[0]" in text
    assert "⚠️" in report._repr_markdown_()
    clean = check_registration(LectureNet())
    assert clean.ok and "registered" in str(clean) and "✅" in clean._repr_markdown_()


def test_hidden_str_names_path_and_fix():
    text = str(Hidden("a[0]", "module", ("list",), 10, "make a an nn.ModuleList"))
    assert text == "a[0]: a module (10 numbers) in a plain list. Fix: make a an nn.ModuleList."


def test_assert_registered():
    assert_registered(LeNet5())
    with pytest.raises(ValueError, match=r"ouch\[0\]"):
        assert_registered(Buggy())


@pytest.mark.parametrize("bad", [nn.Linear, {"a": nn.Linear(1, 1)}, torch.zeros(2)])
def test_rejects_non_modules(bad):
    with pytest.raises(TypeError, match="expected an nn.Module"):
        find_hidden(bad)
