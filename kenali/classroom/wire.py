"""The wire format between a learner's kernel and the class server: typed request and response bodies.

Both sides import this module: the server (:mod:`kenali.classroom.service`) to read what a kernel sends
and to write its answers, the client (:mod:`kenali.classroom.client`) to build requests and read the
answers. Bodies from the network are untrusted, so every model is strict (no silent type coercion, no
unknown fields in requests a kernel builds itself), sizes are capped, and :func:`parse` turns anything
malformed into one readable :class:`WireError` (the server answers it with HTTP 400).

Feedback travels as *message JSON* (:func:`msg_to_json` / :func:`msg_from_json`): a
:class:`~kenali.present.message.Msg` keeps its key and raw parameters, so the learner's kernel renders it
in its own language and number format::

    {"key": "feedback.partial", "params": {"right": 2, "total": 4}}
    {"key": "", "params": {"parts": [{"key": "feedback.number_above", "params": {}}, ...]}}   # joined
    {"percent": 12.5}          # a Percent parameter
    "plain text"               # a message that is text only (a bank's feedback line)
"""

from __future__ import annotations

import json
import math
from typing import Annotated, Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from ..present.message import Msg, Percent
from ..records import MAX_ANSWER_BYTES, MAX_SEQ, answer_size, is_number, is_plain

#: The largest request body the server reads (bytes); larger ones are refused before parsing.
MAX_BODY_BYTES = 256 * 1024
#: The most records one sync request may carry (a client sends more in several requests).
MAX_RECORDS = 200
#: The most messages, and the nesting depth, of message JSON.
MAX_MESSAGES = 64
_MAX_DEPTH = 32
_MAX_ID = 100
_MAX_TEXT = 200

Status = Literal["correct", "partial", "wrong", "unanswered", "invalid", "saved", "pending", "over_limit"]


class WireError(ValueError):
    """A body that is not what the API expects; the message says what is wrong (shown with HTTP 400)."""


# -- messages ------------------------------------------------------------------------------------


def _value_to_json(value: Any, depth: int) -> Any:
    if depth > _MAX_DEPTH:
        raise WireError("message nested too deeply")
    if isinstance(value, Msg):
        return {"key": value.key, "params": {str(k): _value_to_json(v, depth + 1) for k, v in value.params.items()}}
    if isinstance(value, Percent):
        return {"percent": float(value)}
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int | float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, list | tuple):
        return [_value_to_json(v, depth + 1) for v in value]
    return str(value)  # what the message would show for it anyway (Msg renders other values with str())


def msg_to_json(message: Msg | str) -> Any:
    """A message as JSON: ``{"key", "params"}`` for a :class:`Msg`, the text itself for plain text."""
    if isinstance(message, Msg):
        return _value_to_json(message, 0)
    return str(message)


def _value_from_json(value: Any, depth: int) -> Any:
    if depth > _MAX_DEPTH:
        raise WireError("message nested too deeply")
    if isinstance(value, dict):
        if set(value) == {"percent"} and is_number(value["percent"]):
            return Percent(value["percent"])
        if set(value) == {"key", "params"}:
            return _msg_from_json(value, depth)
        raise WireError("a message parameter is an object that is neither a message nor a percent")
    if isinstance(value, list):
        return tuple(_value_from_json(v, depth + 1) for v in value)
    if value is None or isinstance(value, bool | str | int | float):
        return value
    raise WireError("a message parameter has an unexpected type")


def _msg_from_json(obj: dict[str, Any], depth: int) -> Msg | str:
    key, params = obj["key"], obj["params"]
    if not isinstance(key, str) or len(key) > _MAX_TEXT or not isinstance(params, dict):
        raise WireError("a message needs a text key and an object of params")
    values = {str(k): _value_from_json(v, depth + 1) for k, v in params.items()}
    try:
        return Msg(key, **values)
    except (KeyError, IndexError, ValueError, TypeError):
        # a key or a parameter this edition does not know (an older or newer kenali): show what we can
        texts = [v.render() if isinstance(v, Msg) else str(v) for v in values.values() if isinstance(v, str)]
        return " ".join(texts) if texts else key


def msg_from_json(obj: Any) -> Msg | str:
    """The message :func:`msg_to_json` wrote. Plain text stays text; a message whose key this edition of
    kenali does not know becomes the text of its text parameters (never an error for the learner).
    Raises :class:`WireError` for data that is no message at all."""
    if isinstance(obj, str):
        return obj
    if isinstance(obj, dict) and set(obj) == {"key", "params"}:
        return _msg_from_json(obj, 0)
    raise WireError("not a message: expected text or an object with 'key' and 'params'")


