"""Lesson weights for the grade: by the course's own time estimates, unless the instructor sets them.

A lesson's weight is proportional to the minutes the course plans for it: the lesson notebook's
estimate (``notebooks/NN_*.ipynb``, metadata ``kenali.minutes``, the figure the course map in
``00_mulai`` shows) plus its exercise notebook's estimate (the bank's ``minutes``). The course map
and the weights therefore never disagree. Lesson 05's alternative no-code track
(``notebooks/05b_lab_tanpa_kode.ipynb``) is not a lesson of its own: it asks lesson 05's widget
exercises, under lesson 05's weight. A learner who attempted none of the lesson's code exercises took
that track, and their lesson percentage is taken over the points it offers
(:attr:`LessonWeight.points_without_code`); anyone who attempted a code exercise is graded on all of the
lesson's points. Without this, a learner on the no-code track could reach 6 of lesson 05's 19 points.

An instructor's weights (``weights:`` in the policy file, lesson → any non-negative number) replace
the time-based ones; they must name every lesson graded in the run. Weights are normalised so that
the lessons in the run sum to 100 %.

The weighted grade of a learner is ``sum(weight_l × percent_l) / 100`` where ``percent_l`` is the
learner's points in lesson ``l`` as a share of that lesson's points: a number from 0 to 100.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..bank import Bank

MAX_NOTEBOOK_BYTES = 20 * 1024 * 1024


class WeightsError(ValueError):
    """Instructor weights that cannot be used; the message names the lesson and what is wrong."""


@dataclass(frozen=True)
class LessonWeight:
    """One lesson's line in the weights table."""

    lesson: str
    title: str
    lesson_minutes: int            # the lesson notebook's estimate (0 when not found)
    exercise_minutes: int          # the exercise notebook's estimate (the bank's ``minutes``)
    points: float                  # graded points of the lesson
    weight: float                  # percent of the grade, the lessons in the run summing to 100
    source: str                    # "minutes" or "instructor"
    points_without_code: float     # points a learner on a no-code track can reach
    no_code_track: str | None = None  # the alternative notebook of the lesson, e.g. "05b_lab_tanpa_kode"

    @property
    def minutes(self) -> int:
        return self.lesson_minutes + self.exercise_minutes


def short_title(bank: Bank) -> str:
    """The bank's title without its "Latihan N · " prefix: "Pengguna akhir"."""
    title = bank.title
    return title.split("·", 1)[1].strip() if "·" in title else title.strip()


def _notebook_meta(path: Path) -> dict[str, Any] | None:
    try:
        if path.stat().st_size > MAX_NOTEBOOK_BYTES:
            return None
        meta = json.loads(path.read_text(encoding="utf-8")).get("metadata", {}).get("kenali")
    except (OSError, ValueError, AttributeError):
        return None
    return meta if isinstance(meta, dict) else None


def lesson_minutes(banks: list[Bank], root: Path | None) -> dict[str, int] | None:
    """Each lesson notebook's minutes, or None when any is missing (then only exercise minutes are used,
    for every lesson alike, and the summary says so)."""
    if root is None:
        return None
    out: dict[str, int] = {}
    for bank in banks:
        meta = _notebook_meta(root / "notebooks" / f"{bank.notebook}.ipynb")
        minutes = meta.get("minutes") if meta else None
        if not isinstance(minutes, int) or isinstance(minutes, bool) or minutes < 0:
            return None
        out[bank.lesson] = minutes
    return out


def no_code_tracks(banks: list[Bank], root: Path | None) -> dict[str, str]:
    """Lesson → its alternative notebook (``notebooks/05b_*.ipynb`` whose metadata names lesson 05)."""
    if root is None:
        return {}
    out: dict[str, str] = {}
    lessons = {b.lesson for b in banks}
    for path in sorted((root / "notebooks").glob("[0-9][0-9][a-z]_*.ipynb")):
        meta = _notebook_meta(path)
        lesson = str(meta.get("lesson", "")).zfill(2) if meta else path.name[:2]
        if lesson in lessons and lesson not in out:
            out[lesson] = path.stem
    return out


def _keys(bank: Bank) -> set[str]:
    return {bank.lesson, str(int(bank.lesson)) if bank.lesson.isdigit() else bank.lesson, bank.notebook}


