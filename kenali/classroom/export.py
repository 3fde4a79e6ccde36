"""``kenali class-export``: the grades of a class out of the class server's database, as ``kenali grade`` writes them.

The class server stores every attempt with its own verdict (checked with the keys only it holds), its own
attempt number and its own clock. This reads those rows (SQLite or PostgreSQL, :class:`~.db.ClassDB`), credits
each learner's attempts of each exercise under the instructor's policy (:func:`.policy.score_attempts`, the
function the server and ``kenali grade --policy`` use) and writes the same files as ``kenali grade`` with the
same code (:mod:`kenali.grading.report`, :mod:`~kenali.grading.policyreport`, :mod:`~kenali.grading.moodle`,
:mod:`~kenali.grading.weights`): ``gradebook.csv``, ``attempts.csv``, ``moodle.csv`` (and
``moodle_unmatched.csv``), ``summary.html``, ``feedback/<learner>.html``, and ``similarity.csv`` with the
summary's section on copied work to look at (:mod:`kenali.grading.similarity`, never changing a score).

Copied work is judged from every attempt the server stored, per hub user (:func:`learner_trail`): widget
answers with their times, and the values code answers computed that the server judged wrong (it has values,
not code). Times are the server's clock when it dated the answer as it was made: an ``api/check``, or a
synced record whose ``client_time`` is within :data:`LIVE_SECONDS` of its receipt. A record that waited in
the learner's store (the server was down, the kernel was offline) was received later than it was made, and
after a restart many learners' backlogs arrive in the same seconds: its server time says nothing about when
it was answered, so its own ``client_time`` is used, named as the learner's device clock in the flag.

A learner is the hub user name the server knew them by (``learner_id`` and ``name`` columns: Moodle matches
it as the username; give ``--roster`` to match by name or e-mail). Only the attempts the server judged count:
records a kernel synced are re-checked by the server as they arrive, so a forged local record is stored with
the server's verdict, never its own. The exercises reported are those of the lessons given, else of every
lesson someone answered on the server.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..bank import Bank
from ..grading import similarity
from ..i18n import t
from ..model import Result
from .db import AttemptRow, ClassDB
from .policy import NOT_ATTEMPTS, PRACTICE, Attempt, PolicyFile, load_policy, policy_digest, score_attempts
from .service.course import ServerCourse

ENTRY = "class server"  # the gradebook's ``entry`` column: where the row came from
LIVE_SECONDS = 30.0  # a synced record received within this of its client time was dated by the server as made
MAX_STEPS = 200      # attempts of one exercise of one learner compared for copied work (as ``kenali grade``)


class ExportError(ValueError):
    """The export cannot be made (an unknown lesson, a bad roster or weights); the message says which."""


@dataclass
class Exported:
    """What an export wrote."""

    out: Path
    learners: list[str]
    lessons: list[str]
    files: list[Path] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)  # exercises in the database the course no longer has
    flags: list[similarity.Flag] = field(default_factory=list)  # copied work to look at (similarity.csv)


def _banks(course: ServerCourse, rows: list[AttemptRow], lessons: list[str] | None) -> list[Bank]:
    graded = [b for b in course.course.banks if b.graded]
    if lessons:
        chosen = []
        for name in lessons:
            match = [b for b in graded if b.lesson == name.zfill(2) or b.notebook == name]
            if not match:
                known = ", ".join(b.lesson for b in graded)
                raise ExportError(f"unknown lesson {name!r}; the class server's course has {known}")
            chosen += [b for b in match if b not in chosen]
        return sorted(chosen, key=lambda b: b.lesson)
    answered = {r.exercise for r in rows}
    return [b for b in graded if any(ex.id in answered for ex in b.graded)]


def learner_row(user: str, history: dict[str, list[AttemptRow]], banks: list[Bank], pf: PolicyFile | None
                ) -> dict[str, Any]:
    """One learner's graded entry (the plain JSON :func:`kenali.grading.score.score` makes), from the server's rows
    of each exercise in attempt order."""
    from ..grading.score import _credit, _entry, answer_key

    results: dict[str, dict[str, Any]] = {}
    for bank in banks:
        for ex in bank.graded:
            rows = history.get(ex.id, [])
            if not rows:
                entry = _entry(ex, Result("unanswered", 0.0, (t("grading.answer.no_record"),)), answer=None,
                               source=None, learner_id=user)
                _credit(ex, entry, score_attempts([], PRACTICE), None, PRACTICE)
                results[ex.id] = entry
                continue
            assignment, rule = pf.for_exercise(ex.id, ex.lesson) if pf is not None else (None, PRACTICE)
            attempts = [Attempt(r.status, float(r.score), r.hints, r.server_time, r.seq or 0) for r in rows]
            judged = [r for r in rows if r.status not in NOT_ATTEMPTS]
            shown = (judged or rows)[-1]  # the latest answer the server judged
            entry = _entry(ex, Result(shown.status, float(shown.score), ()), answer=shown.answer, source="server",
                           learner_id=user, attempts=len(rows), time=shown.server_time.isoformat())
            _credit(ex, entry, score_attempts(attempts, rule), assignment.id if assignment else None, rule)
            entry["trail"] = [[r.server_time.isoformat(), answer_key(ex, r.answer)] for r in rows[:200]]
            results[ex.id] = entry
    earned = round(sum(r["earned"] for r in results.values()), 4)
    maximum = round(sum(ex.points for b in banks for ex in b.graded), 4)
    return {
        "entry": ENTRY, "kind": "class", "digest": "", "learner_id": user, "name": user, "created": None,
        "fatal": None, "notes": [], "exercises": results, "identity_ok": True, "identity": 1,
        "total": earned, "maximum": maximum, "policy": policy_digest(pf), "status": "ok",
    }


def step(row: AttemptRow, key: str) -> similarity.Step:
    """One stored attempt as the copied-work detector's step: on the server's clock when the server dated it
    as it was made (see the module docstring), always with the learner's device time when one was sent."""
    device = similarity.parse_time(row.client_time)
    live = row.source == "check" or (device is not None
                                     and abs((row.server_time - device).total_seconds()) <= LIVE_SECONDS)
    return similarity.Step(key, server=row.server_time if live else None, device=device)


