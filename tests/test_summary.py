"""Tests for course_utils.summary: the lecture's table, read off the network itself."""

from __future__ import annotations

import pytest
import torch
from torch import nn
from torch.nn import functional as F

from course_utils.models import LectureNet, LeNet5
from course_utils.summary import Row, module_products, size_text, summarize


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
        ("torch.avg_pool2d(x, kernel_size=2, stride=1)", (2, 5, 5)),
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
