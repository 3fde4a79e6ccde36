"""A learner answers a pandas exercise of the data lab, in JupyterLab in Chromium.

The story, one step per test: open ``exercises/05_lab_data`` and run it (exercise 5.1 asks for an answer);
type a common wrong answer into the code cell of 5.1, run it, and get the feedback written for that mistake
and a hint; type the right answer and get "Benar!", with the notebook saved as the grader will read it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from kenali.bank import Bank, load_course
from kenali.i18n import t
from kenali.model import Exercise, Mistake
from kenali.store import Store

from .lab import Notebook, button, expect, open_notebook, rendered, screenshot
from .server import LabServer

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.e2e

LAB = "exercises/05_lab_data.ipynb"
EXERCISE_ID, CELL = "5.1", "ex-5-1"


@pytest.fixture(scope="module")
def exercise() -> Exercise:
    ex = load_course().exercise(EXERCISE_ID)
    assert ex.is_code and ex.solution and ex.mistakes, "the story needs a code exercise with a known mistake"
    return ex


@pytest.fixture(scope="module")
def mistake(exercise: Exercise) -> Mistake:
    """A common wrong answer from the bank (counting every paying account, not those with several pupils)."""
    return next(m for m in exercise.mistakes if m.solution and "nunique" in m.solution)


def answer_cell(exercise: Exercise, code: str) -> str:
    """The answer cell as a learner leaves it: their code, then the check line."""
    return f'{code.rstrip()}\ncek("{exercise.id}", {exercise.variable})'


def test_code_exercise_waits_for_an_answer(page: Page, server: LabServer) -> None:
    lab = open_notebook(page, server, LAB)
    lab.run_all()
    expect(lab.widget(CELL)).to_contain_text(rendered(t("value.unanswered")))


def test_wrong_code_gets_the_feedback_for_that_mistake(
    page: Page, server: LabServer, exercise: Exercise, mistake: Mistake
) -> None:
    lab = Notebook(page, server, LAB)
    assert mistake.solution is not None
    lab.set_code(CELL, answer_cell(exercise, mistake.solution))
    lab.run_cell(CELL)
    result = lab.widget(CELL)
    feedback = result.locator("div.kenali-fb-wrong")
    expect(feedback).to_contain_text(t("feedback.wrong"))
    expect(feedback).to_contain_text(rendered(t("value.mistake", message=mistake.feedback)))
    expect(result).to_contain_text(t("attempts", n=1))

    button(result, t("button.hint")).click()
    first_hint = f"{t('label_hint', n=1, total=len(exercise.hints))}: {rendered(exercise.hints[0])}"
    expect(result).to_contain_text(first_hint)
    screenshot(lab.cell(CELL), "latihan-kode-umpan-balik", docs=True)


def test_right_code_is_correct_and_saved(page: Page, server: LabServer, exercise: Exercise) -> None:
    lab = Notebook(page, server, LAB)
    assert exercise.solution is not None
    code = answer_cell(exercise, exercise.solution)
    lab.set_code(CELL, code)
    lab.run_cell(CELL)
    result = lab.widget(CELL)
    expect(result.locator("div.kenali-fb-correct")).to_contain_text(t("feedback.correct"))
    expect(result).to_contain_text(t("attempts", n=2))
    screenshot(lab.cell(CELL), "latihan-kode-benar")

    lab.run_cell("summary")
    bank: Bank = load_course().bank_of(EXERCISE_ID)
    total = f"{sum(e.points for e in bank.graded):g}"
    summary = t(
        "progress.summary",
        title=bank.title,
        done=1,
        total=len(bank.graded),
        correct=1,
        score=f"{exercise.points:g}",
        points=total,
    )
    expect(lab.output("summary")).to_contain_text(summary)

    lab.save()
    assert lab.saved_cell_source(CELL).strip() == code.strip()  # what the grader re-runs
    records = Store(server.home).attempts(EXERCISE_ID)
    assert [r["status"] for r in records] == ["wrong", "correct"]