def _empty(value: Any) -> bool:
    return value is None or isinstance(value, bool) or (isinstance(value, str | list | dict) and not value)


def learner_trail(user: str, history: Mapping[str, Sequence[AttemptRow]], banks: list[Bank]) -> similarity.Trail:
    """One hub user's attempts (by exercise, in attempt order) as the copied-work detector's trail: each widget
    exercise's graded answer and every attempt; each code exercise's values the server judged wrong."""
    from ..grading.score import answer_key, describe_answer

    answers: dict[str, similarity.Answer] = {}
    for bank in banks:
        for ex in bank.graded:
            rows = list(history.get(ex.id, ()))
            if not rows:
                continue
            judged = [r for r in rows if r.status not in NOT_ATTEMPTS]
            if ex.is_code:
                wrong = tuple(similarity.WrongValue(key, describe_answer(ex, r.answer, user)[:120], step(r, key))
                              for r in judged[:MAX_STEPS] if r.status != "correct" and not _empty(r.answer)
                              for key in (answer_key(ex, r.answer),))
                if wrong:
                    answers[ex.id] = similarity.Answer(status=judged[-1].status, wrong_values=wrong)
                continue
            shown = (judged or rows)[-1]
            answers[ex.id] = similarity.Answer(key=answer_key(ex, shown.answer), status=shown.status,
                                               steps=tuple(step(r, answer_key(ex, r.answer)) for r in rows[:MAX_STEPS]))
    return similarity.Trail(user, answers)


def look_at(history: Mapping[str, Mapping[str, Sequence[AttemptRow]]], banks: list[Bank]
            ) -> tuple[list[similarity.Flag], str]:
    """Copied work to look at, from the server's attempts; if it fails, the summary says so (grades are written
    whatever happens here)."""
    try:
        flags = similarity.find_trails([learner_trail(u, history[u], banks) for u in sorted(history)], banks)
        return flags, similarity.summary_section(flags)
    except Exception as exc:
        return [], f"<h2>To look at: possibly copied work</h2><p>Not computed ({type(exc).__name__}).</p>"


def export(db_url: str, out: Path, *, course: Path | None = None, policy: Path | None = None,
           roster: Path | None = None, lessons: list[str] | None = None) -> Exported:
    """Write the class's grade files to ``out`` from the class server's database (see the module docstring).

    ``course``: the content the server checked with (``kenali serve --course``; default the installed course);
    ``policy``: the policy it enforced (default: practice rules, the latest answer counts)."""
    from ..grading import policyreport, report
    from ..grading.moodle import RosterError, read_roster
    from ..grading.weights import WeightsError, lesson_weights
    from ..paths import course_root

    server_course = ServerCourse(course)
    pf = load_policy(policy, exercises=server_course.pairs) if policy is not None else None
    db = ClassDB(db_url)
    try:
        rows = db.attempts()
    finally:
        db.close()
    banks = _banks(server_course, rows, lessons)
    try:
        table = lesson_weights(banks, pf.weights if pf is not None else None, root=course_root(),
                               course=list(server_course.course.banks))
        participants = read_roster(roster) if roster is not None else None
    except (WeightsError, RosterError) as exc:
        raise ExportError(str(exc)) from None
    known = {ex.id for ex in server_course.course.exercises()}
    history: dict[str, dict[str, list[AttemptRow]]] = defaultdict(lambda: defaultdict(list))
    for row in sorted(rows, key=lambda r: (r.user, r.exercise, r.attempt, r.id)):
        history[row.user][row.exercise].append(row)
    results = [learner_row(user, history[user], banks, pf) for user in sorted(history)]
    graded = report.merge(results)
    out = Path(out)
    flags, section = look_at(history, banks)
    files = report.write_all(out, graded, server_course.course, banks, table=table, roster=participants,
                             extra=[section])
    similarity.write_csv(out / "similarity.csv", flags)
    files.append(out / "similarity.csv")
    policyreport.write_attempts(out / "attempts.csv", graded, [ex for b in banks for ex in b.graded])
    files.append(out / "attempts.csv")
    return Exported(out=out, learners=sorted(history), lessons=[b.lesson for b in banks], files=files,
                    unknown=sorted({r.exercise for r in rows} - known), flags=flags)
