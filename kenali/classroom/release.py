"""``kenali assignment release``: the learners' copy of the course content for a class with graded assignments.

Every exercise that an assignment of the instructor's policy file covers loses its key and everything that
reveals it (:data:`kenali.schema.SECRET_FIELDS`: the key, the feedback per wrong option, the items' keys,
reasons and feedback, the explanation, common mistakes, the solution code) and is marked with its
assignment (``assignment: <id>``, and the bank with ``keyless:``). The rest of the content (messages,
roles, syllabus, practice exercises with their keys) is copied as it is, so the learner's kernel loads the
copy exactly like the package's content: the hub's spawner sets ``KENALI_CONTENT=<out>`` (and
``KENALI_POLICY=<out>/kebijakan.yaml``, a copy of the policy, which holds no keys). In class, the class
server checks those exercises with the keys only it holds.

After writing, the copy is loaded with the course loader and checked structurally: no keyless exercise
may carry a key, a reason, feedback, an explanation, a mistake or solution code, in the file or loaded.
"""

from __future__ import annotations

import shutil
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ..bank import BankError, _load_course
from ..i18n import content_dir, lang
from ..schema import ASSIGNMENT_FIELD, ITEM_SECRETS, KEYLESS_MARK, SECRET_FIELDS
from .policy import PolicyFile, load_policy, policy_digest

MARKER = ".kenali-release"  # a released folder carries it; only such a folder is replaced by a new release
POLICY_COPY = "kebijakan.yaml"


class ReleaseError(ValueError):
    """The release cannot be written (a folder that is not an earlier release, a copy that keeps a key)."""


@dataclass
class Released:
    """What a release wrote."""

    out: Path
    content: Path  # out/<lang>: the folder KENALI_CONTENT points at, with the language below it
    keyless: dict[str, list[str]] = field(default_factory=dict)  # assignment id -> exercise ids


def keyless_entry(entry: Mapping[str, Any], assignment: str) -> dict[str, Any]:
    """A bank's exercise entry without its key and what reveals it, marked with its assignment."""
    hidden = set(SECRET_FIELDS.get(str(entry.get("type")), ())) | {"explanation"}
    out = {k: v for k, v in entry.items() if k not in hidden}
    for name in ("actors", "items"):
        if isinstance(out.get(name), list):
            out[name] = [{k: v for k, v in item.items() if k not in ITEM_SECRETS} if isinstance(item, Mapping)
                         else item for item in out[name]]
    out[ASSIGNMENT_FIELD] = assignment
    return out


def leaks(entry: Mapping[str, Any]) -> list[str]:
    """The secret fields a keyless entry still carries (``[]``: none)."""
    found = [k for k in (*SECRET_FIELDS.get(str(entry.get("type")), ()), "explanation") if k in entry]
    for name in ("actors", "items"):
        for i, item in enumerate(entry.get(name) or []):
            if isinstance(item, Mapping):
                found += [f"{name}[{i}].{k}" for k in ITEM_SECRETS if k in item]
    return found


def _release_bank(raw: Any, pf: PolicyFile, digest: str, keyless: dict[str, list[str]]) -> Any:
    if not isinstance(raw, Mapping) or not isinstance(raw.get("exercises"), list):
        return raw
    lesson = str(raw.get("lesson", "")).zfill(2)
    entries = []
    for entry in raw["exercises"]:
        if isinstance(entry, Mapping) and entry.get("type") in SECRET_FIELDS and "id" in entry:
            assignment, _ = pf.for_exercise(str(entry["id"]), lesson)
            if assignment is not None:
                keyless.setdefault(assignment.id, []).append(str(entry["id"]))
                entry = keyless_entry(entry, assignment.id)
        entries.append(entry)
    if not any(isinstance(e, Mapping) and ASSIGNMENT_FIELD in e for e in entries):
        return raw
    return {**{k: v for k, v in raw.items() if k != "exercises"}, KEYLESS_MARK: {"policy": digest},
            "exercises": entries}


def verify(content: Path) -> list[str]:
    """Every key that survives in a released content folder (``[]``: none), in the files and as loaded."""
    problems: list[str] = []
    for path in sorted((content / "banks").glob("*.yaml")):
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        for entry in (raw or {}).get("exercises") or []:
            if isinstance(entry, Mapping) and ASSIGNMENT_FIELD in entry:
                problems += [f"{path.name}, exercise {entry.get('id')}: {k}" for k in leaks(entry)]
    _load_course.cache_clear()
    try:
        course = _load_course(content.name, content)
    except BankError as exc:
        return [*problems, f"the released copy does not load: {exc}"]
    finally:
        _load_course.cache_clear()
    for ex in course.exercises():
        if course.assignment_of(ex.id) is None:
            continue
        kept = [name for name, value in (("key", ex.key), ("feedback", ex.feedback), ("explanation", ex.explanation),
                                          ("mistakes", ex.mistakes), ("solution", ex.solution)) if value]
        kept += [f"items.{i.id}" for i in ex.items if i.key or i.why or i.feedback]
        problems += [f"exercise {ex.id} keeps {name}" for name in kept]
    return problems


def release(policy: Path, out: Path, language: str | None = None) -> Released:
    """Write the learners' copy of the course content under ``out`` (see the module docstring)."""
    language = language or lang()
    source = content_dir(language)
    pf = load_policy(policy)
    out = Path(out)
    if out.exists() and any(out.iterdir()) and not (out / MARKER).exists():
        raise ReleaseError(f"{out} is not empty and holds no earlier release; choose an empty or new folder")
    content = out / language
    if content.exists():
        shutil.rmtree(content)
    out.mkdir(parents=True, exist_ok=True)
    (out / MARKER).write_text("written by kenali assignment release\n", encoding="utf-8")
    shutil.copytree(source, content, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    shutil.copyfile(policy, out / POLICY_COPY)
    result = Released(out=out, content=content)
    digest = policy_digest(pf)
    for path in sorted((content / "banks").glob("*.yaml")):
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        released = _release_bank(raw, pf, digest, result.keyless)
        if released is not raw:
            path.write_text(yaml.safe_dump(released, allow_unicode=True, sort_keys=False, width=110),
                            encoding="utf-8")
    problems = verify(content)
    if problems:
        shutil.rmtree(content, ignore_errors=True)
        raise ReleaseError("the released copy keeps keys (nothing was written): " + "; ".join(problems[:5]))
    return result
