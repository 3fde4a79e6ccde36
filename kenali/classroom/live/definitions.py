"""What the live figures count, and how much of them the pages show.

Which attempt statuses are wrong and which are no answer at all, which exercise types are read per part, how
many wrong answers, stuck learners and projector answers a page lists, and the two small conversions every
figure shares: a share of learners rounded to four places, and a moment as ISO 8601 in UTC. The definitions
in words are in the package's docstring (:mod:`kenali.classroom.live`).
"""

from __future__ import annotations

from datetime import UTC, datetime

WRONG = frozenset({"wrong", "partial", "invalid"})
UNANSWERED = frozenset({"unanswered", "pending", "over_limit"})
PART_TYPES = frozenset({"peran", "pasangan"})  # answers read per part: {item id: option key}
TOP_WRONG = 3  # wrong answers shown per exercise
TOP_STUCK = 10  # learners shown as stuck
TOP_ANSWERS = 8  # answers shown on the projector before "other answers"
FEEDBACK_SAMPLE = 5  # attempts looked at to find the feedback most learners got for a wrong answer


def share(part: int, whole: int, scored: bool) -> float | None:
    """``part`` of ``whole`` rounded to four places; ``None`` when nobody is counted or nothing is scored."""
    return round(part / whole, 4) if whole and scored else None


def iso(when: datetime | None) -> str | None:
    """``when`` as ISO 8601 in UTC (``None`` stays ``None``)."""
    return when.astimezone(UTC).isoformat() if when is not None else None
