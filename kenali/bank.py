"""Load and validate the course content: exercise banks, syllabus files and the role glossary.

Every problem is reported as a :class:`BankError` that names the file, the exercise and the field,
so that an author can fix a broken bank without reading a traceback.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from .i18n import content_dir, lang
from .model import TYPES, Exercise, Item, Mistake

_ID = re.compile(r"^\d+\.([kr]?\d+)$")
_CONCEPT = re.compile(r"^[a-z]{2}\.[a-z0-9-]+$")
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


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

    def exercises(self, graded_only: bool = False) -> Iterator[Exercise]:
        for bank in self.banks:
            yield from (bank.graded if graded_only else bank.exercises)


# -- field readers -----------------------------------------------------------------------------


class _Reader:
    """Reads one mapping, raising BankError with file/exercise/field on every problem."""

    def __init__(self, path: Path, data: Any, exercise: str | None = None, prefix: str = ""):
        self.path, self.exercise, self.prefix = path, exercise, prefix
        if not isinstance(data, Mapping):
            raise BankError(
                path, f"expected a mapping, found {type(data).__name__}", exercise, prefix.rstrip(".") or None
            )
        self.data = data

    def fail(self, name: str | None, message: str) -> None:
        raise BankError(self.path, message, self.exercise, self._name(name) if name else None)

    def _name(self, name: str) -> str:
        return f"{self.prefix}{name}"

    def get(self, name: str, kind: type | tuple[type, ...], default: Any = ..., *, nonempty: bool = True) -> Any:
        if name not in self.data:
            if default is ...:
                self.fail(name, "is required")
            return default
        value = self.data[name]
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, kind) or (kind is not bool and isinstance(value, bool) and kind is not object):
            names = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
            self.fail(name, f"must be {names}, found {type(value).__name__}")
        if nonempty and isinstance(value, str | list | dict) and not value:
            self.fail(name, "must not be empty")
        return value

    def text(self, name: str, default: Any = ...) -> str:
        value = self.get(name, str, default)
        return value.strip() if isinstance(value, str) else value

    def text_map(self, name: str, default: Any = ...) -> dict[str, str]:
        value = self.get(name, dict, default)
        if value is default:
            return value
        out = {}
        for k, v in value.items():
            if not isinstance(v, str) or not v.strip():
                self.fail(f"{name}.{k}", "must be a non-empty text")
            out[str(k)] = v.strip()
        return out

    def text_list(self, name: str, default: Any = ...) -> list[str]:
        value = self.get(name, list, default)
        if value is default:
            return value
        for i, v in enumerate(value):
            if not isinstance(v, str) or not v.strip():
                self.fail(f"{name}[{i}]", "must be a non-empty text")
        return [v.strip() for v in value]


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


def _pools(r: _Reader, name: str = "pools") -> dict[str, tuple[str, ...]]:
    raw = r.get(name, dict, {})
    pools = {}
    for key, values in raw.items():
        if not isinstance(values, list) or len(values) < 2 or not all(isinstance(v, str) for v in values):
            r.fail(f"{name}.{key}", "must be a list of at least two texts")
        pools[str(key)] = tuple(values)
    return pools


def _items(r: _Reader, name: str, options: Mapping[str, str]) -> tuple[Item, ...]:
    raw = r.get(name, list)
    if len(raw) < 2:
        r.fail(name, "needs at least two entries")
    items, seen = [], set()
    for i, entry in enumerate(raw):
        ir = _Reader(r.path, entry, r.exercise, prefix=f"{name}[{i}].")
        item_id = str(ir.get("id", (str, int)))
        if item_id in seen:
            ir.fail("id", f"duplicate id {item_id!r}")
        seen.add(item_id)
        key = ir.text("key")
        if key not in options:
            ir.fail("key", f"{key!r} is not one of the options {sorted(options)}")
        feedback = ir.text_map("feedback", {})
        for role in feedback:
            if role not in options:
                ir.fail(f"feedback.{role}", f"{role!r} is not one of the options")
            if role == key:
                ir.fail(f"feedback.{role}", "feedback is for wrong options; this is the key")
        items.append(Item(item_id, ir.text("label"), key, ir.text("why"), feedback))
    return tuple(items)


def _mistakes(r: _Reader, kind: str) -> tuple[Mistake, ...]:
    raw = r.get("mistakes", list, [])
    out = []
    for i, entry in enumerate(raw):
        mr = _Reader(r.path, entry, r.exercise, prefix=f"mistakes[{i}].")
        feedback = mr.text("feedback")
        if kind == "angka":
            out.append(Mistake(feedback, value=float(mr.get("value", (int, float)))))
        elif kind == "teks":
            out.append(Mistake(feedback, answers=tuple(mr.text_list("answers"))))
        else:
            out.append(Mistake(feedback, solution=mr.text("solution")))
    return tuple(out)


def _exercise(
    path: Path,
    raw: Any,
    lesson: str,
    bank_pools: Mapping[str, tuple[str, ...]],
    roles: Mapping[str, Mapping[str, str]],
    index: int,
) -> Exercise:
    probe = raw.get("id") if isinstance(raw, Mapping) else None
    r = _Reader(path, raw, str(probe) if probe is not None else f"#{index + 1}")
    ex_id = r.get("id", str)
    if not _ID.match(ex_id):
        r.fail("id", f'{ex_id!r} must look like "1.3" (or "1.k2" for a quick check)')
    if ex_id.split(".")[0] != str(int(lesson)):
        r.fail("id", f"{ex_id!r} must start with the lesson number {int(lesson)}")
    kind = r.get("type", str)
    if kind not in TYPES:
        r.fail("type", f"{kind!r} is not one of {', '.join(TYPES)}")
    quick = r.get("quick", bool, False)
    if kind == "refleksi":
        if not quick:
            r.fail("quick", "a refleksi is never graded: it needs quick: true")
        if not ("k" in ex_id or "r" in ex_id):
            r.fail("id", f'{ex_id!r}: a refleksi has an ID like "1.r1" (or a quick-check ID like "1.k9")')
    elif "r" in ex_id:
        r.fail("id", f'{ex_id!r}: IDs like "1.r1" are for refleksi prompts only')
    elif quick != ("k" in ex_id):
        r.fail("quick", 'quick checks (quick: true) and only they have IDs like "1.k2"')
    concepts = r.text_list("concepts")
    for c in concepts:
        if not _CONCEPT.match(c):
            r.fail("concepts", f'{c!r} is not a concept ID like "eu.definisi"')
    hints = r.text_list("hints", [] if kind == "refleksi" else ...)
    if len(hints) < 2 and kind != "refleksi":
        r.fail("hints", "a hint ladder needs at least two hints")
    pools = {**bank_pools, **_pools(r)}
    common = dict(
        id=ex_id,
        type=kind,
        lesson=lesson,
        concepts=tuple(concepts),
        title=r.text("title"),
        question=r.text("question", ""),
        hints=tuple(hints),
        explanation=r.text("explanation"),
        scenario=r.text("scenario", ""),
        points=r.get("points", float, 1.0),
        quick=quick,
        section=r.text("section", None),
        source=str(path),
        pools=pools,
    )
    if common["points"] <= 0:
        r.fail("points", "must be positive")
    if kind == "refleksi":
        if "points" in r.data:
            r.fail("points", "a refleksi is never graded and has no points")
        if not common["question"]:
            r.fail("question", "is required: the prompt the learner answers")
        return Exercise(**{**common, "points": 0.0})
    if kind in {"pilihan", "pilihan_ganda"}:
        choices = r.text_map("choices")
        if len(choices) < 2:
            r.fail("choices", "needs at least two choices")
        feedback = r.text_map("feedback")
        if kind == "pilihan":
            key = str(r.get("key", (str, int)))
            if key not in choices:
                r.fail("key", f"{key!r} is not one of the choices {sorted(choices)}")
            needed = [c for c in choices if c != key]
        else:
            key_list = r.get("key", list)
            key = [str(k) for k in key_list]
            for k in key:
                if k not in choices:
                    r.fail("key", f"{k!r} is not one of the choices {sorted(choices)}")
            needed = list(choices)
        for c in needed:
            if c not in feedback:
                r.fail(f"feedback.{c}", "is required: every wrong option needs its own explanation")
        for c in feedback:
            if c not in choices:
                r.fail(f"feedback.{c}", f"{c!r} is not one of the choices")
        return Exercise(**common, choices=choices, key=key, feedback=feedback)
    if kind == "peran":
        role_keys = r.text_list("roles")
        for role in role_keys:
            if role not in roles:
                r.fail("roles", f"{role!r} is not in roles.yaml")
        if len(set(role_keys)) != len(role_keys) or len(role_keys) < 2:
            r.fail("roles", "needs at least two different roles")
        if "konsumen" in role_keys and "pengguna_akhir" in role_keys:
            r.fail(
                "roles", "never offer both 'konsumen' and 'pengguna_akhir': the articles treat them as near-synonyms"
            )
        options = {role: roles[role]["label"] for role in role_keys}
        items = _items(r, "actors", options)
        return Exercise(**common, choices=options, items=items)
    if kind == "pasangan":
        options = r.text_map("options")
        items = _items(r, "items", options)
        return Exercise(**common, choices=options, items=items)
    if kind == "angka":
        key = r.get("key", (int, float))
        tolerance = r.get("tolerance", (int, float), 0)
        if tolerance < 0:
            r.fail("tolerance", "must not be negative")
        return Exercise(
            **common,
            key=float(key),
            tolerance=float(tolerance),
            unit=r.text("unit", None),
            mistakes=_mistakes(r, kind),
            feedback=r.text_map("feedback", {}),
        )
    if kind == "teks":
        feedback = r.text_map("feedback")
        if "default" not in feedback:
            r.fail("feedback.default", "is required: what to say to any other wrong text")
        return Exercise(**common, key=tuple(r.text_list("accepted")), mistakes=_mistakes(r, kind), feedback=feedback)
    # kode
    variable = r.text("variable")
    if not _IDENT.match(variable):
        r.fail("variable", f"{variable!r} is not a Python name")
    solution = r.text("solution")
    if variable not in solution:
        r.fail("solution", f"must assign {variable}")
    starter = r.text("starter")
    for name, code in (("starter", starter), ("solution", solution)):
        try:
            compile(code, f"{path.name}:{ex_id}:{name}", "exec")
        except SyntaxError as exc:
            r.fail(name, f"is not valid Python: {exc.msg} (line {exc.lineno})")
    compare_opts = r.get("compare", dict, {}, nonempty=False)
    allowed = {"rtol", "atol", "check_order", "check_names", "ignore_index"}
    for k in compare_opts:
        if k not in allowed:
            r.fail(f"compare.{k}", f"unknown option; use {', '.join(sorted(allowed))}")
    return Exercise(
        **common,
        variable=variable,
        starter=starter,
        solution=solution,
        compare=compare_opts,
        mistakes=_mistakes(r, kind),
    )


def load_roles(path: Path | None = None) -> dict[str, dict[str, str]]:
    """The role glossary: role key -> {label, reminder}."""
    path = path or content_dir() / "roles.yaml"
    data = _read_yaml(path)
    _Reader(path, data)
    roles = {}
    for key in data:
        rr = _Reader(path, data[key], prefix=f"{key}.")
        roles[str(key)] = {"label": rr.text("label"), "reminder": rr.text("reminder")}
    return roles


def load_bank(path: Path, roles: Mapping[str, Mapping[str, str]] | None = None) -> Bank:
    """Read and validate one bank file."""
    roles = roles if roles is not None else load_roles()
    data = _read_yaml(path)
    r = _Reader(path, data)
    lesson = str(r.get("lesson", (str, int)))
    if not lesson.isdigit():
        r.fail("lesson", f'{lesson!r} must be a lesson number like "01"')
    lesson = lesson.zfill(2)
    pools = _pools(r)
    raw_exercises = r.get("exercises", list)
    exercises, seen = [], set()
    for i, raw in enumerate(raw_exercises):
        ex = _exercise(path, raw, lesson, pools, roles, i)
        if ex.id in seen:
            raise BankError(path, "duplicate exercise ID", ex.id, "id")
        seen.add(ex.id)
        exercises.append(ex)
    return Bank(
        lesson=lesson,
        notebook=r.text("notebook"),
        title=r.text("title"),
        minutes=int(r.get("minutes", int)),
        intro=r.text("intro", ""),
        setup=r.text("setup", ""),
        path=path,
        exercises=tuple(exercises),
    )


def load_syllabus(directory: Path | None = None) -> tuple[list[Concept], dict[str, str]]:
    """All concepts of the syllabus files, and each lesson's title."""
    directory = directory or content_dir() / "syllabus"
    concepts: list[Concept] = []
    titles: dict[str, str] = {}
    for path in sorted(directory.glob("*.yaml")):
        data = _read_yaml(path)
        r = _Reader(path, data)
        lesson = str(r.get("lesson", (str, int))).zfill(2)
        titles[lesson] = r.text("title")
        for i, raw in enumerate(r.get("concepts", list)):
            cr = _Reader(path, raw, prefix=f"concepts[{i}].")
            cid = cr.text("id")
            if not _CONCEPT.match(cid):
                cr.fail("id", f'{cid!r} is not a concept ID like "eu.definisi"')
            concepts.append(Concept(cid, cr.text("title"), cr.text("section"), lesson))
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


def load_course(language: str | None = None) -> Course:
    """Load every bank of a language edition (validated per file; see :func:`validate_course`)."""
    return _load_course(language or lang())


@cache
def _load_course(language: str) -> Course:
    base = content_dir(language)
    roles = load_roles(base / "roles.yaml")
    banks = tuple(load_bank(p, roles) for p in sorted((base / "banks").glob("*.yaml")))
    concepts, titles = load_syllabus(base / "syllabus")
    return Course(banks, tuple(concepts), roles, titles)


def clear_cache() -> None:
    """Forget loaded content (tests and authoring tools that edit banks)."""
    _load_course.cache_clear()
