"""Answer records as read back from disk: parsed and validated once, so every consumer can trust
the type of every field (a damaged or hand-edited record is refused here, never deeper down).

A record is a small JSON object (see :mod:`kenali.store`). Missing optional fields of older
records get defaults; a field that is present with the wrong type makes the whole record damaged
(:class:`RecordError`), because a record whose ``score`` is ``"NaN"`` cannot be trusted for
anything else either.
"""

from __future__ import annotations

import json
import math
from typing import Any, TypedDict

RECORD_VERSION = 2
#: saved: an ungraded refleksi text; pending: an answer to a keyless (assessment) exercise recorded while the
#: class server was unreachable, not judged yet (the server's verdict arrives later as a newer record)
STATUSES = frozenset({"correct", "partial", "wrong", "unanswered", "invalid", "saved", "pending"})
#: statuses that are no judged attempt: nothing was scored
NOT_JUDGED = frozenset({"unanswered", "invalid", "saved", "pending"})
#: the mode of a record that holds the class server's verdict on the ``pending`` answer just before it (the
#: same answer, judged once by the server): a copy for the learner's view, never a new attempt
VERDICT_MODE = "kelas"
MAX_ANSWER_BYTES = 64 * 1024  # an answer larger than this (serialized) is refused, not written
MAX_RECORD_BYTES = 256 * 1024  # a record file larger than this is damaged and is not read at all
MAX_SEQ = 10**12 - 1  # sequence numbers are written with 12 digits
_MAX_DEPTH = 32
_MAX_TEXT = 200


class RecordError(ValueError):
    """The bytes of a record are not a valid answer record."""


class RecordTooLarge(ValueError):
    """An answer too large to be recorded (see ``MAX_ANSWER_BYTES``)."""

    def __init__(self, size: int):
        super().__init__(f"answer of {size} bytes is larger than {MAX_ANSWER_BYTES}")
        self.size = size


class AnswerRecord(TypedDict):
    """One checked answer, with every field of a known type."""

    v: int
    exercise: str
    lesson: str | None
    learner: str | None
    answer: Any  # plain JSON data: None, bool, int, float, str, list, dict with str keys
    status: str  # one of STATUSES ("saved": an ungraded refleksi text, never scored)
    score: float  # in [0, 1]
    points: float
    attempt: int  # >= 1; the record's sequence number for records written since version 2
    hints: int  # >= 0
    seq: int  # per-exercise sequence number, >= 1; 0 for version 1 records (which have none)
    ts: float  # wall-clock seconds: informational only, never used to order records
    time: str
    mode: str
    server: dict[str, Any] | None  # the class server's verdict details when it judged this answer (else None)
    _file: str  # the record's file name


def encode(rec: dict[str, Any]) -> bytes:
    """The bytes a record is written as."""
    return json.dumps(rec, ensure_ascii=False, sort_keys=True).encode("utf-8")


def answer_size(answer: Any) -> int:
    """The size in bytes of an answer as it would be written."""
    return len(json.dumps(answer, ensure_ascii=False, default=str).encode("utf-8"))


def is_number(value: Any) -> bool:
    """A finite int or float (never a bool)."""
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def is_plain(value: Any, depth: int = 0) -> bool:
    """Whether ``value`` is plain JSON data no deeper than ``_MAX_DEPTH`` (NaN allowed: missing data)."""
    if depth > _MAX_DEPTH:
        return False
    if value is None or isinstance(value, bool | str | int | float):
        return True
    if isinstance(value, list):
        return all(is_plain(v, depth + 1) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and is_plain(v, depth + 1) for k, v in value.items())
    return False


def _field(raw: dict[str, Any], key: str, ok: Any, default: Any) -> Any:
    if key not in raw:
        return default
    value = raw[key]
    if not ok(value):
        raise RecordError(f"field {key!r} has an unexpected value")
    return value


def _text(limit: int = _MAX_TEXT, optional: bool = False) -> Any:
    return lambda v: (optional and v is None) or (isinstance(v, str) and len(v) <= limit)


def _int(low: int, high: int) -> Any:
    return lambda v: isinstance(v, int) and not isinstance(v, bool) and low <= v <= high


def validate(raw: Any, file: str = "") -> AnswerRecord:
    """The typed form of a parsed record; raises :class:`RecordError` when it is not one."""
    if not isinstance(raw, dict):
        raise RecordError("not an answer record")
    exercise = raw.get("exercise")
    if not isinstance(exercise, str) or not 0 < len(exercise) <= 100:
        raise RecordError("no exercise")
    status = raw.get("status")
    if status not in STATUSES:
        raise RecordError("no status")
    answer = raw.get("answer")
    if not is_plain(answer):
        raise RecordError("the answer is not plain data")
    seq = _field(raw, "seq", _int(1, MAX_SEQ), 0)
    return {
        "v": _field(raw, "v", _int(1, 1000), 1),
        "exercise": exercise,
        "lesson": _field(raw, "lesson", _text(optional=True), None),
        "learner": _field(raw, "learner", _text(optional=True), None),
        "answer": answer,
        "status": status,
        "score": float(_field(raw, "score", lambda v: is_number(v) and 0 <= v <= 1,
                              1.0 if status == "correct" else 0.0)),
        "points": float(_field(raw, "points", lambda v: is_number(v) and 0 <= v <= 10**6, 0.0)),
        "attempt": _field(raw, "attempt", _int(1, MAX_SEQ), max(seq, 1)),
        "hints": _field(raw, "hints", _int(0, 10_000), 0),
        "seq": seq,
        "ts": float(_field(raw, "ts", is_number, 0.0)),
        "time": _field(raw, "time", _text(64), ""),
        "mode": _field(raw, "mode", _text(20), "belajar"),
        "server": _field(raw, "server", lambda v: v is None or (isinstance(v, dict) and is_plain(v)), None),
        "_file": file,
    }


def parse(data: bytes, file: str = "") -> AnswerRecord:
    """Parse and validate the bytes of a record file (a UTF-8 byte-order mark is allowed)."""
    if len(data) > MAX_RECORD_BYTES:
        raise RecordError("record too large")
    try:
        raw = json.loads(data.decode("utf-8-sig"))
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise RecordError(f"not JSON: {exc}") from None
    return validate(raw, file)


def answer_fits(kind: str, answer: Any) -> bool:
    """Whether a recorded answer has the shape the input of an exercise type can show."""
    if answer is None or kind == "kode":
        return True
    if kind in {"pilihan", "teks", "refleksi"}:
        return isinstance(answer, str)
    if kind == "pilihan_ganda":
        return isinstance(answer, list) and all(isinstance(x, str) for x in answer)
    if kind in {"peran", "pasangan"}:
        return isinstance(answer, dict) and all(x is None or isinstance(x, str) for x in answer.values())
    if kind == "angka":
        return isinstance(answer, str) or is_number(answer)
    return False
