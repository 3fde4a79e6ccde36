"""The exercise model: an exercise is data, and :func:`check` is the one place that says "is this right".

Answers are plain, JSON-able data, the same whether they come from a widget, from ``cek()`` in a
notebook, or from a learner's hand-in read by the grader:

=================  ==============================================
type               answer
=================  ==============================================
``pilihan``        a choice key (``"b"``)
``pilihan_ganda``  a list of choice keys (``["a", "c"]``)
``peran``          ``{actor id: role key}``
``pasangan``       ``{item id: option key}``
``angka``          a number (or the text typed into the box)
``teks``           a string
``kode``           a plain value from :func:`kenali.values.to_plain`
``refleksi``       a string (never graded: its status is ``"saved"``)
=================  ==============================================

``refleksi`` ("Terapkan di produkmu") is an ungraded prompt: the learner's text is saved with
their progress (status ``"saved"``) and restored next time, but it never earns or costs points.
"""

from __future__ import annotations

import hashlib
import math
import random
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from .i18n import t
from .present.message import msg
from .textnorm import compact, contains_form, normalize
from .values import CompareOptions, Plain, compare

Status = Literal["correct", "partial", "wrong", "unanswered", "invalid", "saved"]
TYPES = ("pilihan", "pilihan_ganda", "peran", "pasangan", "angka", "teks", "kode", "refleksi")
#: Types whose answers are never scored (always quick, never counted in points).
UNGRADED_TYPES = frozenset({"refleksi"})
_PLACEHOLDER = re.compile(r"\{(\w+)\}")


@dataclass(frozen=True)
class Result:
    """The verdict on one answer: a status, a score in [0, 1], and feedback for the learner."""

    status: Status
    score: float
    messages: tuple[str, ...] = ()
    parts: Mapping[str, bool] = field(default_factory=dict)

    @property
    def correct(self) -> bool:
        return self.status == "correct"

    @property
    def attempted(self) -> bool:
        return self.status not in {"unanswered", "invalid"}

    @property
    def scored(self) -> bool:
        """Whether the result carries a score worth showing (not for ungraded, saved answers)."""
        return self.attempted and self.status != "saved"


@dataclass(frozen=True)
class Item:
    """An actor (``peran``) or a term (``pasangan``) to be given one option."""

    id: str
    label: str
    key: str
    why: str
    feedback: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Mistake:
    """A common wrong answer and what it reveals."""

    feedback: str
    value: float | None = None
    answers: tuple[str, ...] = ()
    solution: str | None = None


