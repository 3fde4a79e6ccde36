"""Code answers as plain data, and the comparison that says what differs.

A learner's value (number, text, list, dict, pandas Series or DataFrame) is first turned into
*plain* JSON-able data by :func:`to_plain`. The key is turned into plain data the same way. The
comparison in :func:`compare` works only on plain data, so it gives the same verdict in the
learner's kernel and in the grader, which receives plain data (JSON) from a sandbox and never
unpickles anything.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from .present import numbers
from .present.message import Msg, Percent, joined, msg
from .textnorm import normalize

Plain = dict[str, Any]

#: Larger values are not converted (a learner who returns a whole table by mistake).
MAX_CELLS = 200_000


@dataclass(frozen=True)
class CompareOptions:
    """How strictly two plain values are compared."""

    rtol: float = 1e-6
    atol: float = 1e-9
    check_order: bool = False
    check_names: bool = False
    ignore_index: bool = False

    @classmethod
    def from_mapping(cls, data: dict[str, Any] | None) -> CompareOptions:
        return cls(**(data or {}))


@dataclass
class Verdict:
    """The outcome of comparing a learner's plain value with the key's."""

    ok: bool
    messages: list[str] = field(default_factory=list)


def _scalar(value: Any) -> Any:
    """A JSON-able scalar for a cell or label."""
    try:
        import numpy as np
        import pandas as pd
    except ImportError:  # pragma: no cover - pandas is a dependency
        np = pd = None  # type: ignore[assignment]
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    if np is not None and isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if np is not None and isinstance(value, np.integer):
        return int(value)
    if isinstance(value, float) or (np is not None and isinstance(value, np.floating)):
        f = float(value)
        return None if math.isnan(f) else f
    if pd is not None and value is pd.NaT:
        return None
    if pd is not None and isinstance(value, pd.Timestamp):
        return value.isoformat()
    if pd is not None and isinstance(value, pd.Period | pd.Interval | pd.Timedelta):
        return str(value)
    if isinstance(value, str):
        return value
    if pd is not None:
        try:
            if pd.isna(value):
                return None
        except (TypeError, ValueError):
            pass
    return str(value)


def to_plain(value: Any) -> Plain:
    """Turn a learner's value into plain, JSON-able data tagged with its kind."""
    try:
        import numpy as np
        import pandas as pd
    except ImportError:  # pragma: no cover
        np = pd = None  # type: ignore[assignment]
    if value is Ellipsis:
        return {"kind": "ellipsis"}
    if value is None:
        return {"kind": "none"}
    if isinstance(value, bool) or (np is not None and isinstance(value, np.bool_)):
        return {"kind": "bool", "value": bool(value)}
    if isinstance(value, int | float) or (np is not None and isinstance(value, np.number)):
        return {"kind": "number", "value": _scalar(value)}
    if isinstance(value, str):
        return {"kind": "text", "value": value}
    if pd is not None and isinstance(value, pd.DataFrame):
        if value.size > MAX_CELLS:
            return {"kind": "too_big", "type": "DataFrame", "size": int(value.size)}
        return {
            "kind": "dataframe",
            "columns": [_scalar(c) for c in value.columns],
            "index": [_scalar(i) for i in value.index],
            "data": [[_scalar(v) for v in row] for row in value.itertuples(index=False, name=None)],
        }
    if pd is not None and isinstance(value, pd.Series):
        if value.size > MAX_CELLS:
            return {"kind": "too_big", "type": "Series", "size": int(value.size)}
        return {
            "kind": "series",
            "name": _scalar(value.name),
            "index": [_scalar(i) for i in value.index],
            "values": [_scalar(v) for v in value.tolist()],
        }
    if pd is not None and isinstance(value, pd.Index):
        return to_plain(list(value))
    if np is not None and isinstance(value, np.ndarray):
        if value.size > MAX_CELLS:
            return {"kind": "too_big", "type": "ndarray", "size": int(value.size)}
        return to_plain(value.tolist())
    if isinstance(value, list | tuple | set | frozenset):
        items = list(value)
        if len(items) > MAX_CELLS:
            return {"kind": "too_big", "type": type(value).__name__, "size": len(items)}
        if isinstance(value, set | frozenset):
            items = sorted(items, key=repr)
        return {
            "kind": "list",
            "items": [to_plain(v) for v in items],
            "ordered": not isinstance(value, set | frozenset),
        }
    if isinstance(value, dict):
        return {"kind": "dict", "items": [[str(_scalar(k)), to_plain(v)] for k, v in value.items()]}
    return {"kind": "other", "type": type(value).__name__}


