"""The learner's session: which course, which learner, which store; checking and recording answers.

Widgets and ``cek()`` both go through :meth:`Session.submit`, which calls the one checking
function :func:`kenali.model.check` and writes the record. Solution notebooks use a session in
``"solusi"`` mode whose store lives in memory, so they never touch a learner's progress.

In a class (``KENALI_CLASS_URL`` set, see :mod:`kenali.classroom.client`) every recorded answer is also
pushed to the class server in the background, and an exercise of a keyless (released) assessment bank is
checked by the server: its verdict is recorded, or, while the server is unreachable, the answer is
recorded as ``pending``. With an instructor's policy file (``KENALI_POLICY`` or ``<course>/kebijakan.yaml``)
:meth:`Session.shown` applies the policy's disclosure to what a learner sees and counts attempts against
its limit; without one, nothing changes.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from . import learner as learner_mod
from . import records as records_mod
from .bank import Course, load_course
from .i18n import t
from .keys import KeyError_, expected_for
from .model import Exercise, Result, check
from .paths import progress_home
from .present.message import msg
from .records import MAX_ANSWER_BYTES, NOT_JUDGED, VERDICT_MODE, RecordTooLarge
from .store import MemoryStore, Store

if TYPE_CHECKING:
    from .classroom.client import ClassClient
    from .classroom.policy import Policy, PolicyFile

Mode = Literal["belajar", "solusi"]
POLICY_FILE = "kebijakan.yaml"  # the instructor's policy file in the course folder (or KENALI_POLICY)


@dataclass(frozen=True)
class Shown:
    """What a learner may see of a checked answer: the result after the policy's disclosure, the explanation
    (Markdown, ``None``: not shown), the attempt count, and why checking is closed now (``None``: open)."""

    result: Result
    explanation: str | None = None
    attempt: int = 0
    allowed: int | None = None  # attempts allowed (``None``: unlimited)
    left: int | None = None  # attempts left (``None``: unlimited)
    closed: str | None = None  # why the exercise cannot be checked again (no attempts left, deadline)
    notes: tuple[str, ...] = ()  # extra lines: a late answer, a verdict that arrived later
    credit: float | None = None  # the score (0..1) the class server credits under the policy; None: not known


def _policy_path() -> Path | None:
    env = os.environ.get("KENALI_POLICY", "").strip()
    if env:
        return Path(env).expanduser()
    from .paths import course_root

    path = course_root() / POLICY_FILE
    return path if path.is_file() else None


def _precheck(ex: Exercise, answer: Any) -> Result | None:
    """An empty or malformed answer to a keyless exercise, told without its key; ``None``: the server judges."""
    if ex.is_code:
        if isinstance(answer, Mapping) and answer.get("kind") == "ellipsis":
            return Result("unanswered", 0.0, (msg("value.unanswered"),))
        if not isinstance(answer, Mapping) or "kind" not in answer:
            return Result("invalid", 0.0, (msg("feedback.wrong_type", expected=msg("type_names.other",
                                                                                    name="plain value"),
                                               actual=type(answer).__name__),))
        return None
    try:  # the checks for empty and unknown answers come before any use of the key
        result = check(ex, answer)
    except Exception:  # reached the (absent) key: a real answer
        return None
    return result if result.status in {"unanswered", "invalid"} else None


def stored_result(record: Mapping[str, Any]) -> Result:
    """The result a keyless exercise's record holds: the server's verdict and messages, or pending."""
    if record.get("status") == "pending":
        return Result("pending", 0.0, (msg("kelas_klien.pending"),))  # type: ignore[arg-type]
    server = record.get("server") or {}
    messages: list[str] = []
    try:
        from .classroom.wire import msg_from_json

        messages = [msg_from_json(m) for m in server.get("messages") or []]
    except Exception:  # a damaged or foreign message: the status line still says what happened
        messages = []
    parts = {str(k): bool(v) for k, v in (server.get("parts") or {}).items()}
    return Result(record["status"], float(record.get("score") or 0.0), tuple(messages), parts)


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
        self._sent: dict[str, int] = {}  # the last seq sent to the class server, per keyless exercise
        if store is not None:
            self.store = store
        elif mode == "solusi":
            self.store = MemoryStore()
        else:
            self.store = Store(progress_home())
        self.learner, warning = (None, None) if mode == "solusi" else learner_mod.load(self.store.root)
        if warning:
            self.warnings.append(warning)
        self.client: ClassClient | None = None
        if mode != "solusi" and not isinstance(self.store, MemoryStore) and os.environ.get("KENALI_CLASS_URL"):
            from .classroom.client import shared_client

            self.client = shared_client(self.store.root)  # its first use pushes what the server lacks
        self._policy: tuple[Path, float, PolicyFile | None] | None = None

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
        attempt: nothing is written and the latest record is returned. An exercise of a keyless bank is
        checked by the class server (:meth:`_submit_keyless`).
        """
        if self.course.assignment_of(ex.id) is not None:
            return self._submit_keyless(ex, answer, hints_used)
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
        self._write(ex, record)
        return result, record

    def _write(self, ex: Exercise, record: dict[str, Any]) -> bool:
        """Record an answer and wake the class sync; a store that cannot be written costs a warning."""
        try:
            self.store.record(record)
        except (RecordTooLarge, OSError) as exc:
            self._unsaved[ex.id] = record["attempt"]  # counted in memory only
            if isinstance(exc, RecordTooLarge):
                self.warnings.append(t("store.too_big", size=-(-exc.size // 1024), limit=MAX_ANSWER_BYTES // 1024))
            else:
                self.warnings.append(t("store.unwritable", path=self.store.root, error=exc.strerror or exc))
            return False
        if self.client is not None:
            if record.get("server") is not None:  # the server has this attempt already
                self.client.mark_acknowledged({(ex.id, record["seq"])})
            self.client.push()
        return True

    def _submit_keyless(self, ex: Exercise, answer: Any, hints_used: int) -> tuple[Result, dict[str, Any]]:
        """An answer to an exercise whose key only the class server holds: ask the server (a short wait at
        most), record its verdict; while it cannot be reached, record the answer as ``pending``."""
        from .classroom.client import ClassRefused, ClassUnavailable, verdict_server_info

        latest = self.store.latest(ex.id)
        self.warnings.extend(self.store.take_warnings())
        now = datetime.now(UTC)
        record: dict[str, Any] = {
            "exercise": ex.id, "lesson": ex.lesson, "learner": self.learner_id, "answer": answer,
            "status": "unanswered", "score": 0.0, "points": ex.points,
            "attempt": (int(latest["attempt"]) if latest else 0) + 1, "hints": hints_used, "ts": time.time(),
            "time": now.isoformat(timespec="seconds"), "mode": self.mode,
        }
        early = _precheck(ex, answer)
        if early is not None:
            record["status"] = early.status
            if early.status != "unanswered":
                self._write(ex, record)
            return early, record
        if latest is not None and latest["status"] not in NOT_JUDGED and _same(latest.get("answer"), answer):
            return stored_result(latest), dict(latest)  # the same answer again: not a new attempt
        closed = self.closed_reason(ex)
        if closed is not None:
            return Result("unanswered", 0.0, (closed,)), record
        note = msg("kelas_klien.pending_no_class")
        if self.client is not None:
            note = msg("kelas_klien.pending")
            # the next number of the local store (or past one sent but not written: a new answer never reuses it)
            seq = max(int(latest["seq"]) if latest and latest.get("seq") else 0, self._sent.get(ex.id, 0)) + 1
            self._sent[ex.id] = seq
            try:
                out = self.client.check(ex.id, answer, hints_used, seq, self.learner_id, record["time"])
            except ClassUnavailable:
                out = None
            except ClassRefused as exc:
                out, note = None, msg("kelas_klien.refused", reason=exc.reason)
            if out is not None and out.status == "over_limit":
                messages = (msg("kelas_klien.over_limit"), *out.message_objects())
                return Result("unanswered", 0.0, messages), record  # the server keeps it; nothing to judge here
            if out is not None and out.status not in {"pending", "unanswered"}:
                record.update(status=out.status, score=round(out.score, 6), server=verdict_server_info(out))
                self._write(ex, record)
                return Result(out.status, out.score, tuple(out.message_objects()), dict(out.parts)), record
        record["status"] = "pending"
        self._write(ex, record)
        return Result("pending", 0.0, (note,)), record  # type: ignore[arg-type]

    # -- the policy: disclosure and attempts ----------------------------------------------------
    def policy_file(self) -> PolicyFile | None:
        """The instructor's policy file (``KENALI_POLICY``, else ``<course>/kebijakan.yaml``), or ``None``;
        read again when it changes. A file that cannot be read is a warning, and practice rules apply. Solution
        notebooks show everything: no policy there."""
        path = _policy_path() if self.mode != "solusi" else None
        if path is None:
            return None
        try:
            mtime = path.stat().st_mtime
        except OSError:
            mtime = -1.0
        if self._policy is not None and self._policy[:2] == (path, mtime):
            return self._policy[2]
        from .classroom.policy import PolicyError, load_policy

        try:
            loaded: PolicyFile | None = load_policy(path, exercises=[(e.id, e.lesson)
                                                                     for e in self.course.exercises()])
        except PolicyError as exc:
            self.warnings.append(t("kelas_klien.policy_unreadable", error=exc))
            loaded = None
        self._policy = (path, mtime, loaded)
        return loaded

    def policy(self, ex: Exercise) -> Policy | None:
        """The policy of an exercise, or ``None`` without a policy file (practice, unchanged)."""
        pf = self.policy_file()
        return None if pf is None else pf.for_exercise(ex.id, ex.lesson)[1]

    def used_attempts(self, ex: Exercise) -> int:
        """Judged attempts of an exercise in the local store (pending, invalid and saved answers are none)."""
        records = self.store.attempts(ex.id)
        self.warnings.extend(self.store.take_warnings())
        return sum(r["status"] not in NOT_JUDGED for r in records)

    def closed_reason(self, ex: Exercise, record: Mapping[str, Any] | None = None, *,
                      used: int | None = None) -> str | None:
        """Why the exercise cannot be checked any more (answered right, no attempts left, the deadline passed),
        else ``None``.

        A keyless exercise goes by what the server said last (``record``, default the latest record);
        a practice exercise by the local policy file (``used``: its judged attempts when already counted).
        """
        from .present.dates import local_datetime

        policy = self.policy(ex)
        if policy is not None and policy.deadline is not None and datetime.now(UTC) >= policy.deadline:
            return t("kelas_klien.deadline_passed", when=local_datetime(policy.deadline))
        if self.course.assignment_of(ex.id) is not None:
            if record is None:
                record = self.store.latest(ex.id)
                self.warnings.extend(self.store.take_warnings())
            server = (record or {}).get("server") or {}
            if server.get("status") == "correct" and server.get("final"):  # judged right: nothing left to earn
                return t("kelas_klien.done_correct")
            if server.get("attempts_left") == 0:
                return t("kelas_klien.no_attempts_left", total=int(server.get("attempt") or 0))
            if server.get("late"):  # the server's clock says the deadline passed (the local policy may not know it)
                return t("kelas_klien.deadline_passed_server")
            return None
        if policy is not None and policy.attempts is not None:
            from .classroom.policy import attempts_left

            if attempts_left(policy, self.used_attempts(ex) if used is None else used) == 0:
                return t("kelas_klien.no_attempts_left", total=policy.attempts)
        return None

    def restore_result(self, ex: Exercise, record: Mapping[str, Any]) -> Result:
        """The result of a stored answer: checked again here, or the server's for a keyless exercise."""
        if self.course.assignment_of(ex.id) is not None or record.get("status") == "pending":
            return stored_result(record)
        return check_answer(ex, record.get("answer"))

    def shown(self, ex: Exercise, result: Result, record: Mapping[str, Any] | None) -> Shown:
        """What the learner may see of ``result`` (the answer ``record`` holds, ``None``: no answer yet)."""
        attempt = int(record.get("attempt") or 0) if record is not None and result.status != "unanswered" else 0
        if self.course.assignment_of(ex.id) is not None:
            server = (record or {}).get("server") or {}
            notes: list[str] = []
            if server.get("late"):
                notes.append(t("kelas_klien.late"))
            if (record or {}).get("mode") == VERDICT_MODE:
                notes.append(t("kelas_klien.verdict_later"))
            left = server.get("attempts_left")
            done = int(server.get("attempt") or 0)
            credit = server.get("credit")
            return Shown(result, server.get("explanation") or None, done, None if left is None else done + left,
                         left, self.closed_reason(ex, record),
                         tuple(notes), float(credit) if isinstance(credit, int | float) else None)
        policy = self.policy(ex)
        if policy is None:
            return Shown(result, ex.explanation if result.attempted else None, attempt)
        from .classroom.policy import attempts_left, disclosure, redact

        used = self.used_attempts(ex)
        shown_result, explanation = result, None
        if result.attempted and result.status != "pending":
            d = disclosure(policy, attempt=max(used, 1), correct=result.correct)
            shown_result = redact(ex, result, d)
            explanation = ex.explanation if d.explanation else None
        return Shown(shown_result, explanation, used, policy.attempts, attempts_left(policy, used),
                     self.closed_reason(ex, used=used))

    def take_warnings(self) -> list[str]:
        out = [*self.warnings, *self.store.take_warnings()]
        self.warnings = []
        return out

    def progress(self) -> list[dict[str, Any]]:
        """Per lesson: graded exercises done, correct, score and points."""
        latest: dict[str, dict[str, Any]] = {}
        for rec in self.store.attempts():  # oldest first; a pending answer is not checked yet
            if rec["status"] != "pending":
                latest[rec["exercise"]] = rec
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
