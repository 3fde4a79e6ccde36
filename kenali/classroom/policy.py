"""The assessment policy: how many attempts count, how they are credited, and what feedback is shown when.

An instructor writes one YAML file (documented in ``docs/grading.md``) listing *assignments*: a set
of exercises (``fnmatch`` patterns on exercise IDs, or whole lessons) with a :class:`Policy`. Exercises
no assignment names get the file's ``default`` policy, else :data:`PRACTICE`, which keeps the course's
practice behaviour (unlimited attempts, the latest answer counts, all feedback at once).

The same policy is applied in three places, always through the pure functions here:

* :func:`disclosure` and :func:`redact`: what a learner may see after an attempt (the class server and
  the widgets);
* :func:`score_attempts`: the credited score of an exercise from the attempts in order (the class
  server and ``kenali grade --policy``);
* :func:`attempts_left`.

Only :func:`load_policy` does I/O; a problem in the file is a :class:`PolicyError` naming the file and
the field.
"""

from __future__ import annotations

import difflib
import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    ValidationError,
    field_validator,
    model_validator,
)

from ..model import Exercise, Result
from ..schema import field_path, model_at

Reveal = Literal["always", "final", "never"]
"""When per-part marks are shown; ``final``: after a correct answer or the last allowed attempt."""
ExplainWhen = Literal["always", "final", "deadline", "never"]
"""When the explanation opens; ``always`` = after the first try (practice)."""
Credit = Literal["first", "best", "last", "decay"]
"""Which attempt is credited; ``decay``: the score at attempt n times ``decay[n-1]`` (best of them)."""

#: Statuses that are not attempts: nothing was judged (see :func:`score_attempts`).
NOT_ATTEMPTS = frozenset({"saved", "unanswered", "invalid", "pending"})


class PolicyError(ValueError):
    """A policy file is malformed; the message names the file and the field."""

    def __init__(self, path: Path | str | None, message: str, fieldname: str | None = None):
        self.path = Path(path) if path is not None else None
        self.fieldname = fieldname
        self.detail = message
        where = self.path.name if self.path is not None else "policy"
        if fieldname:
            where += f", field '{fieldname}'"
        super().__init__(f"{where}: {message}")


def _lesson_key(value: Any) -> Any:
    """YAML reads ``01`` as the integer 1; lessons are named ``"01"``."""
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:02d}"
    return value


class Policy(BaseModel):
    """What one assignment allows and discloses."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    attempts: StrictInt | None = Field(default=None, ge=1)
    """Graded attempts allowed; ``None`` = unlimited."""
    credit: Credit = "last"
    """Which attempt is credited (practice: the latest answer, as before)."""
    decay: tuple[float, ...] = Field(default=(1.0, 0.5, 0.25), min_length=1)
    """Factor for a correct answer at attempt n (``decay[n-1]``); the last value repeats."""
    show_parts: Reveal = "always"
    """Per-actor / per-option marks (✓/✗) and the messages naming them."""
    show_explanation: ExplainWhen = "always"
    show_distance: StrictBool = True
    """Numeric direction and distance ("terlalu kecil", "selisih 204%") and messages stating the expected value."""
    deadline: datetime | None = None
    """Timezone-aware; attempts after it are late (never credited)."""

    @field_validator("decay")
    @classmethod
    def _decay(cls, value: tuple[float, ...]) -> tuple[float, ...]:
        for i, v in enumerate(value):
            if not 0.0 <= v <= 1.0:
                raise ValueError(f"decay[{i}] = {v} is not between 0 and 1")
        for i in range(1, len(value)):
            if value[i] > value[i - 1]:
                raise ValueError(f"decay must not increase (decay[{i}] = {value[i]} > decay[{i - 1}] = {value[i - 1]})")
        return value

    @field_validator("deadline", mode="before")
    @classmethod
    def _deadline(cls, value: Any) -> Any:
        if isinstance(value, date) and not isinstance(value, datetime):
            raise ValueError("a deadline needs a time and a timezone, e.g. 2026-12-10T17:00:00+07:00")
        if isinstance(value, str):
            try:
                value = datetime.fromisoformat(value.strip())
            except ValueError:
                raise ValueError(f"{value!r} is not a date and time like 2026-12-10T17:00:00+07:00") from None
        if isinstance(value, datetime) and value.tzinfo is None:
            raise ValueError("the deadline has no timezone; add one, e.g. 2026-12-10T17:00:00+07:00 (WIB)")
        return value

    @model_validator(mode="after")
    def _explain_deadline(self) -> Policy:
        if self.show_explanation == "deadline" and self.deadline is None:
            raise ValueError("show_explanation: deadline needs a deadline")
        return self


PRACTICE = Policy()
"""What applies without a policy file: unlimited attempts, the latest answer counts, all feedback shown."""


def _pattern(value: Any) -> Any:
    if isinstance(value, float):
        raise ValueError(f"{value!r} reads as a number; quote exercise IDs, e.g. \"1.10\"")
    return value


class Assignment(BaseModel):
    """A named set of exercises under one policy."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1)
    title: str = Field(min_length=1)
    exercises: list[str] = []
    """``fnmatch`` patterns on exercise IDs ("1.*", "5.1?")."""
    lessons: list[str] = []
    """Whole lessons ("01")."""
    policy: Policy

    @field_validator("exercises", mode="before")
    @classmethod
    def _exercises(cls, value: Any) -> Any:
        return [_pattern(v) for v in value] if isinstance(value, list) else value

    @field_validator("lessons", mode="before")
    @classmethod
    def _lessons(cls, value: Any) -> Any:
        return [_lesson_key(v) for v in value] if isinstance(value, list) else value

    @model_validator(mode="after")
    def _nonempty(self) -> Assignment:
        if not self.exercises and not self.lessons:
            raise ValueError(f"assignment {self.id!r} names no exercises and no lessons")
        return self

    def matches(self, exercise_id: str, lesson: str | None) -> bool:
        """Whether this assignment covers the exercise."""
        return (lesson is not None and lesson in self.lessons) or any(fnmatchcase(exercise_id, p)
                                                                      for p in self.exercises)


