"""Figures for the facilitator's live view and the projector: pure functions over stored rows.

:func:`live_summary` takes the attempts and learners read from :class:`~kenali.classroom.db.ClassDB` and
the course, and returns who is where, per exercise how many learners tried, how many attempts, the
share correct at the first attempt and in the end, the most common wrong answers as a person reads them
(choice keys turned into their labels) with the feedback learners got for them, and the learners stuck
longest. :func:`projector_summary` shows one exercise to the room: the distribution of the learners'
latest answers and the share correct, with neutral names ("Peserta 1") and no user names.

Role assignment (``peran``) and matching (``pasangan``) answers are read per part (per actor or term): a whole
assignment is one long string, and two different ones look alike. For these types the live view's wrong
answers are "actor → the role most often given instead of the key", one per part, with the feedback a learner
read for that role, the part most learners got wrong first (``ExerciseStats.parts``: every part's share
correct); the projector shows per actor the roles chosen (``ProjectorSummary.parts``; ``answers`` is empty).
Both count each learner's latest answer (the live view: their latest answered attempt).

Definitions (so the numbers mean one thing everywhere):

* an attempt is *wrong* when its status is ``wrong``, ``partial`` or ``invalid``; ``correct`` is right;
  ``unanswered``, ``saved`` (reflection), ``pending`` and ``over_limit`` are neither;
* *first-attempt correct*: the learner's lowest-numbered attempt of the exercise is correct; *correct*:
  any attempt is; both are shares of the learners who tried the exercise (``None`` when nobody did or
  the exercise is not scored);
* a part of a ``peran``/``pasangan`` answer is *wrong* when it names another option than the part's key; an
  empty part is neither right nor wrong;
* a learner is *stuck* on the exercise of their latest attempt when none of their attempts of it is
  correct; "stuck for" runs from their first attempt of it to ``now``.

:class:`LiveState` takes rows in as they arrive (one pass, a few dictionary lookups per row) and a summary
costs what the page shows: a poll of a class of 200 with 50 000 attempts took about 8 ms of CPU where it was
measured, :func:`live_summary` (the one-shot form, every row each time) about 150 ms. Answers are described
and feedback rendered only for the few wrong answers shown. Figures: ``bench/live_bench.py``.
"""

from __future__ import annotations

import gc
import json
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence, Sized
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from ..bank import Course
from ..i18n import t
from ..model import Exercise, Item
from ..present.text import filler, plain
from ..textnorm import compact
from .db import AttemptRow, LearnerRow

WRONG = frozenset({"wrong", "partial", "invalid"})
UNANSWERED = frozenset({"unanswered", "pending", "over_limit"})
PART_TYPES = frozenset({"peran", "pasangan"})  # answers read per part: {item id: option key}
TOP_WRONG = 3  # wrong answers shown per exercise
TOP_STUCK = 10  # learners shown as stuck
TOP_ANSWERS = 8  # answers shown on the projector before "other answers"
_PAUSE_GC_ROWS = 5000  # LiveState.add pauses the garbage collector for batches this large
FEEDBACK_SAMPLE = 5  # attempts looked at to find the feedback most learners got for a wrong answer


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
class WrongAnswer:
    """A wrong answer several learners gave, and the feedback they got for it."""

    answer: str  # as a person reads it
    attempts: int
    learners: int
    feedback: list[str]  # the messages learners got for it (the most common set), rendered


@dataclass(frozen=True)
class PartStats:
    """One part of a ``peran``/``pasangan`` exercise (an actor, a term) over the learners' latest answers."""

    item: str  # the part's id
    label: str  # as the bank writes it, the neutral variant's names filled in
    key: str  # the key's label
    learners: int  # whose latest answer was counted
    correct: int  # gave the key
    correct_share: float | None
    wrong: int  # gave another option
    given: str | None  # the wrong option most often given instead of the key (its label)
    given_learners: int
    feedback: str  # what a learner read for that option


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