# -- plain data ----------------------------------------------------------------------------------


def _check_answer(value: Any) -> Any:
    if not is_plain(value):
        raise ValueError("the answer is not plain JSON data (or is nested too deeply)")
    try:
        size = answer_size(value)
    except UnicodeEncodeError:
        raise ValueError("the answer holds text that is not valid Unicode (a lone surrogate)") from None
    if size > MAX_ANSWER_BYTES:
        raise ValueError(f"the answer has {size} bytes, more than {MAX_ANSWER_BYTES}")
    return value


def _check_message(value: Any) -> Any:
    msg_from_json(value)  # raises for what is no message
    return value


ExerciseId = Annotated[str, Field(min_length=1, max_length=_MAX_ID, pattern=r"^[\w.\-]+$")]
Seq = Annotated[int, Field(ge=1, le=MAX_SEQ)]
ShortText = Annotated[str, Field(max_length=_MAX_TEXT)]
MsgJSON = Any  # text or {"key": str, "params": {...}}: checked by _check_message


class _Strict(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)


# -- requests --------------------------------------------------------------------------------------


class RecordIn(BaseModel):
    """One answer record of the learner's local store, as :mod:`kenali.records` reads it.

    Only ``exercise``, ``seq``, ``answer`` and ``hints`` count; ``status``, ``score`` and ``attempt`` are
    the kernel's own view and are never trusted (the server checks the answer and counts attempts itself).
    Unknown fields are ignored, so a newer store format still syncs.
    """

    model_config = ConfigDict(strict=True, extra="ignore", frozen=True)

    exercise: ExerciseId
    seq: Seq
    answer: Any = None
    hints: Annotated[int, Field(ge=0, le=10_000)] = 0
    lesson: ShortText | None = None
    learner: ShortText | None = None
    time: Annotated[str, Field(max_length=64)] = ""  # client time, reported, never trusted
    status: ShortText | None = None  # ignored
    score: float | None = None  # ignored
    attempt: int | None = None  # ignored

    @field_validator("answer")
    @classmethod
    def _answer(cls, value: Any) -> Any:
        return _check_answer(value)


class RecordsIn(_Strict):
    """``POST api/records``: records of the local store to sync (idempotent by exercise and ``seq``); every
    record typed (what a client or a test builds). The server reads the same body as :class:`RecordsBatch`."""

    records: Annotated[list[RecordIn], Field(max_length=MAX_RECORDS)]


class RecordsBatch(_Strict):
    """The body of ``POST api/records`` as the server reads it: each record is validated on its own
    (:meth:`split`), so one malformed record is *rejected* with its reason while the others are stored, and a
    record the server can never take does not block a learner's sync."""

    records: Annotated[list[dict[str, Any]], Field(max_length=MAX_RECORDS)]

    def split(self) -> tuple[list[RecordIn], list[Rejected]]:
        """The valid records, and the others with the reason each is refused."""
        good: list[RecordIn] = []
        bad: list[Rejected] = []
        for i, raw in enumerate(self.records):
            try:
                good.append(RecordIn.model_validate(raw))
            except ValidationError as exc:
                exercise, seq = raw.get("exercise"), raw.get("seq")
                bad.append(Rejected(exercise=exercise[:_MAX_ID] if isinstance(exercise, str) else "",
                                    seq=seq if isinstance(seq, int) and not isinstance(seq, bool) else 0,
                                    reason=f"records.{i}: {explain(exc)}"))
            except RecursionError:
                bad.append(Rejected(exercise="", seq=0, reason=f"records.{i}: nested too deeply"))
        return good, bad


class CheckIn(_Strict):
    """``POST api/check``: check one answer of an assessment exercise with the server's keys."""

    exercise: ExerciseId
    answer: Any = None
    hints: Annotated[int, Field(ge=0, le=10_000)] = 0
    seq: Seq | None = None  # the local record's number, so a later sync of the same record is no new attempt
    client_time: Annotated[str, Field(max_length=64)] = ""
    learner: ShortText | None = None

    @field_validator("answer")
    @classmethod
    def _answer(cls, value: Any) -> Any:
        return _check_answer(value)


# -- responses -------------------------------------------------------------------------------------


class DisclosureOut(_Strict):
    """What the policy lets the learner see after this attempt."""

    parts: bool = True
    explanation: bool = True
    distance: bool = True


