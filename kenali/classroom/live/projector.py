"""One exercise shown to the whole room, without user names.

:func:`projector_summary` counts each learner's latest answer of one exercise: the answers as a distribution
(a ``pilihan`` exercise lists every option, chosen or not; other types the most given answers, then "other
answers"), the share correct at the first attempt and in the end, and the learners as "Peserta 1",
"Peserta 2"… in the order they first answered. ``peran`` and ``pasangan`` answers are shown per actor or
term instead (:attr:`ProjectorSummary.parts`, see :mod:`.parts`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

from ...bank import Course
from ...i18n import t
from ..db import AttemptRow
from .answers import answer_group, describe, plain_label
from .definitions import PART_TYPES, TOP_ANSWERS, share
from .exercises import exercise_index
from .parts import PartShares, part_roles, part_shares


@dataclass(frozen=True)
class AnswerShare:
    """One answer on the projector: how many learners' latest answer it is."""

    answer: str
    learners: int
    share: float
    correct: bool | None  # None for the "other answers" line


@dataclass(frozen=True)
class Participant:
    """A learner on the projector, named by the order they first answered."""

    name: str
    status: str  # of their latest attempt
    attempts: int


@dataclass(frozen=True)
class ProjectorSummary:
    """One exercise for the whole room, without user names (:meth:`to_json` for the API)."""

    exercise: str
    title: str
    question: str
    learners: int
    attempts: int
    first_correct_share: float | None
    correct_share: float | None
    answers: list[AnswerShare]  # empty for peran and pasangan (see parts)
    participants: list[Participant]
    parts: list[PartShares] = field(default_factory=list)  # peran, pasangan: one per actor or term, bank order

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def projector_summary(exercise: str, attempts: Iterable[AttemptRow], course: Course) -> ProjectorSummary:
    """One exercise for the room: the learners' latest answers as a distribution, the share correct, and
    the learners as "Peserta 1", "Peserta 2"… in the order they first answered. No user name appears."""
    ex = exercise_index(course).get(exercise)
    rows = sorted((r for r in attempts if r.exercise == exercise), key=lambda r: r.id)
    first: dict[str, AttemptRow] = {}
    last: dict[str, AttemptRow] = {}
    count: Counter[str] = Counter()
    correct: set[str] = set()
    for r in rows:
        if r.user not in first or r.attempt < first[r.user].attempt:
            first[r.user] = r
        last[r.user] = r
        count[r.user] += 1
        if r.status == "correct":
            correct.add(r.user)
    tried = len(last)
    scored = ex is None or not ex.is_reflection

    parts: list[PartShares] = []
    shares: list[AnswerShare] = []
    if ex is not None and ex.type in PART_TYPES and ex.items:  # per actor or term, not one long string
        parts = part_shares(ex, [part_roles(ex, r.answer) for r in last.values()])
        last_rows: Iterable[AttemptRow] = ()
    else:
        last_rows = last.values()
    groups: dict[Any, list[AttemptRow]] = {}
    for r in last_rows:
        groups.setdefault(answer_group(ex, r.answer), []).append(r)
    if ex is not None and ex.type == "pilihan":  # every option, chosen or not, in the bank's order
        for key in ex.choices:
            n = len(groups.pop(("s", key), []))
            shares.append(AnswerShare(describe(ex, key), n, round(n / tried, 4) if tried else 0.0, key == ex.key))
    ranked = sorted(groups.values(), key=lambda g: (-len(g), g[0].id))
    for g in ranked[:TOP_ANSWERS]:
        shares.append(AnswerShare(describe(ex, g[0].answer), len(g), round(len(g) / tried, 4),
                                  g[0].status == "correct" if scored else None))
    rest = sum(len(g) for g in ranked[TOP_ANSWERS:])
    if rest:
        shares.append(AnswerShare(t("kelas_live.other_answers"), rest, round(rest / tried, 4), None))

    order = sorted(first, key=lambda u: first[u].id)
    participants = [Participant(t("kelas_live.participant", n=i), last[u].status, count[u])
                    for i, u in enumerate(order, start=1)]
    return ProjectorSummary(
        exercise=exercise, title=ex.title if ex else exercise,
        question=plain_label(ex, ex.question) if ex else "",
        learners=tried, attempts=len(rows),
        first_correct_share=share(sum(first[u].status == "correct" for u in first), tried, scored),
        correct_share=share(len(correct), tried, scored), answers=shares, participants=participants, parts=parts)
