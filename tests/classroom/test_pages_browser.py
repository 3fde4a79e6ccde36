"""The facilitator's pages in Chromium: the live view updates without a reload when a learner answers, an
answer written as HTML shows as text, the projector shows one exercise without names. With
``KENALI_UPDATE_SCREENSHOTS=1`` the screenshots at 1366×768 go to ``docs/screenshots/kelas_live.png`` and
``kelas_proyektor.png`` (the projector of 1.2, a ``peran`` exercise: one row per actor, the key shown)."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from kenali.classroom.service import state as state_mod
from kenali.classroom.service.core import Answer

from .test_service import ANI, SARI, ClassServer

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]
SHOTS = REPO / "docs" / "screenshots"
ARTIFACTS = REPO / "tests" / "e2e" / "artifacts"
VIEWPORT = {"width": 1366, "height": 768}
DOC_SHOTS = ("kelas_live", "kelas_proyektor")
EVIL = "<img src=x onerror=\"document.title='pwned'\"><script>document.title='pwned'</script>"


@pytest.fixture
def server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[ClassServer]:
    monkeypatch.setattr(state_mod, "LIVE_MAX_AGE", 0.0)
    srv = ClassServer(tmp_path, f"sqlite:///{tmp_path / 'kelas.db'}")
    try:
        yield srv
    finally:
        srv.stop()


def roles_12(**wrong: str) -> dict[str, str]:
    """An answer to 1.2 (peran: six actors, five roles): the key, but for the actors named."""
    from kenali.bank import load_course

    return {**load_course().exercise("1.2").correct_answer(), **wrong}


def seed(srv: ClassServer) -> None:
    """A class half an hour in: eight learners on lesson 01 (through the server's own rules). In 1.2 (peran) most
    get Pak Hendra, the shop owner who pays but never opens the app, wrong: four of seven as its end user."""
    start = datetime.now(UTC) - timedelta(minutes=25)
    plan = {
        "citra": [("1.2", roles_12(hendra="pengguna_akhir")), ("1.12", "b"), ("1.7", ["a", "b", "e"]),
                  ("1.10", "UAT")],
        "dimas": [("1.2", roles_12(hendra="pengguna_akhir", mitra="pembeli")), ("1.12", "a"), ("1.12", "c"),
                  ("1.12", "b"), ("1.7", ["a", "c"])],
        "eka": [("1.2", roles_12(hendra="pengguna_akhir")), ("1.2", roles_12()), ("1.12", "b"), ("1.7", ["a", "b"]),
                ("1.7", ["a", "b", "c"])],
        "fajar": [("1.2", roles_12(mitra="pembeli", lentera="produsen", hendra="reseller")), ("1.12", "c"),
                  ("1.12", "c"), ("1.12", "a")],
        "gita": [("1.2", roles_12()), ("1.12", "b"), ("1.7", ["a", "b", "e"]), ("1.10", "uji beta")],
        "hadi": [("1.2", roles_12(hendra="pengguna_akhir", yuni="pembeli")), ("1.12", "a"), ("1.12", "b"),
                 ("1.7", ["b", "e"])],
        "intan": [("1.2", roles_12(hendra="pengguna_akhir")), ("1.12", "b"), ("1.7", ["a", "e"]), ("1.10", "uji beta")],
    }
    for i, (user, answers) in enumerate(plan.items()):
        for j, (exercise, answer) in enumerate(answers):
            when = start + timedelta(minutes=2 * i + 3 * j)
            srv.state.room.judge(user, Answer(exercise, answer, seq=j + 1, source="sync"), when)


def shot(page: Any, name: str, *, full_page: bool = False) -> None:
    """A screenshot in the test artifacts; the documentation's own (``DOC_SHOTS``) also in docs/screenshots."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.mouse.move(0, 0)
    page.screenshot(path=path, animations="disabled", caret="hide", full_page=full_page)
    if os.environ.get("KENALI_UPDATE_SCREENSHOTS") == "1" and name in DOC_SHOTS:
        SHOTS.mkdir(parents=True, exist_ok=True)
        (SHOTS / path.name).write_bytes(path.read_bytes())


def test_live_view_updates_without_reload_and_shows_html_as_text(browser: Any, server: ClassServer):
    from playwright.sync_api import expect

    seed(server)
    context = browser.new_context(viewport=VIEWPORT, extra_http_headers={"Authorization": f"token {SARI}"},
                                  locale="id-ID", timezone_id="Asia/Jakarta")
    page = context.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(server.base)
    expect(page.locator('#exercises tr[data-exercise="1.12"]')).to_be_visible()
    page.evaluate("window.__same_page = true")
    assert page.locator('#exercises tr[data-exercise="1.13"]').count() == 0

    # a learner answers: the page shows it on its next poll, without a reload
    server.check("1.13", "70", seq=1, token=ANI)
    row = page.locator('#exercises tr[data-exercise="1.13"]')
    expect(row).to_be_visible(timeout=10_000)
    expect(row.locator("td").nth(1)).to_have_text("1")
    expect(page.locator('#learners tr[data-user="ani"]')).to_contain_text("1.13")
    assert page.evaluate("window.__same_page === true")

    # one lesson at a time: lesson 02 has no answers yet, lesson 01 has them all
    page.locator("#lesson").select_option("02")
    expect(page.locator('#exercises tr[data-exercise="1.12"]')).to_have_count(0, timeout=10_000)
    expect(page.locator("#empty")).to_be_visible()
    # empty panels say so instead of showing bare headers
    expect(page.locator("#wrong-none")).to_be_visible()
    expect(page.locator("#stuck-none")).to_be_visible()
    page.locator("#lesson").select_option("")
    expect(page.locator('#exercises tr[data-exercise="1.12"]')).to_be_visible(timeout=10_000)
    expect(page.locator("#wrong-none")).to_be_hidden()

    # an answer written as HTML is shown as the text it is
    server.check("1.10", EVIL, seq=1, token=ANI)
    wrong = page.locator('.wrong-ex[data-exercise="1.10"]')
    expect(wrong).to_contain_text("<script>document.title='pwned'</script>", timeout=10_000)
    assert wrong.locator("img, script").count() == 0
    assert page.title() != "pwned" and dialogs == []
    page.evaluate("window.scrollTo(0, 0)")
    shot(page, "kelas_live")

    # the projector view of one exercise: the question, the distribution, no names
    page.goto(server.base + "projector/1.12")
    expect(page.locator("#share")).to_contain_text("%")
    answers = page.locator("#answers li")
    expect(answers.first).to_be_visible()
    assert answers.count() == 4  # every option of the question, chosen or not
    expect(page.locator("#answers li.key .key-mark")).to_be_hidden()
    page.get_by_role("button", name="Tampilkan kunci").click()
    expect(page.locator("#answers li.key .key-mark")).to_be_visible()
    text = page.locator("body").inner_text()
    for user in ("citra", "dimas", "eka", "fajar", "gita", "hadi", "intan", "ani"):
        assert not re.search(rf"\b{user}\b", text, re.IGNORECASE), user
    assert "Peserta 1" in text
    shot(page, "kelas_proyektor_pilihan")  # a test artifact; the documentation shows a peran exercise
    context.close()


def test_a_learner_gets_the_refusal_page_in_chromium(browser: Any, server: ClassServer):
    context = browser.new_context(viewport=VIEWPORT, extra_http_headers={"Authorization": f"token {ANI}"})
    page = context.new_page()
    response = page.goto(server.base)
    assert response is not None and response.status == 403
    assert "Halaman ini untuk fasilitator" in page.locator("h1").inner_text()
    context.close()


def test_nothing_is_cut_at_1024_by_768(browser: Any, server: ClassServer):
    """A small laptop or an old projector: the projector link stays one word, the scenario is shown whole
    (not cut mid-line in a box of its own)."""
    from playwright.sync_api import expect

    seed(server)
    from kenali.bank import load_course

    server.check("1.2", load_course().exercise("1.2").correct_answer(), seq=1, token=ANI)
    context = browser.new_context(viewport={"width": 1024, "height": 768},
                                  extra_http_headers={"Authorization": f"token {SARI}"})
    page = context.new_page()
    page.goto(server.base)
    link = page.locator('#exercises tr[data-exercise="1.2"] a')
    expect(link).to_be_visible()
    assert len(link.evaluate("a => Array.from(a.getClientRects())")) == 1  # "Proyektor", not "Proy / ekto / r"
    page.goto(server.base + "projector/1.2")
    expect(page.locator("#share")).to_contain_text("%")
    scenario = page.locator(".scenario")
    expect(scenario).to_contain_text("Mas Dodi")
    assert scenario.evaluate("s => s.scrollHeight <= s.clientHeight + 1"), "the scenario is cut off"
    expect(page.locator("#parts > li")).to_have_count(6)
    assert_nothing_cut(page, "#parts .actor, #parts .role")

    # 4.14 (pasangan): ten long terms, twelve long options; each learner matches them differently
    ex = load_course().exercise("4.14")
    options = list(ex.choices)
    start = datetime.now(UTC) - timedelta(minutes=5)
    for n, user in enumerate(("citra", "dimas", "eka", "fajar", "gita")):
        answer = {item.id: options[(i * (n + 1)) % len(options)] for i, item in enumerate(ex.items)}
        server.state.room.judge(user, Answer("4.14", answer, seq=1, source="sync"), start + timedelta(minutes=n))
    page.goto(server.base)
    parts = page.locator('.wrong-ex[data-exercise="4.14"] li.part')
    expect(parts.first).to_be_visible(timeout=10_000)
    assert_nothing_cut(page, ".wrong-ex li.part, .wrong-ex li.part > span")
    page.goto(server.base + "projector/4.14")
    expect(page.locator("#parts > li")).to_have_count(10, timeout=10_000)
    page.get_by_role("button", name="Tampilkan kunci").click()
    assert_nothing_cut(page, "#parts .actor, #parts .role, #parts .role-label")
    shot(page, "kelas_proyektor_1024", full_page=True)
    context.close()


def assert_nothing_cut(page: Any, selector: str) -> None:
    """No horizontal scrolling, no element of ``selector`` wider than its box, no two role chips overlapping."""
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), "the page scrolls sideways"
    cut = page.evaluate("""sel => Array.from(document.querySelectorAll(sel))
        .filter(e => e.scrollWidth > e.clientWidth + 1).map(e => e.textContent.slice(0, 60))""", selector)
    assert cut == [], cut
    overlaps = page.evaluate("""() => Array.from(document.querySelectorAll('#parts > li')).flatMap(li => {
        const r = Array.from(li.querySelectorAll('.role, .actor')).map(e => e.getBoundingClientRect());
        return r.flatMap((a, i) => r.slice(i + 1).filter(b => a.left < b.right - 1 && b.left < a.right - 1
            && a.top < b.bottom - 1 && b.top < a.bottom - 1).map(() => li.dataset.item)); })""")
    assert overlaps == [], overlaps


