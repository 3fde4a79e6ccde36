"""The live view's figures, kept up to date as attempts arrive.

:class:`LiveState` takes rows in as they arrive (one pass, a few dictionary lookups per row) and a summary
costs what the page shows: a poll of a class of 200 with 50 000 attempts took about 8 ms of CPU where it was
measured, :func:`live_summary` (the one-shot form, every row each time) about 150 ms. Answers are described
and feedback rendered only for the few wrong answers shown. Figures: ``bench/live_bench.py``.
"""

from __future__ import annotations

import gc
from collections.abc import Iterable, Sequence, Sized
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from ...bank import Course
from ..db import AttemptRow, LearnerRow
from .answers import answer_group
from .definitions import FEEDBACK_SAMPLE, PART_TYPES, UNANSWERED, WRONG, iso, share
from .exercises import ExerciseStats, WrongGroup, common_wrong, exercise_index
from .learners import LearnerStatus, Pair, Stuck, stuck_learners, where_learners_are
from .parts import PartCounts

_PAUSE_GC_ROWS = 5000  # LiveState.add pauses the garbage collector for batches this large


@dataclass(frozen=True)
class LiveSummary:
    """Everything the facilitator's live view shows (:meth:`to_json` for the API)."""

    now: str
    lesson: str | None
    last_id: int  # the highest attempt id summarised (the next poll's ``since_id``)
    learners: list[LearnerStatus]
    exercises: list[ExerciseStats]
    stuck: list[Stuck]

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


