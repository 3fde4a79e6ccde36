"""The no-code path: the course as an app in Voilà, started as the README says (``kenali app``).

The learner lands on the start notebook rendered as a page (no code, no "Shift+Enter"), saves a name and
learner ID, follows the course map's link into an exercise notebook (which Voilà renders too), answers a
widget exercise and reads its feedback, comes back to see it in the progress overview, and downloads the
hand-in. Nowhere may a traceback or a widget error appear.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING

import pytest

from kenali.bank import load_course
from kenali.i18n import t
from kenali.model import Exercise

from .lab import CELL_TIMEOUT_MS, RUN_TIMEOUT_MS, button, download_handin, expect, radio, save_identity, screenshot
from .server import LabServer

if TYPE_CHECKING:
    from playwright.sync_api import Locator, Page

pytestmark = pytest.mark.e2e
SERVER_KIND = "app"

NAME, LEARNER_ID = "Wayan Sudarma", "wayan-9"
EXERCISE_ID, WRONG = "1.8", "a"  # single choice, no personalised variants
BROKEN = ("Error displaying widget", "model not found", "Traceback", "NameError", "Shift+Enter")


@pytest.fixture(scope="module")
def exercise() -> Exercise:
    ex = load_course().exercise(EXERCISE_ID)
    assert ex.type == "pilihan" and not ex.uses_variants() and ex.key != WRONG
    return ex


def kenali_box(page: Page, text: str) -> Locator:
    """The kenali widget (exercise, identity, progress, hand-in) that shows ``text``."""
    return page.locator(".kenali-ex").filter(has_text=text).first


def expect_nothing_broken(page: Page) -> None:
    text = page.locator("body").inner_text()
    for sign in BROKEN:
        assert sign not in text, f"the app shows {sign!r}"


def wait_rendered(page: Page) -> None:
    """Voilà runs the whole notebook before it shows the page; wait until its widgets are live."""
    expect(page.locator(".kenali-ex").first).to_be_visible(timeout=RUN_TIMEOUT_MS)
    page.wait_for_load_state("networkidle", timeout=RUN_TIMEOUT_MS)


def test_readme_command_opens_the_start_page(page: Page, server: LabServer) -> None:
    page.goto(server.url("/"))
    expect(page).to_have_url(re.compile(r"/voila/render/notebooks/00_mulai\.ipynb"), timeout=RUN_TIMEOUT_MS)
    wait_rendered(page)
    expect(page.get_by_text("from kenali import")).to_have_count(0)  # no code on the page
    expect_nothing_broken(page)
    screenshot(page, "voila-mulai")


def test_learner_saves_name_and_id(page: Page, server: LabServer) -> None:
    save_identity(kenali_box(page, t("learner.title")), NAME, LEARNER_ID)
    assert json.loads((server.home / "learner.json").read_text(encoding="utf-8"))["id"] == LEARNER_ID


def test_course_map_link_opens_the_exercises_in_the_app(page: Page, server: LabServer, exercise: Exercise) -> None:
    bank = load_course().bank("01")
    page.get_by_role("link", name=f"{len(bank.graded)} latihan").first.click()
    expect(page).to_have_url(re.compile(r"/voila/render/exercises/01_pengguna_akhir\.ipynb"), timeout=RUN_TIMEOUT_MS)
    wait_rendered(page)
    expect(kenali_box(page, exercise.title)).to_be_visible(timeout=RUN_TIMEOUT_MS)
    expect_nothing_broken(page)


def test_answer_a_widget_exercise(page: Page, server: LabServer, exercise: Exercise) -> None:
    widget = kenali_box(page, exercise.title)
    widget.scroll_into_view_if_needed()
    radio(widget, exercise, WRONG).check()  # by its label: options are shown shuffled per learner
    button(widget, t("button.check")).click()
    expect(widget.locator("div.kenali-fb-wrong")).to_contain_text(t("feedback.wrong"), timeout=CELL_TIMEOUT_MS)
    button(widget, t("button.hint")).click()
    expect(widget).to_contain_text(t("label_hint", n=1, total=len(exercise.hints)))
    screenshot(widget, "voila-latihan", docs=True)


def test_progress_and_hand_in_on_the_start_page(page: Page, server: LabServer) -> None:
    page.goto(server.url("/voila/render/notebooks/00_mulai.ipynb"))
    wait_rendered(page)
    bank = load_course().bank("01")
    progress = kenali_box(page, t("progress.title"))
    row = progress.locator("tr").filter(has_text=bank.title)
    expect(row.locator("td").nth(1)).to_have_text(f"1/{len(bank.graded)}")

    box = kenali_box(page, t("submit.title"))
    members = download_handin(box, LEARNER_ID)
    assert json.loads(members["manifest.json"])["learner"]["id"] == LEARNER_ID
    expect_nothing_broken(page)
    screenshot(box, "voila-serahan")
