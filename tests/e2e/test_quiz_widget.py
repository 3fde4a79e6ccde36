"""A graded quiz in class mode, in JupyterLab in Chromium: the exercise checked by the class server under a policy.

The instructor's private content (the course plus ``banks/90_kuis.yaml``: a role assignment and a single
choice) is released with a policy (2 attempts, first attempt credited, no per-part marks, explanation at the
end) by ``kenali assignment release``; ``kenali serve --tokens`` checks answers with the private keys. The
learner's ``kenali open`` runs from a course copy with what a hub's spawner sets (``KENALI_CLASS_URL``,
``JUPYTERHUB_API_TOKEN``, ``KENALI_CONTENT``, ``KENALI_POLICY``), and the quiz notebook sits in the course's
``tugas/`` folder, where nbgitpuller puts it on a hub.

The story, one step per test: run the quiz notebook; answer the role assignment wrongly (feedback without
✓/✗ per actor, "Percobaan 1 dari 2", no explanation); answer again (the last attempt: Periksa off with its
line, the explanation shown); the facilitator's live figures show both attempts; with the class server down,
answer the single choice (kept locally as pending, the widget says so); with the server back, a new kernel
sends it and the verdict arrives; the layout holds at 1366×768 and 1024 px with the file browser open.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import yaml

from kenali.i18n import content_dir, t
from kenali.present.feedback import points
from kenali.store import Store

from .lab import ARTIFACTS, RUN_TIMEOUT_MS, Notebook, button, expect, open_notebook, radio, screenshot
from .server import LabServer, _free_port, copy_course, start_lab
from .test_layout import _LAYOUT_JS, _open_with_file_browser

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Locator, Page

pytestmark = pytest.mark.e2e

QUIZ = "kuis-1"
NOTEBOOK = f"tugas/{QUIZ}.ipynb"
ROLES_ID, ROLES_CELL = "90.1", "ex-90-1"
CHOICE_ID, CHOICE_CELL = "90.2", "ex-90-2"
LEARNER, FACILITATOR = "tok-ana-0000000000", "tok-sari-000000000"
TOKENS = {LEARNER: {"name": "ana"}, FACILITATOR: {"name": "bu_sari", "groups": ["kenali-fasilitator"]}}
POLICY = """\
assignments:
  - id: kuis-1
    title: Kuis akhir
    lessons: ["90"]
    policy: {attempts: 2, credit: first, show_parts: never, show_explanation: final}
"""
EXPLANATION = "Yang membayar adalah customer, yang memakai adalah konsumen; satu pihak bisa keduanya."
BANK = {
    "lesson": "90", "notebook": "90_kuis", "title": "Kuis akhir", "minutes": 10,
    "exercises": [
        {"id": ROLES_ID, "type": "peran", "concepts": ["eu.vs-customer"], "points": 3,
         "title": "Langganan aplikasi belajar",
         "scenario": "Sebuah sekolah berlangganan aplikasi belajar membaca untuk kelas satu.",
         "question": "Tentukan peran setiap pihak.",
         "roles": ["customer", "konsumen", "customer_dan_konsumen"],
         "actors": [
             {"id": "sekolah", "label": "Sekolah yang membayar langganan", "key": "customer",
              "why": "Sekolah membayar, tetapi tidak memakai aplikasinya.",
              "feedback": {"konsumen": "Sekolah tidak memakai aplikasinya setiap hari."}},
             {"id": "murid", "label": "Murid kelas satu yang berlatih membaca", "key": "konsumen",
              "why": "Murid memakai tanpa membayar."},
             {"id": "guru", "label": "Guru yang juga membeli versi rumah untuk anaknya sendiri dan memakainya",
              "key": "customer_dan_konsumen", "why": "Ia membayar dan memakai."},
         ],
         "hints": ["Siapa yang membayar?", "Siapa yang memakai?"],
         "explanation": EXPLANATION},
        {"id": CHOICE_ID, "type": "pilihan", "concepts": ["eu.definisi"], "title": "Pengguna akhir",
         "scenario": "Pak Budi membeli aplikasi catatan keuangan untuk toko istrinya.",
         "question": "Siapa pengguna akhirnya?",
         "choices": {"a": "Pak Budi", "b": "Istri Pak Budi", "c": "Toko aplikasi"}, "key": "b",
         "feedback": {"a": "Pak Budi membayar, tetapi tidak memakai.", "c": "Toko hanya menjual."},
         "hints": ["Siapa yang memakai setiap hari?", "Bukan yang membayar."],
         "explanation": "Pengguna akhir adalah yang memakai."},
    ],
}
WRONG = {"sekolah": "konsumen", "murid": "customer", "guru": "customer_dan_konsumen"}  # one right of three
SECOND = {"sekolah": "customer", "murid": "customer", "guru": "customer_dan_konsumen"}  # two right: still not all


def private_course(folder: Path) -> Path:
    """The instructor's content folder: the course's content plus the quiz bank (with its keys)."""
    shutil.copytree(content_dir(), folder / "id")
    (folder / "id" / "banks" / "90_kuis.yaml").write_text(yaml.safe_dump(BANK, allow_unicode=True, sort_keys=False),
                                                          encoding="utf-8")
    return folder


@dataclass
class ClassServer:
    """``kenali serve`` as a process (token-file auth) on a fixed port, so it can be stopped and started again."""

    args: list[str]
    port: int
    log: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/services/kenali/"

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.process = subprocess.Popen([*self.args, "--port", str(self.port)], stdin=subprocess.DEVNULL,
                                            stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"kenali serve exited:\n{self.log.read_text(encoding='utf-8')[-2000:]}")
            try:
                with urllib.request.urlopen(self.url + "api/health", timeout=5) as response:
                    if json.loads(response.read())["ok"]:
                        return
            except (OSError, ValueError):
                time.sleep(0.2)
        raise TimeoutError("kenali serve did not answer api/health in 60 s")

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def live(self) -> dict[str, Any]:
        """``api/live`` for lesson 90, as the facilitator's page reads it."""
        request = urllib.request.Request(self.url + "api/live?lesson=90",
                                         headers={"Authorization": f"token {FACILITATOR}"})
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read())