def role_counts(row: Any) -> list[int]:
    """The learners per role on one actor's row of the projector ("3 (43%)" -> 3)."""
    return [int(text.split()[0]) for text in row.locator(".role-count").all_inner_texts()]


def test_a_role_exercise_is_shown_per_actor(browser: Any, server: ClassServer):
    """peran: the live view names the actor the room gets wrong most and the role given instead; the projector
    shows one row per actor with the roles chosen, no names, the key on request."""
    from playwright.sync_api import expect

    seed(server)
    context = browser.new_context(viewport=VIEWPORT, extra_http_headers={"Authorization": f"token {SARI}"},
                                  locale="id-ID", timezone_id="Asia/Jakarta")
    page = context.new_page()
    page.goto(server.base)
    parts = page.locator('.wrong-ex[data-exercise="1.2"] li.part')
    expect(parts.first).to_be_visible(timeout=10_000)
    first = parts.first.inner_text()
    assert first.startswith("Pak Hendra, pemilik toko → Pengguna akhir (end user)"), first
    assert "4 dari 7 peserta" in first and "5 keliru" in first and "seharusnya: Pembeli (buyer)" in first
    assert "tidak pernah membukanya" in first  # the feedback learners read for that role
    assert parts.nth(1).locator(".actor").inner_text() == "CV Mitra Dagang"
    assert parts.count() == 3 and "{" not in page.locator("#wrong").inner_text()

    page.goto(server.base + "projector/1.2")
    rows = page.locator("#parts > li")
    expect(rows.first).to_be_visible(timeout=10_000)
    assert rows.count() == 6 and page.locator("#answers").is_hidden()  # one row per actor, no whole answers
    assert all(sum(role_counts(rows.nth(i))) == 7 for i in range(6))  # each learner's latest answer, once per actor
    hendra = page.locator('#parts > li[data-item="hendra"]')
    assert role_counts(hendra) == [4, 2, 1]  # the most chosen first
    labels = hendra.locator(".role-label").all_inner_texts()
    assert labels == ["Pengguna akhir (end user)", "Pembeli (buyer)", "Reseller"]
    assert role_counts(page.locator('#parts > li[data-item="kode"]')) == [7]  # only the roles someone chose
    expect(hendra.locator(".key-mark")).to_be_hidden()
    page.get_by_role("button", name="Tampilkan kunci").click()
    expect(hendra.locator(".key-mark")).to_have_text("✓ kunci: Pembeli (buyer)")
    expect(hendra.locator(".role.key .role-label")).to_have_text("Pembeli (buyer)")
    text = page.locator("body").inner_text()
    for user in ("citra", "dimas", "eka", "fajar", "gita", "hadi", "intan"):
        assert not re.search(rf"\b{user}\b", text, re.IGNORECASE), user
    shot(page, "kelas_proyektor", full_page=True)  # every actor's row
    context.close()
