"""One exercise across the class: its figures, and the wrong answers most learners give.

:class:`ExerciseStats` is one row of the live view (who tried, attempts, the share correct at the first
attempt and in the end, the common wrong answers, and for ``peran``/``pasangan`` the parts, see
:mod:`.parts`). :class:`WrongGroup` collects the wrong attempts of one exercise that are the same answer
(:func:`~.answers.answer_group`), keeping a few rows to find the feedback most of those learners got;
:func:`common_wrong` turns the groups into the few :class:`WrongAnswer` rows shown, describing an answer and
rendering its feedback only then, and only once it can no longer change.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ...bank import Course
from ...model import Exercise
from ..db import AttemptRow
from .answers import describe, feedback_text
from .definitions import FEEDBACK_SAMPLE, TOP_WRONG

if TYPE_CHECKING:
    from .parts import PartStats


@dataclass(frozen=True)
class WrongAnswer:
    """A wrong answer several learners gave, and the feedback they got for it."""

    answer: str  # as a person reads it
    attempts: int
    learners: int
    feedback: list[str]  # the messages learners got for it (the most common set), rendered


@dataclass(frozen=True)
class ExerciseStats:
    """One exercise across the class."""

    exercise: str
    lesson: str | None
    title: str
    learners: int  # who tried
    attempts: int
    correct: int  # learners correct at some attempt
    first_correct_share: float | None
    correct_share: float | None
    wrong: list[WrongAnswer] = field(default_factory=list)  # peran, pasangan: one per part, "actor → role"
    parts: list[PartStats] = field(default_factory=list)  # peran, pasangan: every part, the most wrong first


def exercise_index(course: Course) -> dict[str, Exercise]:
    """The course's exercises by id."""
    return {ex.id: ex for ex in course.exercises()}


class WrongGroup:
    """One wrong answer of one exercise (equal answers written differently fall together)."""

    __slots__ = ("attempts", "chosen", "first", "sample", "shown", "users")

    def __init__(self, row: AttemptRow):
        self.attempts = 0
        self.users: set[str] = set()
        self.first = row
        self.sample: list[AttemptRow] = []  # the first few rows, to find the feedback most got
        self.chosen: AttemptRow | None = None  # the row whose feedback is shown, once the sample is full
        self.shown: tuple[str, list[str]] | None = None  # (answer, feedback) as shown, once chosen

    def feedback_row(self) -> AttemptRow:
        """A row with the feedback most of the sample got (feedback follows the answer, so a few suffice)."""
        if self.chosen is not None:
            return self.chosen
        texts = [repr(r.feedback) for r in self.sample]
        counts = Counter(texts)
        _, best = max(zip(texts, self.sample, strict=True),
                      key=lambda tr: (counts[tr[0]], bool(tr[1].feedback), -tr[1].id))
        if len(self.sample) >= FEEDBACK_SAMPLE:
            self.chosen = best
        return best


def common_wrong(ex: Exercise | None, groups: dict[Any, WrongGroup]) -> list[WrongAnswer]:
    """The wrong answers most learners gave (then most attempts, then the earliest), at most ``TOP_WRONG``."""
    ranked = sorted(groups.values(), key=lambda g: (-len(g.users), -g.attempts, g.first.id))
    out = []
    for g in ranked[:TOP_WRONG]:
        if g.shown is not None:
            text, feedback = g.shown
        else:
            got = g.feedback_row()
            text, feedback = describe(ex, g.first.answer), feedback_text(ex, got.feedback, got.learner_id)
            if g.chosen is not None:  # it will not change any more
                g.shown = (text, feedback)
        out.append(WrongAnswer(answer=text, attempts=g.attempts, learners=len(g.users), feedback=list(feedback)))
    return out