class PolicyFile(BaseModel):
    """A whole policy file: assignments, the default policy, lesson weights."""

    model_config = ConfigDict(extra="forbid")

    assignments: list[Assignment] = []
    default: Policy = PRACTICE
    """The policy of exercises no assignment names."""
    weights: dict[str, float] | None = None
    """Lesson -> weight (0 or more; 0 leaves a lesson out); ``None``: weights by lesson time.
    :mod:`kenali.grading.weights` checks the rest (every graded lesson named, notebook names, a sum above 0)."""

    @field_validator("weights", mode="before")
    @classmethod
    def _weight_keys(cls, value: Any) -> Any:
        if not isinstance(value, Mapping):
            return value
        for k, v in value.items():
            if isinstance(v, bool) or not isinstance(v, int | float):
                raise ValueError(f"the weight of lesson {_lesson_key(k)!r} must be a number of 0 or more, found {v!r}")
        return {_lesson_key(k): v for k, v in value.items()}

    @field_validator("weights")
    @classmethod
    def _weights(cls, value: dict[str, float] | None) -> dict[str, float] | None:
        for lesson, w in (value or {}).items():
            if not w >= 0:
                raise ValueError(f"the weight of lesson {lesson!r} must be a number of 0 or more, found {w}")
        return value

    def for_exercise(self, exercise_id: str, lesson: str | None) -> tuple[Assignment | None, Policy]:
        """The assignment covering an exercise and its policy; ``(None, default)`` when none does.

        Raises :class:`PolicyError` when two assignments cover it (:func:`load_policy` checks this for
        every exercise of the course, so a loaded file never raises here for the course's exercises).
        """
        found = [a for a in self.assignments if a.matches(exercise_id, lesson)]
        if len(found) > 1:
            names = " and ".join(repr(a.id) for a in found)
            raise PolicyError(None, f"exercise {exercise_id} is in two assignments: {names}", "assignments")
        if found:
            return found[0], found[0].policy
        return None, self.default

    def check_overlaps(self, exercises: Iterable[tuple[str, str | None]]) -> None:
        """Raise :class:`PolicyError` if an exercise is covered by two assignments."""
        for exercise_id, lesson in exercises:
            self.for_exercise(exercise_id, lesson)

    def digest(self) -> str:
        """A short, stable fingerprint of the policy (for reports and cache keys)."""
        return policy_digest(self)


def policy_digest(pf: PolicyFile | None) -> str:
    """A stable fingerprint of a policy file (``None``: no file, :data:`PRACTICE`)."""
    data = pf.model_dump(mode="json") if pf is not None else {"default": PRACTICE.model_dump(mode="json")}
    text = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


# -- loading ----------------------------------------------------------------------------------