@dataclass(frozen=True)
class Exercise:
    """One exercise or quick check, exactly as its bank file describes it."""

    id: str
    type: str
    lesson: str
    concepts: tuple[str, ...]
    title: str
    question: str
    hints: tuple[str, ...]
    explanation: str
    scenario: str = ""
    points: float = 1.0
    quick: bool = False
    section: str | None = None
    source: str = ""
    pools: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # pilihan, pilihan_ganda: choices; peran: role key -> label; pasangan: option key -> text
    choices: Mapping[str, str] = field(default_factory=dict)
    key: Any = None
    feedback: Mapping[str, str] = field(default_factory=dict)
    items: tuple[Item, ...] = ()
    tolerance: float = 0.0
    unit: str | None = None
    mistakes: tuple[Mistake, ...] = ()
    # kode
    variable: str | None = None
    starter: str | None = None
    solution: str | None = None
    compare: Mapping[str, Any] = field(default_factory=dict)

    # -- presentation -------------------------------------------------------------------------
    @property
    def is_code(self) -> bool:
        return self.type == "kode"

    @property
    def is_reflection(self) -> bool:
        """An ungraded ``refleksi`` prompt ("Terapkan di produkmu"): saved, never scored."""
        return self.type in UNGRADED_TYPES

    @property
    def kind_label(self) -> str:
        if self.is_reflection:
            return t("reflection.kind")
        return t("kind.quick") if self.quick else t("kind.exercise")

    def uses_variants(self) -> bool:
        texts = [self.scenario, self.question, *self.choices.values(), *(i.label for i in self.items)]
        return any(name in self.pools for text in texts for name in _PLACEHOLDER.findall(text))

    def variant(self, learner_id: str | None) -> dict[str, str]:
        """The names drawn for this learner: stable per (learner, exercise), varied across learners."""
        digest = hashlib.sha256(f"{learner_id or 'anonim'}:{self.id}".encode()).digest()
        rng = random.Random(int.from_bytes(digest[:8], "big"))
        return {name: rng.choice(list(pool)) for name, pool in sorted(self.pools.items())}

    def display_order(self, learner_id: str | None) -> tuple[str, ...]:
        """The order a learner sees this exercise's options (``pilihan``, ``pilihan_ganda``: choice keys)
        or rows (``peran``: actor IDs, ``pasangan``: term IDs); ``()`` for other types.

        Shuffled, and stable per (learner, exercise) like :meth:`variant` (a separate seed, so the
        order says nothing about the names drawn). Without a learner (solution notebooks, or before the
        learner gave an ID) the order is the one of the learner "anonim": also shuffled, never the
        bank's order as a rule, so the bank's key positions are no cue anywhere. Answers are keys and
        IDs, never positions, so the order changes nothing in checking or grading.
        """
        if self.type in {"pilihan", "pilihan_ganda"}:
            keys = list(self.choices)
        elif self.type in {"peran", "pasangan"}:
            keys = [item.id for item in self.items]
        else:
            return ()
        digest = hashlib.sha256(f"{learner_id or 'anonim'}:{self.id}:order".encode()).digest()
        random.Random(int.from_bytes(digest[:8], "big")).shuffle(keys)
        return tuple(keys)

    def render(self, text: str, variant: Mapping[str, str] | None) -> str:
        """Fill ``{name}`` placeholders that name a pool; leave any other braces alone
        (:func:`kenali.present.text.fill`, kept here for callers that hold an exercise)."""
        from .present.text import fill

        return fill(text, variant)

    def correct_answer(self) -> Any:
        """The answer that scores full marks (for solution notebooks and tests)."""
        if self.type in {"peran", "pasangan"}:
            return {item.id: item.key for item in self.items}
        if self.type == "teks":
            return self.key[0]
        if self.is_reflection:
            return None
        return self.key

    def describe(self, answer: Any, keys: bool = True) -> str:
        """A learner-readable rendering of an answer (for reports). ``keys=False`` leaves out the choice
        keys ("b. "): a learner sees the options shuffled and lettered by position (:meth:`display_order`)."""
        if answer is None:
            return "—"
        if self.type == "pilihan":
            text = self.choices.get(answer, "?")
            return f"{answer}. {text}" if keys else text
        if self.type == "pilihan_ganda" and isinstance(answer, list):
            return "; ".join(f"{a}. {self.choices.get(a, '?')}" if keys else self.choices.get(a, "?")
                             for a in answer) or "—"
        if self.type in {"peran", "pasangan"} and isinstance(answer, Mapping):
            return "; ".join(f"{item.label} → {self.choices.get(answer.get(item.id), '—')}" for item in self.items)
        return str(answer)


# -- checking ----------------------------------------------------------------------------------


def _invalid(expected: str, answer: Any) -> Result:
    return Result("invalid", 0.0, (msg("feedback.wrong_type", expected=expected, actual=type(answer).__name__),))


def _check_choice(ex: Exercise, answer: Any) -> Result:
    if answer in (None, ""):
        return Result("unanswered", 0.0, (msg("feedback.empty"),))
    if not isinstance(answer, str):
        return _invalid(msg("type_names.text"), answer)
    if answer not in ex.choices:
        return Result("invalid", 0.0, (msg("feedback.unknown_choice", value=answer),))
    if answer == ex.key:
        return Result("correct", 1.0, (msg("feedback.correct"),))
    return Result("wrong", 0.0, (msg("feedback.wrong"), ex.feedback[answer]))


