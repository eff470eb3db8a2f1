"""Every listed slip of every checker is refused with its hint; every question explains every
wrong choice; no checker raises, whatever it is handed.

The slips live beside their checkers (``*_SLIPS`` in ``course_utils.exercises.*``), as the
wrong answers a learner writes; a checker's cases are chosen so that each of its slips shows.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from functools import partial
from pathlib import Path

import pytest
import torch
from squares import squares_data
from torch import nn

import course_utils.exercises
from course_utils.exercises import (
    Slip,
    arithmetic,
    convolution,
    losses,
    mnist,
    modules,
    pooling,
    pretrained,
)
from course_utils.exercises.questions import Question, check_answer

MODULES = [importlib.import_module(f"course_utils.exercises.{m.name}")
           for m in pkgutil.iter_modules(course_utils.exercises.__path__)]
SQUARES = squares_data(64, 16, 0)

# Notebook 02's layer and input, and a layer with a stride, padding and dilation.
NOTEBOOK_LAYER, NOTEBOOK_SHAPE = nn.Conv2d(3, 8, kernel_size=(5, 3)), (2, 3, 32, 20)
STRIDED_LAYER = nn.Conv2d(3, 8, kernel_size=3, stride=2, padding=1, dilation=2)


def output_shape_check(predict) -> course_utils.exercises.Feedback:
    """A slip of OUTPUT_SHAPE_SLIPS (a function of the layer) on the first layer it is wrong for."""
    for layer in (NOTEBOOK_LAYER, STRIDED_LAYER):
        predicted = predict(layer, NOTEBOOK_SHAPE)
        if predicted != convolution.output_shape(layer, NOTEBOOK_SHAPE):
            return convolution.check_output_shape(predicted, layer, NOTEBOOK_SHAPE)
    raise AssertionError("this slip is right for both layers")


CHECKS = {
    "BATCHED_CONV1D_SLIPS": partial(convolution.check_conv1d, batched=True),
    "VECTOR_CONV1D_SLIPS": convolution.check_conv1d,
    "CONV2D_SLIPS": convolution.check_conv2d,
    "OUTPUT_SHAPE_SLIPS": output_shape_check,
    "OUTPUT_SIZE_SLIPS": arithmetic.check_output_size,
    "UNREAD_SLIPS": arithmetic.check_unread_cells,
    "RECEPTIVE_FIELD_SLIPS": arithmetic.check_receptive_field,
    "MAX_POOL1D_SLIPS": pooling.check_max_pool1d,
    "POOLED_PREDICTION_SLIPS": pooling.check_pooled_prediction,
    "POOL_SIZE_SLIPS": pooling.check_pool_sizes,
    "CROSS_ENTROPY_SLIPS": losses.check_cross_entropy,
    "REPAIRED_SLIPS": modules.check_repaired,
    "STACK_SLIPS": modules.check_stack,
    "COUNTS_SLIPS": mnist.check_counts,
    "SMALLER_NET_SLIPS": partial(mnist.check_smaller_net, data=SQUARES),
    "CONV1_SLIPS": pretrained.check_conv1_output_size,
    "PREPROCESS_SLIPS": pretrained.check_preprocess,
}

SLIPS = [pytest.param(CHECKS[name], slip, id=f"{name}-{index}")
         for module in MODULES for name, slips in vars(module).items() if name.endswith("_SLIPS")
         for index, slip in enumerate(slips)]


def test_every_list_of_slips_has_its_checker_here():
    lists = {name for module in MODULES for name in vars(module) if name.endswith("_SLIPS")}
    assert lists == set(CHECKS)
    assert all(isinstance(s, Slip) for module in MODULES for name, slips in vars(module).items()
               if name.endswith("_SLIPS") for s in slips)


@pytest.mark.parametrize(("check", "slip"), SLIPS)
def test_a_listed_slip_is_refused_with_its_hint(check, slip):
    feedback = check(slip.answer)
    assert not feedback.passed and feedback.implemented
    assert slip.hint in feedback.message, feedback.message


QUESTIONS = [pytest.param(q, id=f"{m.__name__.rsplit('.', 1)[1]}.{name}")
             for m in MODULES for name, q in vars(m).items() if isinstance(q, Question)]


def test_every_question_the_notebooks_ask_is_here():
    asked = {name for path in Path(__file__).parent.parent.glob("notebooks/*.ipynb")
             for name in re.findall(r"check_answer\((\w+), answer\)", path.read_text())}
    assert asked and asked == {p.id.split(".")[1] for p in QUESTIONS}


@pytest.mark.parametrize("question", QUESTIONS)
def test_each_wrong_choice_is_refused_with_its_explanation(question):
    right = question.right_choice()
    assert check_answer(question, right).passed
    for letter in set(question.choices) - {right}:
        feedback = check_answer(question, letter)
        assert not feedback.passed and feedback.implemented
        assert feedback.message == f"Not quite ({letter}): {question.why[letter]}"


class Raises(nn.Module):
    def __init__(self, *args):
        super().__init__()
        raise TypeError("built wrong")


class NoGradient(nn.Module):
    """Outputs that autograd never saw, and no parameters."""

    def forward(self, x):
        return {"digit": torch.zeros(len(x), 10), "parity": torch.zeros(len(x), 2)}


ODD_ANSWERS = [None, 42, "a", [1, "b"], float("nan"), torch.zeros(3), Raises, NoGradient,
               lambda *args: None, lambda *args: 1 / 0, lambda *args: float("nan"),
               lambda *args: torch.full((2, 2), float("nan")), lambda *args: (1, 2),
               lambda *args: args[0] if args else None]


@pytest.mark.parametrize("check", [pytest.param(c, id=name) for name, c in CHECKS.items()
                                   if name != "OUTPUT_SHAPE_SLIPS"]
                         + [pytest.param(partial(convolution.check_output_shape,
                                                 layer=NOTEBOOK_LAYER,
                                                 input_shape=NOTEBOOK_SHAPE), id="output_shape")])
def test_no_checker_raises_or_passes_an_odd_answer(check):
    for answer in ODD_ANSWERS:
        feedback = check(answer)
        assert isinstance(feedback, course_utils.exercises.Feedback) and not feedback.passed
        assert feedback.message


@pytest.mark.parametrize(
    ("check", "answer", "named"),
    [(partial(convolution.check_conv1d, batched=True), convolution.conv1d_reference,
      "you called course_utils.exercises.convolution.conv1d_reference"),
     (convolution.check_conv2d, convolution.conv2d_reference,
      "you called course_utils.exercises.convolution.conv2d_reference"),
     (arithmetic.check_unread_cells, arithmetic.unread_by_pytorch,
      "you called course_utils.exercises.arithmetic.unread_by_pytorch"),
     (pooling.check_max_pool1d, pooling.max_pool1d_reference,
      "you called course_utils.exercises.pooling.max_pool1d_reference"),
     (losses.check_cross_entropy, losses._reference,
      "you called course_utils.exercises.losses._reference"),
     (mnist.check_counts, mnist.reference_counts,
      "you called course_utils.exercises.mnist.reference_counts"),
     (pretrained.check_conv1_output_size, pretrained.conv1_output_size,
      "you called course_utils.exercises.pretrained.conv1_output_size"),
     (pretrained.check_preprocess, pretrained.reference_preprocess,
      "you called course_utils.exercises.pretrained.reference_preprocess"),
     (modules.check_repaired, type(modules.REPAIRED_SLIPS[-1].answer),
      "Repaired is, or derives from, course_utils.exercises.modules."),
     (modules.check_stack, type(modules.STACK_SLIPS[-1].answer),
      "Stack is, or derives from, course_utils.exercises.modules.")],
    ids=["conv1d", "conv2d", "unread_cells", "max_pool1d", "cross_entropy", "counts", "conv1",
         "preprocess", "repaired", "stack"],
)
def test_the_checkers_own_answers_are_refused(check, answer, named):
    feedback = check(answer)
    assert not feedback.passed and feedback.message.startswith(named), feedback.message


def test_a_learners_subclass_of_the_class_to_repair_is_still_accepted():
    class Repaired(modules.HiddenHeads):
        def __init__(self):
            super().__init__()
            self.trunk = nn.ModuleList(self.trunk)
            self.heads = nn.ModuleDict(self.heads)
            self.temperature = nn.Parameter(self.temperature.detach().clone())

    assert modules.check_repaired(Repaired).passed