def _explain(err: Mapping[str, Any]) -> str:
    kind, value, loc = err["type"], err.get("input"), tuple(err["loc"])
    if kind == "missing":
        return "is required"
    if kind == "extra_forbidden":
        model = model_at(loc, PolicyFile)
        allowed = sorted(model.model_fields) if model is not None else []
        close = difflib.get_close_matches(str(loc[-1]), allowed, n=1)
        hint = f"did you mean {close[0]!r}?" if close else f"allowed: {', '.join(allowed)}"
        return f"unknown field {loc[-1]!r} ({hint})"
    if kind == "literal_error":
        return f"{value!r} is not one of {err.get('ctx', {}).get('expected')}"
    if kind in {"greater_than_equal", "greater_than"}:
        return f"must be at least {err.get('ctx', {}).get('ge', err.get('ctx', {}).get('gt'))}, found {value!r}"
    if kind in {"too_short", "string_too_short"}:
        return "must not be empty"
    if kind in {"int_type", "int_parsing", "int_from_float"}:
        return f"must be a whole number, found {value!r}"
    if kind in {"float_type", "float_parsing"}:
        return f"must be a number, found {value!r}"
    if kind in {"bool_type", "bool_parsing"}:
        return f"must be true or false, found {value!r}"
    if kind in {"string_type"}:
        return f"must be text, found {type(value).__name__}"
    if kind in {"list_type", "tuple_type"}:
        return f"must be a list, found {type(value).__name__}"
    if kind in {"dict_type", "model_type", "model_attributes_type"}:
        return f"must be a mapping, found {type(value).__name__}"
    text = str(err.get("msg", kind))
    return text.removeprefix("Value error, ")


def parse_policy(raw: Any, path: Path | str | None = None) -> PolicyFile:
    """Validate already-loaded policy data (a mapping); :class:`PolicyError` names ``path`` and the field."""
    if not isinstance(raw, Mapping):
        found = "nothing (the file is empty)" if raw is None else type(raw).__name__
        raise PolicyError(path, f"expected a mapping with 'assignments:', found {found}")
    try:
        pf = PolicyFile.model_validate(dict(raw))
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = tuple(err["loc"])
        raise PolicyError(path, _explain(err), field_path(loc) or None) from None
    seen: dict[str, int] = {}
    for i, a in enumerate(pf.assignments):
        if a.id in seen:
            raise PolicyError(path, f"assignment id {a.id!r} is already used by assignments[{seen[a.id]}]",
                              f"assignments[{i}].id")
        seen[a.id] = i
    return pf


def load_policy(path: Path, *, exercises: Iterable[tuple[str, str | None]] | None = None) -> PolicyFile:
    """Read and validate a policy file.

    ``exercises`` are the ``(id, lesson)`` pairs checked for overlapping assignments and for patterns
    that match nothing; by default, every exercise of the course.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PolicyError(path, "file not found") from None
    except IsADirectoryError:
        raise PolicyError(path, "is a folder, not a policy file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise PolicyError(path, f"cannot be read ({exc.__class__.__name__}: {exc})") from None
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f" at line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise PolicyError(path, f"is not valid YAML{line}: {problem}") from None
    pf = parse_policy(raw, path)
    if exercises is None:
        from ..bank import load_course

        exercises = [(e.id, e.lesson) for e in load_course().exercises()]
    pairs = list(exercises)
    try:
        pf.check_overlaps(pairs)
    except PolicyError as exc:
        raise PolicyError(path, exc.detail, "assignments") from None
    ids, lessons = {e for e, _ in pairs}, {lesson for _, lesson in pairs}
    for i, a in enumerate(pf.assignments):
        for j, p in enumerate(a.exercises):
            if not any(fnmatchcase(e, p) for e in ids):
                raise PolicyError(path, f"{p!r} matches no exercise of the course",
                                  f"assignments[{i}].exercises[{j}]")
        for j, lesson in enumerate(a.lessons):
            if lesson not in lessons:
                raise PolicyError(path, f"there is no lesson {lesson!r} (lessons: {', '.join(sorted(lessons))})",
                                  f"assignments[{i}].lessons[{j}]")
    return pf


# -- disclosure -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Disclosure:
    """What a learner may see after an attempt."""

    parts: bool
    explanation: bool
    distance: bool


def _now(now: datetime | None) -> datetime:
    return now if now is not None else datetime.now(UTC)


def is_final(policy: Policy, *, attempt: int, correct: bool) -> bool:
    """Whether an attempt ends the exercise: it is correct, or it is the last one allowed."""
    return correct or (policy.attempts is not None and attempt >= policy.attempts)


def disclosure(policy: Policy, *, attempt: int, correct: bool, now: datetime | None = None) -> Disclosure:
    """What may be shown after attempt number ``attempt`` (1-based). ``now`` defaults to the current
    time; it matters only for ``show_explanation: deadline``."""
    final = is_final(policy, attempt=attempt, correct=correct)
    parts = policy.show_parts == "always" or (policy.show_parts == "final" and final)
    when = policy.show_explanation
    if when == "deadline":
        explanation = policy.deadline is not None and _now(now) >= policy.deadline
    else:
        explanation = when == "always" or (when == "final" and final)
    return Disclosure(parts=parts, explanation=explanation, distance=policy.show_distance)


#: Message keys that mark single parts (actors, terms, options) right or wrong.
PART_KEYS = frozenset({
    "feedback.item_right", "feedback.item_wrong", "feedback.item_empty",
    "feedback.multi_missed", "feedback.multi_wrong_pick",
    "value.values", "value.values_where",
})
#: Message keys that state a numeric direction or distance, or part of the expected value.
DISTANCE_KEYS = frozenset({
    "feedback.number_below", "feedback.number_above",
    "value.number_wrong", "value.off_by", "value.length",
    "value.list_items", "value.keys_missing", "value.columns_missing", "value.index_missing",
})
EXPLANATION_KEYS = frozenset({"feedback.see_explanation"})


def _keys(message: Any) -> set[str]:
    """Every message key in ``message``, nested and joined ones included."""
    key = getattr(message, "key", None)
    params = getattr(message, "params", None)
    if key is None or not isinstance(params, Mapping):
        return set()
    found = {key} if key else set()
    for value in params.values():
        for part in value if isinstance(value, tuple | list) else (value,):
            found |= _keys(part)
    return found


def redact(ex: Exercise, result: Result, d: Disclosure) -> Result:
    """A new result without what ``d`` hides.

    Hidden parts: the per-actor / per-option lines go and ``parts`` is ``{}`` (the head line "x dari
    y tepat" stays). Hidden distance: an ``angka`` answer keeps only its head message (the direction,
    the exercise's ``below``/``above`` text and the feedback of a known mistake value all say where the
    key lies); any other message stating a distance or part of the expected value goes. Hidden
    explanation: the pointer to it goes (the caller does not show ``ex.explanation``).
    """
    hidden: set[str] = set()
    if not d.parts:
        hidden |= PART_KEYS
    if not d.distance:
        hidden |= DISTANCE_KEYS
    if not d.explanation:
        hidden |= EXPLANATION_KEYS
    messages = list(result.messages)
    if not d.distance and ex.type == "angka" and result.status == "wrong":
        messages = messages[:1]
    kept = tuple(m for m in messages if not (_keys(m) & hidden))
    parts = result.parts if d.parts else {}
    return Result(result.status, result.score, kept, dict(parts))


# -- scoring ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Attempt:
    """One judged answer: its status and score (from the one ``check()``), hints used, when, its number."""

    status: str
    score: float
    hints: int = 0
    at: datetime | None = None
    seq: int = 0


@dataclass(frozen=True)
class ExerciseScore:
    """An exercise's attempts under a policy."""

    attempts: int
    """Judged attempts (statuses in :data:`NOT_ATTEMPTS` are not attempts)."""
    counted: int
    """Within the limit and not after the deadline."""
    late: int
    """After the deadline (never credited)."""
    over_limit: int
    """On time but beyond the allowed number."""
    hints: int
    """The most hints recorded."""
    first: float
    """The first attempt's score (0..1), 0 when none (a measure, credited or not)."""
    final: float
    """The credited score under the policy (0..1)."""