@dataclass(frozen=True)
class Stuck:
    """A learner trying the same exercise without a correct answer yet."""

    user: str
    exercise: str
    title: str
    attempts: int
    since: float  # seconds from their first attempt of it to ``now``
    last_status: str


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
class RoleShare:
    """One option chosen for one part on the projector (``role`` ``""``: the part left empty)."""

    role: str
    label: str
    learners: int
    share: float
    correct: bool


@dataclass(frozen=True)
class PartShares:
    """One actor or term on the projector: the options the learners' latest answers give it."""

    item: str
    label: str
    key: str  # the key's label (the page shows it on request)
    correct_share: float | None
    roles: list[RoleShare]  # chosen at least once, the most chosen first; the empty part last


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


# -- describing answers and feedback ------------------------------------------------------------------

def _exercises(course: Course) -> dict[str, Exercise]:
    return {ex.id: ex for ex in course.exercises()}


def answer_group(ex: Exercise | None, answer: Any) -> Any:
    """A key under which equal answers fall together: choice sets in any order, text that differs only
    in case and spacing, ``1,5`` and ``1.5``. Cheap (no hashing) for the common case of a choice key."""
    kind = ex.type if ex is not None else ""
    if isinstance(answer, str):
        if kind == "teks":
            return ("t", compact(answer))
        if kind == "angka":
            try:
                return ("n", float(answer.strip().replace(",", ".")))
            except ValueError:
                return ("s", answer.strip())
        return ("s", answer)
    if isinstance(answer, bool) or answer is None:
        return ("j", answer)
    if isinstance(answer, int | float):
        return ("n", float(answer))
    if isinstance(answer, list) and kind == "pilihan_ganda":
        return ("m", tuple(sorted(map(str, answer))))
    if isinstance(answer, dict) and all(type(v) is str for v in answer.values()):  # peran, pasangan
        return ("d", tuple(sorted(answer.items())))
    return ("j", json.dumps(answer, sort_keys=True, ensure_ascii=False, default=str))


def describe(ex: Exercise | None, answer: Any) -> str:
    """An answer as a person reads it: choice labels rather than keys, a short summary of a code value."""
    if ex is None:
        text = answer if isinstance(answer, str) else json.dumps(answer, ensure_ascii=False, default=str)
        return _cut(text, 200)
    try:
        if ex.is_code:
            return _code_summary(answer)
        text = ex.describe(answer, keys=False)
        return _cut(plain(filler(ex, None)(text)), 300)
    except Exception:  # an odd answer must never break the facilitator's page
        return _cut(str(answer), 200)


def _cut(text: str, limit: int) -> str:
    """``text`` of at most ``limit`` characters; a cut one ends in "…", so nobody reads it as the whole answer."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _role_of(value: Any) -> str:
    """One part's option as counted: its key, ``""`` for a part left empty (an odd value as JSON text)."""
    if value is None or value == "":
        return ""
    return value if type(value) is str else json.dumps(value, ensure_ascii=False, default=str)


def part_roles(ex: Exercise, answer: Any) -> tuple[str, ...]:
    """The option an answer gives each of ``ex``'s parts, in the bank's order (``""``: none)."""
    if not isinstance(answer, Mapping):
        return ("",) * len(ex.items)
    return tuple(_role_of(answer.get(item.id)) for item in ex.items)


def plain_label(ex: Exercise, text: str) -> str:
    """Bank text as a facilitator reads it: the neutral variant's names, no Markdown marks."""
    return plain(filler(ex, None)(text))


def option_label(ex: Exercise, role: str) -> str:
    """An option's label (``peran``: the role; ``pasangan``: the option's text); an unknown key as sent."""
    if role == "":
        return t("kelas.part_empty")
    return _cut(plain_label(ex, ex.choices.get(role, role)), 300)


def part_feedback(ex: Exercise, item: Item, role: str) -> str:
    """What a learner read for giving ``item`` the option ``role`` (the item's ``why`` when it has none)."""
    return plain_label(ex, item.feedback.get(role, item.why))


