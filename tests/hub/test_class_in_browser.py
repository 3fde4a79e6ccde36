"""A class on the hub, in Chromium: a learner follows the course link, logs in, gets the course (nbgitpuller),
answers an exercise, and the facilitator's live page shows it without a reload.

The story runs in file order on one hub (module fixture); a failed step skips the rest (they build on it).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote

import pytest

from kenali.bank import load_course
from kenali.classroom.hublink import hub_link
from kenali.i18n import t

from .conftest import ARTIFACTS, COURSE_FOLDER
from .hub import FACILITATOR, Hub

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page

LEARNER = "siti"
EXERCISES = "exercises/01_pengguna_akhir.ipynb"
EXERCISE_ID, CELL = "1.2", "ex-1-2"
STORY = True  # the steps build on each other: after a failed one the rest skip (conftest.py)
SPAWN_TIMEOUT_MS = 240_000  # log in, start a server, clone the course, open JupyterLab on a busy machine


@dataclass
class LearnerLab:
    """What the JupyterLab helpers of tests/e2e need of a server: the course folder and notebook URLs."""

    hub: Hub
    user: str

    @property
    def course(self) -> Path:
        return self.hub.home(self.user) / COURSE_FOLDER

    def tree_url(self, path: str) -> str:
        return f"{self.hub.url}/user/{self.user}/lab/tree/{COURSE_FOLDER}/{quote(path)}?reset"


def _context(browser: Browser, name: str) -> Iterator[BrowserContext]:
    from e2e.conftest import ACTION_TIMEOUT_MS, VIEWPORT

    context = browser.new_context(viewport=VIEWPORT, locale="en-US")
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    try:
        yield context
    finally:
        ARTIFACTS.mkdir(exist_ok=True)
        for n, tab in enumerate(context.pages):
            try:
                tab.screenshot(path=ARTIFACTS / f"{name}-{n}.png")
            except Exception:  # a closed page has no picture; the test's own report matters more
                pass
        context.close()


@pytest.fixture(scope="module")
def learner(browser: Browser, hub: Hub) -> Iterator[Page]:
    from e2e.server import _write_settings

    # the e2e tests' one JupyterLab setting (every cell in the DOM, so cells are found by position), in the
    # learner's own settings folder, before their server starts
    _write_settings(hub.home(LEARNER) / ".jupyter" / "lab" / "user-settings")
    for context in _context(browser, "browser-learner"):
        tab = context.new_page()
        tab.on("dialog", lambda dialog: dialog.accept())
        yield tab


@pytest.fixture(scope="module")
def facilitator(browser: Browser, hub: Hub) -> Iterator[Page]:
    for context in _context(browser, "browser-facilitator"):
        yield context.new_page()


def _log_in(page: Page, user: str, password: str) -> None:
    """The hub's login form, as a person fills it in."""
    page.locator("#username_input").fill(user)
    page.locator("#password_input").fill(password)
    page.locator("#login_submit").click()


def test_learner_gets_the_course_from_the_link(learner: Page, hub: Hub, course_repo: str) -> None:
    link = hub_link(hub.url, course_repo)
    learner.goto(link)
    _log_in(learner, LEARNER, hub.password)
    start = f"/user/{LEARNER}/lab/tree/{COURSE_FOLDER}/notebooks/00_mulai.ipynb"
    learner.wait_for_url(re.compile(re.escape(start)), timeout=SPAWN_TIMEOUT_MS)
    clone = hub.home(LEARNER) / COURSE_FOLDER
    assert (clone / "notebooks" / "00_mulai.ipynb").exists()
    assert (clone / EXERCISES).exists()


def test_facilitator_opens_the_live_page(facilitator: Page, hub: Hub) -> None:
    from playwright.sync_api import expect

    facilitator.goto(f"{hub.url}/services/kenali/")
    _log_in(facilitator, FACILITATOR, hub.password)
    facilitator.wait_for_url(re.compile(r"/services/kenali/"), timeout=60_000)
    expect(facilitator.locator("body")).to_contain_text(t("kelas.title"))
    expect(facilitator.locator("body")).not_to_contain_text(t("kelas.forbidden_title"))
    expect(facilitator.locator("body")).not_to_contain_text(LEARNER)  # nobody has answered yet


def test_learner_answers_an_exercise(learner: Page, hub: Hub) -> None:
    from e2e.lab import button, expect, open_notebook

    exercise = load_course().exercise(EXERCISE_ID)
    lab = LearnerLab(hub, LEARNER)
    notebook = open_notebook(learner, lab, EXERCISES)  # type: ignore[arg-type]
    # a cell run before the kernel is connected is dropped: wait until the status bar says it is idle
    expect(learner.locator("#jp-main-statusbar")).to_contain_text("Idle", timeout=120_000)
    notebook.run_cell(CELL)
    widget = notebook.widget(CELL)
    for item in exercise.items:
        row = widget.locator(".widget-hbox").filter(has=learner.get_by_text(item.label, exact=True))
        row.locator("select").select_option(label=exercise.choices[item.key])
    button(widget, t("button.check")).click()
    expect(widget.locator("div.kenali-fb-correct")).to_be_visible()
    # the learner's own store got it first: in their home, outside the course clone
    records = list((hub.home(LEARNER) / ".kenali").rglob("*.json"))
    assert any(EXERCISE_ID.replace(".", "") in str(p) or EXERCISE_ID in str(p) for p in records), records


def test_the_live_page_shows_the_answer(facilitator: Page, hub: Hub) -> None:
    """No reload: the page polls the class server, which got the answer from the learner's kernel."""
    from playwright.sync_api import expect

    expect(facilitator.locator("body")).to_contain_text(LEARNER, timeout=60_000)
    expect(facilitator.locator("body")).to_contain_text(EXERCISE_ID)
    from kenali.classroom.db import ClassDB

    db = ClassDB(f"sqlite:///{hub.data / 'kenali-class.db'}")
    try:
        rows = db.attempts(user=LEARNER, exercise=EXERCISE_ID)
    finally:
        db.close()
    assert [r.status for r in rows] == ["correct"]


def test_following_the_link_again_keeps_progress(learner: Page, hub: Hub, course_repo: str) -> None:
    """A second pull (the facilitator hands out the link again) merges cleanly: progress lives outside the
    clone, and the clone's .kenali/ would be git-ignored anyway."""
    before = sorted((hub.home(LEARNER) / ".kenali").rglob("*.json"))
    learner.goto(hub_link(hub.url, course_repo))
    learner.wait_for_url(re.compile(re.escape(f"/lab/tree/{COURSE_FOLDER}/notebooks/00_mulai.ipynb")),
                         timeout=SPAWN_TIMEOUT_MS)
    assert sorted((hub.home(LEARNER) / ".kenali").rglob("*.json")) == before
    assert ".kenali/" in (hub.home(LEARNER) / COURSE_FOLDER / ".gitignore").read_text(encoding="utf-8")