def _factor(policy: Policy, n: int) -> float:
    return policy.decay[min(n, len(policy.decay)) - 1]


def _is_late(at: datetime | None, deadline: datetime | None) -> bool:
    if deadline is None or at is None:
        return False
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return at > deadline


def score_attempts(attempts: Sequence[Attempt], policy: Policy) -> ExerciseScore:
    """Score an exercise from its attempts, in the order they were made.

    Entries whose status is ``saved``, ``unanswered``, ``invalid`` or ``pending`` are not attempts
    (nothing was judged) and are skipped; their hints still count. The n-th judged attempt is late when
    made after the deadline (a time without a timezone is read as UTC; no time: on time), else over the
    limit when n exceeds ``policy.attempts``, else counted. ``final``: ``first`` credits the first
    counted attempt, ``best`` the best counted, ``last`` the last counted, ``decay`` the best of
    ``score × decay[n-1]`` over the counted attempts (the last factor repeats).
    """
    judged = [a for a in attempts if a.status not in NOT_ATTEMPTS]
    hints = max((a.hints for a in attempts), default=0)
    counted: list[tuple[int, Attempt]] = []
    late = over = 0
    for n, a in enumerate(judged, start=1):
        if _is_late(a.at, policy.deadline):
            late += 1
        elif policy.attempts is not None and n > policy.attempts:
            over += 1
        else:
            counted.append((n, a))
    final = 0.0
    if counted:
        if policy.credit == "first":
            final = counted[0][1].score
        elif policy.credit == "best":
            final = max(a.score for _, a in counted)
        elif policy.credit == "last":
            final = counted[-1][1].score
        else:
            final = max(a.score * _factor(policy, n) for n, a in counted)
    return ExerciseScore(
        attempts=len(judged), counted=len(counted), late=late, over_limit=over, hints=hints,
        first=judged[0].score if judged else 0.0, final=final,
    )


def attempts_left(policy: Policy, used: int) -> int | None:
    """Attempts still allowed after ``used`` ones; ``None`` when unlimited."""
    if policy.attempts is None:
        return None
    return max(0, policy.attempts - used)
