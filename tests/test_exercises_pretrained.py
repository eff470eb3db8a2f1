"""Checkers of notebook 08: right answers pass, typical wrong ones get a useful message."""

from __future__ import annotations

import torch
from torchvision import transforms as T

from course_utils.exercises.pretrained import (
    IMAGENET_MEAN,
    IMAGENET_STD,
    check_conv1_output_size,
    check_preprocess,
)
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


def test_preprocess_not_implemented_and_not_callable():
    stub = check_preprocess(_stub)
    assert not stub and not stub.implemented
    assert not check_preprocess("preprocess")
