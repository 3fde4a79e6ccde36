"""The one validator of each content file: :func:`validate_bank`, :func:`validate_roles` and
:func:`validate_syllabus`.

A bank file is validated in two steps: its **shape** (the pydantic specs of :mod:`kenali.schema.bank`
and :mod:`kenali.schema.exercises`), then every **rule** of each exercise (``rules``), with a keyless
copy's removed fields stood in for first (:mod:`kenali.schema.keyless`). Every problem becomes a
:class:`kenali.bank.BankError` naming the file, the exercise and the field (:mod:`kenali.schema.errors`);
the first is raised, with all of the file's problems in ``.problems``.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter, ValidationError

from ..model import Exercise
from .bank import BankSpec, RoleSpec, SyllabusSpec
from .base import Context
from .errors import _message, field_path, model_at, shape_problems
from .fields import CONCEPT_PATTERN, Key
from .keyless import ASSIGNMENT_FIELD, KEYLESS_MARK, _placeholders, _without_key, keyless_assignments

_BANK = TypeAdapter(BankSpec)
_ROLES = TypeAdapter(dict[Key, RoleSpec])
_SYLLABUS = TypeAdapter(SyllabusSpec)


def validate_bank(path: Path, raw: Any, roles: Mapping[str, Mapping[str, str]]) -> tuple[BankSpec, list[Exercise]]:
    """Validate one bank file's data: shape, then every rule. Raises the first problem as a BankError
    (with all problems of the file in ``.problems``); returns the typed bank and its runtime exercises."""
    from ..bank import BankError

    if not isinstance(raw, Mapping):
        raise BankError(path, f"expected a mapping, found {type(raw).__name__}")
    keyless = keyless_assignments(raw)
    if KEYLESS_MARK in raw:  # a released copy (:mod:`.keyless`): stand-ins for what was removed
        entries = raw.get("exercises")
        raw = {k: v for k, v in raw.items() if k != KEYLESS_MARK}
        if isinstance(entries, list):
            raw["exercises"] = [_placeholders(e) if isinstance(e, Mapping) and e.get(ASSIGNMENT_FIELD) is not None
                                else e for e in entries]
    try:
        spec = _BANK.validate_python(raw)
    except ValidationError as exc:
        problems = [BankError(path, m, ex, f) for ex, f, m in shape_problems(path, raw, exc)]
        first = problems[0]
        first.problems = problems
        raise first from None
    lesson = spec.lesson.zfill(2)
    pools = {k: tuple(v) for k, v in spec.pools.items()}
    problems = [BankError(path, "must be a list of at least two texts", None, f"pools.{k}")
                for k, v in spec.pools.items() if len(v) < 2]
    ctx = Context(path, lesson, roles, pools)
    exercises: list[Exercise] = []
    seen: set[str] = set()
    for item in spec.exercises:
        found = [BankError(path, m, item.id, f) for f, m in item.rules(ctx)]
        if item.id in seen:
            found.append(BankError(path, "duplicate exercise ID", item.id, "id"))
        seen.add(item.id)
        problems.extend(found)
        if not found:
            exercise = item.to_exercise(ctx)
            exercises.append(_without_key(exercise) if item.id in keyless else exercise)
    if problems:
        problems[0].problems = problems
        raise problems[0]
    return spec, exercises


def validate_roles(path: Path, raw: Any) -> dict[str, dict[str, str]]:
    """The role glossary (``roles.yaml``) as role key -> {label, reminder}; raises its first problem."""
    from ..bank import BankError

    try:
        roles = _ROLES.validate_python(raw)
    except ValidationError as exc:
        err = exc.errors(include_url=False)[0]
        loc = tuple(err["loc"])
        message = _message(err, RoleSpec if len(loc) > 1 else None)
        raise BankError(path, message, None, field_path(loc) or None) from None
    return {k: {"label": v.label, "reminder": v.reminder} for k, v in roles.items()}


def validate_syllabus(path: Path, raw: Any) -> SyllabusSpec:
    """One lesson's syllabus file, its concept IDs checked; raises its first problem."""
    from ..bank import BankError

    try:
        spec = _SYLLABUS.validate_python(raw)
    except ValidationError as exc:
        err = exc.errors(include_url=False)[0]
        loc = tuple(err["loc"])
        raise BankError(path, _message(err, model_at(loc, SyllabusSpec)), None, field_path(loc) or None) from None
    for i, c in enumerate(spec.concepts):
        if not CONCEPT_PATTERN.match(c.id):
            raise BankError(path, f'{c.id!r} is not a concept ID like "eu.definisi"', None, f"concepts[{i}].id")
    return spec