def _resolve(banks: list[Bank], given: Mapping[str, Any], where: str, course: list[Bank]) -> dict[str, float]:
    """Instructor weights by lesson number ("01", "1") or notebook name, checked. Weights of lessons of
    the course that this run does not grade (``--only``) are ignored; a name that is no lesson is an error."""
    everything = {k for b in course for k in _keys(b)}
    out: dict[str, float] = {}
    for key, value in given.items():
        name = str(key).strip()
        if name not in everything:
            known = ", ".join(b.lesson for b in course)
            raise WeightsError(f"{where}: weights: {name!r} is not a lesson of the course (lessons: {known})")
        bank = next((b for b in banks if name in _keys(b)), None)
        if bank is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value < 0:
            raise WeightsError(f"{where}: weights: lesson {name!r} must be a number of 0 or more, not {value!r}")
        if bank.lesson in out:
            raise WeightsError(f"{where}: weights: lesson {bank.lesson} is given two weights")
        out[bank.lesson] = float(value)
    missing = [b.lesson for b in banks if b.lesson not in out]
    if missing:
        raise WeightsError(f"{where}: weights: no weight for lesson {', '.join(missing)}; give every graded lesson "
                           "a weight (0 leaves a lesson out of the grade), or remove 'weights' to weigh lessons "
                           "by their time")
    if sum(out.values()) <= 0:
        raise WeightsError(f"{where}: weights: the graded lessons' weights add up to 0")
    return out


def lesson_weights(banks: list[Bank], instructor: Mapping[str, Any] | None = None, *, root: Path | None = None,
                   where: str = "policy file", course: list[Bank] | None = None) -> list[LessonWeight]:
    """The weights table of the lessons in ``banks``: by lesson time, or the instructor's (``instructor``).

    ``root`` is the course folder (for the lesson notebooks' minutes); ``where`` names the file the
    instructor's weights came from, for error messages (:class:`WeightsError`); ``course`` is every bank
    of the course (default ``banks``), so a weight for a lesson not graded in this run is not an error."""
    minutes = lesson_minutes(banks, root)
    tracks = no_code_tracks(banks, root)
    raw: dict[str, float]
    if instructor is not None:
        if not isinstance(instructor, Mapping):
            raise WeightsError(f"{where}: 'weights' must map lessons to numbers, not {type(instructor).__name__}")
        raw, source = _resolve(banks, instructor, where, course or banks), "instructor"
    else:
        raw = {b.lesson: float((minutes or {}).get(b.lesson, 0) + b.minutes) for b in banks}
        source = "minutes"
        if sum(raw.values()) <= 0:  # no estimates at all: every lesson alike
            raw = {b.lesson: 1.0 for b in banks}
    total = sum(raw.values())
    return [
        LessonWeight(
            lesson=b.lesson, title=short_title(b), lesson_minutes=(minutes or {}).get(b.lesson, 0),
            exercise_minutes=b.minutes, points=float(sum(ex.points for ex in b.graded)),
            weight=100.0 * raw[b.lesson] / total, source=source,
            points_without_code=float(sum(ex.points for ex in b.graded if not ex.is_code)),
            no_code_track=tracks.get(b.lesson),
        )
        for b in banks
    ]


#: Statuses of a graded exercise that mean the learner answered it.
ANSWERED = frozenset({"correct", "partial", "wrong"})


def took_no_code_track(row: Mapping[str, Any], bank: Bank) -> bool:
    """Whether the learner attempted none of ``bank``'s code exercises (and so took its no-code track)."""
    results = row.get("exercises") or {}
    return not any(ex.id in results and results[ex.id].get("status") in ANSWERED for ex in bank.graded if ex.is_code)


def lesson_percents(row: Mapping[str, Any], banks: list[Bank],
                    table: list[LessonWeight] | None = None) -> dict[str, float]:
    """A learner's points in each lesson as a percent of that lesson's points (0 to 100, unrounded).

    With the weights ``table``, a lesson that has a no-code track is taken over the track's points for a
    learner who attempted none of its code exercises (see the module docstring)."""
    tracks = {w.lesson for w in table or [] if w.no_code_track}
    out: dict[str, float] = {}
    results = row.get("exercises") or {}
    for bank in banks:
        graded = list(bank.graded)
        if bank.lesson in tracks and took_no_code_track(row, bank):
            graded = [ex for ex in graded if not ex.is_code]
        points = sum(ex.points for ex in graded)
        earned = sum(float(results[ex.id]["earned"]) for ex in graded if ex.id in results)
        out[bank.lesson] = min(100.0, max(0.0, 100.0 * earned / points)) if points else 0.0
    return out


def weighted_percent(percents: Mapping[str, float], table: list[LessonWeight]) -> float:
    """The weighted grade, 0 to 100 (unrounded)."""
    value = sum(w.weight * percents.get(w.lesson, 0.0) for w in table) / 100.0
    return min(100.0, max(0.0, value))
