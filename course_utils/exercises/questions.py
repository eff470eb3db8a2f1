"""Check-your-understanding questions: a concept, lettered choices, a tutor's answer to each.

A notebook shows a :class:`Question` (it renders as its prompt and choices), the learner sets
``answer = "b"`` in an exercise cell and runs :func:`check_answer`. The right letter is computed
when the concept can be computed (``right`` is then a function, e.g. one that measures two
receptive fields with ``nn.Conv2d``), so the question cannot drift from what PyTorch does.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from course_utils.exercises import Feedback, correct, wrong


@dataclass(frozen=True)
class Question:
    """A multiple-choice question about a concept.

    ``choices`` maps a letter to a choice's text; ``why`` maps every letter to the tutor's
    explanation of that choice; ``right`` is the right letter, or a function computing it.
    """

    prompt: str
    choices: Mapping[str, str]
    why: Mapping[str, str]
    right: str | Callable[[], str]

    def __post_init__(self):
        if len(self.choices) < 2:
            raise ValueError(f"a question needs at least two choices, got {len(self.choices)}")
        if set(self.why) != set(self.choices):
            raise ValueError(
                f"'why' must explain every choice {sorted(self.choices)}, got {sorted(self.why)}"
            )
        if isinstance(self.right, str) and self.right not in self.choices:
            raise ValueError(f"'right' must be one of {sorted(self.choices)}, got {self.right!r}")

    def right_choice(self) -> str:
        """The right letter (computed if ``right`` is a function)."""
        letter = self.right() if callable(self.right) else self.right
        if letter not in self.choices:
            raise ValueError(f"the right choice must be one of {sorted(self.choices)}, "
                             f"got {letter!r}")
        return letter

    def _repr_markdown_(self) -> str:
        lines = [f"**{self.prompt}**", ""]
        lines += [f"- **{letter}**: {text}" for letter, text in self.choices.items()]
        return "\n".join(lines)

    def __repr__(self) -> str:
        lines = [self.prompt] + [f"  {letter}) {text}" for letter, text in self.choices.items()]
        return "\n".join(lines)


def check_answer(question: Question, answer) -> Feedback:
    """The tutor's answer to ``answer`` (a letter) for ``question``."""
    letters = ", ".join(repr(letter) for letter in question.choices)
    if answer is ... or answer is None:
        return Feedback(
            False,
            f"Not answered yet: set answer to one of {letters}, then run this cell again.",
            implemented=False,
        )
    key = answer.strip().lower() if isinstance(answer, str) else answer
    if key not in question.choices:
        return wrong(f"expected one of {letters}, got {answer!r}")
    if key == question.right_choice():
        return correct(question.why[key])
    return wrong(f"Not quite ({key}): {question.why[key]}")
