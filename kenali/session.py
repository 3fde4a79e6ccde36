"""The learner's session: which course, which learner, which store; checking and recording answers.

Widgets and ``cek()`` both go through :meth:`Session.submit`, which calls the one checking
function :func:`kenali.model.check` and writes the record. Solution notebooks use a session in
``"solusi"`` mode whose store lives in memory, so they never touch a learner's progress.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any, Literal

from . import learner as learner_mod
from .bank import Course, load_course
from .i18n import t
from .keys import KeyError_, expected_for
from .model import Exercise, Result, check
from .paths import progress_home
from .store import MemoryStore, Store

Mode = Literal["belajar", "solusi"]


def check_answer(ex: Exercise, answer: Any, language: str | None = None) -> Result:
    """Score a plain answer, computing the key of a code exercise where needed."""
    if ex.is_code:
        try:
            expected, mistakes = expected_for(ex, language)
        except KeyError_ as exc:
            return Result("invalid", 0.0, (t("value.cannot_compute_key", error=exc),))
        return check(ex, answer, expected=expected, mistakes=mistakes)
    return check(ex, answer)


class Session:
    """One notebook's view of the course, its learner and their answer records."""

    def __init__(self, mode: Mode = "belajar", course: Course | None = None, store: Store | None = None):
        self.mode: Mode = mode
        self.course = course or load_course()
        self.lesson: str | None = None
        self.warnings: list[str] = []
        if store is not None:
            self.store = store
        elif mode == "solusi":
            self.store = MemoryStore()
        else:
            self.store = Store(progress_home())
        self.learner, warning = (None, None) if mode == "solusi" else learner_mod.load(self.store.root)
        if warning:
            self.warnings.append(warning)

    @property
    def learner_id(self) -> str | None:
        return self.learner.id if self.learner else None

    def exercise(self, exercise_id: str) -> Exercise:
        return self.course.exercise(str(exercise_id))

    def latest(self, ex: Exercise) -> dict[str, Any] | None:
        record = self.store.latest(ex.id)
        self.warnings.extend(self.store.take_warnings())
        return record

    def submit(self, ex: Exercise, answer: Any, hints_used: int = 0) -> tuple[Result, dict[str, Any]]:
        """Check an answer and record it. A store that cannot be written costs a warning, never the answer."""
        result = check_answer(ex, answer)
        previous = len(self.store.attempts(ex.id))
        record = {
            "exercise": ex.id,
            "lesson": ex.lesson,
            "learner": self.learner_id,
            "answer": answer,
            "status": result.status,
            "score": round(result.score, 6),
            "points": ex.points,
            "attempt": previous + 1,
            "hints": hints_used,
            "ts": time.time(),
            "time": datetime.now(UTC).isoformat(timespec="seconds"),
            "mode": self.mode,
        }
        if result.status != "unanswered":
            try:
                self.store.record(record)
            except OSError as exc:
                self.warnings.append(t("store.unwritable", path=self.store.root, error=exc.strerror or exc))
        return result, record

    def take_warnings(self) -> list[str]:
        out = [*self.warnings, *self.store.take_warnings()]
        self.warnings = []
        return out

    def progress(self) -> list[dict[str, Any]]:
        """Per lesson: graded exercises done, correct, score and points."""
        latest = self.store.latest_all()
        self.warnings.extend(self.store.take_warnings())
        rows = []
        for bank in self.course.banks:
            done = correct = 0
            score = points = 0.0
            for ex in bank.graded:
                points += ex.points
                rec = latest.get(ex.id)
                if rec and rec.get("status") not in {"unanswered", "invalid"}:
                    done += 1
                    correct += rec.get("status") == "correct"
                    score += float(rec.get("score", 0)) * ex.points
            rows.append(
                {
                    "lesson": bank.lesson,
                    "title": bank.title,
                    "notebook": bank.notebook,
                    "total": len(bank.graded),
                    "done": done,
                    "correct": correct,
                    "score": round(score, 2),
                    "points": points,
                }
            )
        return rows


_current: Session | None = None


def current() -> Session:
    """The notebook's session, created on first use in learning mode."""
    global _current
    if _current is None:
        _current = Session()
    return _current


def start(lesson: str | None = None, mode: Mode = "belajar") -> Session:
    """Begin a new session (``mulai``) for a lesson."""
    global _current
    _current = Session(mode=mode)
    _current.lesson = lesson
    return _current


def reset() -> None:
    """Forget the current session (tests)."""
    global _current
    _current = None
