"""Keyless banks: the learners' copy of a graded assignment's banks, which carries no key and nothing that reveals it.

``kenali assignment release`` (:mod:`kenali.classroom.release`) writes the copy: the bank carries
``keyless:`` and each exercise of the assignment carries ``assignment: <id>`` and none of the fields of
:data:`SECRET_FIELDS` (``items``/``actors`` entries lose :data:`ITEM_SECRETS`). Only such a bank may leave
them out; ``kenali check`` of the course's own banks stays strict. :func:`_placeholders` puts stand-ins
in their place so the one validator checks the rest, and :func:`_without_key` removes the stand-ins
from the runtime exercise again.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from ..model import Exercise, Item
from .fields import _str_keys

#: Fields a keyless exercise does not carry, per type (``items``/``actors`` entries lose ``ITEM_SECRETS``).
SECRET_FIELDS: dict[str, tuple[str, ...]] = {
    "pilihan": ("key", "feedback", "explanation"),
    "pilihan_ganda": ("key", "feedback", "explanation"),
    "peran": ("explanation",),
    "pasangan": ("explanation",),
    "angka": ("key", "feedback", "mistakes", "explanation"),
    "teks": ("accepted", "feedback", "mistakes", "explanation"),
    "kode": ("solution", "mistakes", "explanation"),
}
ITEM_SECRETS = ("key", "why", "feedback")
KEYLESS_MARK = "keyless"
ASSIGNMENT_FIELD = "assignment"


def keyless_assignments(raw: Any) -> dict[str, str]:
    """Exercise ID -> assignment ID of the keyless exercises of a bank's raw data (``{}`` for a normal bank)."""
    if not isinstance(raw, Mapping) or KEYLESS_MARK not in raw or not isinstance(raw.get("exercises"), list):
        return {}
    return {str(e["id"]): str(e[ASSIGNMENT_FIELD]) for e in raw["exercises"]
            if isinstance(e, Mapping) and e.get(ASSIGNMENT_FIELD) is not None and "id" in e}


def _placeholders(entry: Mapping[str, Any]) -> dict[str, Any]:
    """A keyless exercise with stand-ins for the fields it lacks, so the one validator checks the rest;
    the stand-ins never reach the runtime exercise (:func:`_without_key`)."""
    out = {k: v for k, v in entry.items() if k != ASSIGNMENT_FIELD}
    kind = out.get("type")
    out.setdefault("explanation", "-")
    choices = out.get("choices") if isinstance(out.get("choices"), Mapping) else {}
    first = next(iter(_str_keys(choices)), "-")
    if kind == "pilihan":
        out["key"] = first
        out["feedback"] = {str(c): "-" for c in choices if str(c) != first} or {"-": "-"}
    elif kind == "pilihan_ganda":
        out["key"], out["feedback"] = [first], {str(c): "-" for c in choices}
    elif kind in {"peran", "pasangan"}:
        name, pool = ("actors", out.get("roles")) if kind == "peran" else ("items", list(_str_keys(
            out.get("options") if isinstance(out.get("options"), Mapping) else {})))
        option = str(pool[0]) if isinstance(pool, list) and pool else "-"
        if isinstance(out.get(name), list):
            out[name] = [{**{k: v for k, v in i.items() if k not in ITEM_SECRETS}, "key": option, "why": "-"}
                         if isinstance(i, Mapping) else i for i in out[name]]
    elif kind == "angka":
        out["key"] = 0.0
        out.pop("mistakes", None), out.pop("feedback", None)
    elif kind == "teks":
        out["accepted"], out["feedback"] = ["-"], {"default": "-"}
        out.pop("mistakes", None)
    elif kind == "kode":
        out["solution"] = f"{out.get('variable')} = None"
        out.pop("mistakes", None)
    return out


def _without_key(ex: Exercise) -> Exercise:
    """The runtime form of a keyless exercise: no key, feedback, explanation, mistakes or solution."""
    items = tuple(Item(i.id, i.label, "", "", {}) for i in ex.items)
    return dataclasses.replace(ex, key=None, feedback={}, items=items, explanation="", mistakes=(), solution=None)
