"""Load the course content: exercise banks, syllabus files and the role glossary.

What a file may contain, and every rule it must follow, is :mod:`kenali.schema` (one validator for
the loader, ``kenali check`` and the tests); this module reads the files and assembles the course.
Every problem is reported as a :class:`BankError` that names the file, the exercise and the field,
so that an author can fix a broken bank without reading a traceback.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import sys
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from .i18n import content_dir, lang
from .model import Exercise


class BankError(ValueError):
    """A content file is malformed; the message names the file, the exercise and the field."""

    def __init__(self, path: Path | str, message: str, exercise: str | None = None, fieldname: str | None = None):
        self.path = Path(path)
        self.exercise = exercise
        self.fieldname = fieldname
        self.detail = message
        where = str(self.path.name)
        if exercise:
            where += f", exercise {exercise}"
        if fieldname:
            where += f", field '{fieldname}'"
        super().__init__(f"{where}: {message}")
        #: every problem found in the same file (this one first); ``kenali check`` lists them all
        self.problems: list[BankError] = [self]


@dataclass(frozen=True)
class Bank:
    """The exercises of one lesson, plus what the notebook builder needs."""

    lesson: str
    notebook: str
    title: str
    minutes: int
    intro: str
    setup: str
    path: Path
    exercises: tuple[Exercise, ...]
    #: exercise ID -> assignment ID of the exercises whose key only the class server holds (a released,
    #: keyless copy written by ``kenali assignment release``); empty for the course's own banks
    keyless: Mapping[str, str] = field(default_factory=dict)

    @property
    def graded(self) -> tuple[Exercise, ...]:
        return tuple(e for e in self.exercises if not e.quick)

    @property
    def quick_checks(self) -> tuple[Exercise, ...]:
        return tuple(e for e in self.exercises if e.quick)


@dataclass(frozen=True)
class Concept:
    id: str
    title: str
    section: str
    lesson: str


@dataclass(frozen=True)
class Course:
    """All banks, concepts and roles of one language edition."""

    banks: tuple[Bank, ...]
    concepts: tuple[Concept, ...]
    roles: Mapping[str, Mapping[str, str]]
    lesson_titles: Mapping[str, str] = field(default_factory=dict)

    def exercise(self, exercise_id: str) -> Exercise:
        for bank in self.banks:
            for ex in bank.exercises:
                if ex.id == exercise_id:
                    return ex
        raise KeyError(exercise_id)

    def bank_of(self, exercise_id: str) -> Bank:
        for bank in self.banks:
            if any(ex.id == exercise_id for ex in bank.exercises):
                return bank
        raise KeyError(exercise_id)

    def bank(self, lesson: str) -> Bank:
        for bank in self.banks:
            if bank.lesson == lesson or bank.notebook == lesson:
                return bank
        raise KeyError(lesson)

    def assignment_of(self, exercise_id: str) -> str | None:
        """The assignment of a keyless exercise (checked by the class server), ``None`` for any other."""
        for bank in self.banks:
            if exercise_id in bank.keyless:
                return bank.keyless[exercise_id]
        return None

    def exercises(self, graded_only: bool = False) -> Iterator[Exercise]:
        for bank in self.banks:
            yield from (bank.graded if graded_only else bank.exercises)


#: libyaml's safe loader when PyYAML was built with it (about ten times faster), else the Python one.
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _read_yaml(path: Path) -> Any:
    try:
        with path.open(encoding="utf-8") as fh:
            return yaml.load(fh, Loader=SAFE_LOADER)
    except FileNotFoundError:
        raise BankError(path, "file not found") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise BankError(path, f"is not valid YAML{where}: {getattr(exc, 'problem', exc)}") from None
    except (UnicodeDecodeError, OSError) as exc:
        raise BankError(path, f"cannot be read: {exc}") from None


def load_roles(path: Path | None = None) -> dict[str, dict[str, str]]:
    """The role glossary: role key -> {label, reminder}."""
    from .schema import validate_roles

    path = path or content_dir() / "roles.yaml"
    data = _read_yaml(path)
    if not isinstance(data, Mapping):
        raise BankError(path, f"expected a mapping, found {type(data).__name__}")
    return validate_roles(path, data)


def load_bank(path: Path, roles: Mapping[str, Mapping[str, str]] | None = None) -> Bank:
    """Read and validate one bank file (every rule: :func:`kenali.schema.validate_bank`)."""
    from .schema import keyless_assignments, validate_bank

    roles = roles if roles is not None else load_roles()
    raw = _read_yaml(path)
    spec, exercises = validate_bank(path, raw, roles)
    return Bank(
        lesson=spec.lesson.zfill(2),
        notebook=spec.notebook,
        title=spec.title,
        minutes=spec.minutes,
        intro=spec.intro,
        setup=spec.setup,
        path=path,
        exercises=tuple(exercises),
        keyless=keyless_assignments(raw),
    )


def load_syllabus(directory: Path | None = None) -> tuple[list[Concept], dict[str, str]]:
    """All concepts of the syllabus files, and each lesson's title."""
    from .schema import validate_syllabus

    directory = directory or content_dir() / "syllabus"
    concepts: list[Concept] = []
    titles: dict[str, str] = {}
    for path in sorted(directory.glob("*.yaml")):
        data = _read_yaml(path)
        if not isinstance(data, Mapping):
            raise BankError(path, f"expected a mapping, found {type(data).__name__}")
        spec = validate_syllabus(path, data)
        lesson = spec.lesson.zfill(2)
        titles[lesson] = spec.title
        concepts.extend(Concept(c.id, c.title, c.section, lesson) for c in spec.concepts)
    return concepts, titles