def _check_multi(ex: Exercise, answer: Any) -> Result:
    if answer is None or (isinstance(answer, list | tuple | set) and not answer):
        return Result("unanswered", 0.0, (msg("feedback.empty"),))
    if not isinstance(answer, list | tuple | set) or not all(isinstance(a, str) for a in answer):
        return _invalid(msg("type_names.list"), answer)
    picked = set(answer)
    unknown = picked - set(ex.choices)
    if unknown:
        return Result("invalid", 0.0, (msg("feedback.unknown_choice", value=", ".join(sorted(unknown))),))
    keys = set(ex.key)
    hits, false_picks = picked & keys, picked - keys
    missed = keys - picked
    score = max(0.0, (len(hits) - len(false_picks)) / len(keys))
    parts = {c: (c in picked) == (c in keys) for c in ex.choices}
    if not missed and not false_picks:
        return Result("correct", 1.0, (msg("feedback.correct"),), parts)
    messages = [
        msg("feedback.partial", right=sum(parts.values()), total=len(parts)) if score > 0 else msg("feedback.wrong")
    ]
    for c in ex.choices:
        if c in missed:
            messages.append(msg("feedback.multi_missed", label=ex.choices[c].rstrip("."), message=ex.feedback[c]))
        elif c in false_picks:
            messages.append(msg("feedback.multi_wrong_pick", label=ex.choices[c].rstrip("."), message=ex.feedback[c]))
    return Result("partial" if score > 0 else "wrong", score, tuple(messages), parts)


def _check_assignment(ex: Exercise, answer: Any) -> Result:
    if answer is None:
        answer = {}
    if not isinstance(answer, Mapping):
        return _invalid(msg("type_names.dict"), answer)
    given = {item.id: answer.get(item.id) for item in ex.items}
    if all(v in (None, "") for v in given.values()):
        return Result("unanswered", 0.0, (msg("feedback.empty"),))
    parts: dict[str, bool] = {}
    lines: list[str] = []
    for item in ex.items:
        value = given[item.id]
        if value in (None, ""):
            parts[item.id] = False
            lines.append(msg("feedback.item_empty", label=item.label))
        elif not isinstance(value, str) or value not in ex.choices:
            parts[item.id] = False
            lines.append(msg("feedback.unknown_choice", value=value))
        elif value == item.key:
            parts[item.id] = True
            lines.append(msg("feedback.item_right", label=item.label))
        else:
            parts[item.id] = False
            lines.append(msg("feedback.item_wrong", label=item.label, message=item.feedback.get(value, item.why)))
    right = sum(parts.values())
    score = right / len(ex.items)
    if right == len(ex.items):
        return Result("correct", 1.0, (msg("feedback.correct_all"), *lines), parts)
    head = msg("feedback.partial", right=right, total=len(ex.items)) if right else msg("feedback.wrong")
    return Result("partial" if right else "wrong", score, (head, *lines), parts)


def _parse_number(answer: Any) -> float | None:
    if isinstance(answer, bool):
        return None
    if isinstance(answer, int | float):
        return float(answer)
    if isinstance(answer, str):
        text = answer.strip().replace(" ", "").rstrip("%")
        # Indonesian decimal comma: "12,5" -> 12.5; thousands dots "1.250" stay ambiguous, read as 1.25
        if text.count(",") == 1:
            text = text.replace(".", "").replace(",", ".")
        try:
            return float(text)
        except ValueError:
            return None
    return None


def _check_number(ex: Exercise, answer: Any) -> Result:
    if answer is None or (isinstance(answer, str) and not answer.strip()):
        return Result("unanswered", 0.0, (msg("feedback.empty"),))
    value = _parse_number(answer)
    if value is None or math.isnan(value):
        return Result("invalid", 0.0, (msg("feedback.not_a_number", value=answer),))
    key = float(ex.key)
    if abs(value - key) <= ex.tolerance + 1e-9:
        return Result("correct", 1.0, (msg("feedback.correct"),))
    messages = [msg("feedback.wrong")]
    for mistake in ex.mistakes:
        if mistake.value is not None and abs(value - mistake.value) <= max(ex.tolerance, 1e-9):
            messages.append(mistake.feedback)
            break
    else:
        direction = "below" if value < key else "above"
        messages.append(ex.feedback.get(direction) or msg(f"feedback.number_{direction}"))
    return Result("wrong", 0.0, tuple(messages))


