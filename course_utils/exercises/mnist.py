"""Checks for notebook 07's exercises: the size of a variant network, and a smaller network.

1. :func:`check_counts`: a function ``counts(c1, c2, hidden)`` giving the parameters and
   products of the lecture's network with ``c1`` and ``c2`` conv channels and ``hidden`` units,
   compared with :func:`course_utils.summary.summarize` on the network itself.
2. :func:`check_smaller_net`: a network with at most half the lecture network's parameters
   that, trained briefly with the course's recipe, still classifies MNIST well.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn
from torch.nn import functional as F

from course_utils.exercises import Feedback, attempt, correct, fmt, not_implemented, wrong
from course_utils.summary import summarize

LECTURE_PARAMETERS = 105_506
COUNT_CASES = ((32, 64, 200), (16, 32, 100), (8, 48, 30), (1, 1, 1))


class VariantNet(nn.Module):
    """The lecture's network with ``c1``, ``c2`` conv channels and ``hidden`` units (reference).

    ``N×1×28×28`` → conv 1→c1 5×5, max-pool 3, relu, conv c1→c2 5×5, max-pool 2, relu,
    view ``4·c2``, fc → hidden, relu, fc hidden→10 → ``N×10``.
    """

    def __init__(self, c1: int = 32, c2: int = 64, hidden: int = 200):
        super().__init__()
        self.c2 = c2
        self.conv1 = nn.Conv2d(1, c1, kernel_size=5)
        self.conv2 = nn.Conv2d(c1, c2, kernel_size=5)
        self.fc1 = nn.Linear(4 * c2, hidden)
        self.fc2 = nn.Linear(hidden, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.relu(F.max_pool2d(self.conv1(x), kernel_size=3))
        x = F.relu(F.max_pool2d(self.conv2(x), kernel_size=2))
        x = x.view(-1, 4 * self.c2)
        return self.fc2(F.relu(self.fc1(x)))


def reference_counts(c1: int, c2: int, hidden: int) -> tuple[int, int]:
    """(parameters, products) of ``VariantNet(c1, c2, hidden)``, read off the network."""
    table = summarize(VariantNet(c1, c2, hidden))
    return table.total_parameters, table.total_products


def check_counts(counts: Callable[[int, int, int], tuple[int, int]]) -> Feedback:
    """Check ``counts(c1, c2, hidden) -> (parameters, products)`` on several variants."""
    what = "counts(c1, c2, hidden) returning (parameters, products)"
    if not callable(counts):
        return wrong(f"expected a function ({what}), got {type(counts).__name__}")
    for c1, c2, hidden in COUNT_CASES:
        expected = reference_counts(c1, c2, hidden)
        where = f"for c1={c1}, c2={c2}, hidden={hidden}"
        got, failed = attempt(what, f"{where} your function", counts, c1, c2, hidden)
        if failed is not None:
            return failed
        try:
            params, products = (int(v) for v in got)
        except (TypeError, ValueError):
            return wrong(f"expected a pair (parameters, products), got {fmt(got)}")
        if params != expected[0]:
            hint = ""
            if params == expected[0] - (c1 + c2 + hidden + 10):
                hint = " (the biases are missing)"
            return wrong(f"{where} expected {expected[0]:,} parameters, got {params:,}{hint}")
        if products != expected[1]:
            hint = ""
            if products == expected[1] + c1 * 576 + c2 * 16 + hidden + 10:
                hint = " (products do not count the biases)"
            return wrong(f"{where} expected {expected[1]:,} products, got {products:,}{hint}")
    return correct(f"{what} agrees with the network itself on all {len(COUNT_CASES)} variants.")


def check_smaller_net(
    make_model: Callable[[], nn.Module],
    data,
    max_parameters: int = LECTURE_PARAMETERS // 2,
    min_accuracy: float = 0.975,
    n_train: int = 12_000,
    epochs: int = 2,
    batch_size: int = 64,
    seed: int = 0,
) -> Feedback:
    """Train ``make_model()`` briefly on ``data`` (a ``training.MnistData``) and check it.

    Passes when the network maps ``N×1×28×28`` to ``N×10``, has at most ``max_parameters``
    parameters and reaches ``min_accuracy`` on all of ``data.test_x`` after ``epochs`` epochs
    of :func:`course_utils.training.fit` (``batch_size``, ``seed``) on the first ``n_train``
    training images. With the defaults the lecture's network reaches about 98%.
    """
    from course_utils.training import MnistData, evaluate, fit

    what = "a smaller network (a class or function returning an nn.Module)"
    if not callable(make_model):
        return wrong(f"expected {what}, got {type(make_model).__name__}")
    torch.manual_seed(seed)
    try:
        model = make_model()
        if not isinstance(model, nn.Module):
            return wrong(f"make_model() should return an nn.Module, got {type(model).__name__}")
        model = model.to(data.train_x.device)
        with torch.no_grad():
            out = model(data.test_x[:2])
    except NotImplementedError:
        return not_implemented(what)
    except Exception as err:  # the learner's code failing is feedback, not a crash
        return wrong(f"building or running your network raised {type(err).__name__}: {err}")
    if not isinstance(out, torch.Tensor) or tuple(out.shape) != (2, 10):
        return wrong(
            f"on 2 images of shape 1×28×28 the network should give 2×10 scores, got "
            f"{tuple(getattr(out, 'shape', ())) or type(out).__name__}"
        )
    n_params = sum(p.numel() for p in model.parameters())
    if n_params > max_parameters:
        return wrong(
            f"your network has {n_params:,} parameters; at most {max_parameters:,} are allowed "
            f"(the lecture's has {LECTURE_PARAMETERS:,})",
            parameters=n_params,
        )
    try:
        part = MnistData(data.train_x[:n_train], data.train_y[:n_train], data.test_x, data.test_y)
        fit(model, part, epochs=epochs, batch_size=batch_size, seed=seed, progress=False)
    except Exception as err:  # the learner's code failing is feedback, not a crash
        return wrong(f"training your network raised {type(err).__name__}: {err}")
    accuracy = evaluate(model, data.test_x, data.test_y)
    details = {"parameters": n_params, "accuracy": accuracy}
    if accuracy < min_accuracy:
        return wrong(
            f"after {epochs} epochs on {len(part.train_x):,} images your network "
            f"({n_params:,} parameters) reaches "
            f"{accuracy:.2%} test accuracy; at least {min_accuracy:.1%} is needed",
            **details,
        )
    result = correct(
        f"{n_params:,} parameters ({n_params / LECTURE_PARAMETERS:.0%} of the lecture's) and at "
        f"least {min_accuracy:.1%} test accuracy after {epochs} epochs on {len(part.train_x):,} "
        "images."
    )
    result.details = details
    return result
