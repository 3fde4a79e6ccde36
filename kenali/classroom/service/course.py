"""The class server's own copy of the course, with its keys: the only place the server checks answers.

By default the course of the installed kenali (the ``KENALI_LANG`` edition of the package; ``KENALI_CONTENT``,
which points learners' kernels at a released copy without keys, is ignored here); ``kenali serve --course DIR``
names another content folder: a language edition laid out like ``kenali/content/id`` (``banks/``,
``syllabus/``, ``roles.yaml``) or a folder holding editions (``DIR/id/banks``). A learners' copy without keys
is refused. Checking is :func:`kenali.session.check_answer`'s: :func:`kenali.model.check`, with the key of a
code exercise computed here from this copy's solution code, so a learner's kernel never decides what is right.
"""

from __future__ import annotations

import hashlib
import threading
from functools import cached_property
from pathlib import Path
from typing import Any

from ...bank import BankError, course_files, read_course
from ...i18n import content_dir, lang, t
from ...keys import KeyError_, code_key
from ...model import Exercise, Result, check


class CourseError(ValueError):
    """The server's course cannot be loaded (the message names the folder or the file)."""


class ServerCourse:
    """The exercises the server checks, by id, and the version of the content they come from."""

    def __init__(self, folder: Path | None = None, language: str | None = None):
        self.language = language or lang()
        base = Path(folder).expanduser().resolve() if folder is not None else content_dir(self.language)
        if not (base / "banks").is_dir() and (base / self.language / "banks").is_dir():
            base = base / self.language
        if not (base / "banks").is_dir():
            raise CourseError(f"{base} is not a course content folder: it has no banks/ folder "
                              "(expected banks/, syllabus/ and roles.yaml, like kenali/content/id)")
        try:
            self.course = read_course(base)
        except BankError as exc:
            raise CourseError(f"the course in {base} cannot be loaded: {exc}") from None
        keyless = sorted({a for bank in self.course.banks for a in bank.keyless.values()})
        if keyless:
            raise CourseError(f"{base} is a learners' copy without keys (assignments {', '.join(keyless)}): give the "
                              "class server the instructor's course (the default, or --course with the full content)")
        digest = hashlib.sha256()
        for path in course_files(base):
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

    def _code_key(self, ex: Exercise) -> tuple[Any, list[tuple[Any, str]]]:
        with self._lock:  # solution code runs once per exercise, never twice at once
            if ex.id not in self._keys:
                expected, mistakes = code_key(self.course.bank_of(ex.id), ex)
                self._keys[ex.id] = (expected, list(mistakes))
            return self._keys[ex.id]

    def check(self, ex: Exercise, answer: Any) -> Result:
        """The verdict on ``answer``, with this copy's keys (blocking: code keys run solution code once)."""
        if ex.is_code:
            try:
                expected, mistakes = self._code_key(ex)
            except KeyError_ as exc:
                return Result("invalid", 0.0, (t("value.cannot_compute_key", error=exc),))
            return check(ex, answer, expected=expected, mistakes=mistakes)
        return check(ex, answer)

    def warm(self) -> int:
        """Compute every code exercise's key now (at start, off the request path); the number computed."""
        n = 0
        for ex in self.course.exercises():
            if ex.is_code:
                try:
                    self._code_key(ex)
                    n += 1
                except KeyError_:
                    pass  # reported to the learner when checked, and by `kenali check`
        return n
