"""The learners in the live view: where each one is, and who is stuck.

:class:`Pair` is what the figures keep of one learner's attempts of one exercise (counts, first and latest
status, for ``peran``/``pasangan`` the roles of the latest answer). :func:`where_learners_are` lists every
learner with their latest exercise, when the server last heard of them and their progress;
:func:`stuck_learners` lists those whose latest exercise has no correct attempt yet, the longest stuck first.
Both read the indexes a :class:`~.state.LiveState` keeps; neither changes them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from ...model import Exercise
from ..db import AttemptRow, LearnerRow
from .definitions import TOP_STUCK, WRONG, iso


@dataclass(frozen=True)
class LearnerStatus:
    """Where one learner is: their latest exercise, when the server last heard of them, their progress."""

    user: str
    lesson: str | None
    exercise: str | None
    exercise_title: str | None
    last_seen: str | None  # ISO 8601, UTC
    seen_ago: float | None  # seconds before ``now``
    tried: int  # exercises with an answered attempt
    correct: int  # exercises answered correctly at some attempt
    attempts: int


@dataclass(frozen=True)
class Stuck:
    """A learner trying the same exercise without a correct answer yet."""

    user: str
    exercise: str
    title: str
    attempts: int
    since: float  # seconds from their first attempt of it to ``now``
    last_status: str


class Pair:
    """One learner's attempts of one exercise, as far as the figures need them."""

    __slots__ = ("answered", "attempts", "correct", "first", "first_status", "first_time", "last_id", "last_status",
                 "roles", "roles_id")

    def __init__(self, row: AttemptRow):
        self.attempts = 0
        self.answered = False
        self.correct = False
        self.first = row.attempt
        self.first_status = row.status
        self.first_time = row.server_time
        self.last_id = row.id
        self.last_status = row.status
        self.roles: tuple[str, ...] | None = None  # peran, pasangan: the latest answered attempt, per part
        self.roles_id = -1


def where_learners_are(learners: Sequence[LearnerRow], latest: Mapping[str, AttemptRow],
                       by_user: Mapping[str, list[tuple[str, Pair]]], lessons: Mapping[str, str | None],
                       exercises: Mapping[str, Exercise], now: datetime, lesson: str | None) -> list[LearnerStatus]:
    """Every learner (known to the database or with an attempt), by user name. Their exercise is the one they
    last opened or tried, whichever the server heard of last; progress counts ``lesson``'s exercises only."""
    seen: dict[str, LearnerRow] = {lr.user: lr for lr in learners}
    people = []
    for user in sorted(set(seen) | set(latest)):
        lr, row = seen.get(user), latest.get(user)
        when = max((w for w in (lr.last_seen if lr else None, row.server_time if row else None) if w),
                   default=None)
        if lr is not None and lr.last_exercise and (row is None or lr.last_seen >= row.server_time):
            exid: str | None = lr.last_exercise
        else:
            exid = row.exercise if row is not None else None
        ex = exercises.get(exid) if exid else None
        mine = [p for e, p in by_user.get(user, []) if lesson is None or lessons[e] == lesson]
        people.append(LearnerStatus(
            user=user, lesson=ex.lesson if ex else (row.lesson if row else None), exercise=exid,
            exercise_title=ex.title if ex else None, last_seen=iso(when),
            seen_ago=round((now - when).total_seconds(), 1) if when else None,
            tried=sum(p.answered for p in mine), correct=sum(p.correct for p in mine),
            attempts=sum(p.attempts for p in mine)))
    return people


def stuck_learners(latest: Mapping[str, AttemptRow], pairs: Mapping[str, Mapping[str, Pair]],
                   lessons: Mapping[str, str | None], exercises: Mapping[str, Exercise], now: datetime,
                   lesson: str | None) -> list[Stuck]:
    """Learners on the exercise of their latest attempt with no correct attempt of it and a wrong one, the
    longest stuck first, at most ``TOP_STUCK`` (reflections are never stuck)."""
    stuck = []
    for user, row in latest.items():
        pair = pairs[user][row.exercise]
        ex = exercises.get(row.exercise)
        if pair.correct or (ex is not None and ex.is_reflection):
            continue
        if lesson is not None and lessons[row.exercise] != lesson:
            continue
        if pair.first_status not in WRONG and pair.last_status not in WRONG:
            continue
        stuck.append(Stuck(user=user, exercise=row.exercise, title=ex.title if ex else row.exercise,
                           attempts=pair.attempts, since=round((now - pair.first_time).total_seconds(), 1),
                           last_status=pair.last_status))
    stuck.sort(key=lambda s: (-s.since, -s.attempts, s.user))
    return stuck[:TOP_STUCK]
