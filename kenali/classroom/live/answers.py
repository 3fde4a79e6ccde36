"""Answers and feedback as a person reads them.

The live view and the projector show learners' answers to a facilitator: choice keys become their labels,
a code answer's recorded value becomes one short line, a long answer is cut visibly (ending in "…"), bank
text gets the neutral variant's names and loses its Markdown marks, and stored feedback is rendered as the
learner read it. :func:`answer_group` decides which answers count as the same one. Nothing here may raise
on an odd answer, and nothing here imports the grader (its import pulls in the notebook readers).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from ...i18n import t
from ...model import Exercise
from ...present.text import filler, plain
from ...textnorm import compact


def answer_group(ex: Exercise | None, answer: Any) -> Any:
    """A key under which equal answers fall together: choice sets in any order, text that differs only
    in case and spacing, ``1,5`` and ``1.5``. Cheap (no hashing) for the common case of a choice key."""
    kind = ex.type if ex is not None else ""
    if isinstance(answer, str):
        if kind == "teks":
            return ("t", compact(answer))
        if kind == "angka":
            try:
                return ("n", float(answer.strip().replace(",", ".")))
            except ValueError:
                return ("s", answer.strip())
        return ("s", answer)
    if isinstance(answer, bool) or answer is None:
        return ("j", answer)
    if isinstance(answer, int | float):
        return ("n", float(answer))
    if isinstance(answer, list) and kind == "pilihan_ganda":
        return ("m", tuple(sorted(map(str, answer))))
    if isinstance(answer, dict) and all(type(v) is str for v in answer.values()):  # peran, pasangan
        return ("d", tuple(sorted(answer.items())))
    return ("j", json.dumps(answer, sort_keys=True, ensure_ascii=False, default=str))


def describe(ex: Exercise | None, answer: Any) -> str:
    """An answer as a person reads it: choice labels rather than keys, a short summary of a code value."""
    if ex is None:
        text = answer if isinstance(answer, str) else json.dumps(answer, ensure_ascii=False, default=str)
        return cut(text, 200)
    try:
        if ex.is_code:
            return code_summary(answer)
        return cut(plain_label(ex, ex.describe(answer, keys=False)), 300)
    except Exception:  # an odd answer must never break the facilitator's page
        return cut(str(answer), 200)


def cut(text: str, limit: int) -> str:
    """``text`` of at most ``limit`` characters; a cut one ends in "…", so nobody reads it as the whole answer."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def plain_label(ex: Exercise, text: str) -> str:
    """Bank text as a facilitator reads it: the neutral variant's names, no Markdown marks."""
    return plain(filler(ex, None)(text))


def option_label(ex: Exercise, role: str) -> str:
    """An option's label (``peran``: the role; ``pasangan``: the option's text); an unknown key as sent."""
    if role == "":
        return t("kelas.part_empty")
    return cut(plain_label(ex, ex.choices.get(role, role)), 300)


def _short(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return "—" if value is None else str(value)[:40]


def code_summary(plain: Any, limit: int = 160) -> str:
    """One line for a code answer's value as recorded (see :func:`kenali.values.to_plain`). Written here
    rather than imported from the grader, whose import pulls in the notebook readers (seconds, once)."""
    if not isinstance(plain, dict):
        return _short(plain)
    kind = plain.get("kind")
    try:
        if kind in {"number", "bool"}:
            text = _short(plain.get("value"))
        elif kind == "text":
            text = repr(plain.get("value"))
        elif kind == "none":
            text = "None"
        elif kind == "series":
            index, values = plain["index"], plain["values"]
            pairs = zip(index[:5], values[:5], strict=False)
            text = f"Series({len(index)}) " + ", ".join(f"{_short(i)}: {_short(v)}" for i, v in pairs)
        elif kind == "dataframe":
            text = (f"DataFrame({len(plain['index'])}×{len(plain['columns'])}) ["
                    + ", ".join(map(_short, plain["columns"][:6])) + "]")
        elif kind == "list":
            text = f"list({len(plain['items'])}) [" + ", ".join(code_summary(i, 30) for i in plain["items"][:6]) + "]"
        elif kind == "dict":
            text = "{" + ", ".join(f"{_short(k)}: {code_summary(v, 30)}" for k, v in plain["items"][:6]) + "}"
        else:
            text = str(plain.get("type", kind))
    except (KeyError, TypeError, ValueError):
        text = json.dumps(plain, ensure_ascii=False, default=str)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def feedback_text(ex: Exercise | None, messages: Iterable[Any], learner_id: str | None = None) -> list[str]:
    """Stored message JSON rendered as the learner read it (their variant filled in)."""
    from ..wire import WireError, msg_from_json

    fill = filler(ex, learner_id) if ex is not None else (lambda s: s)
    out = []
    for item in messages:
        try:
            message = msg_from_json(item)
            out.append(message.render(fill) if hasattr(message, "render") else fill(message))
        except (WireError, KeyError, ValueError, TypeError, IndexError):
            out.append(str(item)[:200])
    return out
