"""A learner's first widget exercise, in JupyterLab in Chromium.

The story, one step per test: enter a name and learner ID in ``00_mulai``; in ``exercises/01_pengguna_akhir``
answer the role-assignment exercise 1.2 wrongly and read the feedback for each actor, open a hint, answer
rightly; restart the kernel and find the answer and its result again; back in ``00_mulai``, see the
exercise counted in the progress overview.

Exercise 1.2 has no personalised variants, so every text the test expects comes straight from its bank
and ``messages.yaml``.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest

from kenali.bank import Bank, load_course
from kenali.i18n import t
from kenali.model import Exercise
from kenali.store import Store

from .lab import Notebook, button, expect, open_notebook, save_identity, screenshot, selected_label
from .server import LabServer

if TYPE_CHECKING:
    from playwright.sync_api import Locator, Page

pytestmark = pytest.mark.e2e

START = "notebooks/00_mulai.ipynb"
EXERCISES = "exercises/01_pengguna_akhir.ipynb"
NAME, LEARNER_ID = "Rina Wulandari", "rina-017"
EXERCISE_ID, CELL = "1.2", "ex-1-2"
#: Two actors given a wrong role, each with its own feedback in the bank; the other three are right.
WRONG = {"kode": "pemasar", "mitra": "pembeli"}


@pytest.fixture(scope="module")
def exercise() -> Exercise:
    ex = load_course().exercise(EXERCISE_ID)
    items = {item.id: item for item in ex.items}
    assert ex.type == "peran" and not ex.uses_variants(), "the story needs a role assignment without variants"
    assert all(items[actor].feedback.get(role) for actor, role in WRONG.items()), "WRONG needs bank feedback"
    return ex


@pytest.fixture(scope="module")
def bank() -> Bank:
    return load_course().bank_of(EXERCISE_ID)


def actor_row(notebook: Notebook, label: str) -> Locator:
    """The row of one actor in exercise 1.2: its label, its dropdown, its ✓/✗ mark."""
    widget = notebook.widget(CELL)
    return widget.locator(".widget-hbox").filter(has=notebook.page.get_by_text(label, exact=True))


def choose_roles(notebook: Notebook, ex: Exercise, roles: dict[str, str]) -> None:
    """Pick a role for every actor in its dropdown (``roles``: actor ID -> role key)."""
    for item in ex.items:
        actor_row(notebook, item.label).locator("select").select_option(label=ex.choices[roles[item.id]])


def expect_marks(notebook: Notebook, ex: Exercise, roles: dict[str, str]) -> None:
    """Each actor's mark says whether the role chosen for it is the key."""
    for item in ex.items:
        mark = actor_row(notebook, item.label).locator(".widget-html-content").last
        expect(mark).to_have_text("✓" if roles[item.id] == item.key else "✗")


def test_learner_saves_name_and_id(page: Page, server: LabServer) -> None:
    start = open_notebook(page, server, START)
    start.run_all()
    save_identity(start.widget("identity"), NAME, LEARNER_ID)
    start.save()
    screenshot(start.cell("identity"), "identitas", docs=True)
    saved = json.loads((server.home / "learner.json").read_text(encoding="utf-8"))
    assert saved == {"name": NAME, "id": LEARNER_ID}


