"""Checks for notebook 07's exercises and questions: the size of a variant, a smaller network.

1. :func:`check_counts`: a function ``counts(c1, c2, hidden)`` giving the parameters and
   products of ``LectureNet(c1, c2, hidden)``, compared with :func:`summarize` on the network.
2. :func:`check_smaller_net`: a network with at most half the lecture network's parameters
   that, trained briefly with the course's loop, still classifies the validation digits well.
3. Two questions: which digits choose a recipe (:data:`VALIDATION_QUESTION`), and what
   ``model.eval()`` changes (:data:`EVAL_MODE_QUESTION`, its answer measured with PyTorch).
"""

from __future__ import annotations

import sys
from collections.abc import Callable

import torch
from torch import nn

import course_utils.models
import course_utils.summary
from course_utils.exercises import (
    ANY_OPERATION,
    Feedback,
    Forbidden,
    Slip,
    correct,
    fmt,
    not_implemented,
    run,
    slip_hint,
    wrong,
)
from course_utils.exercises.questions import Question
from course_utils.models import LectureNet
from course_utils.summary import summarize

LECTURE_PARAMETERS = sum(p.numel() for p in LectureNet().parameters())
COUNT_CASES = ((32, 64, 200), (16, 32, 100), (8, 48, 30), (1, 1, 1))


def reference_counts(c1: int, c2: int, hidden: int) -> tuple[int, int]:
    """(parameters, products) of ``LectureNet(c1, c2, hidden)``, read off the network."""
    table = summarize(LectureNet(c1, c2, hidden))
    return table.total_parameters, table.total_products


FORMULA = Forbidden(
    ANY_OPERATION,
    python=(course_utils.summary, course_utils.models, sys.modules[__name__]),
    layers=True,
    task="work the counts out in integer arithmetic",
)
"""``counts`` is a formula: no network built and measured, no ``summarize`` nor this checker's
code (its reference), no PyTorch."""


def _counts_slips() -> tuple[Slip, ...]:
    """The slips of ``counts``, as a learner's formulas (5×5 kernels; 24×24 maps, pooled to
    8×8; 4×4 maps, pooled to 2×2), term by term; the right one stays inside this function."""
    def terms(c1, c2, hidden):
        return {  # per layer: weights, biases, products, bias additions
            "conv1": (c1 * 25, c1, c1 * 24 * 24 * 25, c1 * 24 * 24),
            "conv2": (c2 * c1 * 25, c2, c2 * 4 * 4 * c1 * 25, c2 * 4 * 4),
            "fc1": (hidden * c2 * 4, hidden, hidden * c2 * 4, hidden),
            "fc2": (10 * hidden, 10, 10 * hidden, 10),
        }

    def counted(c1, c2, hidden, biases=True, additions=False, **replaced):
        chosen = terms(c1, c2, hidden) | replaced
        return (sum(w + b * biases for w, b, _, _ in chosen.values()),
                sum(p + a * additions for _, _, p, a in chosen.values()))

    return (
        Slip("left out the biases: one per filter and per unit",
             lambda c1, c2, hidden: counted(c1, c2, hidden, biases=False)),
        Slip("counted the bias additions as products: products count the multiplications only",
             lambda c1, c2, hidden: counted(c1, c2, hidden, additions=True)),
        Slip("counted 5×5 weights per filter of the second convolution: each spans all c1 input "
             "maps, c1×5×5",
             lambda c1, c2, hidden: counted(c1, c2, hidden,
                                            conv2=(c2 * 25, c2, c2 * 4 * 4 * 25, c2 * 4 * 4))),
        Slip("counted 28×28 positions for the first convolution: a 5×5 filter fits 24×24 of "
             "them on a 28×28 image",
             lambda c1, c2, hidden: counted(c1, c2, hidden,
                                            conv1=(c1 * 25, c1, c1 * 28 * 28 * 25, c1 * 784))),
        Slip("fed fc1 the c2×4×4 outputs of the second convolution: it reads the c2×2×2 values "
             "left after the pooling",
             lambda c1, c2, hidden: counted(c1, c2, hidden, fc1=(hidden * c2 * 16, hidden,
                                                                 hidden * c2 * 16, hidden))),
        Slip("left out fc2 (hidden → 10): it has weights, biases and products too",
             lambda c1, c2, hidden: counted(c1, c2, hidden, fc2=(0, 0, 0, 0))),
        Slip("swapped the pair: it is (parameters, products)",
             lambda c1, c2, hidden: counted(c1, c2, hidden)[::-1]),
    )


COUNTS_SLIPS = _counts_slips()
"""Slips of ``counts(c1, c2, hidden)`` (notebook 07)."""


