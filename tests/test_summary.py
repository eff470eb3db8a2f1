"""Tests for course_utils.summary: the lecture's table, read off the network itself."""

from __future__ import annotations

import pytest
import torch
import torchvision
from torch import nn
from torch.nn import functional as F
from torch.utils.flop_counter import FlopCounterMode

from course_utils.models import LectureNet, LeNet5
from course_utils.summary import Row, module_label, module_products, size_text, summarize


def test_lecture_net_table_matches_the_lecture():
    table = summarize(LectureNet())
    got = [(r.operation, r.parameters, r.products, size_text(r.output_shape)) for r in table.rows]
    assert got == [
        ("nn.Conv2d(1, 32, kernel_size=5)", 832, 460_800, "32×24×24"),
        ("F.max_pool2d(x, kernel_size=3)", 0, 0, "32×8×8"),
        ("F.relu(x)", 0, 0, "32×8×8"),
        ("nn.Conv2d(32, 64, kernel_size=5)", 51_264, 819_200, "64×4×4"),
        ("F.max_pool2d(x, kernel_size=2)", 0, 0, "64×2×2"),
        ("F.relu(x)", 0, 0, "64×2×2"),
        ("x.view(-1, 256)", 0, 0, "256"),
        ("nn.Linear(256, 200)", 51_400, 51_200, "200"),
        ("F.relu(x)", 0, 0, "200"),
        ("nn.Linear(200, 10)", 2_010, 2_000, "10"),
    ]
    assert table.input_shape == (1, 28, 28)
    assert table.total_parameters == 105_506
    assert table.total_products == 1_333_200


def test_text_interleaves_sizes_and_operations():
    lines = summarize(LectureNet()).text().splitlines()
    assert lines[1] == "1×28×28"
    assert lines[2].strip().startswith("nn.Conv2d(1, 32, kernel_size=5)")
    assert lines[3] == "32×24×24"
    assert lines[-1].split()[-2:] == ["105,506", "1,333,200"]


def test_parameter_total_equals_numel_sum_for_module_networks():
    model = LeNet5()
    table = summarize(model)
    assert table.total_parameters == sum(p.numel() for p in model.parameters()) == 61_706
    assert [r.operation for r in table.rows][:2] == [
        "nn.Conv2d(1, 6, kernel_size=5, padding=2)",
        "nn.ReLU(inplace=True)",
    ]


def test_products_follow_stride_padding_and_groups():
    conv = nn.Conv2d(4, 6, kernel_size=3, stride=2, padding=1, groups=2)
    table = summarize(conv, (4, 9, 9))
    assert table.rows == [
        Row("nn.Conv2d(4, 6, kernel_size=3, stride=2, padding=1, groups=2)", 6 * 2 * 9 + 6,
            6 * 5 * 5 * 2 * 9, (6, 5, 5))
    ]
    assert module_products(nn.Linear(7, 3), (3,)) == 21
    assert module_products(nn.ReLU(), (3, 4)) == 0


def test_functional_calls_with_torch_functions_are_recorded():
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(1, 2, 3)

        def forward(self, x):
            return torch.flatten(F.avg_pool2d(self.conv(x), 2, stride=1), 1)

    ops = [(r.operation, r.output_shape) for r in summarize(Net(), (1, 8, 8)).rows]
    assert ops == [
        ("nn.Conv2d(1, 2, kernel_size=3)", (2, 6, 6)),
        ("F.avg_pool2d(x, kernel_size=2, stride=1)", (2, 5, 5)),
        ("torch.flatten(x, 1)", (50,)),
    ]


def test_training_mode_and_hooks_are_restored():
    model = LectureNet().train()
    summarize(model)
    assert model.training
    assert not model.conv1._forward_hooks and not model.conv1._forward_pre_hooks


@pytest.mark.parametrize(
    ("model", "shape", "error", "message"),
    [
        ("not a model", (1, 28, 28), TypeError, "expected an nn.Module, got str"),
        (LectureNet(), "abc", TypeError, "input_shape must be a tuple of ints, got 'abc'"),
        (LectureNet(), (1, 0, 28), ValueError, r"input_shape must hold positive sizes, got \(1, 0"),
        (LectureNet(), (), ValueError, r"input_shape must hold positive sizes, got \(\)"),
    ],
)
def test_bad_input_is_rejected(model, shape, error, message):
    with pytest.raises(error, match=message):
        summarize(model, shape)


def count(model: nn.Module) -> int:
    """The model's own count: every parameter once, shared ones included once."""
    return sum(p.numel() for p in model.parameters())