def _check_text(ex: Exercise, answer: Any) -> Result:
    if answer is None or (isinstance(answer, str) and not answer.strip()):
        return Result("unanswered", 0.0, (msg("feedback.empty"),))
    if not isinstance(answer, str):
        return _invalid(msg("type_names.text"), answer)
    given = compact(answer)
    if any(given == compact(a) for a in ex.key):
        return Result("correct", 1.0, (msg("feedback.correct"),))
    for mistake in ex.mistakes:
        if any(given == compact(a) for a in mistake.answers):
            return Result("wrong", 0.0, (msg("feedback.wrong"), mistake.feedback))
    # an accepted form with a gloss ("UAT (User Acceptance Testing)", "tahap UAT"); unrelated words are not one
    if any(contains_form(answer, a, ex.key) for a in ex.key):
        return Result("correct", 1.0, (msg("feedback.correct"),))
    for mistake in ex.mistakes:
        if any(contains_form(answer, a, mistake.answers) for a in mistake.answers):
            return Result("wrong", 0.0, (msg("feedback.wrong"), mistake.feedback))
    return Result("wrong", 0.0, (msg("feedback.wrong"), ex.feedback["default"]))


def _check_reflection(answer: Any) -> Result:
    """An ungraded reflection: any non-empty text is saved; nothing is right or wrong."""
    if answer is None or (isinstance(answer, str) and not answer.strip()):
        return Result("unanswered", 0.0, (msg("reflection.empty"),))
    if not isinstance(answer, str):
        return _invalid(msg("type_names.text"), answer)
    return Result("saved", 0.0, (msg("reflection.saved"),))


def _check_code(ex: Exercise, answer: Any, expected: Plain | None, mistakes: list[tuple[Plain, str]]) -> Result:
    if not isinstance(answer, Mapping) or "kind" not in answer:
        return _invalid(msg("type_names.other", name="plain value"), answer)
    if answer["kind"] == "ellipsis":
        return Result("unanswered", 0.0, (msg("value.unanswered"),))
    if expected is None:
        return Result("invalid", 0.0, (msg("value.cannot_compute_key", error="?"),))
    opts = CompareOptions.from_mapping(dict(ex.compare))
    verdict = compare(dict(answer), expected, opts)
    if verdict.ok:
        return Result("correct", 1.0, (msg("feedback.correct"),))
    messages = [msg("feedback.wrong"), *verdict.messages]
    for plain, feedback in mistakes:
        if compare(dict(answer), plain, opts).ok:
            messages.append(msg("value.mistake", message=feedback))
            break
    return Result("wrong", 0.0, tuple(messages))


def check(
    ex: Exercise,
    answer: Any,
    *,
    expected: Plain | None = None,
    mistakes: list[tuple[Plain, str]] | None = None,
) -> Result:
    """Score ``answer`` (plain data, see the module docstring) for exercise ``ex``.

    For ``kode`` exercises the caller passes the key as plain data in ``expected`` (computed by
    :mod:`kenali.keys` in the caller's own, trusted process) and the plain values of the common
    mistakes. Every other type carries its key in the exercise itself.
    """
    if ex.type == "pilihan":
        return _check_choice(ex, answer)
    if ex.type == "pilihan_ganda":
        return _check_multi(ex, answer)
    if ex.type in {"peran", "pasangan"}:
        return _check_assignment(ex, answer)
    if ex.type == "angka":
        return _check_number(ex, answer)
    if ex.type == "teks":
        return _check_text(ex, answer)
    if ex.type == "kode":
        return _check_code(ex, answer, expected, mistakes or [])
    if ex.type == "refleksi":
        return _check_reflection(answer)
    raise ValueError(f"unknown exercise type {ex.type!r}")


def normalize_text_answer(answer: str) -> str:
    """The canonical form used for text answers (exposed for reports)."""
    return normalize(answer)