def check_counts(counts: Callable[[int, int, int], tuple[int, int]]) -> Feedback:
    """Check ``counts(c1, c2, hidden) -> (parameters, products)`` on several variants."""
    what = "counts(c1, c2, hidden) returning (parameters, products)"
    if not callable(counts):
        return wrong(f"expected a function ({what}), got {type(counts).__name__}")
    for c1, c2, hidden in COUNT_CASES:
        expected = reference_counts(c1, c2, hidden)
        where = f"for c1={c1}, c2={c2}, hidden={hidden}"
        got, failed = run(what, f"{where} your function", counts,
                          {"c1": c1, "c2": c2, "hidden": hidden}, FORMULA)
        if failed is not None:
            return failed
        try:
            params, products = (int(v) for v in got)
        except (TypeError, ValueError):
            return wrong(f"expected a pair (parameters, products), got {fmt(got)}")
        for index, (noun, value) in enumerate((("parameters", params), ("products", products))):
            if value != expected[index]:
                hint = slip_hint(COUNTS_SLIPS, value,
                                 lambda slip, case=(c1, c2, hidden), i=index: slip.answer(*case)[i])
                return wrong(f"{where} expected {expected[index]:,} {noun}, got {value:,}"
                             + hint)
    return correct(f"{what} agrees with the network itself on all {len(COUNT_CASES)} variants.")


def check_smaller_net(
    make_model: Callable[[], nn.Module],
    data,
    max_parameters: int = LECTURE_PARAMETERS // 2,
    min_accuracy: float = 0.97,
    epochs: int = 1,
    batch_size: int = 128,
    seed: int = 0,
) -> Feedback:
    """Train ``make_model()`` briefly on ``data`` (a ``training.MnistData``) and check it.

    Passes when the network maps ``N×1×28×28`` to ``N×10``, has at most ``max_parameters``
    parameters and reaches ``min_accuracy`` on the validation digits ``data.val_x`` after
    :func:`course_utils.training.fit` on the training digits (``epochs``, ``batch_size`` and
    ``seed``; the course's recipe otherwise). The test digits stay unseen.
    """
    from course_utils.training import Recipe, evaluate, fit

    what = "a smaller network (a class or function returning an nn.Module)"
    if isinstance(make_model, nn.Module):
        return wrong(f"expected {what}, got a {type(make_model).__name__} itself: {NOT_A_NETWORK}")
    if not callable(make_model):
        return wrong(f"expected {what}, got {type(make_model).__name__}")
    torch.manual_seed(seed)
    try:
        model = make_model()
        if not isinstance(model, nn.Module):
            return wrong(f"make_model() should return an nn.Module, got {type(model).__name__}")
        model = model.to(data.train_x.device)
        with torch.no_grad():
            out = model(data.val_x[:2])
    except NotImplementedError:
        return not_implemented(what)
    except Exception as err:  # the learner's code failing is feedback, not a crash
        return wrong(f"building or running your network raised {type(err).__name__}: {err}")
    if not isinstance(out, torch.Tensor) or tuple(out.shape) != (2, 10):
        return wrong(
            f"on 2 images of shape 1×28×28 the network should give 2×10 scores, got "
            f"{tuple(getattr(out, 'shape', ())) or type(out).__name__}"
        )
    if (out.is_floating_point() and out.min() >= 0
            and torch.allclose(out.sum(dim=1), out.new_ones(2), atol=1e-4)):
        return wrong(f"your network ends with probabilities (each row of its output sums to 1): "
                     f"{RAW_SCORES}")
    n_params = sum(p.numel() for p in model.parameters())
    if n_params > max_parameters:
        return wrong(
            f"your network has {n_params:,} parameters; at most {max_parameters:,} are allowed "
            f"(the lecture's has {LECTURE_PARAMETERS:,})",
            parameters=n_params,
        )
    try:
        fit(model, data, Recipe(epochs=epochs, batch_size=batch_size, seed=seed), progress=False)
    except Exception as err:  # the learner's code failing is feedback, not a crash
        return wrong(f"training your network raised {type(err).__name__}: {err}")
    accuracy = evaluate(model, data.val_x, data.val_y)
    details = {"parameters": n_params, "accuracy": accuracy}
    trained = f"after {epochs} epoch{'s' * (epochs > 1)} on {len(data.train_x):,} digits"
    if accuracy < min_accuracy:
        return wrong(
            f"{trained} your network ({n_params:,} parameters) classifies {accuracy:.2%} of the "
            f"validation digits right; at least {min_accuracy:.1%} is needed",
            **details,
        )
    result = correct(
        f"{n_params:,} parameters ({n_params / LECTURE_PARAMETERS:.0%} of the lecture's) and at "
        f"least {min_accuracy:.1%} of the validation digits right {trained}."
    )
    result.details = details
    return result


