"""Everything read from a hand-in is bounded and cleaned here, on the way in.

A hand-in is written by the learner's machine, so any JSON value in it may be hostile: lone
surrogates (half an emoji, valid JSON, but no file or CSV can hold it), integers of hundreds of
digits (``float()`` raises ``OverflowError``), infinities, nesting a thousand levels deep, strings
of megabytes. :func:`clean` returns a value every later step can handle: text always encodable as
UTF-8, numbers finite and of sane size, nesting and lengths capped.
"""

from __future__ import annotations

import math
import re
from typing import Any

MAX_DEPTH = 40
MAX_TEXT = 100_000
MAX_ITEMS = 10_000
MAX_INT = 10**15
_SURROGATE = re.compile("[\ud800-\udfff]")
_ESCAPED = re.compile(rb"\\u[dD][89abcdefABCDEF]")


def text(value: str, limit: int = MAX_TEXT) -> str:
    """``value`` with lone surrogates replaced (U+FFFD) and cut to ``limit`` characters."""
    if len(value) > limit:
        value = value[:limit]
    try:
        value.encode("utf-8")
        return value
    except UnicodeEncodeError:
        return _SURROGATE.sub("\ufffd", value)


def may_hold_surrogates(data: bytes) -> bool:
    """Whether raw JSON bytes contain an escaped surrogate (cheap test before a full :func:`clean`)."""
    return _ESCAPED.search(data) is not None


def number(value: Any) -> float | int | None:
    """A finite number of sane size, else None (never raises)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if -MAX_INT <= value <= MAX_INT else None
    if isinstance(value, float):
        return value if math.isfinite(value) and abs(value) <= 1e300 else None
    return None


def clean(value: Any, depth: int = 0, *, limit: int = MAX_TEXT) -> Any:
    """A JSON value made safe: see the module docstring. Deeper than :data:`MAX_DEPTH` becomes None;
    huge integers become None (an ID or a time stamp of 400 digits means nothing)."""
    if isinstance(value, str):
        return text(value, limit)
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        if isinstance(value, int) and not -MAX_INT <= value <= MAX_INT:
            return None
        return value
    if depth >= MAX_DEPTH:
        return None
    if isinstance(value, dict):
        out = {}
        for n, (k, v) in enumerate(value.items()):
            if n >= MAX_ITEMS:
                break
            out[text(str(k), 1000)] = clean(v, depth + 1, limit=limit)
        return out
    if isinstance(value, list | tuple):
        return [clean(v, depth + 1, limit=limit) for v in value[:MAX_ITEMS]]
    return text(str(value)[:1000], 1000)


def deep_text(value: Any, depth: int = 0) -> Any:
    """Only the text made encodable (no caps): for values the grader itself made (results, notes)."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
            return value
        except UnicodeEncodeError:
            return _SURROGATE.sub("\ufffd", value)
    if depth > 200:
        return None
    if isinstance(value, dict):
        return {deep_text(k, depth + 1) if isinstance(k, str) else k: deep_text(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [deep_text(v, depth + 1) for v in value]
    return value
