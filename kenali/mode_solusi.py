"""The calls of a solution notebook, each safe to run alone: ``from kenali.mode_solusi import tampilkan``.

Every cell of a generated notebook runs in a fresh kernel on its own. A solution cell
(``tampilkan("1.5", jawab="b")``) run alone would otherwise check the key in a learning session and
record it as the learner's answer; these wrappers first make sure the notebook's session is in
``"solusi"`` mode (answers kept in memory, never in the learner's progress folder), starting one for
the exercise's lesson when the kernel has none, and keep an existing one (so ``ringkasan`` still
sums the whole notebook when it is run from top to bottom).

Code answers in solution notebooks keep ``from kenali import cek``: their cells are also what a
learner pastes into an exercise notebook, and the grader re-executes code answers instead of reading
records.
"""

from __future__ import annotations

from typing import Any

from . import api
from . import session as session_mod

__all__ = ["mulai", "ringkasan", "tampilkan"]


def _lesson_of(exercise_id: Any) -> str | None:
    head = str(exercise_id).split(".", 1)[0]
    return head.zfill(2) if head.isdigit() else None


def _ensure(lesson: str | None) -> None:
    current = getattr(session_mod, "_current", None)
    if current is None or current.mode != "solusi":
        session_mod.start(lesson, "solusi")


def mulai(lesson: str | None = None):
    """The banner of a solution notebook (always in solution mode)."""
    return api.mulai(lesson, mode="solusi")


def tampilkan(exercise_id: str, jawab: Any = None):
    """``kenali.tampilkan`` in solution mode: the key is checked, nothing is recorded for the learner."""
    _ensure(_lesson_of(exercise_id))
    return api.tampilkan(exercise_id, jawab=jawab)


def ringkasan(lesson: str | None = None):
    """The score summary of the solution notebook's own (in-memory) answers."""
    _ensure(lesson)
    return api.ringkasan(lesson)
