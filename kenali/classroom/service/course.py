"""The class server's own copy of the course, with its keys: the only place the server checks answers.

By default the course of the installed kenali (``KENALI_LANG`` edition); ``kenali serve --course DIR``
names a content folder instead (a language edition laid out like ``kenali/content/id``: ``banks/``,
``syllabus/``, ``roles.yaml``), e.g. the instructor's copy of a graded assignment whose learners' copy
carries no keys. Checking goes through :func:`kenali.session.check_answer` (the installed course) or
:func:`kenali.model.check` with keys computed from this copy's solution code (a folder), so a learner's
kernel never decides what is right.
"""

from __future__ import annotations

import hashlib
import threading
from functools import cached_property
from pathlib import Path
from typing import Any

from ...bank import BankError, Course, load_bank, load_course, load_roles, load_syllabus
from ...i18n import content_dir, lang
from ...keys import KeyError_, run_code
from ...model import Exercise, Result, check
from ...session import check_answer
from ...values import to_plain


class CourseError(ValueError):
    """The server's course cannot be loaded (the message names the folder or the file)."""


def _files(base: Path) -> list[Path]:
    return [base / "roles.yaml", *sorted((base / "banks").glob("*.yaml")), *sorted((base / "syllabus").glob("*.yaml"))]


class ServerCourse:
    """The exercises the server checks, by id, and the version of the content they come from."""

    def __init__(self, folder: Path | None = None, language: str | None = None):
        self.language = language or lang()
        self.folder = Path(folder).resolve() if folder is not None else None
        base = self.folder or content_dir(self.language)
        if not (base / "banks").is_dir():
            raise CourseError(f"{base} is not a course content folder: it has no banks/ folder "
                              "(expected banks/, syllabus/ and roles.yaml, like kenali/content/id)")
        try:
            if self.folder is None:
                self.course: Course = load_course(self.language)
            else:
                roles = load_roles(base / "roles.yaml")
                banks = tuple(load_bank(p, roles) for p in sorted((base / "banks").glob("*.yaml")))
                concepts, titles = load_syllabus(base / "syllabus") if (base / "syllabus").is_dir() else ([], {})
                self.course = Course(banks, tuple(concepts), roles, titles)
        except BankError as exc:
            raise CourseError(f"the course in {base} cannot be loaded: {exc}") from None
        digest = hashlib.sha256()
        for path in _files(base):
            if path.exists():
                digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
        self.base = base
        self.version = digest.hexdigest()[:12]
        self._by_id = {ex.id: ex for ex in self.course.exercises()}
        self._keys: dict[str, tuple[Any, list[tuple[Any, str]]]] = {}
        self._lock = threading.Lock()

    def exercise(self, exercise_id: str) -> Exercise | None:
        """The exercise with this id, or None when the course has none."""
        return self._by_id.get(exercise_id)

    @cached_property
    def pairs(self) -> list[tuple[str, str | None]]:
        """Every ``(exercise id, lesson)``: what a policy file is checked against."""
        return [(ex.id, ex.lesson) for ex in self.course.exercises()]

    def lesson_title(self, lesson: str) -> str:
        return self.course.lesson_titles.get(lesson, lesson)

    def _code_key(self, ex: Exercise) -> tuple[Any, list[tuple[Any, str]]]:
        with self._lock:  # solution code runs once per exercise, never twice at once
            if ex.id not in self._keys:
                bank = self.course.bank_of(ex.id)
                expected = to_plain(run_code(bank, ex, ex.solution or ""))
                mistakes = [(to_plain(run_code(bank, ex, m.solution)), m.feedback) for m in ex.mistakes if m.solution]
                self._keys[ex.id] = (expected, mistakes)
            return self._keys[ex.id]

    def check(self, ex: Exercise, answer: Any) -> Result:
        """The verdict on ``answer``, with this copy's keys (blocking: code keys run solution code once)."""
        if self.folder is None:
            return check_answer(ex, answer, self.language)
        if ex.is_code:
            try:
                expected, mistakes = self._code_key(ex)
            except KeyError_ as exc:
                from ...i18n import t

                return Result("invalid", 0.0, (t("value.cannot_compute_key", error=exc),))
            return check(ex, answer, expected=expected, mistakes=mistakes)
        return check(ex, answer)

    def warm(self) -> int:
        """Compute every code exercise's key now (at start, off the request path); the number computed."""
        n = 0
        for ex in self.course.exercises():
            if ex.is_code:
                try:
                    if self.folder is None:
                        from ...keys import expected_for

                        expected_for(ex, self.language)
                    else:
                        self._code_key(ex)
                    n += 1
                except KeyError_:
                    pass  # reported to the learner when checked, and by `kenali check`
        return n
