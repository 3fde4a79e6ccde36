"""The running class server's shared state: the classroom, authentication, the thread pool, per-learner
locks, the rate limiter, and the cached figures of the live view.

The live figures are recomputed at most once a second however many pages poll (a projector and two
facilitators cost one computation), from rows read incrementally (only attempts newer than the last one
read, folded into a :class:`kenali.classroom.live.LiveState`), so a poll costs one small query and a summary.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

from ...model import Exercise
from ..live import LiveState, projector_summary
from .auth import Backend
from .core import Classroom

LIVE_MAX_AGE = 1.0  # seconds a computed live summary is served again
#: Fields of an exercise a learner may see before answering (everything else can give the key away).
PUBLIC_FIELDS = ("id", "type", "lesson", "title", "scenario", "question", "hints", "points", "quick", "section",
                 "pools", "unit", "variable", "starter")


class RateLimiter:
    """A token bucket per user: ``burst`` requests at once, refilled at ``rate`` per second."""

    def __init__(self, rate: float = 5.0, burst: float = 30.0):
        self.rate, self.burst = rate, burst
        self._buckets: dict[str, tuple[float, float]] = {}

    def wait(self, user: str, now: float | None = None) -> float:
        """0 when ``user`` may make a request now (and it is counted), else the seconds to wait."""
        if self.rate <= 0:
            return 0.0
        now = time.monotonic() if now is None else now
        tokens, last = self._buckets.get(user, (self.burst, now))
        tokens = min(self.burst, tokens + (now - last) * self.rate)
        if tokens < 1:
            self._buckets[user] = (tokens, now)
            return (1 - tokens) / self.rate
        self._buckets[user] = (tokens - 1, now)
        return 0.0


class State:
    """Everything the handlers share (one per server process)."""

    def __init__(self, room: Classroom, auth: Backend, *, workers: int | None = None, rate: float = 5.0,
                 burst: float = 30.0, log: logging.Logger | None = None):
        self.room = room
        self.auth = auth
        self.log = log or logging.getLogger("kenali.serve")
        self.executor = ThreadPoolExecutor(max_workers=workers or (4 if room.db.kind == "sqlite" else 12),
                                           thread_name_prefix="kenali-serve")
        self.limiter = RateLimiter(rate, burst)
        self._locks: dict[str, asyncio.Lock] = {}
        self._live_state = LiveState(room.course.course)
        self._live: dict[str | None, tuple[float, str]] = {}  # lesson (None: all) -> (when, JSON)
        self._live_lock = threading.Lock()

    async def run(self, func: Callable[..., Any], *args: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(self.executor, func, *args)

    def user_lock(self, user: str) -> asyncio.Lock:
        lock = self._locks.get(user)
        if lock is None:
            lock = self._locks[user] = asyncio.Lock()
        return lock

    # -- live figures (blocking: called in the pool) ------------------------------------------------

    def live_json(self, lesson: str | None = None, now: datetime | None = None) -> str:
        """The live view's figures as JSON, of one lesson or all (cached for :data:`LIVE_MAX_AGE`; only new
        attempts are read)."""
        with self._live_lock:
            cached = self._live.get(lesson)
            if cached is not None and time.monotonic() - cached[0] < LIVE_MAX_AGE and now is None:
                return cached[1]
            live = self._live_state
            live.add(self.room.db.attempts(since_id=live.last_id))
            summary = live.summary(self.room.db.learners(), now or datetime.now(UTC), lesson=lesson)
            text = json.dumps(summary.to_json(), ensure_ascii=False)
            self._live[lesson] = (time.monotonic(), text)
            return text

    def projector_json(self, exercise_id: str) -> str:
        """One exercise's distribution for the projector, without user names, as JSON."""
        rows = self.room.db.attempts(exercise=exercise_id)
        summary = projector_summary(exercise_id, rows, self.room.course.course).to_json()
        ex = self.room.course.exercise(exercise_id)
        if ex is not None:
            summary["key"] = _key_labels(ex)
        return json.dumps(summary, ensure_ascii=False)

    def lessons(self) -> dict[str, str]:
        """Lesson number -> title, in course order (the live view's lesson filter)."""
        return {bank.lesson: bank.title for bank in self.room.course.course.banks}

    # -- exercises -----------------------------------------------------------------------------------

    def keyless(self, ex: Exercise) -> str:
        """An exercise without its key, feedback, explanation, mistakes or solution, as JSON."""
        data: dict[str, Any] = {name: getattr(ex, name) for name in PUBLIC_FIELDS}
        data["hints"] = list(ex.hints)
        data["pools"] = {k: list(v) for k, v in ex.pools.items()}
        data["choices"] = dict(ex.choices)
        data["items"] = [{"id": item.id, "label": item.label} for item in ex.items]
        _, policy = self.room.policy_for(ex)
        data["policy"] = policy.model_dump(mode="json")
        return json.dumps(data, ensure_ascii=False)

    def close(self) -> None:
        """Let the answers being stored finish (queued work is dropped: its kernels send it again), then close
        the database."""
        self.executor.shutdown(wait=True, cancel_futures=True)
        self.room.db.close()


def _key_labels(ex: Exercise) -> list[str]:
    """What the projector shows when the facilitator reveals the key (never sent before the click matters:
    the page is for facilitators only)."""
    from ..live import PART_TYPES, describe, option_label, plain_label

    if ex.is_reflection or ex.is_code:
        return []
    if ex.type in PART_TYPES:  # one line per actor or term: a whole assignment is too long to read
        return [f"{plain_label(ex, item.label)} → {option_label(ex, item.key)}" for item in ex.items]
    return [describe(ex, ex.correct_answer())]