NOT_A_NETWORK = ("pass the function (or class) that builds the network, not a network: the "
                 "checker builds a fresh one and trains it")
RAW_SCORES = ("it should give raw scores, as LectureNet does: the cross-entropy loss applies the "
              "softmax itself, and a second one leaves little to learn from")


class _ScoresAsProbabilities(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = LectureNet(16, 48, 100)

    def forward(self, x):
        return self.net(x).softmax(dim=1)


SMALLER_NET_SLIPS = (
    Slip(f"at most {LECTURE_PARAMETERS // 2:,} are allowed", LectureNet, by_result=False),
    Slip(NOT_A_NETWORK, LectureNet(16, 48, 100), by_result=False),
    Slip(RAW_SCORES, _ScoresAsProbabilities, by_result=False),
    Slip("should return an nn.Module", lambda: LectureNet, by_result=False),
    Slip("should give 2×10 scores",
         lambda: nn.Sequential(nn.Conv2d(1, 8, 5), nn.ReLU(), nn.Linear(24, 10)), by_result=False),
)
"""Slips of ``smaller_net()`` that the checker refuses before it trains anything."""


VALIDATION_QUESTION = Question(
    prompt="You train the network with five learning rates and keep the best. Which digits "
    "should decide which one is best?",
    choices={
        "a": "The 10,000 test digits: they give the figure we report, so they should decide.",
        "b": "The validation digits, held out from the training set: the test digits then "
        "stay unseen until the one final score.",
        "c": "The training digits: there are the most of them, so the comparison is the most "
        "precise.",
    },
    why={
        "a": "a choice made on the test digits is fitted to them: the best of five scores is "
        "partly luck, and the test figure is then no longer an honest estimate of new digits.",
        "b": "the choice is fitted to the validation digits instead, and the test digits, "
        "scored once at the end, still measure how the chosen network does on digits it has "
        "never influenced.",
        "c": "the network has learned the training digits themselves: a recipe that memorises "
        "them would win, however it does on new digits.",
    },
    right="b",
)


def _eval_mode_facts() -> dict[str, bool]:
    """Which statement holds, measured on LectureNet and on a copy with dropout before fc2."""
    with torch.random.fork_rng(devices=[]):  # leave the caller's random state alone
        torch.manual_seed(0)
        x = torch.randn(4, 1, 28, 28)
        net = LectureNet()
        same = torch.equal(net.train()(x), net.eval()(x))
        dropped = LectureNet()
        dropped.fc2 = nn.Sequential(nn.Dropout(0.5), dropped.fc2)
        varies = not torch.equal(dropped.train()(x), dropped(x))
        steady = torch.equal(dropped.eval()(x), dropped(x))
        scores = net(x)  # net is in eval mode
        before = net.fc2.bias.detach().clone()
        scores.sum().backward()
        torch.optim.SGD(net.parameters(), lr=0.1).step()
    return {
        "a": same and varies and steady,
        "b": not scores.requires_grad,
        "c": not same,
        "d": torch.equal(before, net.fc2.bias),
    }


def _eval_mode_answer() -> str:
    true = [letter for letter, holds in _eval_mode_facts().items() if holds]
    if len(true) != 1:
        raise ValueError(f"exactly one statement should hold, measured {true}")
    return true[0]


EVAL_MODE_QUESTION = Question(
    prompt="What does model.eval() change, for the lecture's network and for the same network "
    "with nn.Dropout(0.5) before fc2?",
    choices={
        "a": "Nothing for the lecture's network. With dropout, the outputs stop being random: "
        "no unit is zeroed any more.",
        "b": "For both, it stops autograd from recording the forward pass, which is what "
        "makes evaluation cheaper.",
        "c": "For both, it changes the outputs: max-pooling and ReLU work differently during "
        "training.",
        "d": "For both, it freezes the weights: optimizer.step() leaves them as they are.",
    },
    why={
        "a": "eval() only switches modules that behave differently in training: dropout "
        "(and batch norm). The lecture's network has none, so its outputs are identical in "
        "both modes; with dropout, training mode zeroes half the hidden units at random and "
        "doubles the others, evaluation mode keeps them all.",
        "b": "gradients are still recorded in eval mode: that is torch.no_grad()'s job, "
        "which is why evaluate() uses both.",
        "c": "pooling and ReLU have no training mode: the lecture's outputs are the same in "
        "both modes.",
        "d": "the mode does not touch the parameters' requires_grad: a step in eval mode "
        "still moves them.",
    },
    right=_eval_mode_answer,
)
