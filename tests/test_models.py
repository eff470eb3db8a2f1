"""course_utils.models: the lecture's MNIST convnet and LeNet-5."""

import pytest
import torch

from course_utils.models import ExamplesNet, LectureNet, LeNet5


@pytest.mark.parametrize(
    ("model", "parameters"), [(LectureNet, 105_506), (LeNet5, 61_706), (ExamplesNet, 1_199_882)]
)
def test_sizes_and_output_shapes(model, parameters):
    net = model()
    assert sum(p.numel() for p in net.parameters()) == parameters
    assert net(torch.zeros(3, 1, 28, 28)).shape == (3, 10)


@pytest.mark.parametrize("model", [LectureNet, LeNet5, ExamplesNet])
@pytest.mark.parametrize("shape", [(1, 28, 28), (2, 3, 28, 28), (2, 1, 32, 32)])
def test_wrong_input_shapes_are_named(model, shape):
    with pytest.raises(ValueError, match=r"expected images N×1×28×28, got shape"):
        model()(torch.zeros(shape))


def test_lenet_features_are_the_lectures_400():
    assert LeNet5().features(torch.zeros(1, 1, 28, 28)).shape == (1, 16, 5, 5)


@pytest.mark.parametrize(("c1", "c2", "hidden"), [(32, 64, 200), (16, 48, 100), (1, 1, 1)])
def test_lecture_net_widths(c1, c2, hidden):
    net = LectureNet(c1, c2, hidden)
    shapes = [tuple(p.shape) for p in net.parameters()]
    # conv1 sees 1 channel, conv2 c1; after two poolings c2 maps of 2×2 reach fc1
    assert shapes == [(c1, 1, 5, 5), (c1,), (c2, c1, 5, 5), (c2,), (hidden, c2 * 4), (hidden,),
                      (10, hidden), (10,)]
    assert net(torch.zeros(2, 1, 28, 28)).shape == (2, 10)


def test_lecture_net_defaults_are_the_lectures():
    torch.manual_seed(0)
    default = LectureNet()
    torch.manual_seed(0)
    explicit = LectureNet(c1=32, c2=64, hidden=200)
    pairs = zip(default.state_dict().values(), explicit.state_dict().values(), strict=True)
    assert all(torch.equal(a, b) for a, b in pairs)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"c1": 0}, "c1 must be a positive int, got 0"),
        ({"c2": 2.5}, "c2 must be a positive int, got 2.5"),
        ({"hidden": "200"}, "hidden must be a positive int, got '200'"),
    ],
)
def test_bad_widths_are_named(kwargs, message):
    with pytest.raises(ValueError, match=message):
        LectureNet(**kwargs)


def test_examples_net_gives_log_probabilities_and_its_products():
    from course_utils.summary import summarize

    net = ExamplesNet().eval()
    torch.manual_seed(0)
    log_p = net(torch.randn(4, 1, 28, 28))
    assert torch.allclose(log_p.exp().sum(dim=1), torch.ones(4), atol=1e-5)
    # 32·26·26·9 + 64·24·24·32·9 + 9216·128 + 128·10 products, as for the lecture's network
    assert summarize(net).total_products == 194_688 + 10_616_832 + 1_179_648 + 1_280
