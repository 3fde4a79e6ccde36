"""The learner's path as shipped: from the README's first command to the next day, in Chromium.

The server is started exactly as the README says (``kenali open --no-browser --port N``, as root in CI), and
the learner: lands on the start notebook with no prompt over it; sees the course folder (not the engine) in
the file browser; follows the course map's link into an exercise notebook; answers; reloads the page while
the kernel runs; comes back the next day (a new server) and finds a readable notebook, then runs one cell
alone in the fresh kernel; and downloads the hand-in from the button. Nowhere may a widget error or a
traceback appear.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING

import pytest

from kenali.bank import load_course
from kenali.i18n import t
from kenali.model import Exercise

from .lab import (
    CELL_TIMEOUT_MS,
    RUN_TIMEOUT_MS,
    Notebook,
    button,
    download_handin,
    expect,
    open_notebook,
    radio,
    save_identity,
    screenshot,
)
from .server import DEVELOPER_PARTS, LabServer

if TYPE_CHECKING:
    from playwright.sync_api import Locator, Page

pytestmark = pytest.mark.e2e

START = "notebooks/00_mulai.ipynb"
EXERCISES = "exercises/01_pengguna_akhir.ipynb"
NAME, LEARNER_ID = "Budi Santoso", "budi-042"
EXERCISE_ID, CELL = "1.8", "ex-1-8"  # a single-choice exercise without personalised variants
WRONG = "a"

#: What must never show on a learner's page.
BROKEN = ("Error displaying widget", "model not found", "Traceback", "NameError")


@pytest.fixture(scope="module")
def exercise() -> Exercise:
    ex = load_course().exercise(EXERCISE_ID)
    assert ex.type == "pilihan" and not ex.uses_variants() and ex.key != WRONG
    return ex


def panel_text(page: Page) -> str:
    """All text of the visible notebook, including cells scrolled out of view."""
    return str(
        page.evaluate(
            "() => { const p = [...document.querySelectorAll('.jp-NotebookPanel')].find(x => x.offsetParent);"
            " return p ? p.textContent : ''; }"
        )
    )


def expect_nothing_broken(page: Page) -> None:
    text = panel_text(page)
    for sign in BROKEN:
        assert sign not in text, f"the page shows {sign!r}"


def choose(widget: Locator, ex: Exercise, key: str) -> None:
    """Pick the option ``key`` of a single-choice exercise by its label (options are shown shuffled per learner)."""
    radio(widget, ex, key).check()


def test_readme_command_opens_the_start_notebook(page: Page, server: LabServer) -> None:
    page.goto(server.url("/"))  # what `kenali open` opens in the learner's browser
    expect(page).to_have_url(re.compile(r"/lab/tree/notebooks/00_mulai\.ipynb"), timeout=RUN_TIMEOUT_MS)
    tab = page.locator(".lm-DockPanel-tabBar .lm-TabBar-tab").filter(has_text="00_mulai.ipynb")
    expect(tab).to_have_class(re.compile(r"\bjp-mod-current\b"), timeout=RUN_TIMEOUT_MS)
    page.wait_for_timeout(1500)  # JupyterLab's news question would pop up right after start
    expect(page.get_by_text("official Jupyter news")).to_have_count(0)
    screenshot(page, "mulai-dibuka")


def test_file_browser_shows_the_course_not_the_engine(page: Page, server: LabServer) -> None:
    listing = json.loads(page.request.get(server.url("/api/contents")).text())
    names = {item["name"] for item in listing["content"]}
    assert {"notebooks", "exercises", "solutions", "data", "README.md"} <= names
    hidden = {part.split("/")[0] for part in DEVELOPER_PARTS}
    assert not names & hidden, f"developer files shown: {names & hidden}"
    # the file browser itself starts at the course folder, one click up from notebooks/
    page.locator(".jp-BreadCrumbs-home").click()
    items = page.locator(".jp-DirListing-itemName")
    expect(items.filter(has_text="exercises")).to_have_count(1)
    expect(items.filter(has_text="solutions")).to_have_count(1)
    expect(items.filter(has_text="pyproject.toml")).to_have_count(0)


def test_every_link_of_the_start_notebook_resolves(page: Page, server: LabServer) -> None:
    start = open_notebook(page, server, START)
    links = start.panel.locator(".jp-RenderedMarkdown a[href]:not(.jp-InternalAnchorLink)")
    expect(start.cell("course-map").locator("a[href]:not(.jp-InternalAnchorLink)").first).to_be_visible()
    hrefs = [h for h in links.evaluate_all("as => as.map(a => a.getAttribute('href'))") if h]
    local = [h for h in hrefs if not h.startswith(("http://", "https://", "mailto:", "#"))
             or h.startswith(server.base_url)]
    assert local, "the course map has no links"
    for href in local:  # JupyterLab rewrites each local link to the file's URL on this server
        url = href if href.startswith("http") else server.base_url + href
        response = page.request.get(url + ("&" if "?" in url else "?") + f"token={server.token}")
        assert response.ok, f"{href}: HTTP {response.status}"


def test_learner_saves_name_and_id(page: Page, server: LabServer) -> None:
    start = Notebook(page, server, START)
    start.run_all()
    expect_nothing_broken(page)
    save_identity(start.widget("identity"), NAME, LEARNER_ID)
    start.save()
    assert json.loads((server.home / "learner.json").read_text(encoding="utf-8"))["id"] == LEARNER_ID


def test_course_map_link_opens_the_exercise_notebook(page: Page, server: LabServer) -> None:
    start = Notebook(page, server, START)
    bank = load_course().bank("01")
    link = start.cell("course-map").locator("a").filter(has_text=f"{len(bank.graded)} latihan").first
    link.click()
    tab = page.locator(".lm-DockPanel-tabBar .lm-TabBar-tab").filter(has_text="01_pengguna_akhir.ipynb")
    expect(tab).to_have_class(re.compile(r"\bjp-mod-current\b"), timeout=RUN_TIMEOUT_MS)


def test_answer_in_the_exercise_notebook(page: Page, server: LabServer, exercise: Exercise) -> None:
    nb = open_notebook(page, server, EXERCISES)
    nb.run_all()
    expect_nothing_broken(page)
    widget = nb.widget(CELL)
    expect(widget).to_contain_text(exercise.title)
    choose(widget, exercise, WRONG)
    button(widget, t("button.check")).click()
    expect(widget.locator("div.kenali-fb-wrong")).to_contain_text(t("feedback.wrong"))
    nb.save()


def test_reload_with_the_kernel_alive(page: Page, server: LabServer, exercise: Exercise) -> None:
    page.reload()
    nb = Notebook(page, server, EXERCISES)
    expect(nb.panel.locator(".jp-Notebook .jp-Cell")).to_have_count(len(nb.ids), timeout=RUN_TIMEOUT_MS)
    output = nb.output(CELL)
    expect(output).to_contain_text(exercise.title, timeout=CELL_TIMEOUT_MS)
    expect(output).to_contain_text(t("status.wrong"))  # the saved, readable form: title and last result
    expect(output).to_contain_text(t("static.resume"))
    page.wait_for_timeout(1000)  # widget outputs render asynchronously
    expect_nothing_broken(page)
    screenshot(nb.cell(CELL), "dimuat-ulang", docs=True)


def test_next_day_reads_cleanly_and_one_cell_runs_alone(page: Page, server: LabServer, exercise: Exercise) -> None:
    page.goto("about:blank")  # the learner closed the tab yesterday (no page left retrying a dead server)
    server.restart()  # the next day: a new server, a new kernel
    nb = open_notebook(page, server, EXERCISES)
    output = nb.output(CELL)
    expect(output).to_contain_text(t("status.wrong"), timeout=CELL_TIMEOUT_MS)
    page.wait_for_timeout(1000)
    expect_nothing_broken(page)

    nb.run_cell(CELL)  # only this cell, in a fresh kernel where nothing else has run
    widget = nb.widget(CELL)
    restored = t("restored", when="\0").split("\0")[0].strip()
    expect(widget).to_contain_text(restored)
    expect(widget.locator("div.kenali-fb-wrong")).to_contain_text(t("feedback.wrong"))
    expect(radio(widget, exercise, WRONG)).to_be_checked()
    expect_nothing_broken(page)

    choose(widget, exercise, exercise.key)
    button(widget, t("button.check")).click()
    expect(widget.locator("div.kenali-fb-correct")).to_be_visible()
    nb.save()


def test_progress_cell_runs_alone(page: Page, server: LabServer) -> None:
    start = open_notebook(page, server, START)
    start.run_cell("progress")
    expect(start.widget("progress")).to_contain_text(load_course().bank("01").title)
    expect(start.widget("progress")).not_to_contain_text(t("progress.empty"))
    expect_nothing_broken(page)


def test_hand_in_downloads_from_the_button(page: Page, server: LabServer) -> None:
    start = Notebook(page, server, START)
    start.run_cell("handin")
    box = start.widget("handin")
    members = download_handin(box, LEARNER_ID)
    assert "exercises/01_pengguna_akhir.ipynb" in members, sorted(members)
    assert json.loads(members["manifest.json"])["learner"]["id"] == LEARNER_ID
    expect(box).not_to_contain_text(str(server.course))  # no server path the learner cannot reach
    screenshot(start.cell("handin"), "serahan-unduh", docs=True)
