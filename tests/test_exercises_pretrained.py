"""Checkers of notebook 08: right answers pass, typical wrong ones get a useful message."""

from __future__ import annotations

import pytest
import torch
import torchvision
from torch import nn
from torchvision import transforms as T

from course_utils.arithmetic import conv_output_size
from course_utils.exercises.pretrained import (
    ALEXNET_PARAMETERS_QUESTION,
    IMAGENET_MEAN,
    IMAGENET_STD,
    check_conv1_output_size,
    check_preprocess,
    conv1_sizes,
)
from course_utils.exercises.questions import check_answer
from course_utils.pretrained import lecture_normalise


def _stub(*args):
    raise NotImplementedError("Student exercise: ...")


def test_conv1_right_answer():
    feedback = check_conv1_output_size(lambda size: (size + 2 * 2 - 11) // 4 + 1)
    assert feedback.passed and "224 → 55" in feedback.message


def test_conv1_typical_mistakes():
    no_padding = check_conv1_output_size(lambda size: (size - 11) // 4 + 1)
    assert not no_padding.passed and "expected 55, got 54" in no_padding.message
    assert "padding" in no_padding.message
    one_side = check_conv1_output_size(lambda size: (size + 2 - 11) // 4 + 1)
    assert not one_side and "both sides" in one_side.message
    real_division = check_conv1_output_size(lambda size: (size + 4 - 11) / 4 + 1)
    assert not real_division and "//" in real_division.message
    constant = check_conv1_output_size(lambda size: 55)
    assert not constant and "size = 227 expected 56, got 55" in constant.message
    as_float = check_conv1_output_size(lambda size: float((size + 4 - 11) // 4 + 1))
    assert not as_float and "return an int" in as_float.message
    crashing = check_conv1_output_size(lambda size: size / 0)
    assert not crashing and "ZeroDivisionError" in crashing.message


def test_conv1_not_implemented_and_not_callable():
    stub = check_conv1_output_size(_stub)
    assert not stub and not stub.implemented and "Not implemented yet" in stub.message
    assert not check_conv1_output_size(55)


def _pipeline(*steps, batch=True):
    transform = T.Compose(list(steps))
    return lambda image: transform(image).unsqueeze(0) if batch else transform(image)


def test_preprocess_right_answers():
    pil_side = _pipeline(T.Resize(256), T.CenterCrop(224), T.ToTensor(),
                         T.Normalize(IMAGENET_MEAN, IMAGENET_STD))
    assert check_preprocess(pil_side).passed
    tensor_side = _pipeline(T.ToTensor(), T.Resize(256), T.CenterCrop(224),
                            T.Normalize(IMAGENET_MEAN, IMAGENET_STD))
    assert check_preprocess(tensor_side).passed


def test_preprocess_typical_mistakes():
    normalise = T.Normalize(IMAGENET_MEAN, IMAGENET_STD)
    no_batch = check_preprocess(
        _pipeline(T.Resize(256), T.CenterCrop(224), T.ToTensor(), normalise, batch=False))
    assert not no_batch and "unsqueeze(0)" in no_batch.message
    no_norm = check_preprocess(_pipeline(T.Resize(256), T.CenterCrop(224), T.ToTensor()))
    assert not no_norm and "still in [0, 1]" in no_norm.message
    lecture = check_preprocess(
        _pipeline(T.Resize(256), T.CenterCrop(224), T.ToTensor(), lecture_normalise, batch=False))
    assert not lecture and "lecture's normalisation" in lecture.message
    squashed = check_preprocess(_pipeline(T.Resize((224, 224)), T.ToTensor(), normalise))
    assert not squashed and "shorter side" in squashed.message
    channels_last = check_preprocess(
        lambda im: _pipeline(T.Resize(256), T.CenterCrop(224), T.ToTensor(), normalise)(im)
        .permute(0, 2, 3, 1))
    assert not channels_last and "Channels come first" in channels_last.message
    as_bytes = check_preprocess(
        lambda im: (255 * _pipeline(T.Resize(256), T.CenterCrop(224), T.ToTensor())(im))
        .to(torch.uint8))
    assert not as_bytes and "float32" in as_bytes.message
    not_tensor = check_preprocess(lambda im: im)
    assert not not_tensor and "expected a torch.Tensor" in not_tensor.message


def test_preprocess_hints_name_the_normalisation_that_was_used():
    crop = (T.Resize(256), T.CenterCrop(224))
    swapped = check_preprocess(
        _pipeline(*crop, T.ToTensor(), T.Normalize(IMAGENET_STD, IMAGENET_MEAN)))
    assert not swapped and "mean of about (0.229, 0.224, 0.225)" in swapped.message
    assert "std of about (0.485, 0.456, 0.406)" in swapped.message
    halves = check_preprocess(_pipeline(*crop, T.ToTensor(), T.Normalize([0.5] * 3, [0.5] * 3)))
    assert not halves and "Every channel is shifted and scaled the same way" in halves.message
    unscaled = check_preprocess(_pipeline(
        *crop, T.PILToTensor(), T.ConvertImageDtype(torch.float32), T.Lambda(lambda x: 255 * x),
        T.Normalize(IMAGENET_MEAN, IMAGENET_STD)))
    assert not unscaled and "look like 0..255" in unscaled.message
    nearest = check_preprocess(_pipeline(
        T.Resize(256, interpolation=T.InterpolationMode.NEAREST), T.CenterCrop(224),
        T.ToTensor(), T.Normalize(IMAGENET_MEAN, IMAGENET_STD)))
    assert not nearest and "bilinear" in nearest.message


def test_where_alexnets_parameters_are():
    # AlexNet's three linear layers by hand, against its 61,100,840 parameters
    linear = 9216 * 4096 + 4096 + 4096 * 4096 + 4096 + 4096 * 1000 + 1000
    assert linear / 61_100_840 > 0.9
    right = check_answer(ALEXNET_PARAMETERS_QUESTION, "b")
    assert right.passed and f"{linear / 61_100_840:.0%}" in right.message
    assert "9,216 → 4,096, has 37,752,832" in right.message
    for letter in "acd":
        feedback = check_answer(ALEXNET_PARAMETERS_QUESTION, letter)
        assert not feedback.passed and feedback.implemented
    assert "0 parameters" in check_answer(ALEXNET_PARAMETERS_QUESTION, "d").message
    # the convolutions' multiply-adds by hand (55, 27, 13 = the sides of their outputs)
    conv = (64 * 55 * 55 * 3 * 121 + 192 * 27 * 27 * 64 * 25 + 384 * 13 * 13 * 192 * 9
            + 256 * 13 * 13 * 384 * 9 + 256 * 13 * 13 * 256 * 9)
    work = conv / (conv + 9216 * 4096 + 4096 * 4096 + 4096 * 1000)
    assert f"do {work:.0%} of the multiply-adds" in check_answer(
        ALEXNET_PARAMETERS_QUESTION, "a").message
    assert "61,100,840" in ALEXNET_PARAMETERS_QUESTION.prompt


def test_preprocess_not_implemented_and_not_callable():
    stub = check_preprocess(_stub)
    assert not stub and not stub.implemented
    assert not check_preprocess("preprocess")


def test_conv1_forgetting_the_minus_one_shows_on_a_size_two_more_than_a_multiple_of_4():
    slip = check_conv1_output_size(lambda n: (n + 2 * 2 - (11 - 1)) // 4 + 1)
    assert not slip.passed and "forgot the − 1" in slip.message
    assert any(n % 4 == 2 for n in conv1_sizes())
    assert all(n % 4 != 2 for n in (224, 227, 256, 64, 100, 301))  # the sizes it had before


@pytest.mark.parametrize(
    ("shortcut", "named"),
    [(lambda n: conv_output_size(n, 11, 4, 2), "course_utils.arithmetic.conv_output_size"),
     (lambda n: nn.Conv2d(3, 64, 11, 4, 2)(torch.zeros(1, 3, n, n)).shape[-1], "nn.Conv2d"),
     (lambda n: torchvision.models.alexnet().features[0](torch.zeros(1, 3, n, n)).shape[-1],
      "AlexNet"),
     (lambda n: torch.nn.functional.conv2d(torch.empty(1, 3, n, n, device="meta"),
                                           torch.empty(64, 3, 11, 11, device="meta"), stride=4,
                                           padding=2).shape[-1], "torch.empty"),
     (lambda n: int(torch.div(n + 4 - 11, 4, rounding_mode="floor")) + 1, "torch.div")],
    ids=["arithmetic", "layer", "alexnet", "meta", "torch"],
)
def test_conv1_built_and_measured_is_refused(shortcut, named):
    feedback = check_conv1_output_size(shortcut)
    assert not feedback.passed and feedback.message.startswith(f"you called {named}")
    assert "the exercise asks you to work it out in integer arithmetic without" in (
        feedback.message)


def test_preprocess_with_the_weights_own_transforms_is_refused():
    weights = torchvision.models.AlexNet_Weights.IMAGENET1K_V1
    feedback = check_preprocess(lambda image: weights.transforms()(image).unsqueeze(0))
    assert feedback.message == (
        "you called weights.transforms(): the exercise asks you to build it from Resize, "
        "CenterCrop, ToTensor and Normalize without it")
