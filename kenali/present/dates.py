"""Dates and times as a learner reads them: in local time, in the edition's words.

Records store times in UTC (an ISO 8601 text such as ``2026-11-29T07:05:00+00:00``, or seconds since
the epoch); a learner sees ``29 Nov 2026, 14.05`` in the machine's time zone (``TZ``), never a raw
UTC timestamp.
"""

from __future__ import annotations

from datetime import UTC, datetime

from ..i18n import lang, t

_MONTHS = {
    "id": "Jan Feb Mar Apr Mei Jun Jul Agu Sep Okt Nov Des",
    "en": "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec",
}
_PATTERNS = {
    "id": "{day} {month} {year}, {hour:02d}.{minute:02d}",
    "en": "{day} {month} {year}, {hour:02d}:{minute:02d}",
}


def parse(value: str | float | int | datetime | None) -> datetime | None:
    """A stored time as an aware datetime (naive values are UTC); ``None`` when it cannot be read."""
    if value is None or value == "" or isinstance(value, bool):
        return None
    try:
        if isinstance(value, datetime):
            moment = value
        elif isinstance(value, int | float):
            moment = datetime.fromtimestamp(float(value), UTC)
        else:
            text = str(value).strip()
            moment = datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith(("Z", "z")) else text)
    except (ValueError, OverflowError, OSError):
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _word(key: str, fallback: dict[str, str]) -> str:
    try:
        return t(key)
    except KeyError:
        return fallback.get(lang(), fallback["en"])


def local_datetime(value: str | float | int | datetime | None) -> str:
    """A stored time in local time and the edition's words (``29 Nov 2026, 14.05``); "" if unreadable."""
    moment = parse(value)
    if moment is None:
        return ""
    local = moment.astimezone()  # the machine's zone: TZ, else the system's
    months = _word("format.months", _MONTHS).split()
    pattern = _word("format.datetime", _PATTERNS)
    return pattern.format(
        day=local.day, month=months[local.month - 1], year=local.year, hour=local.hour, minute=local.minute
    )
