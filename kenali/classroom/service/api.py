"""The class server's JSON API: what learners' kernels call (token auth) and what the facilitator's pages poll.

Every answer is JSON; every error is ``{"error": "<one sentence>", "status": <code>}`` (never a traceback).
Kernels' requests are identified by their hub token only (a cookie is never enough to post an answer, so
a page cannot post on a learner's behalf). Work that blocks (the database, solution code) runs in the
server's thread pool, one request at a time per learner, so a slow query stalls that learner only.
"""

from __future__ import annotations

from typing import Any

from tornado import web

from ..db import ClassDBError, RowRejected
from ..wire import CheckIn, HealthOut, RecordsBatch, WireError, dump, parse
from .auth import AuthError, Identity
from .core import Answer, UnknownExercise
from .state import State


class JSONHandler(web.RequestHandler):
    """Shared by every API handler: JSON errors, no caching, the server's state."""

    state: State

    def initialize(self, state: State) -> None:
        self.state = state

    def set_default_headers(self) -> None:
        self.set_header("Content-Type", "application/json; charset=utf-8")
        self.set_header("Cache-Control", "no-store")
        self.set_header("X-Content-Type-Options", "nosniff")

    def check_xsrf_cookie(self) -> None:  # token-authenticated API: no cookie is ever accepted for a POST
        return None

    def fail(self, status: int, message: str, **headers: str) -> None:
        """Answer ``status`` with a readable message and stop handling the request."""
        self.clear()
        self.set_default_headers()
        for name, value in headers.items():
            self.set_header(name, value)
        self.set_status(status)
        self.finish(dump_error(status, message))
        raise web.Finish()

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        exc = kwargs.get("exc_info", (None, None, None))[1]
        message = getattr(exc, "log_message", None) or self._reason
        self.finish(dump_error(status_code, str(message)))

    async def run(self, user: str | None, func: Any, *args: Any) -> Any:
        """``func(*args)`` in the thread pool (one at a time for ``user``); database trouble is a 503."""
        try:
            if user is None:
                return await self.state.run(func, *args)
            async with self.state.user_lock(user):
                return await self.state.run(func, *args)
        except ClassDBError as exc:
            self.state.log.error("%s", exc)
            self.fail(503, "the class database is not available right now; your answer is kept in your notebook "
                           "and sent again later")

    async def kernel_user(self) -> Identity:
        """The learner of a kernel's request, rate-limited; 401/403/429 otherwise."""
        try:
            identity = await self.state.auth.kernel(self)
        except AuthError as exc:
            self.fail(exc.status, exc.reason)
        if identity is None:
            self.fail(401, "no valid hub token: send 'Authorization: token $JUPYTERHUB_API_TOKEN'")
        wait = self.state.limiter.wait(identity.name)
        if wait > 0:
            self.fail(429, f"too many requests; try again in {wait:.0f} s", **{"Retry-After": f"{max(1, round(wait))}"})
        return identity

    async def facilitator(self) -> Identity:
        """The facilitator of a page's request (cookie or token); 401/403 otherwise."""
        try:
            identity = await self.state.auth.browser(self)
        except AuthError as exc:
            self.fail(exc.status, exc.reason)
        if identity is None:
            self.fail(401, "not logged in: open the class page through the hub")
        if not identity.facilitator:
            self.fail(403, f"{identity.name} is not a facilitator (a hub admin or a member of the group "
                           "kenali-fasilitator)")
        return identity

    def body_of(self, model: Any) -> Any:
        try:  # parse refuses a body over MAX_BODY_BYTES before decoding it
            return parse(model, self.request.body)
        except WireError as exc:
            self.fail(400, str(exc))


def dump_error(status: int, message: str) -> str:
    import json

    return json.dumps({"error": message, "status": status}, ensure_ascii=False)


class HealthHandler(JSONHandler):
    async def get(self) -> None:
        room = self.state.room
        self.finish(dump(HealthOut(db=room.db.kind, course=room.course.version, policy=room.policy_digest)))


class RecordsHandler(JSONHandler):
    """``POST api/records``: sync a learner's local records (idempotent by exercise and seq)."""

    async def post(self) -> None:
        user = await self.kernel_user()
        body: RecordsBatch = self.body_of(RecordsBatch)
        out = await self.run(user.name, self.state.room.sync, user.name, body)
        self.finish(dump(out))


class CheckHandler(JSONHandler):
    """``POST api/check``: check one answer with the server's keys under the policy."""

    async def post(self) -> None:
        user = await self.kernel_user()
        body: CheckIn = self.body_of(CheckIn)
        item = Answer(body.exercise, body.answer, body.hints, body.seq, body.client_time or None, body.learner,
                      "check")
        try:
            out = await self.run(user.name, self.state.room.judge, user.name, item)
        except UnknownExercise:
            self.fail(404, f"exercise {body.exercise} is not in the class server's course")
        except RowRejected as exc:
            self.fail(400, str(exc))
        self.finish(dump(out))


class ExerciseHandler(JSONHandler):
    """``GET api/exercise/{id}``: the keyless form of an exercise (what a learner may see before answering)."""

    async def get(self, exercise_id: str) -> None:
        await self.kernel_user()
        ex = self.state.room.course.exercise(exercise_id)
        if ex is None:
            self.fail(404, f"exercise {exercise_id} is not in the class server's course")
        self.finish(self.state.keyless(ex))


class LiveHandler(JSONHandler):
    """``GET api/live``: the facilitator's live figures (cached for a second, shared by every page)."""

    async def get(self) -> None:
        await self.facilitator()
        lesson = self.get_query_argument("lesson", None) or None
        if lesson is not None and lesson not in self.state.lessons():
            self.fail(400, f"there is no lesson {lesson!r} (lessons: {', '.join(self.state.lessons())})")
        data = await self.run(None, self.state.live_json, lesson)
        self.finish(data)


class ProjectorDataHandler(JSONHandler):
    """``GET api/projector/{id}``: one exercise's answer distribution, no names."""

    async def get(self, exercise_id: str) -> None:
        await self.facilitator()
        ex = self.state.room.course.exercise(exercise_id)
        if ex is None:
            self.fail(404, f"exercise {exercise_id} is not in the class server's course")
        self.finish(await self.run(None, self.state.projector_json, ex.id))



class NotFoundHandler(JSONHandler):
    """Any other ``api/`` path: a JSON 404, never an HTML page a kernel cannot read."""

    def prepare(self) -> None:
        self.fail(404, f"no such API endpoint: {self.request.path}")
