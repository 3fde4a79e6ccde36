"""The facilitator's pages: the live view of the class and the projector view of one exercise.

Both are small HTML shells (Indonesian text from ``messages.yaml``, section ``kelas``) that load the
server's own script and style (no CDN: venues are often offline) and poll the JSON API every two seconds,
so they update without a reload. Everything a learner typed reaches the page through ``textContent``
only, so an answer such as ``<script>`` shows as text. Only hub admins and members of the hub group
``kenali-fasilitator`` see them; anyone else logged in gets a polite page saying so, in Indonesian.
"""

from __future__ import annotations

import json
from typing import Any

from tornado import web

from ...i18n import t
from ...present.text import filler, md, plain
from .auth import FACILITATOR_GROUP, AuthError, Identity
from .state import State

POLL_MS = 2000
#: The messages the script needs (looked up here, so the page has no text of its own).
SCRIPT_TEXTS = ("updated", "active", "ago_seconds", "ago_minutes", "ago_hours", "projector", "projector_share",
                "projector_count", "projector_none", "key_mark", "part_learners", "part_share", "part_key",
                "part_wrong_total")
STATUSES = ("correct", "partial", "wrong", "invalid", "saved")
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; frame-ancestors 'self'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


def script_json(data: Any) -> str:
    """JSON safe inside a ``<script type="application/json">`` element (no ``</script>`` can close it)."""
    text = json.dumps(data, ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


class PageHandler(web.RequestHandler):
    """A facilitator's page: log in through the hub, refuse politely who is not a facilitator."""

    state: State
    identity: Identity

    def initialize(self, state: State) -> None:
        self.state = state

    def set_default_headers(self) -> None:
        for name, value in SECURITY_HEADERS.items():
            self.set_header(name, value)

    def get_template_namespace(self) -> dict[str, Any]:
        namespace = super().get_template_namespace()
        namespace["t"] = t
        return namespace

    def message_page(self, status: int, heading: str, text: str) -> None:
        self.set_status(status)
        self.render("message.html", title=heading, heading=heading, text=text, body_class="plain")
        raise web.Finish()

    async def prepare(self) -> None:
        try:
            identity = await self.state.auth.browser(self)
        except AuthError as exc:
            self.message_page(exc.status, t("kelas.forbidden_title"), exc.reason)
        if identity is None:
            url = self.state.auth.login_url(self)
            if url:
                self.redirect(url)
                raise web.Finish()
            self.message_page(401, t("kelas.login_title"), t("kelas.login_body"))
        if not identity.facilitator:
            self.message_page(403, t("kelas.forbidden_title"),
                              t("kelas.forbidden_body", name=identity.name, group=FACILITATOR_GROUP))
        self.identity = identity

    def config(self, **extra: Any) -> str:
        prefix = self.settings["kenali_prefix"]
        texts = {name: t(f"kelas.{name}") for name in SCRIPT_TEXTS}
        texts["status"] = {s: t(f"kelas.status.{s}") for s in STATUSES}
        return script_json({"prefix": prefix, "poll": POLL_MS, "texts": texts, **extra})

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        self.set_header("Content-Type", "text/plain; charset=utf-8")
        self.finish(f"{status_code}: {self._reason}")


class LivePage(PageHandler):
    """``GET /``: who is where, each exercise's share correct and attempts, common wrong answers, stuck learners."""

    def get(self) -> None:
        lessons = self.state.lessons()
        self.render("live.html", title=t("kelas.title"), body_class="live-page", lessons=lessons,
                    config=self.config(view="live"))


class ProjectorPage(PageHandler):
    """``GET projector/{exercise}``: one exercise for the room, large type, no learner names."""

    def get(self, exercise_id: str) -> None:
        ex = self.state.room.course.exercise(exercise_id)
        if ex is None:
            self.message_page(404, t("kelas.title"), t("kelas.not_found", id=exercise_id))
        fill = filler(ex, None)  # the neutral variant: the names nobody in particular drew
        heading = f"{t('kelas.projector_title', id=ex.id)} · {plain(fill(ex.title))}"
        scenario = md(fill(ex.scenario)) if ex.scenario else ""  # the bank's Markdown; raw HTML in it is escaped
        # peran, pasangan: one row per actor or term (the options chosen for it), not whole answers
        answers_heading = (t("kelas.projector_parts_peran") if ex.type == "peran"
                           else t("kelas.projector_parts_pasangan") if ex.type == "pasangan"
                           else t("kelas.projector_answers"))
        self.render("projector.html", title=heading, heading=heading, question=plain(fill(ex.question)),
                    scenario=scenario, answers_heading=answers_heading,
                    prefix=self.settings["kenali_prefix"], body_class="projector-page",
                    config=self.config(view="projector", exercise=ex.id, type=ex.type))