class CheckOut(_Strict):
    """The server's verdict on one answer, already redacted under the policy.

    ``status`` is the verdict, or ``"over_limit"`` (no attempt left: the answer was recorded, not judged,
    and earns nothing), or ``"pending"`` (not judged). ``attempt`` is the server's count for this
    learner and exercise; ``credit`` the exercise's credited score so far under the policy (0..1);
    ``final`` whether no further attempt can change it; ``late`` whether it came after the deadline
    (by the server's clock: recorded, earns nothing).
    """

    exercise: ExerciseId
    status: Status
    score: Annotated[float, Field(ge=0, le=1)] = 0.0
    messages: Annotated[list[MsgJSON], Field(max_length=MAX_MESSAGES)] = []
    parts: dict[Annotated[str, Field(max_length=_MAX_ID)], bool] = {}
    attempt: Annotated[int, Field(ge=0)] = 0
    attempts_left: Annotated[int, Field(ge=0)] | None = None
    final: bool = False
    credit: Annotated[float, Field(ge=0, le=1)] | None = None
    disclosure: DisclosureOut = DisclosureOut()
    explanation: str | None = None
    late: bool = False
    seq: Seq | None = None
    assignment: ShortText | None = None

    @field_validator("messages")
    @classmethod
    def _messages(cls, value: list[Any]) -> list[Any]:
        for m in value:
            _check_message(m)
        return value

    def message_objects(self) -> list[Msg | str]:
        """The messages as :class:`Msg` (rendered in this kernel's language) or text."""
        return [msg_from_json(m) for m in self.messages]


class RecordRef(_Strict):
    exercise: ExerciseId
    seq: Seq


class Rejected(_Strict):
    """A record the server will never accept (an exercise it does not know): the client stops sending it."""

    exercise: Annotated[str, Field(max_length=_MAX_ID)]
    seq: int
    reason: str


class RecordsOut(_Strict):
    """The answer to a sync: which records are stored now (new or already), and their verdicts."""

    accepted: list[RecordRef] = []
    results: list[CheckOut] = []
    rejected: list[Rejected] = []


class HealthOut(_Strict):
    ok: bool = True
    db: Literal["sqlite", "postgresql"]
    course: str = ""  # the course version (digest of the server's content)
    policy: str = ""  # the policy file's digest ("" without one)


# -- parsing ---------------------------------------------------------------------------------------

M = TypeVar("M", bound=BaseModel)


def _where(loc: tuple[Any, ...]) -> str:
    return ".".join(str(p) for p in loc) or "body"


def explain(exc: ValidationError, limit: int = 3) -> str:
    """A short, readable summary of a validation error (field and problem, the first few)."""
    lines = []
    for err in exc.errors(include_url=False, include_input=False)[:limit]:
        text = str(err.get("msg", "invalid"))
        if text.startswith("Value error, "):
            text = text[len("Value error, "):]
        lines.append(f"{_where(tuple(err.get('loc', ())))}: {text}")
    more = exc.error_count() - limit
    return "; ".join(lines) + (f" (and {more} more)" if more > 0 else "")


def parse(model: type[M], body: bytes | str) -> M:
    """The typed form of a JSON request or response body; :class:`WireError` with a readable reason."""
    size = len(body.encode("utf-8") if isinstance(body, str) else body)
    if size > MAX_BODY_BYTES:
        raise WireError(f"the body has {size} bytes, more than {MAX_BODY_BYTES}")
    if not body:
        raise WireError("the body is empty: expected a JSON object")
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise WireError(f"the body is not JSON: {exc}") from None
    return parse_obj(model, data)


def parse_obj(model: type[M], data: Any) -> M:
    """The typed form of already decoded JSON data; :class:`WireError` with a readable reason."""
    if not isinstance(data, dict):
        raise WireError("the body must be a JSON object")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise WireError(explain(exc)) from None
    except RecursionError:
        raise WireError("the body is nested too deeply") from None


def dump(obj: BaseModel) -> str:
    """The JSON text of a body (compact, UTF-8)."""
    return obj.model_dump_json()


__all__ = [
    "MAX_BODY_BYTES", "MAX_RECORDS", "CheckIn", "CheckOut", "DisclosureOut", "HealthOut", "RecordIn",
    "RecordRef", "RecordsBatch", "RecordsIn", "RecordsOut", "Rejected", "WireError", "dump", "explain", "msg_from_json",
    "msg_to_json", "parse", "parse_obj",
]