def type_name(plain: Plain) -> Msg:
    """The learner-facing name of a plain value's kind."""
    kind = plain.get("kind", "other")
    if kind in {"number", "text", "list", "dict", "series", "dataframe", "bool", "none", "ellipsis"}:
        return msg(f"type_names.{kind}")
    return msg("type_names.other", name=plain.get("type", kind))


def _label(value: Any) -> str:
    """A label (an index or column label, a key): never grouped, since 2024 is a year, not a quantity."""
    if isinstance(value, float):
        return numbers.number(value, 4, group=False)
    return str(value)


def _labels(labels: list[Any], limit: int = 4) -> str:
    shown = ", ".join(_label(x) for x in labels[:limit])
    return shown + (", …" if len(labels) > limit else "")


def _same_scalar(a: Any, b: Any, opts: CompareOptions) -> bool:
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, bool) or isinstance(b, bool):
        return a == b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return math.isclose(float(a), float(b), rel_tol=opts.rtol, abs_tol=opts.atol)
    if isinstance(a, str) and isinstance(b, str):
        return normalize(a) == normalize(b) if a != b else True
    return a == b


def _label_key(label: Any) -> str:
    if isinstance(label, float) and label.is_integer():
        label = int(label)
    return repr(label)


def _compare_number(actual: Plain, expected: Plain, opts: CompareOptions) -> Verdict:
    a, e = actual["value"], expected["value"]
    if _same_scalar(a, e, opts):
        return Verdict(True)
    if a is None or e is None:
        return Verdict(False, [msg("value.number_wrong", pct="?")])  # not a number: nothing to format
    if e == 0:
        return Verdict(False, [msg("value.off_by", actual=a, diff=abs(a - e))])
    pct = abs(a - e) / abs(e) * 100
    direction = msg("feedback.number_above") if a > e else msg("feedback.number_below")
    return Verdict(False, [joined(direction, msg("value.number_wrong", pct=Percent(pct)))])


def _compare_list(actual: Plain, expected: Plain, opts: CompareOptions) -> Verdict:
    a_items, e_items = actual["items"], expected["items"]
    a_keys = [repr(x) for x in a_items]
    e_keys = [repr(x) for x in e_items]
    ordered = opts.check_order and expected.get("ordered", True)
    if a_keys == e_keys:
        return Verdict(True)
    if sorted(a_keys) == sorted(e_keys):
        return Verdict(not ordered, [] if not ordered else [msg("value.list_order")])
    # element-wise tolerance for numbers in the same order
    if len(a_items) == len(e_items) and all(
        x.get("kind") == y.get("kind") and compare(x, y, opts).ok for x, y in zip(a_items, e_items, strict=True)
    ):
        return Verdict(True)
    missing = len([k for k in e_keys if k not in a_keys])
    extra = len([k for k in a_keys if k not in e_keys])
    messages = []
    if len(a_items) != len(e_items):
        messages.append(msg("value.length", actual=len(a_items), expected=len(e_items)))
    messages.append(msg("value.list_items", missing=missing, extra=extra))
    return Verdict(False, messages)


def _compare_dict(actual: Plain, expected: Plain, opts: CompareOptions) -> Verdict:
    a = dict((k, v) for k, v in actual["items"])
    e = dict((k, v) for k, v in expected["items"])
    messages = []
    missing = [k for k in e if k not in a]
    extra = [k for k in a if k not in e]
    if missing:
        messages.append(msg("value.keys_missing", keys=_labels(missing)))
    if extra:
        messages.append(msg("value.keys_extra", keys=_labels(extra)))
    wrong = [k for k in e if k in a and not compare(a[k], e[k], opts).ok]
    if wrong:
        messages.append(
            msg("value.values", n=len(wrong), total=len(e),
              where=msg("value.values_where", where=_labels(wrong)))
        )
    return Verdict(not messages, messages)