def test_wrong_answer_gets_feedback_per_actor_and_a_hint(page: Page, server: LabServer, exercise: Exercise) -> None:
    nb = open_notebook(page, server, EXERCISES)
    nb.run_all()
    expect(nb.output("start")).to_contain_text(t("learner.hello", name=NAME, id=LEARNER_ID))
    widget = nb.widget(CELL)
    expect(widget).to_contain_text(exercise.title)

    roles = {item.id: WRONG.get(item.id, item.key) for item in exercise.items}
    choose_roles(nb, exercise, roles)
    button(widget, t("button.check")).click()

    feedback = widget.locator("div.kenali-fb-partial")
    right = len(exercise.items) - len(WRONG)
    expect(feedback).to_contain_text(t("feedback.partial", right=right, total=len(exercise.items)))
    for item in exercise.items:
        if item.id in WRONG:  # the bank's feedback for exactly this wrong role, not just "wrong"
            message = item.feedback[WRONG[item.id]]
            expect(feedback).to_contain_text(t("feedback.item_wrong", label=item.label, message=message))
        else:
            expect(feedback).to_contain_text(t("feedback.item_right", label=item.label))
    expect_marks(nb, exercise, roles)
    expect(widget.locator("details summary")).to_have_text(t("label_explanation"))

    button(widget, t("button.hint")).click()
    first_hint = f"{t('label_hint', n=1, total=len(exercise.hints))}: {exercise.hints[0]}"
    expect(widget).to_contain_text(first_hint)
    expect(widget).not_to_contain_text(t("label_hint", n=2, total=len(exercise.hints)))
    screenshot(nb.cell(CELL), "latihan-peran-umpan-balik", docs=True)


def test_right_answer_scores_full_points(page: Page, server: LabServer, exercise: Exercise, bank: Bank) -> None:
    nb = Notebook(page, server, EXERCISES)  # still open from the previous step
    widget = nb.widget(CELL)
    roles = {item.id: item.key for item in exercise.items}
    choose_roles(nb, exercise, roles)
    button(widget, t("button.check")).click()

    feedback = widget.locator("div.kenali-fb-correct")
    expect(feedback).to_contain_text(t("feedback.correct_all"))
    expect_marks(nb, exercise, roles)
    expect(widget).to_contain_text(t("attempts", n=2))
    full = f"{exercise.points:g}"
    expect(widget).to_contain_text(t("points", score=full, points=full))  # the points, in the learner's view

    nb.run_cell("summary")  # the notebook's own score summary: full points for 1.2
    points = f"{exercise.points:g}"
    total = f"{sum(e.points for e in bank.graded):g}"
    summary = t(
        "progress.summary", title=bank.title, done=1, total=len(bank.graded), correct=1, score=points, points=total
    )
    expect(nb.output("summary")).to_contain_text(summary)
    nb.save()

    records = Store(server.home).attempts(EXERCISE_ID)  # the learner's progress folder, not the course's
    first_score = round((len(exercise.items) - len(WRONG)) / len(exercise.items), 6)
    assert [(r["status"], r["score"], r["learner"]) for r in records] == [
        ("partial", first_score, LEARNER_ID),
        ("correct", 1.0, LEARNER_ID),
    ]


def test_restart_shows_the_last_answer_and_its_result(page: Page, server: LabServer, exercise: Exercise) -> None:
    nb = Notebook(page, server, EXERCISES)  # still open from the previous step
    nb.restart_and_run_all()
    widget = nb.widget(CELL)
    restored = t("restored", when="\0").split("\0")[0].strip()
    expect(widget).to_contain_text(restored)
    expect(widget.locator("div.kenali-fb-correct")).to_contain_text(t("feedback.correct_all"))
    expect_marks(nb, exercise, {item.id: item.key for item in exercise.items})
    for item in exercise.items:  # the dropdowns show the saved answer
        assert selected_label(actor_row(nb, item.label).locator("select")) == exercise.choices[item.key], item.label
    expect(widget).to_contain_text(f"{t('label_hint', n=1, total=len(exercise.hints))}: {exercise.hints[0]}")
    screenshot(nb.cell(CELL), "latihan-peran-dimuat-kembali", docs=True)
    nb.save()


def test_progress_overview_counts_the_exercise(page: Page, server: LabServer, exercise: Exercise, bank: Bank) -> None:
    start = open_notebook(page, server, START)
    start.run_cell("progress")
    table = start.widget("progress").locator("table")
    row = table.locator("tr").filter(has=page.get_by_role("cell", name=bank.title, exact=True))
    total = f"{sum(e.points for e in bank.graded):g}"
    expect(row.locator("td")).to_have_text([bank.title, f"1/{len(bank.graded)}", "1", f"{exercise.points:g}/{total}"])
    expect(start.widget("progress")).not_to_contain_text(t("progress.empty"))
    screenshot(start.cell("progress"), "kemajuan", docs=True)
