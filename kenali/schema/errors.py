"""Pydantic's shape errors as a reader writes them: the field's path (``exercises[3].choices.b``), and a message
in the course's words (``unknown field 'tolerence' (did you mean 'tolerance'?)``, ``must be float, found
str``, ``is required``).

:func:`shape_problems` turns a bank file's :class:`pydantic.ValidationError` into (exercise, field,
message) triples, naming the exercise by its ``id`` (or its position) and finding the class that holds
the field for "did you mean". :func:`field_path` and :func:`_message` serve the roles and syllabus
files too (:mod:`kenali.schema.load`); :func:`field_path` and :func:`model_at` serve the class policy file
(:mod:`kenali.classroom.policy`), which words its own messages.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from .bank import BankSpec
from .exercises import TYPE_CLASSES, Refleksi


def field_path(loc: Sequence[Any]) -> str:
    """A pydantic error location as a reader writes it: ``exercises[3].choices.b``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def _allowed_fields(cls: type[BaseModel] | None) -> list[str]:
    return sorted(cls.model_fields) if cls is not None else []


def _message(err: Mapping[str, Any], model: type[BaseModel] | None) -> str:
    kind, value = err["type"], err.get("input")
    found = type(value).__name__
    if kind == "missing":
        return "is required"
    if kind == "extra_forbidden":
        name = str(err["loc"][-1])
        allowed = _allowed_fields(model)
        close = difflib.get_close_matches(name, allowed, n=1)
        hint = f"did you mean {close[0]!r}?" if close else f"allowed: {', '.join(allowed)}"
        if name == "points" and model is Refleksi:
            return "a refleksi is never graded and has no points"
        return f"unknown field {name!r} ({hint})"
    if kind in {"string_too_short", "too_short"}:
        if isinstance(value, str | list | dict) and not value:
            return "must not be empty"
        return f"needs at least {err.get('ctx', {}).get('min_length', 1)} entries"
    if kind == "union_tag_invalid":
        tags = ", ".join(TYPE_CLASSES)
        return f"{err.get('ctx', {}).get('tag', value)!r} is not one of {tags}"
    if kind == "union_tag_not_found":
        return "is required"
    if kind == "literal_error" and err["loc"][-1] == "quick":
        return "a refleksi is never graded: it needs quick: true"
    for suffix, name in (("string_type", "str"), ("int_type", "int"), ("int_parsing", "int"),
                         ("float_type", "float"), ("float_parsing", "float"), ("bool_type", "bool"),
                         ("list_type", "list"), ("dict_type", "dict"), ("model_type", "a mapping")):
        if kind == suffix:
            return f"must be {name}, found {found}"
    if kind == "string_pattern_mismatch":
        return f"{value!r} does not match the pattern {err.get('ctx', {}).get('pattern')}"
    return str(err.get("msg", kind))


def model_at(loc: Sequence[Any], root: type[BaseModel]) -> type[BaseModel] | None:
    """The pydantic class under ``root`` that holds the last field of ``loc`` (for 'did you mean')."""
    model: Any = root
    for part in loc[:-1]:
        if isinstance(part, int) or model is None:
            continue
        if part in TYPE_CLASSES and model is BankSpec:
            model = TYPE_CLASSES[part]
            continue
        field = model.model_fields.get(part) if isinstance(model, type) and issubclass(model, BaseModel) else None
        if field is None:
            if part in TYPE_CLASSES:
                model = TYPE_CLASSES[part]
            continue
        ann = field.annotation
        model = _inner_model(ann)
    return model if isinstance(model, type) and issubclass(model, BaseModel) else None


def _inner_model(ann: Any) -> Any:
    if isinstance(ann, type) and issubclass(ann, BaseModel):
        return ann
    for arg in getattr(ann, "__args__", ()) or ():
        found = _inner_model(arg)
        if found is not None:
            return found
    meta = getattr(ann, "__origin__", None)
    if meta is not None:
        return _inner_model(meta)
    return None


def _exercise_name(raw: Any, index: int) -> str:
    exercises = raw.get("exercises") if isinstance(raw, Mapping) else None
    entry = exercises[index] if isinstance(exercises, list) and index < len(exercises) else None
    probe = entry.get("id") if isinstance(entry, Mapping) else None
    return str(probe) if probe is not None else f"#{index + 1}"


def shape_problems(path: Path, raw: Any, exc: ValidationError) -> list[tuple[str | None, str | None, str]]:
    """(exercise, field, message) for each shape error of a bank file."""
    out: list[tuple[str | None, str | None, str]] = []
    for err in exc.errors(include_url=False):
        loc = tuple(err["loc"])
        exercise: str | None = None
        model = model_at(loc, BankSpec)
        if len(loc) >= 2 and loc[0] == "exercises" and isinstance(loc[1], int):
            exercise = _exercise_name(raw, loc[1])
            loc = loc[2:]
            if loc and loc[0] in TYPE_CLASSES:
                loc = loc[1:]
            if err["type"] in {"union_tag_invalid", "union_tag_not_found"}:
                loc = ("type",)
        out.append((exercise, field_path(loc) or None, _message(err, model)))
    return out
