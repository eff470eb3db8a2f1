"""course_utils.models: the lecture's MNIST convnet and LeNet-5."""

import pytest
import torch

from course_utils.models import LectureNet, LeNet5


@pytest.mark.parametrize(("model", "parameters"), [(LectureNet, 105_506), (LeNet5, 61_706)])
def test_sizes_and_output_shapes(model, parameters):
    net = model()
    assert sum(p.numel() for p in net.parameters()) == parameters
    assert net(torch.zeros(3, 1, 28, 28)).shape == (3, 10)


@pytest.mark.parametrize("model", [LectureNet, LeNet5])
@pytest.mark.parametrize("shape", [(1, 28, 28), (2, 3, 28, 28), (2, 1, 32, 32)])
def test_wrong_input_shapes_are_named(model, shape):
    with pytest.raises(ValueError, match=r"expected images N×1×28×28, got shape"):
        model()(torch.zeros(shape))


def test_lenet_features_are_the_lectures_400():
    assert LeNet5().features(torch.zeros(1, 1, 28, 28)).shape == (1, 16, 5, 5)