@dataclass
class Quiz:
    release: Path
    classroom: ClassServer


@pytest.fixture(scope="module")
def quiz(browser: Browser, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Quiz]:
    """The private content, the policy, ``kenali assignment release`` and the class server checking with the keys."""
    base = tmp_path_factory.mktemp("kuis")
    source = private_course(base / "privat")
    policy = base / "kuis.yaml"
    policy.write_text(POLICY, encoding="utf-8")
    release = base / "rilis"
    done = subprocess.run([sys.executable, "-m", "kenali", "assignment", "release", str(policy), "--course",
                           str(source), "--out", str(release)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert (release / NOTEBOOK).is_file() and "keyless" in (release / "id" / "banks" / "90_kuis.yaml").read_text()
    tokens = base / "tokens.json"
    tokens.write_text(json.dumps(TOKENS), encoding="utf-8")
    classroom = ClassServer([sys.executable, "-m", "kenali", "serve", "--tokens", str(tokens), "--course", str(source),
                             "--policy", str(release / "kebijakan.yaml"), "--db", f"sqlite:///{base / 'kelas.db'}",
                             "--ip", "127.0.0.1"], _free_port(), base / "serve.log")
    classroom.start()
    try:
        yield Quiz(release, classroom)
    finally:
        classroom.stop()
        ARTIFACTS.mkdir(exist_ok=True)
        shutil.copyfile(classroom.log, ARTIFACTS / "class-server-test_quiz_widget.log")


@pytest.fixture(scope="module")
def server(quiz: Quiz, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabServer]:
    """``kenali open`` from a course copy holding the quiz notebook in ``tugas/``, with the spawner's variables."""
    work = tmp_path_factory.mktemp("e2e-kuis")
    course = copy_course(work / "course")
    (course / "tugas").mkdir()
    shutil.copyfile(quiz.release / NOTEBOOK, course / NOTEBOOK)
    lab = start_lab(work, env={"KENALI_CLASS_URL": quiz.classroom.url, "JUPYTERHUB_API_TOKEN": LEARNER,
                               "KENALI_CONTENT": str(quiz.release),
                               "KENALI_POLICY": str(quiz.release / "kebijakan.yaml")})
    try:
        yield lab
    finally:
        lab.stop()
        ARTIFACTS.mkdir(exist_ok=True)
        shutil.copyfile(lab.log, ARTIFACTS / "server-test_quiz_widget.log")


def actor_row(nb: Notebook, label: str) -> Locator:
    return nb.widget(ROLES_CELL).locator(".kenali-row").filter(has=nb.page.get_by_text(label, exact=True))


def answer_roles(nb: Notebook, roles: dict[str, str]) -> None:
    actors = {a["id"]: a["label"] for a in BANK["exercises"][0]["actors"]}
    labels = yaml.safe_load((content_dir() / "roles.yaml").read_text(encoding="utf-8"))
    for actor, role in roles.items():
        actor_row(nb, actors[actor]).locator("select").select_option(label=labels[role]["label"])
    button(nb.widget(ROLES_CELL), t("button.check")).click()


def expect_no_marks(nb: Notebook) -> None:
    """No ✓/✗ beside any actor, and no feedback line naming an actor."""
    widget = nb.widget(ROLES_CELL)
    expect(widget.locator(".kenali-mark")).to_have_count(3)
    for mark in widget.locator(".kenali-mark").all():
        expect(mark).to_have_text("")
    feedback = widget.locator("div[class^='kenali-fb-']")
    for actor in BANK["exercises"][0]["actors"]:
        expect(feedback).not_to_contain_text(actor["label"])
        for message in actor.get("feedback", {}).values():
            expect(feedback).not_to_contain_text(message)


def local_records(server: LabServer, exercise: str) -> list[dict[str, Any]]:
    return Store(server.home).attempts(exercise)


def test_the_quiz_notebook_runs_with_the_release_and_the_class(page: Page, server: LabServer) -> None:
    nb = open_notebook(page, server, NOTEBOOK)
    nb.run_all()
    expect(nb.panel).to_contain_text(t("tugas.attempts", n=2))
    widget = nb.widget(ROLES_CELL)
    expect(widget).to_contain_text(BANK["exercises"][0]["title"])
    expect(button(widget, t("button.check"))).to_be_enabled()
    expect(nb.widget(CHOICE_CELL)).to_contain_text(BANK["exercises"][1]["question"])


def test_a_wrong_answer_tells_the_attempt_without_marks_or_explanation(page: Page, server: LabServer,
                                                                      quiz: Quiz) -> None:
    nb = Notebook(page, server, NOTEBOOK)
    widget = nb.widget(ROLES_CELL)
    answer_roles(nb, WRONG)
    expect(widget.locator("div.kenali-fb-wrong, div.kenali-fb-partial")).to_be_visible()
    expect(widget).to_contain_text(t("kelas_klien.attempts_of", n=1, total=2))
    expect(widget).to_contain_text(t("kelas_klien.attempts_left", n=1))
    expect_no_marks(nb)
    expect(widget.locator("details")).to_have_count(0)  # no explanation before the last attempt
    expect(widget).not_to_contain_text(EXPLANATION)
    expect(button(widget, t("button.check"))).to_be_enabled()
    records = local_records(server, ROLES_ID)
    assert [(r["status"], r["server"]["attempt"], r["server"]["attempts_left"]) for r in records] == [
        ("partial", 1, 1)]
    screenshot(nb.cell(ROLES_CELL), "kuis-percobaan", docs=True)


def test_the_last_attempt_closes_the_exercise_and_shows_the_explanation(page: Page, server: LabServer) -> None:
    nb = Notebook(page, server, NOTEBOOK)
    widget = nb.widget(ROLES_CELL)
    answer_roles(nb, SECOND)
    expect(widget).to_contain_text(t("kelas_klien.attempts_of", n=2, total=2))
    # this answer's points, and the first attempt's, which is what counts under this policy
    credited = t("kelas_klien.credited", points=points(1, 3))
    expect(widget.locator("small").filter(has_text=credited)).to_have_text(
        f"{t('kelas_klien.attempts_of', n=2, total=2)} · {points(2, 3)} · {credited}")
    expect(button(widget, t("button.check"))).to_be_disabled()
    expect(widget.locator(".kenali-closed")).to_have_text(t("kelas_klien.no_attempts_left", total=2))
    expect(widget.locator("details summary")).to_have_text(t("label_explanation"))
    widget.locator("details summary").click()
    expect(widget.locator("details")).to_contain_text(EXPLANATION)
    expect_no_marks(nb)
    assert [r["server"]["final"] for r in local_records(server, ROLES_ID)] == [False, True]
    screenshot(nb.cell(ROLES_CELL), "kuis-habis", docs=True)


def test_the_facilitator_sees_both_attempts_live(quiz: Quiz) -> None:
    figures = quiz.classroom.live()
    stats = next(e for e in figures["exercises"] if e["exercise"] == ROLES_ID)
    assert (stats["learners"], stats["attempts"], stats["correct"], stats["first_correct_share"]) == (1, 2, 0, 0.0)
    me = next(row for row in figures["learners"] if row["user"] == "ana")
    assert me["exercise"] == ROLES_ID and me["attempts"] == 2


def test_with_the_class_server_down_the_answer_waits_as_pending(page: Page, server: LabServer, quiz: Quiz) -> None:
    quiz.classroom.stop()
    nb = Notebook(page, server, NOTEBOOK)
    widget = nb.widget(CHOICE_CELL)
    radio(widget, BANK["exercises"][1]["choices"], "b").check()
    button(widget, t("button.check")).click()
    expect(widget.locator("div.kenali-fb-partial")).to_contain_text(t("kelas_klien.pending"))
    expect(widget).to_contain_text(f"{t('attempts', n=1)} · {t('kelas_klien.status_pending')}")
    expect(button(widget, t("button.check"))).to_be_enabled()
    expect(widget.locator("details")).to_have_count(0)
    records = local_records(server, CHOICE_ID)  # nothing lost: the answer is in the learner's own store
    assert [(r["status"], r["answer"], r.get("server")) for r in records] == [("pending", "b", None)]
    screenshot(nb.cell(CHOICE_CELL), "kuis-menunggu")
    nb.save()


def test_with_the_server_back_a_new_kernel_sends_it_and_the_verdict_arrives(page: Page, server: LabServer,
                                                                          quiz: Quiz) -> None:
    quiz.classroom.start()
    nb = Notebook(page, server, NOTEBOOK)
    nb.restart_and_run_all()  # the new kernel's first session pushes what the server lacks
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        records = local_records(server, CHOICE_ID)
        if records[-1].get("server"):
            break
        time.sleep(0.25)
    assert [(r["status"], r["mode"]) for r in records] == [("pending", "belajar"), ("correct", "kelas")]
    assert records[-1]["server"]["attempt"] == 1 and records[-1]["server"]["final"] is True
    nb.run_cell(CHOICE_CELL)  # the verdict, written locally, is what the widget shows now
    widget = nb.widget(CHOICE_CELL)
    expect(widget.locator("div.kenali-fb-correct")).to_be_visible()
    expect(widget).to_contain_text(t("kelas_klien.verdict_later"))
    expect(widget).to_contain_text(t("kelas_klien.attempts_of", n=1, total=2))
    stats = next(e for e in quiz.classroom.live()["exercises"] if e["exercise"] == CHOICE_ID)
    assert (stats["attempts"], stats["correct"]) == (1, 1)
    screenshot(nb.cell(CHOICE_CELL), "kuis-terlambat-diperiksa")


#: Beyond test_layout's checks: the feedback's lines and the closed line stay inside the widget, the check
#: button does not cover them, and no text is cut off.
_INSIDE_JS = r"""(root) => {
  const problems = [];
  const rb = root.getBoundingClientRect();
  const parts = [...root.querySelectorAll("div[class^='kenali-fb-'], .kenali-closed, small, details, .widget-button")];
  for (const el of parts) {
    const r = el.getBoundingClientRect();
    if (r.width === 0) continue;
    if (r.left < rb.left - 1 || r.right > rb.right + 1) problems.push(`"${el.innerText.slice(0, 40)}" sticks out`);
    if (el.scrollWidth > el.clientWidth + 1) problems.push(`"${el.innerText.slice(0, 40)}" is cut`);
  }
  const buttons = [...root.querySelectorAll('.widget-button')].map(b => b.getBoundingClientRect());
  for (const el of root.querySelectorAll("div[class^='kenali-fb-'], .kenali-closed")) {
    const r = el.getBoundingClientRect();
    for (const b of buttons) {
      if (Math.min(r.right, b.right) - Math.max(r.left, b.left) > 1
          && Math.min(r.bottom, b.bottom) - Math.max(r.top, b.top) > 1) problems.push('a button covers the feedback');
    }
  }
  return problems;
}"""


def test_the_quiz_layout_holds_on_a_laptop(wide_page: Page, server: LabServer) -> None:
    width = wide_page.viewport_size["width"] if wide_page.viewport_size else 0
    nb = _open_with_file_browser(wide_page, server, NOTEBOOK)
    nb.run_all()
    problems: list[str] = []
    for cell in (ROLES_CELL, CHOICE_CELL):
        widget = nb.widget(cell)
        expect(widget).to_be_visible(timeout=RUN_TIMEOUT_MS)
        widget.scroll_into_view_if_needed()
        if cell == ROLES_CELL:  # the stored state: no attempt left
            expect(widget.locator(".kenali-closed")).to_be_visible()
        problems += widget.evaluate(_LAYOUT_JS) + widget.evaluate(_INSIDE_JS)
        screenshot(widget, f"layout-kuis-{cell}-{width}")
    assert not problems, f"{NOTEBOOK} at {width} px:\n" + "\n".join(problems)