def _align_rows(a_index: list[Any], e_index: list[Any], opts: CompareOptions) -> tuple[list[int] | None, list[str]]:
    """Map each expected row to a row of the learner's value, or explain why that fails."""
    if opts.ignore_index:
        if len(a_index) != len(e_index):
            return None, [msg("value.length", actual=len(a_index), expected=len(e_index))]
        return list(range(len(e_index))), []
    a_keys = [_label_key(x) for x in a_index]
    e_keys = [_label_key(x) for x in e_index]
    messages: list[str] = []
    if len(a_keys) != len(e_keys):
        messages.append(msg("value.length", actual=len(a_keys), expected=len(e_keys)))
    missing = [lbl for lbl, k in zip(e_index, e_keys, strict=True) if k not in set(a_keys)]
    extra = [lbl for lbl, k in zip(a_index, a_keys, strict=True) if k not in set(e_keys)]
    if missing:
        messages.append(msg("value.index_missing", labels=_labels(missing)))
    if extra:
        messages.append(msg("value.index_extra", labels=_labels(extra)))
    if messages:
        return None, messages
    if len(set(a_keys)) != len(a_keys):  # duplicated labels: align by position
        return list(range(len(e_keys))), []
    position = {k: i for i, k in enumerate(a_keys)}
    order = [position[k] for k in e_keys]
    if opts.check_order and order != list(range(len(order))):
        return None, [msg("value.index_order")]
    return order, []


def _compare_series(actual: Plain, expected: Plain, opts: CompareOptions) -> Verdict:
    order, messages = _align_rows(actual["index"], expected["index"], opts)
    if order is None:
        return Verdict(False, messages)
    wrong = [
        expected["index"][i]
        for i, j in enumerate(order)
        if not _same_scalar(actual["values"][j], expected["values"][i], opts)
    ]
    if opts.check_names and actual.get("name") != expected.get("name"):
        messages.append(msg("value.text_wrong"))
    if wrong:
        messages.append(
            msg("value.values", n=len(wrong), total=len(order),
              where=msg("value.values_where", where=_labels(wrong, 3)))
        )
    return Verdict(not messages, messages)


def _compare_frame(actual: Plain, expected: Plain, opts: CompareOptions) -> Verdict:
    a_cols = [_label_key(c) for c in actual["columns"]]
    e_cols = [_label_key(c) for c in expected["columns"]]
    messages = []
    missing = [c for c, k in zip(expected["columns"], e_cols, strict=True) if k not in a_cols]
    extra = [c for c, k in zip(actual["columns"], a_cols, strict=True) if k not in e_cols]
    if missing:
        messages.append(msg("value.columns_missing", cols=_labels(missing)))
    if extra:
        messages.append(msg("value.columns_extra", cols=_labels(extra)))
    if messages:
        return Verdict(False, messages)
    if opts.check_order and a_cols != e_cols:
        return Verdict(False, [msg("value.columns_order")])
    order, messages = _align_rows(actual["index"], expected["index"], opts)
    if order is None:
        return Verdict(False, messages)
    col_pos = [a_cols.index(k) for k in e_cols]
    wrong_cells = 0
    where: list[str] = []
    for i, j in enumerate(order):
        for c, pos in enumerate(col_pos):
            if not _same_scalar(actual["data"][j][pos], expected["data"][i][c], opts):
                wrong_cells += 1
                if len(where) < 3:
                    where.append(f"{_label(expected['index'][i])}/{_label(expected['columns'][c])}")
    if wrong_cells:
        total = len(order) * len(col_pos)
        return Verdict(
            False,
            [msg("value.values", n=wrong_cells, total=total,
               where=msg("value.values_where", where=", ".join(where)))],
        )
    return Verdict(True)


_COMPARERS = {
    "number": _compare_number,
    "list": _compare_list,
    "dict": _compare_dict,
    "series": _compare_series,
    "dataframe": _compare_frame,
}


def compare(actual: Plain, expected: Plain, opts: CompareOptions | None = None) -> Verdict:
    """Compare two plain values; the verdict's messages say what differs, never the key itself."""
    opts = opts or CompareOptions()
    a_kind, e_kind = actual.get("kind"), expected.get("kind")
    if a_kind == "ellipsis":
        return Verdict(False, [msg("value.unanswered")])
    if a_kind in {"other", "too_big"}:
        return Verdict(False, [msg("value.unsupported", actual=type_name(actual))])
    if a_kind != e_kind:
        # a one-column frame where a Series is expected, an int where a float is, ...
        return Verdict(False, [msg("value.type", actual=type_name(actual), expected=type_name(expected))])
    if e_kind in _COMPARERS:
        return _COMPARERS[e_kind](actual, expected, opts)
    if e_kind == "text":
        ok = _same_scalar(actual["value"], expected["value"], opts)
        return Verdict(ok, [] if ok else [msg("value.text_wrong")])
    ok = actual == expected
    return Verdict(ok, [] if ok else [msg("value.text_wrong")])
