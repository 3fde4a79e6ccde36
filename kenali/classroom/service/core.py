"""What the class server does with an answer, apart from HTTP: check it with the server's keys, count it,
apply the policy, store it, and say what the learner may see.

:class:`Classroom` is blocking (database, solution code): the tornado handlers call it from a thread pool,
one request per learner at a time (so counting attempts and storing the next one cannot interleave for
one learner). Nothing a kernel reports about the verdict is trusted: ``status``, ``score`` and
``attempt`` of a synced record are ignored; the answer is checked again, attempts are counted from the
database, the deadline is judged by the server's clock.
"""

from __future__ import annotations

import contextlib
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ...model import Exercise, Result
from ..db import AttemptRow, ClassDB, RowRejected
from ..policy import (
    NOT_ATTEMPTS,
    PRACTICE,
    Assignment,
    Attempt,
    Policy,
    PolicyFile,
    attempts_left,
    disclosure,
    is_final,
    policy_digest,
    redact,
    score_attempts,
)
from ..wire import CheckOut, DisclosureOut, RecordRef, RecordsBatch, RecordsOut, Rejected, msg_to_json
from .course import ServerCourse


class UnknownExercise(LookupError):
    """An exercise id the server's course does not have."""


@dataclass(frozen=True)
class Answer:
    """One answer to judge, from ``api/check`` or from a synced record."""

    exercise: str
    answer: Any
    hints: int = 0  # the database keeps at most 999 (more hints than any exercise has)
    seq: int | None = None
    client_time: str | None = None
    learner: str | None = None
    source: str = "check"


