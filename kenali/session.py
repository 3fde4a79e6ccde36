"""The learner's session: which course, which learner, which store; checking and recording answers.

Widgets and ``cek()`` both go through :meth:`Session.submit`, which calls the one checking
function :func:`kenali.model.check` and writes the record. Solution notebooks use a session in
``"solusi"`` mode whose store lives in memory, so they never touch a learner's progress.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from typing import Any, Literal

from . import learner as learner_mod
from . import records as records_mod
from .bank import Course, load_course
from .i18n import t
from .keys import KeyError_, expected_for
from .model import Exercise, Result, check
from .paths import progress_home
from .records import MAX_ANSWER_BYTES, RecordTooLarge
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


def _same(recorded: Any, answer: Any) -> bool:
    """Whether ``answer`` is the answer ``recorded`` (compared as it would be written, in JSON)."""
    try:
        return json.dumps(answer, sort_keys=True) == json.dumps(recorded, sort_keys=True)
    except (TypeError, ValueError):
        return False


class Session:
    """One notebook's view of the course, its learner and their answer records."""

    def __init__(self, mode: Mode = "belajar", course: Course | None = None, store: Store | None = None):
        self.mode: Mode = mode
        self.course = course or load_course()
        self.lesson: str | None = None
        self.warnings: list[str] = []
        self._unsaved: dict[str, int] = {}  # attempts that could not be recorded, per exercise
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
        """The newest record of ``ex``; an answer the exercise's input cannot show is left out, with a message."""
        record = self.store.latest(ex.id)
        self.warnings.extend(self.store.take_warnings())
        if record is not None and not records_mod.answer_fits(ex.type, record.get("answer")):
            self.warnings.append(t("store.answer_shape", id=ex.id))
            record = {**record, "answer": None}
        return record

    def submit(self, ex: Exercise, answer: Any, hints_used: int = 0) -> tuple[Result, dict[str, Any]]:
        """Check an answer and record it. A store that cannot be written costs a warning, never the answer.

        Checking again the answer already recorded last, with the same verdict, is not a new
        attempt: nothing is written and the latest record is returned.
        """
        result = check_answer(ex, answer)
        latest = self.store.latest(ex.id)
        self.warnings.extend(self.store.take_warnings())
        attempts = max(int(latest["attempt"]) if latest else 0, self._unsaved.get(ex.id, 0))
        record = {
            "exercise": ex.id,
            "lesson": ex.lesson,
            "learner": self.learner_id,
            "answer": answer,
            "status": result.status,
            "score": round(result.score, 6),
            "points": ex.points,
            "attempt": attempts + 1,
            "hints": hints_used,
            "ts": time.time(),
            "time": datetime.now(UTC).isoformat(timespec="seconds"),
            "mode": self.mode,
        }
        if result.status == "unanswered":
            return result, record
        if latest is not None and latest["status"] == result.status and _same(latest.get("answer"), answer):
            return result, dict(latest)
        try:
            self.store.record(record)
        except (RecordTooLarge, OSError) as exc:
            self._unsaved[ex.id] = record["attempt"]  # counted in memory only
            if isinstance(exc, RecordTooLarge):
                self.warnings.append(t("store.too_big", size=-(-exc.size // 1024), limit=MAX_ANSWER_BYTES // 1024))
            else:
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
                if rec and rec["status"] not in {"unanswered", "invalid"}:
                    done += 1
                    correct += rec["status"] == "correct"
                    score += rec["score"] * ex.points
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


def in_solution_notebook() -> bool:
    """True when the kernel runs a notebook of the course's ``solutions/`` folder (a kernel's working folder
    is its notebook's folder in JupyterLab, Notebook 7, Voilà and nbclient). A solution cell run on its own
    in a fresh kernel must then never record the key as the learner's answer."""
    import os
    from pathlib import Path

    from .paths import course_root

    try:
        here = Path.cwd().resolve()
    except OSError:
        return False
    session_path = os.environ.get("JPY_SESSION_NAME", "")
    if session_path and Path(session_path).parent.name == "solutions":
        return True
    return here.name == "solutions" and here.parent == course_root()


def current() -> Session:
    """The notebook's session, created on first use: in learning mode, or in solution mode (answers kept
    in memory) in a notebook of ``solutions/``."""
    global _current
    if _current is None:
        _current = Session(mode="solusi" if in_solution_notebook() else "belajar")
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