def validate_course(course: Course) -> list[str]:
    """Cross-file problems: duplicate IDs, unknown concepts, concepts without an exercise."""
    problems: list[str] = []
    seen_ex: dict[str, Path] = {}
    for bank in course.banks:
        for ex in bank.exercises:
            if ex.id in seen_ex:
                problems.append(f"exercise {ex.id} is defined in {seen_ex[ex.id].name} and {bank.path.name}")
            seen_ex[ex.id] = bank.path
    seen_c: set[str] = set()
    for c in course.concepts:
        if c.id in seen_c:
            problems.append(f"concept {c.id} is defined twice in the syllabus")
        seen_c.add(c.id)
    practised: set[str] = set()
    for bank in course.banks:
        for ex in bank.graded:
            for cid in ex.concepts:
                if cid not in seen_c:
                    problems.append(f"{bank.path.name}, exercise {ex.id}: unknown concept {cid!r}")
                practised.add(cid)
        for ex in bank.quick_checks:
            for cid in ex.concepts:
                if cid not in seen_c:
                    problems.append(f"{bank.path.name}, exercise {ex.id}: unknown concept {cid!r}")
    for c in course.concepts:
        if c.id not in practised:
            problems.append(f"concept {c.id} ({c.title}) has no graded exercise")
    notebooks = [b.notebook for b in course.banks]
    if len(set(notebooks)) != len(notebooks):
        problems.append("two banks name the same notebook")
    return problems


def course_content(language: str | None = None) -> Path:
    """The folder the course is loaded from: ``KENALI_CONTENT/<lang>`` when set (a released copy for a class,
    see :mod:`kenali.classroom.release`), else the package's content of the language edition."""
    env = os.environ.get("KENALI_CONTENT", "").strip()
    if env:
        return Path(env).expanduser().resolve() / (language or lang())
    return content_dir(language)


def load_course(language: str | None = None) -> Course:
    """Load every bank of a language edition (validated per file; see :func:`validate_course`)."""
    return _load_course(language or lang(), course_content(language))


def course_files(base: Path) -> list[Path]:
    """The files a content folder's course is read from: ``roles.yaml``, ``banks/*.yaml``, ``syllabus/*.yaml``."""
    return [base / "roles.yaml", *sorted((base / "banks").glob("*.yaml")), *sorted((base / "syllabus").glob("*.yaml"))]


def read_course(base: Path) -> Course:
    """Read and validate the course of a content folder now (no cache; :func:`load_course` caches)."""
    roles = load_roles(base / "roles.yaml")
    banks = tuple(load_bank(p, roles) for p in sorted((base / "banks").glob("*.yaml")))
    concepts, titles = load_syllabus(base / "syllabus")
    return Course(banks, tuple(concepts), roles, titles)


@cache
def _load_course(language: str, base: Path) -> Course:
    cached, key = _cached_course(base, course_files(base))
    if cached is not None:
        return cached
    course = read_course(base)
    _store_course(key, course)
    return course


# -- the validated-course cache ----------------------------------------------------------------
# Validating every bank (pydantic, :mod:`kenali.schema`) costs more than reading it. A course that
# passed validation is kept, pickled, under a name made of the SHA-256 of every content file, of
# the code that validates and models it, and of the Python version: any change to any of them is
# a different name, so a stale course is never read. Unreadable or unwritable cache folders (a
# read-only home, a grading sandbox) only cost the time; KENALI_NO_CACHE=1 turns the cache off.

_CACHE_VERSION = b"kenali-course-cache-1"
_CODE = ("bank.py", "schema/*.py", "model.py")  # patterns under kenali/


def _cache_dir() -> Path | None:
    if os.environ.get("KENALI_NO_CACHE"):
        return None
    root = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(root) / "kenali"


def _cached_course(base: Path, files: list[Path]) -> tuple[Course | None, str | None]:
    folder = _cache_dir()
    if folder is None:
        return None, None
    digest = hashlib.sha256(_CACHE_VERSION + sys.version.encode() + str(base.resolve()).encode())
    try:
        here = Path(__file__).resolve().parent
        for path in [*(p for pattern in _CODE for p in sorted(here.glob(pattern))), *files]:
            digest.update(str(path.name).encode() + b"\0" + path.read_bytes() + b"\0")
    except OSError:
        return None, None  # the loader reports the unreadable file
    key = digest.hexdigest()
    try:
        with (folder / f"course-{key}.pickle").open("rb") as fh:
            course = pickle.load(fh)
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, TypeError, ValueError):
        return None, key
    return (course, key) if isinstance(course, Course) else (None, key)


def _store_course(key: str | None, course: Course) -> None:
    folder = _cache_dir()
    if folder is None or key is None:
        return
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.glob("course-*.pickle"):  # keep one course per content version, not a history
            if time.time() - old.stat().st_mtime > 7 * 86400:
                old.unlink(missing_ok=True)
        tmp = folder / f".tmp-{os.getpid()}-{key}"
        tmp.write_bytes(pickle.dumps(course, protocol=pickle.HIGHEST_PROTOCOL))
        os.replace(tmp, folder / f"course-{key}.pickle")
    except (OSError, pickle.PicklingError):
        pass


def clear_cache() -> None:
    """Forget loaded content (tests and authoring tools that edit banks)."""
    _load_course.cache_clear()
