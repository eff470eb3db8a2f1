"""Tests for course_utils.blocks: what each drawing writes is what PyTorch computes, and the
drawings stay legible (no label on top of another)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.patches import Rectangle
from torch import nn
from torchvision.models import alexnet

from course_utils.blocks import conv1d_steps, conv2d_blocks, network_diagram
from course_utils.models import LectureNet, LeNet5


def _texts(fig, gid=None) -> list[str]:
    return [t.get_text() for ax in fig.axes for t in ax.texts
            if gid is None or t.get_gid() == gid]


def _overlapping_labels(fig) -> list[tuple[str, str]]:
    """Pairs of texts whose boxes on the rendered figure overlap, and texts outside it."""
    renderer = FigureCanvasAgg(fig).get_renderer()
    fig.draw(renderer)
    boxes = [(t.get_text(), t.get_window_extent(renderer)) for ax in fig.axes
             for t in ax.texts if t.get_text().strip()]
    overlaps = [(a, b) for (a, box_a), (b, box_b) in itertools.combinations(boxes, 2)
                if box_a.overlaps(box_b)]
    outside = [(text, "outside the figure") for text, box in boxes
               if not fig.bbox.contains(box.x0, box.y0) or not fig.bbox.contains(box.x1, box.y1)]
    return overlaps + outside


def test_the_legibility_check_sees_overlapping_and_clipped_labels():
    from course_utils.viz import CourseFigure

    fig = CourseFigure(figsize=(2, 1))
    ax = fig.add_axes((0, 0, 1, 1))
    ax.text(0.1, 0.5, "first label")
    ax.text(0.2, 0.5, "second label")
    ax.text(0.9, 0.1, "cut off at the edge")
    found = _overlapping_labels(fig)
    assert ("first label", "second label") in found
    assert ("cut off at the edge", "outside the figure") in found


# ---------------------------------------------------------------------------------------------
# conv1d_steps (the explorer that steps through it: tests/test_widgets_conv1d_stepper.py)


def test_conv1d_steps_writes_the_lectures_sums():
    fig = conv1d_steps(torch.tensor([1.0, 2, 3, 4]), torch.tensor([3.0, 2]))
    assert _texts(fig, "sum") == ["output 0: 3 + 4 = 7", "output 1: 6 + 6 = 12",
                                  "output 2: 9 + 8 = 17"]
    cells = [p for p in fig.axes[0].patches if isinstance(p, Rectangle)]
    assert len(cells) == 3 * (4 + 2 + 2 + 3)  # per panel: x, u, products, output row
    assert _overlapping_labels(fig) == []


def test_conv1d_steps_sums_agree_with_numpy_on_random_integers():
    g = torch.Generator().manual_seed(0)
    x, u = torch.randint(-5, 6, (9,), generator=g).float(), torch.randint(-3, 4, (4,),
                                                                          generator=g).float()
    expected = np.correlate(x.numpy(), u.numpy(), mode="valid")  # numpy: no flip, "valid"
    fig = conv1d_steps(x, u, positions=[5, 0])
    sums = [float(text.rsplit("= ", 1)[1]) for text in _texts(fig, "sum")]
    assert sums == [expected[5], expected[0]]
    products = [float(text) for text in _texts(fig, "product")]
    assert products == (x[5:9] * u).tolist() + (x[0:4] * u).tolist()


@pytest.mark.parametrize(
    ("x", "u", "positions", "error", "match"),
    [
        (torch.ones(3), torch.ones(4), None, ValueError, "1 <= w <= W"),
        (torch.ones(17), torch.ones(2), None, ValueError, "W <= 16"),
        (torch.ones(4), torch.ones(2), [3], ValueError, r"in \[0, 2\], got \[3\]"),
        (torch.ones(2, 4), torch.ones(2), None, ValueError, r"x must be 1d, got shape \(2, 4\)"),
        (torch.arange(4), torch.ones(2), None, TypeError, "floating-point torch.Tensor"),
        ([1.0, 2.0], torch.ones(2), None, TypeError, "got list"),
    ],
)
def test_conv1d_steps_refuses_what_it_cannot_draw(x, u, positions, error, match):
    with pytest.raises(error, match=match):
        conv1d_steps(x, u, positions=positions)


# ---------------------------------------------------------------------------------------------
# conv2d_blocks


def _front(fig, gid) -> list[tuple[float, float]]:
    return [(p.get_width(), p.get_height()) for p in fig.axes[0].patches
            if isinstance(p, Rectangle) and p.get_gid() == gid]


@pytest.mark.parametrize(("x_shape", "conv"), [
    ((3, 7, 9), nn.Conv2d(3, 4, kernel_size=(3, 4))),
    ((1, 28, 28), nn.Conv2d(1, 32, kernel_size=5)),
    ((4, 10, 3), nn.Conv2d(4, 5, kernel_size=(2, 3))),
])
def test_conv2d_blocks_writes_and_draws_the_sizes_of_a_real_layer(x_shape, conv):
    out = conv(torch.zeros(1, *x_shape))[0]
    d, c, h, w = conv.weight.shape
    fig = conv2d_blocks(x_shape, conv.weight.shape)
    sizes = _texts(fig, "size")
    assert sizes[0] == "input " + "×".join(map(str, x_shape))
    assert sizes[1].startswith(f"{d} kernels {c}×{h}×{w}")
    assert sizes[2] == "output " + "×".join(map(str, out.shape))
    # to scale: one unit per pixel for the input, every kernel and every output map
    assert _front(fig, "input") == [(x_shape[2], x_shape[1])]
    assert _front(fig, "kernel") == [(w, h)] * min(d, 6)
    assert _front(fig, "output") == [(out.shape[2], out.shape[1])] * d
    assert _overlapping_labels(fig) == []


def test_conv2d_blocks_says_how_many_kernels_it_leaves_out():
    fig = conv2d_blocks((1, 28, 28), (32, 1, 5, 5))
    assert _texts(fig, "size")[1] == "32 kernels 1×5×5 (6 drawn)"


@pytest.mark.parametrize(
    ("input_shape", "weight_shape", "error", "match"),
    [
        ((3, 7, 9), (4, 2, 3, 3), ValueError, "does not fit a 3×7×9 input"),
        ((3, 7, 9), (4, 3, 8, 3), ValueError, "h <= H"),
        ((7, 9), (4, 3, 3, 3), ValueError, r"input_shape of 3 positive sizes, got \(7, 9\)"),
        ((3, 0, 9), (4, 3, 3, 3), ValueError, "positive sizes"),
        ("3x7x9", (4, 3, 3, 3), TypeError, "a tuple of ints"),
    ],
)
def test_conv2d_blocks_refuses_impossible_layers(input_shape, weight_shape, error, match):
    with pytest.raises(error, match=match):
        conv2d_blocks(input_shape, weight_shape)


# ---------------------------------------------------------------------------------------------
# network_diagram


def _size(shape) -> str:
    return "×".join(str(s) for s in shape)


def _expected_boxes(steps) -> list[str]:
    """The boxes a diagram should hold, from (module or None, output shape) pairs recorded by
    running the network: a new box when the size changes or the step holds parameters."""
    boxes, last = [], None
    for module, shape in steps:
        has_parameters = module is not None and any(True for _ in module.parameters())
        if shape != last or has_parameters:
            boxes.append(_size(shape))
        last = shape
    return boxes


def _run_recording(model, stages, x):
    """Run ``stages`` (modules, or functions) one after the other on ``x``, recording the
    output of every leaf module (forward hooks) and of every function."""
    steps = [(None, tuple(x.shape[1:]))]
    hooks = [m.register_forward_hook(lambda m, _i, out: steps.append((m, tuple(out.shape[1:]))))
             for m in model.modules() if not list(m.children())]
    with torch.no_grad():
        for stage in stages:
            x = stage(x)
            if not isinstance(stage, nn.Module):
                steps.append((None, tuple(x.shape[1:])))
    for hook in hooks:
        hook.remove()
    return steps, x


def test_network_diagram_of_the_lecture_net_shows_the_lectures_table():
    fig = network_diagram(LectureNet(), (1, 28, 28))
    # the lecture's table, with the ReLU (same size, no parameters) on the arrows
    assert _texts(fig, "shape") == ["1×28×28", "32×24×24", "32×8×8", "64×4×4", "64×2×2",
                                    "256", "200", "10"]
    assert _texts(fig, "arrow") == ["relu", "relu", "relu"]
    assert _overlapping_labels(fig) == []


@pytest.mark.parametrize("name", ["LeNet5", "AlexNet"])
def test_network_diagram_shapes_are_the_networks_own(name):
    if name == "LeNet5":
        model, shape = LeNet5(), (1, 28, 28)
        stages = [model.features, lambda x: x.flatten(1), model.classifier]
    else:
        with torch.device("meta"):
            model, shape = alexnet(), (3, 224, 224)
        stages = [model.features, model.avgpool, lambda x: x.flatten(1), model.classifier]
    model.eval()
    device = next(model.parameters()).device
    steps, out = _run_recording(model, stages, torch.zeros(1, *shape, device=device))
    assert out.shape == model(torch.zeros(1, *shape, device=device)).shape
    fig = network_diagram(model, shape)
    drawn = _texts(fig, "shape")
    assert drawn == _expected_boxes(steps)
    assert drawn[-1] == _size(out.shape[1:])
    assert _overlapping_labels(fig) == []


def test_network_diagram_box_sizes_follow_the_activation_sizes():
    with torch.device("meta"):
        model = alexnet()
    fig = network_diagram(model, (3, 224, 224))
    fronts = {}
    for text, box in zip(_texts(fig, "shape"), _front(fig, "activation"), strict=True):
        fronts.setdefault(text, box)
    heights = {text: h for text, (_, h) in fronts.items()}
    assert heights["3×224×224"] > heights["64×55×55"] > heights["64×27×27"]
    assert heights["64×27×27"] > heights["192×13×13"] > heights["256×6×6"]
    assert heights["9216"] > heights["4096"] > heights["1000"]


def test_network_diagram_draws_a_learners_own_network():
    class Mine(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(3, 8, 3, padding=1)
            self.fc = nn.Linear(8 * 4 * 4, 5)

        def forward(self, x):
            x = F.max_pool2d(F.relu(self.conv(x)), 2)
            return self.fc(x.flatten(1))

    model = Mine()
    fig = network_diagram(model, (3, 8, 8))
    assert _texts(fig, "shape") == ["3×8×8", "8×8×8", "8×4×4", "128", "5"]
    assert _texts(fig, "shape")[-1] == _size(model(torch.zeros(1, 3, 8, 8)).shape[1:])
    mlp = nn.Sequential(nn.Linear(784, 100), nn.ReLU(), nn.Linear(100, 10), nn.Softmax(dim=1))
    fig = network_diagram(mlp, (784,))
    assert _texts(fig, "shape") == ["784", "100", "10"]
    assert _texts(fig, "arrow") == ["ReLU", "Softmax"]  # the last one after the last box
    assert _overlapping_labels(fig) == []


@pytest.mark.parametrize(
    ("model", "shape", "error", "match"),
    [
        ("LectureNet", (1, 28, 28), TypeError, "expected an nn.Module, got str"),
        (LectureNet, (1, 28, 28), TypeError, r"got type \(the class: build one, LectureNet\(\)\)"),
        (LectureNet(), (3, 32, 32), ValueError,
         r"LectureNet does not run on one input of shape 3×32×32 \(ValueError: expected images"),
        (LeNet5(), (1, 64), ValueError, "LeNet5 does not run on one input of shape 1×64"),
        (nn.Linear(10, 2), (12,), ValueError, r"Linear does not run .* \(RuntimeError"),
        (LectureNet(), "28x28", TypeError, "one sample's shape, e.g. \\(1, 28, 28\\)"),
        (LectureNet(), (1, 0, 28), ValueError, "positive sizes"),
    ],
)
def test_network_diagram_refuses_bad_input(model, shape, error, match):
    with pytest.raises(error, match=match):
        network_diagram(model, shape)
