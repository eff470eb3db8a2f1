"""Check-your-understanding questions: the right letter passes, others get the tutor's reason."""

import pytest

from course_utils.exercises.questions import Question, check_answer


def _question(right="b"):
    return Question(
        prompt="How many cells does a 3-tap kernel with dilation 2 span?",
        choices={"a": "3", "b": "5", "c": "6"},
        why={"a": "3 is the number of taps, not the span.",
             "b": "1 + (3 - 1) * 2 = 5 cells.",
             "c": "the span counts the gaps between taps, not after the last one."},
        right=right,
    )


def test_the_right_letter_passes_with_the_explanation():
    feedback = check_answer(_question(), " B ")
    assert feedback.passed and "1 + (3 - 1) * 2 = 5" in feedback.message


def test_a_wrong_letter_gets_the_reason_it_is_wrong():
    feedback = check_answer(_question(), "a")
    assert not feedback.passed and feedback.implemented
    assert feedback.message == "Not quite (a): 3 is the number of taps, not the span."


def test_no_answer_yet_is_not_a_wrong_answer():
    feedback = check_answer(_question(), ...)
    assert not feedback.passed and not feedback.implemented
    assert feedback.message.startswith("Not answered yet: set answer to one of 'a', 'b', 'c'")


def test_an_answer_outside_the_choices_names_them():
    feedback = check_answer(_question(), "d")
    assert not feedback.passed and "expected one of 'a', 'b', 'c', got 'd'" in feedback.message


def test_a_computed_right_choice_is_used():
    spans = {"a": 3, "b": 5, "c": 6}
    question = _question(right=lambda: next(k for k, v in spans.items() if v == 1 + 2 * 2))
    assert check_answer(question, "b").passed and not check_answer(question, "c").passed


def test_a_computed_choice_outside_the_choices_is_an_error():
    with pytest.raises(ValueError, match="the right choice must be one of"):
        check_answer(_question(right=lambda: "z"), "a")


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (dict(choices={"a": "only one"}, why={"a": "x"}), "at least two choices"),
        (dict(why={"a": "x", "b": "y"}), "'why' must explain every choice"),
        (dict(right="q"), "'right' must be one of"),
    ],
)
def test_a_malformed_question_is_refused(changes, message):
    fields = dict(prompt="p", choices={"a": "1", "b": "2", "c": "3"},
                  why={"a": "x", "b": "y", "c": "z"}, right="a")
    with pytest.raises(ValueError, match=message):
        Question(**{**fields, **changes})


def test_the_question_shows_its_prompt_and_choices():
    text = _question()._repr_markdown_()
    assert text.splitlines()[0] == "**How many cells does a 3-tap kernel with dilation 2 span?**"
    assert "- **c**: 6" in text