class LiveState:
    """The live figures kept up to date as attempts arrive: :meth:`add` the rows read since the last poll
    (``ClassDB.attempts(since_id=state.last_id)``), then :meth:`summary` costs what the page shows, not
    what the class has done. :func:`live_summary` is the same in one call."""

    def __init__(self, course: Course):
        self.course = course
        self.exercises = exercise_index(course)
        self.last_id = 0
        self._lesson_of = {exid: ex.lesson for exid, ex in self.exercises.items()}
        self._pairs: dict[str, dict[str, Pair]] = {}  # user -> exercise -> pair (no key tuples: fewer objects)
        self._by_exercise: dict[str, list[Pair]] = {}
        self._by_user: dict[str, list[tuple[str, Pair]]] = {}
        self._wrong: dict[str, dict[Any, WrongGroup]] = {}
        self._canon: dict[str, dict[str, WrongGroup]] = {}  # exercise -> answer as written (text) -> its group
        self._latest: dict[str, AttemptRow] = {}
        self._lessons: dict[str, str | None] = {}  # exercise -> lesson, also of exercises the course lacks
        self._part_ex = {exid: ex for exid, ex in self.exercises.items() if ex.type in PART_TYPES and ex.items}
        self._parts = PartCounts()  # peran, pasangan: counted per part

    def add(self, rows: Iterable[AttemptRow]) -> LiveState:
        """Take in attempts (rows already taken, by id, are skipped: a poll may overlap the last).

        For a large batch (the first read of a running class) the cyclic garbage collector is paused:
        the objects made here hold no cycles, and each collection pass would walk every stored row
        (it doubled the median time of 50 000 rows)."""
        pause = isinstance(rows, Sized) and len(rows) >= _PAUSE_GC_ROWS and gc.isenabled()
        if pause:
            gc.disable()
        try:
            return self._add(rows)
        finally:
            if pause:
                gc.enable()

    def _add(self, rows: Iterable[AttemptRow]) -> LiveState:
        pairs, latest, wrong, canon, part_ex = self._pairs, self._latest, self._wrong, self._canon, self._part_ex
        parts = self._parts
        seen_up_to = last_id = self.last_id
        # The hot loop: plain lookups, and as few new container objects as possible (each one counts
        # towards a garbage collection pass over every stored row).
        for row in rows:
            rid = row.id
            if rid and rid <= seen_up_to:
                continue
            if rid > last_id:
                last_id = rid
            user, exid, status = row.user, row.exercise, row.status
            prev = latest.get(user)
            if prev is None or row.server_time >= prev.server_time:
                latest[user] = row
            mine = pairs.get(user)
            if mine is None:
                mine = pairs[user] = {}
            pair = mine.get(exid)
            if pair is None:
                pair = mine[exid] = Pair(row)
                self._by_exercise.setdefault(exid, []).append(pair)
                self._by_user.setdefault(user, []).append((exid, pair))
                if exid not in self._lessons:
                    self._lessons[exid] = self._lesson_of.get(exid, row.lesson)
            pair.attempts += 1
            if row.attempt < pair.first:
                pair.first, pair.first_status, pair.first_time = row.attempt, status, row.server_time
            if rid >= pair.last_id:
                pair.last_id, pair.last_status = rid, status
            if exid in part_ex and status not in UNANSWERED:
                parts.add(part_ex[exid], pair, row)
            if status == "correct":
                pair.correct = pair.answered = True
                continue
            if status not in UNANSWERED:
                pair.answered = True
            if status in WRONG and exid not in part_ex:  # whole answers; peran and pasangan are read per part
                answer = row.answer
                raw = answer if type(answer) is str else "\x00" + repr(answer)  # answer_group once per distinct one
                known = canon.get(exid)
                if known is None:
                    known = canon[exid] = {}
                group = known.get(raw)
                if group is None:  # an answer not seen as written: its group, perhaps of an equal one
                    groups = wrong.setdefault(exid, {})
                    key = answer_group(self.exercises.get(exid), answer)
                    group = groups.get(key)
                    if group is None:
                        group = groups[key] = WrongGroup(row)
                    known[raw] = group
                group.attempts += 1
                group.users.add(user)
                if group.attempts <= FEEDBACK_SAMPLE:
                    group.sample.append(row)
        self.last_id = last_id
        return self

    def summary(self, learners: Sequence[LearnerRow], now: datetime, *, lesson: str | None = None) -> LiveSummary:
        """The figures now (see :mod:`kenali.classroom.live`). ``lesson`` limits exercises, progress and stuck
        learners to one lesson; every learner is listed wherever they are."""
        exercises = self.exercises
        order = [ex.id for ex in self.course.exercises() if lesson is None or ex.lesson == lesson]
        order += sorted(e for e in self._by_exercise if e not in exercises and (lesson is None
                                                                                or self._lessons[e] == lesson))
        stats = []
        for exid in order:
            ex = exercises.get(exid)
            group = self._by_exercise.get(exid, [])
            scored = ex is None or not ex.is_reflection
            tried = len(group)
            correct = sum(p.correct for p in group)
            first = sum(p.first_status == "correct" for p in group)
            parts, part_wrong = self._parts.figures(ex) if ex is not None and ex.id in self._part_ex else ([], [])
            stats.append(ExerciseStats(
                exercise=exid, lesson=ex.lesson if ex else self._lessons.get(exid), title=ex.title if ex else exid,
                learners=tried, attempts=sum(p.attempts for p in group), correct=correct,
                first_correct_share=share(first, tried, scored), correct_share=share(correct, tried, scored),
                wrong=part_wrong or common_wrong(ex, self._wrong.get(exid, {})), parts=parts))
        people = where_learners_are(learners, self._latest, self._by_user, self._lessons, exercises, now, lesson)
        stuck = stuck_learners(self._latest, self._pairs, self._lessons, exercises, now, lesson)
        return LiveSummary(now=iso(now) or "", lesson=lesson, last_id=self.last_id, learners=people,
                           exercises=stats, stuck=stuck)


def live_summary(attempts: Iterable[AttemptRow], learners: Sequence[LearnerRow], course: Course, now: datetime,
                 *, lesson: str | None = None) -> LiveSummary:
    """The live view's figures over ``attempts`` (see :mod:`kenali.classroom.live` and :class:`LiveState`)."""
    return LiveState(course).add(attempts).summary(learners, now, lesson=lesson)