def _utc(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


class Classroom:
    """The server's course, policy and database, and the rules that join them."""

    def __init__(self, db: ClassDB, course: ServerCourse, policy: PolicyFile | None = None):
        self.db = db
        self.course = course
        self.policy = policy
        self.policy_digest = policy_digest(policy) if policy is not None else ""
        # SQLite has one writer at a time; writers that meet in SQLite's busy handler sleep in steps of up to
        # 100 ms, so this process queues its own writes instead (PostgreSQL locks per learner and exercise).
        self._write_lock: contextlib.AbstractContextManager[Any] = (
            threading.Lock() if db.kind == "sqlite" else contextlib.nullcontext())

    def policy_for(self, ex: Exercise) -> tuple[Assignment | None, Policy]:
        if self.policy is None:
            return None, PRACTICE
        return self.policy.for_exercise(ex.id, ex.lesson)

    def exercise(self, exercise_id: str) -> Exercise:
        ex = self.course.exercise(exercise_id)
        if ex is None:
            raise UnknownExercise(exercise_id)
        return ex

    # -- judging -------------------------------------------------------------------------------

    def judge(self, user: str, item: Answer, now: datetime | None = None) -> CheckOut:
        """Check, count, store and redact one answer of ``user`` (the hub user name)."""
        now = now or datetime.now(UTC)
        ex = self.exercise(item.exercise)
        assignment, policy = self.policy_for(ex)
        rows = self.db.attempts_of(user, ex.id)
        if item.seq is not None:
            for row in rows:
                if row.seq == item.seq:  # a retried sync or check: the verdict it already got
                    return self._replay(ex, assignment, policy, rows, row)
        result = self.course.check(ex, item.answer)
        if result.status == "unanswered":  # nothing to judge, nothing stored (the local store keeps none)
            return self._outcome(ex, assignment, policy, result, attempt=_judged(rows), late=False, over=False,
                                 credit=_credit(rows, policy), now=now, seq=item.seq)
        judged_before = _judged(rows)
        judged = result.status not in NOT_ATTEMPTS
        n = judged_before + 1 if judged else judged_before
        late = judged and policy.deadline is not None and now > policy.deadline
        over = judged and not late and policy.attempts is not None and n > policy.attempts
        trial = [*_attempts(rows), Attempt(result.status, result.score, item.hints, now, item.seq or 0)]
        credit = score_attempts(trial, policy).final
        out = self._outcome(ex, assignment, policy, result, attempt=n, late=late, over=over, credit=credit, now=now,
                            seq=item.seq)
        row = AttemptRow(
            user=user, exercise=ex.id, lesson=ex.lesson, seq=item.seq, answer=item.answer, status=result.status,
            score=result.score, points=ex.points, hints=min(item.hints, 999), credit=credit,
            source="check" if item.source == "check" else "sync", assignment=assignment.id if assignment else None,
            client_time=item.client_time or None, server_time=now, learner_id=item.learner,
            feedback=list(out.messages), late=late,
        )
        with self._write_lock:
            stored = self.db.add_attempt(row)
        if stored is None:  # stored meanwhile by another server process on the same database
            rows = self.db.attempts_of(user, ex.id)
            same = next((r for r in rows if r.seq == item.seq), None)
            if same is not None:
                return self._replay(ex, assignment, policy, rows, same)
        return out

    def _replay(self, ex: Exercise, assignment: Assignment | None, policy: Policy, rows: list[AttemptRow],
                row: AttemptRow) -> CheckOut:
        """The outcome a stored attempt got when it was stored (checked again: checking is deterministic)."""
        before = [r for r in rows if r.attempt < row.attempt]
        result = self.course.check(ex, row.answer)
        judged = result.status not in NOT_ATTEMPTS
        n = _judged(before) + (1 if judged else 0)
        over = judged and not row.late and policy.attempts is not None and n > policy.attempts
        credit = score_attempts(_attempts([*before, row]), policy).final
        return self._outcome(ex, assignment, policy, result, attempt=n, late=row.late, over=over, credit=credit,
                             now=_utc(row.server_time), seq=row.seq)

    def _outcome(self, ex: Exercise, assignment: Assignment | None, policy: Policy, result: Result, *, attempt: int,
                 late: bool, over: bool, credit: float, now: datetime, seq: int | None) -> CheckOut:
        d = disclosure(policy, attempt=max(attempt, 1), correct=result.correct, now=now)
        final = late or over or (result.scored and is_final(policy, attempt=attempt, correct=result.correct))
        left = attempts_left(policy, attempt)
        explanation = ex.explanation if d.explanation and (result.scored or result.status == "saved") else None
        common = {
            "exercise": ex.id, "attempt": attempt, "attempts_left": left, "final": final,
            "credit": round(credit, 6), "late": late, "seq": seq,
            "assignment": assignment.id if assignment else None,
        }
        if over:  # no attempt left: recorded, not judged for the learner, earns nothing
            common["attempt"] = policy.attempts or attempt  # the attempts that count: all of them used
            return CheckOut(status="over_limit", disclosure=DisclosureOut(parts=False, explanation=d.explanation,
                                                                          distance=False),
                            explanation=explanation, **common)
        shown = redact(ex, result, d)
        return CheckOut(
            status=shown.status, score=round(shown.score, 6), messages=[msg_to_json(m) for m in shown.messages],
            parts=dict(shown.parts), disclosure=DisclosureOut(parts=d.parts, explanation=d.explanation,
                                                              distance=d.distance),
            explanation=explanation, **common,
        )

    # -- sync ----------------------------------------------------------------------------------

    def sync(self, user: str, body: RecordsBatch, now: datetime | None = None) -> RecordsOut:
        """Store the records of a learner's local store that the server does not have yet (by ``seq``)."""
        now = now or datetime.now(UTC)
        accepted: list[RecordRef] = []
        results: list[CheckOut] = []
        records, rejected = body.split()  # a malformed record is rejected alone, never the whole batch
        # in the order the learner made them (per exercise, by local number), whatever order they came in:
        # "first attempt" and the attempt limit follow that order
        for rec in sorted(records, key=lambda r: (r.exercise, r.seq)):
            try:
                out = self.judge(user, Answer(rec.exercise, rec.answer, rec.hints, rec.seq, rec.time or None,
                                              rec.learner, "sync"), now)
            except UnknownExercise:
                rejected.append(Rejected(exercise=rec.exercise, seq=rec.seq,
                                         reason=f"exercise {rec.exercise} is not in the class server's course"))
                continue
            except RowRejected as exc:
                rejected.append(Rejected(exercise=rec.exercise, seq=rec.seq, reason=str(exc)))
                continue
            accepted.append(RecordRef(exercise=rec.exercise, seq=rec.seq))
            results.append(out)
        return RecordsOut(accepted=accepted, results=results, rejected=rejected)


def _judged(rows: list[AttemptRow]) -> int:
    return sum(1 for r in rows if r.status not in NOT_ATTEMPTS)


def _attempts(rows: list[AttemptRow]) -> list[Attempt]:
    return [Attempt(r.status, r.score, r.hints, _utc(r.server_time), r.seq or 0) for r in rows]


def _credit(rows: list[AttemptRow], policy: Policy) -> float:
    return score_attempts(_attempts(rows), policy).final
