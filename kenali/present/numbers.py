"""Numbers as a learner reads them, in the active language edition's format.

Bahasa Indonesia groups thousands with a dot and writes decimals with a comma (``1.234``, ``1,5``,
``12,5%``); English the other way round (``1,234``, ``1.5``). The separators come from the edition's
``messages.yaml`` (``format.thousands``, ``format.decimal``, ``format.percent``), with a built-in
default per language for an edition that does not set them.
"""

from __future__ import annotations

import math
from numbers import Real

from ..i18n import lang, t

#: Separators when an edition's catalogue does not name them.
_DEFAULTS = {"id": (".", ","), "en": (",", ".")}


def separators() -> tuple[str, str]:
    """``(thousands, decimal)`` of the active language edition."""
    try:
        return t("format.thousands"), t("format.decimal")
    except KeyError:
        return _DEFAULTS.get(lang(), _DEFAULTS["en"])


def _swap(text: str) -> str:
    """Python's ``1,234.5`` in the edition's separators."""
    thousands, decimal = separators()
    return text.replace(",", "\0").replace(".", decimal).replace("\0", thousands)


def number(value: Real | str | None, max_decimals: int = 2, *, group: bool = True) -> str:
    """A number for reading: thousands grouped, at most ``max_decimals`` decimals, no trailing zeros.

    A small non-zero value that would round to 0 keeps two significant digits (``0,0012``).
    ``None`` and NaN read as "—"; a string is returned as it is (a learner's own input).
    """
    if value is None:
        return "—"
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return str(value)
    x = float(value)
    if math.isnan(x):
        return "—"
    if math.isinf(x):
        return "∞" if x > 0 else "-∞"
    decimals = max(0, max_decimals)
    if x != 0 and abs(x) < 10**-decimals:
        decimals = min(12, -math.floor(math.log10(abs(x))) + 1)
    text = f"{x:{',' if group else ''}.{decimals}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    if text in {"-0", ""}:
        text = "0"
    return _swap(text)


def integer(value: int) -> str:
    """A count with its thousands grouped (``1.200``)."""
    return number(int(value), 0)


def score(value: float) -> str:
    """Points as in "1,5/3 poin": at most two decimals."""
    return number(value, 2)


def percent(value: float, decimals: int = 1) -> str:
    """A percentage (``12,5%``), at most ``decimals`` decimals; ``value`` is already in percent."""
    shown = number(value, decimals)
    try:
        return t("format.percent", value=shown)
    except KeyError:
        return f"{shown}%"