def _short(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return "—" if value is None else str(value)[:40]


def _code_summary(plain: Any, limit: int = 160) -> str:
    """One line for a code answer's value as recorded (see :func:`kenali.values.to_plain`). Written here
    rather than imported from the grader, whose import pulls in the notebook readers (seconds, once)."""
    if not isinstance(plain, dict):
        return _short(plain)
    kind = plain.get("kind")
    try:
        if kind in {"number", "bool"}:
            text = _short(plain.get("value"))
        elif kind == "text":
            text = repr(plain.get("value"))
        elif kind == "none":
            text = "None"
        elif kind == "series":
            index, values = plain["index"], plain["values"]
            pairs = zip(index[:5], values[:5], strict=False)
            text = f"Series({len(index)}) " + ", ".join(f"{_short(i)}: {_short(v)}" for i, v in pairs)
        elif kind == "dataframe":
            text = (f"DataFrame({len(plain['index'])}×{len(plain['columns'])}) ["
                    + ", ".join(map(_short, plain["columns"][:6])) + "]")
        elif kind == "list":
            text = f"list({len(plain['items'])}) [" + ", ".join(_code_summary(i, 30) for i in plain["items"][:6]) + "]"
        elif kind == "dict":
            text = "{" + ", ".join(f"{_short(k)}: {_code_summary(v, 30)}" for k, v in plain["items"][:6]) + "}"
        else:
            text = str(plain.get("type", kind))
    except (KeyError, TypeError, ValueError):
        text = json.dumps(plain, ensure_ascii=False, default=str)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def feedback_text(ex: Exercise | None, messages: Iterable[Any], learner_id: str | None = None) -> list[str]:
    """Stored message JSON rendered as the learner read it (their variant filled in)."""
    from .wire import WireError, msg_from_json

    fill = filler(ex, learner_id) if ex is not None else (lambda s: s)
    out = []
    for item in messages:
        try:
            message = msg_from_json(item)
            out.append(message.render(fill) if hasattr(message, "render") else fill(message))
        except (WireError, KeyError, ValueError, TypeError, IndexError):
            out.append(str(item)[:200])
    return out


def _share(part: int, whole: int, scored: bool) -> float | None:
    return round(part / whole, 4) if whole and scored else None


def _iso(when: datetime | None) -> str | None:
    return when.astimezone(UTC).isoformat() if when is not None else None


# -- the live view -----------------------------------------------------------------------------------

class _Pair:
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


class _Wrong:
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


class LiveState:
    """The live figures kept up to date as attempts arrive: :meth:`add` the rows read since the last poll
    (``ClassDB.attempts(since_id=state.last_id)``), then :meth:`summary` costs what the page shows, not
    what the class has done. :func:`live_summary` is the same in one call."""

    def __init__(self, course: Course):
        self.course = course
        self.exercises = _exercises(course)
        self.last_id = 0
        self._lesson_of = {exid: ex.lesson for exid, ex in self.exercises.items()}
        self._pairs: dict[str, dict[str, _Pair]] = {}  # user -> exercise -> pair (no key tuples: fewer objects)
        self._by_exercise: dict[str, list[_Pair]] = {}
        self._by_user: dict[str, list[tuple[str, _Pair]]] = {}
        self._wrong: dict[str, dict[Any, _Wrong]] = {}
        self._canon: dict[str, dict[str, _Wrong]] = {}  # exercise -> answer as written (text) -> its group
        self._latest: dict[str, AttemptRow] = {}
        self._lessons: dict[str, str | None] = {}  # exercise -> lesson, also of exercises the course lacks
        self._part_ex = {exid: ex for exid, ex in self.exercises.items() if ex.type in PART_TYPES and ex.items}
        # peran, pasangan: exercise -> per part (bank order) -> option -> learners whose latest answer gives it
        self._part_counts: dict[str, list[dict[str, int]]] = {}
        self._part_tries: dict[str, list[dict[str, int]]] = {}  # the same over every answered attempt
        self._part_texts: dict[tuple[str, str, str | None], tuple[str, str, str | None, str]] = {}

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
                pair = mine[exid] = _Pair(row)
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
                self._add_parts(part_ex[exid], pair, row)
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
                        group = groups[key] = _Wrong(row)
                    known[raw] = group
                group.attempts += 1
                group.users.add(user)
                if group.attempts <= FEEDBACK_SAMPLE:
                    group.sample.append(row)
        self.last_id = last_id
        return self

    def _add_parts(self, ex: Exercise, pair: _Pair, row: AttemptRow) -> None:
        """Count an answered attempt of a ``peran``/``pasangan`` exercise per part; the learner's latest one
        replaces the one counted before (a few dictionary lookups per part)."""
        roles = part_roles(ex, row.answer)
        tries = self._part_tries.get(ex.id)
        if tries is None:
            tries = self._part_tries[ex.id] = [{} for _ in ex.items]
            self._part_counts[ex.id] = [{} for _ in ex.items]
        for part, role in zip(tries, roles, strict=True):
            if role:
                part[role] = part.get(role, 0) + 1
        if row.id < pair.roles_id:  # older than the answer counted
            return
        counts = self._part_counts[ex.id]
        if pair.roles is not None:
            for part, role in zip(counts, pair.roles, strict=True):
                part[role] -= 1
        for part, role in zip(counts, roles, strict=True):
            part[role] = part.get(role, 0) + 1
        pair.roles, pair.roles_id = roles, row.id

    def _texts(self, ex: Exercise, item: Item, given: str | None) -> tuple[str, str, str | None, str]:
        """(part label, key label, given option's label, its feedback), rendered once."""
        cache = (ex.id, item.id, given)
        texts = self._part_texts.get(cache)
        if texts is None:
            texts = self._part_texts[cache] = (
                plain_label(ex, item.label), option_label(ex, item.key),
                option_label(ex, given) if given is not None else None,
                part_feedback(ex, item, given) if given is not None else "")
        return texts

    def _parts(self, ex: Exercise) -> tuple[list[PartStats], list[WrongAnswer]]:
        """Every part's figures, the one most learners got wrong first, and the wrong answers they make."""
        counts = self._part_counts.get(ex.id)
        if counts is None:
            return [], []
        rank = {key: i for i, key in enumerate(ex.choices)}
        tries = self._part_tries[ex.id]
        order: list[tuple[int, str | None, PartStats]] = []
        for i, (item, chosen) in enumerate(zip(ex.items, counts, strict=True)):
            learners = sum(chosen.values())
            right = chosen.get(item.key, 0)
            wrongs = [(role, n) for role, n in chosen.items() if n and role and role != item.key]
            given, given_n = (min(wrongs, key=lambda rn: (-rn[1], rank.get(rn[0], len(rank)), rn[0])) if wrongs
                              else (None, 0))
            label, key, given_label, feedback = self._texts(ex, item, given)
            order.append((i, given, PartStats(
                item=item.id, label=label, key=key, learners=learners, correct=right,
                correct_share=_share(right, learners, True), wrong=sum(n for _, n in wrongs), given=given_label,
                given_learners=given_n, feedback=feedback)))
        order.sort(key=lambda igp: (-igp[2].wrong, -igp[2].given_learners, igp[0]))
        wrong = [WrongAnswer(answer=f"{p.label} → {p.given}", attempts=tries[i].get(given or "", 0),
                             learners=p.given_learners, feedback=[p.feedback])
                 for i, given, p in order if p.wrong][:TOP_WRONG]
        return [p for _, _, p in order], wrong

    def summary(self, learners: Sequence[LearnerRow], now: datetime, *, lesson: str | None = None) -> LiveSummary:
        """The figures now (see the module docstring). ``lesson`` limits exercises, progress and stuck
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
            parts, part_wrong = self._parts(ex) if ex is not None and ex.id in self._part_ex else ([], [])
            stats.append(ExerciseStats(
                exercise=exid, lesson=ex.lesson if ex else self._lessons.get(exid), title=ex.title if ex else exid,
                learners=tried, attempts=sum(p.attempts for p in group), correct=correct,
                first_correct_share=_share(first, tried, scored), correct_share=_share(correct, tried, scored),
                wrong=part_wrong or self._common_wrong(ex, self._wrong.get(exid, {})), parts=parts))

        # who is where
        seen: dict[str, LearnerRow] = {lr.user: lr for lr in learners}
        people = []
        for user in sorted(set(seen) | set(self._latest)):
            lr, row = seen.get(user), self._latest.get(user)
            when = max((w for w in (lr.last_seen if lr else None, row.server_time if row else None) if w),
                       default=None)
            if lr is not None and lr.last_exercise and (row is None or lr.last_seen >= row.server_time):
                exid: str | None = lr.last_exercise
            else:
                exid = row.exercise if row is not None else None
            ex = exercises.get(exid) if exid else None
            mine = [p for e, p in self._by_user.get(user, []) if lesson is None or self._lessons[e] == lesson]
            people.append(LearnerStatus(
                user=user, lesson=ex.lesson if ex else (row.lesson if row else None), exercise=exid,
                exercise_title=ex.title if ex else None, last_seen=_iso(when),
                seen_ago=round((now - when).total_seconds(), 1) if when else None,
                tried=sum(p.answered for p in mine), correct=sum(p.correct for p in mine),
                attempts=sum(p.attempts for p in mine)))

        # stuck: on the exercise of their latest attempt, never correct
        stuck = []
        for user, row in self._latest.items():
            pair = self._pairs[user][row.exercise]
            ex = exercises.get(row.exercise)
            if pair.correct or (ex is not None and ex.is_reflection):
                continue
            if lesson is not None and self._lessons[row.exercise] != lesson:
                continue
            if pair.first_status not in WRONG and pair.last_status not in WRONG:
                continue
            stuck.append(Stuck(user=user, exercise=row.exercise, title=ex.title if ex else row.exercise,
                               attempts=pair.attempts, since=round((now - pair.first_time).total_seconds(), 1),
                               last_status=pair.last_status))
        stuck.sort(key=lambda s: (-s.since, -s.attempts, s.user))
        return LiveSummary(now=_iso(now) or "", lesson=lesson, last_id=self.last_id, learners=people,
                           exercises=stats, stuck=stuck[:TOP_STUCK])

    @staticmethod
    def _common_wrong(ex: Exercise | None, groups: dict[Any, _Wrong]) -> list[WrongAnswer]:
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


def live_summary(attempts: Iterable[AttemptRow], learners: Sequence[LearnerRow], course: Course, now: datetime,
                 *, lesson: str | None = None) -> LiveSummary:
    """The live view's figures over ``attempts`` (see the module docstring and :class:`LiveState`)."""
    return LiveState(course).add(attempts).summary(learners, now, lesson=lesson)


# -- the projector -----------------------------------------------------------------------------------

def projector_summary(exercise: str, attempts: Iterable[AttemptRow], course: Course) -> ProjectorSummary:
    """One exercise for the room: the learners' latest answers as a distribution, the share correct, and
    the learners as "Peserta 1", "Peserta 2"… in the order they first answered. No user name appears."""
    ex = _exercises(course).get(exercise)
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
        parts = _part_shares(ex, [part_roles(ex, r.answer) for r in last.values()])
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
        question=plain(filler(ex, None)(ex.question)) if ex else "",
        learners=tried, attempts=len(rows),
        first_correct_share=_share(sum(first[u].status == "correct" for u in first), tried, scored),
        correct_share=_share(len(correct), tried, scored), answers=shares, participants=participants, parts=parts)


def _part_shares(ex: Exercise, answers: list[tuple[str, ...]]) -> list[PartShares]:
    """Per part, in the bank's order: the options the answers give it, the most chosen first (ties in the
    bank's order), a part left empty last; counts sum to ``len(answers)``."""
    rank = {key: i for i, key in enumerate(ex.choices)}
    out = []
    for i, item in enumerate(ex.items):
        chosen = Counter(roles[i] for roles in answers)
        n = len(answers)
        ranked = sorted(chosen.items(), key=lambda rc: (rc[0] == "", -rc[1], rank.get(rc[0], len(rank)), rc[0]))
        out.append(PartShares(
            item=item.id, label=plain_label(ex, item.label), key=option_label(ex, item.key),
            correct_share=_share(chosen.get(item.key, 0), n, True),
            roles=[RoleShare(role, option_label(ex, role), c, round(c / n, 4), role == item.key)
                   for role, c in ranked]))
    return out