class Scaled(nn.Module):
    """The lecture's pattern: a parameter held beside a child module and used in forward."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 4, 3)
        self.scale = nn.Parameter(torch.ones(4, 1, 1))

    def forward(self, x):
        return self.conv(x).mul(self.scale)


def test_a_parameter_beside_the_children_is_counted_where_it_is_used():
    table = summarize(Scaled(), (1, 8, 8))
    assert count(Scaled()) == 44 == table.total_parameters
    assert table.rows[1] == Row("x.mul(Parameter 4×1×1)", 4, 0, (4, 6, 6))
    assert "Parameter containing" not in table.text() and "tensor(" not in table.text()


def test_a_shared_layer_and_a_shared_parameter_are_counted_once():
    class Shared(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(4, 4)
            self.gain = nn.Parameter(torch.ones(4))

        def forward(self, x):
            return self.fc(self.fc(x) * self.gain) * self.gain

    model = Shared()
    table = summarize(model, (4,))
    assert [r.parameters for r in table.rows] == [20, 4, 0, 0]
    assert [r.products for r in table.rows] == [16, 0, 16, 0]  # the second pass works as hard
    assert table.total_parameters == count(model) == 24


class WithAuxiliary(nn.Module):
    """Like GoogLeNet's auxiliary classifiers: a branch that runs only in training mode."""

    def __init__(self):
        super().__init__()
        self.body = nn.Linear(6, 3)
        self.aux = nn.Sequential(nn.Linear(6, 5), nn.ReLU(), nn.Linear(5, 3))
        self.spare = nn.Parameter(torch.zeros(2, 2))  # registered, never used

    def forward(self, x):
        return (self.body(x), self.aux(x)) if self.training else self.body(x)


def test_parameters_the_pass_does_not_use_get_rows_that_say_so():
    model = WithAuxiliary()
    table = summarize(model, (6,))
    assert table.unused == [
        Row("spare (Parameter 2×2): not used in this forward pass", 4, 0, ()),
        Row("aux (Sequential): not used in this forward pass", 6 * 5 + 5 + 5 * 3 + 3, 0, ()),
    ]
    assert table.total_parameters == count(model) == 21 + 53 + 4
    lines = table.text().splitlines()
    assert lines[-2].strip().startswith("aux (Sequential): not used in this forward pass")
    assert lines[-1].split()[-2:] == ["78", "18"]


def test_labels_are_one_line_with_tensors_by_shape():
    class Mixed(nn.Module):
        def __init__(self):
            super().__init__()
            self.first = nn.Identity()  # a child: Mixed is no leaf
            self.register_buffer("offset", torch.arange(12.0).view(1, 3, 4))
            self.table = nn.Parameter(torch.randn(5, 4))

        def forward(self, x):
            x = self.first(x)
            y = torch.cat([x + self.offset, x], dim=1)
            return y[:, 0] + self.table[torch.tensor([0, 1, 2])]

    labels = [r.operation for r in summarize(Mixed(), (3, 4)).rows]
    assert labels == ["nn.Identity()", "x.add(tensor 1×3×4)",
                      "torch.cat([x, tensor 1×3×4], dim=1)", "x[:, 0]",
                      "Parameter 5×4[tensor 3]", "x.add(tensor 3×4)"]


def test_a_leaf_that_returns_a_tuple_gives_the_shape_of_its_first_tensor():
    gru = nn.GRU(4, 3, batch_first=True)
    table = summarize(gru, (5, 4))
    assert [(r.operation, r.parameters, r.output_shape) for r in table.rows] == [
        ("nn.GRU(4, 3, batch_first=True)", count(gru), (5, 3))]


def test_a_layer_from_outside_torch_nn_is_named_by_its_own_class():
    with torch.device("meta"):
        block = torchvision.ops.Permute([0, 2, 3, 1])
    assert module_label(block) == "Permute()"
    assert module_label(nn.ReLU(inplace=True)) == "nn.ReLU(inplace=True)"


def _build(name: str, **options) -> nn.Module:
    builder = getattr(torchvision.models, name)
    if name.startswith("regnet"):  # its widths are computed with tensors: not on meta
        return builder(**options)
    with torch.device("meta"):
        return builder(**options)


ARCHITECTURES = [
    ("resnet18", {}), ("densenet121", {}), ("mobilenet_v3_small", {}), ("efficientnet_b0", {}),
    ("googlenet", {"aux_logits": True, "init_weights": False}),
    ("inception_v3", {"aux_logits": True, "init_weights": False}), ("vgg11", {}),
    ("squeezenet1_0", {}), ("convnext_tiny", {}), ("regnet_y_400mf", {}),
    ("shufflenet_v2_x0_5", {}), ("vit_b_16", {}), ("swin_t", {}), ("maxvit_t", {}),
]


@pytest.mark.parametrize(("name", "options"), ARCHITECTURES, ids=[a for a, _ in ARCHITECTURES])
def test_real_architectures_count_every_parameter_and_product(name, options):
    model = _build(name, **options)
    shape = (3, 299, 299) if name == "inception_v3" else (3, 224, 224)
    table = summarize(model, shape)
    assert table.total_parameters == count(model)
    with FlopCounterMode(display=False) as flops, torch.no_grad():
        model.eval()(torch.zeros(1, *shape, device=next(model.parameters()).device))
    assert table.total_products == flops.get_total_flops() // 2  # PyTorch's own count
    labels = [r.operation for r in table.rows + table.unused]
    assert not [label for label in labels if "\n" in label or "tensor(" in label]
    auxiliary = {name: m for name, m in model.named_children() if name.lower().startswith("aux")}
    assert table.unused == [
        Row(f"{key} ({type(m).__name__}): not used in this forward pass", count(m), 0, ())
        for key, m in auxiliary.items()]
