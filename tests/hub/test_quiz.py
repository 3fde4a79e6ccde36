"""A graded quiz on the hub, end to end, with keys only the class server holds.

The instructor's private content (the course plus ``banks/90_kuis.yaml``, one exercise of every type) is
released with a policy (``kuis-akhir``: 2 attempts, first attempt credited, no per-part marks, explanation
at the end); the hub runs with ``KENALI_RELEASE`` and ``KENALI_PRIVATE_COURSE`` as ``deploy/README.md``
says. A learner gets the quiz notebook with the nbgitpuller link the release prints, and a kernel of their
own server (started by the hub, driven over the Jupyter kernel protocol, as JupyterLab does) runs the
notebook's cells and answers through the widget: it loads the released content, which holds no key of the
quiz; a wrong then a right answer earns 0 under first-attempt credit; a third attempt is refused; a forged
local record gains nothing; the facilitator's live figures show the attempts.

The story runs in file order on one hub (module fixture); a failed step skips the rest (they build on it).
"""

from __future__ import annotations

import json
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from .conftest import finish, require_hub
from .hub import FACILITATOR, Hub, start_hub
from .test_config import STANDALONE_ENV, load

LEARNER = "ana"
QUIZ = "kuis-akhir"
EXERCISE = "90.1"  # single choice, key "b"
STORY = True


@pytest.fixture(scope="module")
def quiz(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The instructor's private content and its release (``tests/classroom/test_release.py`` builds both)."""
    from classroom.test_release import QUIZ_POLICY, private_course

    from kenali.classroom.release import release

    base = tmp_path_factory.mktemp("kuis")
    source, _ = private_course(base / "privat")
    policy = base / "kebijakan.yaml"
    policy.write_text(QUIZ_POLICY, encoding="utf-8")
    return release(policy, base / "rilis", course=source)


# -- the hub configuration, read as JupyterHub reads it --------------------------------------------------


def test_the_configuration_hands_the_release_to_learners_and_the_keys_to_the_server(
        quiz: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    env = {**STANDALONE_ENV, "KENALI_RELEASE": str(quiz.out), "KENALI_PRIVATE_COURSE": str(quiz.source)}
    c = load(tmp_path, monkeypatch, env)
    policy = str(quiz.out / "kebijakan.yaml")
    assert c.Spawner.environment["KENALI_CONTENT"] == str(quiz.out)
    assert c.Spawner.environment["KENALI_POLICY"] == policy
    service = next(s for s in c.JupyterHub.services if s["name"] == "kenali")
    assert service["command"] == [sys.executable, "-m", "kenali", "serve", "--course", str(quiz.source),
                                  "--policy", policy]
    assert service["environment"]["KENALI_POLICY"] == policy
    assert "KENALI_CONTENT" not in service["environment"]  # the server never loads the learners' copy
    # without a release nothing changes: the learners load the installed course
    plain = load(tmp_path, monkeypatch, STANDALONE_ENV)
    assert "KENALI_CONTENT" not in plain.Spawner.environment
    assert next(s for s in plain.JupyterHub.services if s["name"] == "kenali")["command"][-1] == "serve"


def test_configuration_mistakes_about_a_release_stop_the_hub_with_one_line(
        quiz: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    other = tmp_path / "lain.yaml"
    other.write_text("assignments: []\n", encoding="utf-8")
    cases = [
        ({"KENALI_RELEASE": str(tmp_path)}, "not a folder written by `kenali assignment release`"),
        ({"KENALI_RELEASE": str(quiz.out), "KENALI_POLICY": str(other)}, "differs from the policy"),
        ({"KENALI_PRIVATE_COURSE": str(quiz.source)}, "without KENALI_RELEASE"),
        ({"KENALI_RELEASE": str(quiz.out), "KENALI_PRIVATE_COURSE": str(tmp_path)}, "not a course content folder"),
    ]
    for extra, message in cases:
        with pytest.raises(SystemExit, match=message):
            load(tmp_path, monkeypatch, {**STANDALONE_ENV, **extra})
    # the same policy file given again is fine
    c = load(tmp_path, monkeypatch, {**STANDALONE_ENV, "KENALI_RELEASE": str(quiz.out),
                                     "KENALI_POLICY": str(quiz.out / "kebijakan.yaml")})
    assert c.Spawner.environment["KENALI_POLICY"] == str(quiz.out / "kebijakan.yaml")


# -- the class on a real hub ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory, quiz: Any) -> Iterator[Hub]:
    """A hub configured for the quiz: the release for learners, the private content for the class server."""
    require_hub()
    running = start_hub(tmp_path_factory.mktemp("hub"),
                        extra={"KENALI_RELEASE": str(quiz.out), "KENALI_PRIVATE_COURSE": str(quiz.source)})
    try:
        yield running
    finally:
        finish(running, "test_quiz")


class Kernel:
    """A kernel of the learner's own server, driven over the Jupyter kernel protocol (REST + websocket through
    the hub's proxy), as JupyterLab drives it."""

    def __init__(self, hub: Hub, user: str, token: str):
        import websocket

        self.base = f"{hub.url}/user/{user}/"
        self.headers = {"Authorization": f"token {token}"}
        response = requests.post(f"{self.base}api/kernels", json={"name": "python3"}, headers=self.headers,
                                 timeout=60)
        assert response.status_code == 201, response.text[:300]
        self.id = response.json()["id"]
        self.session = uuid.uuid4().hex
        url = f"{self.base.replace('http', 'ws', 1)}api/kernels/{self.id}/channels?session_id={self.session}"
        self.ws = websocket.create_connection(url, header=[f"Authorization: token {token}"], timeout=180)

    def run(self, code: str) -> str:
        """Execute ``code``; its standard output (an error in the kernel fails the test with its traceback)."""
        msg_id = uuid.uuid4().hex
        self.ws.send(json.dumps({
            "header": {"msg_id": msg_id, "username": "test", "session": self.session, "msg_type": "execute_request",
                       "version": "5.3"},
            "parent_header": {}, "metadata": {}, "channel": "shell", "buffers": [],
            "content": {"code": code, "silent": False, "store_history": True, "user_expressions": {},
                        "allow_stdin": False, "stop_on_error": True},
        }))
        out: list[str] = []
        while True:
            msg = json.loads(self.ws.recv())
            if msg.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            kind = msg["header"]["msg_type"]
            if kind == "stream":
                out.append(msg["content"]["text"])
            elif kind == "error":
                raise AssertionError("the kernel raised:\n" + "\n".join(msg["content"]["traceback"]))
            elif kind == "status" and msg["content"]["execution_state"] == "idle":
                return "".join(out)

    def json(self, code: str) -> Any:
        """Execute ``code``, which prints one JSON document last; that document."""
        return json.loads(self.run(code).strip().splitlines()[-1])

    def close(self) -> None:
        self.ws.close()
        requests.delete(f"{self.base}api/kernels/{self.id}", headers=self.headers, timeout=30)


@pytest.fixture(scope="module")
def learner(hub: Hub) -> Iterator[str]:
    hub.api("POST", f"users/{LEARNER}", ok=False)
    hub.start_server(LEARNER)
    yield hub.token(LEARNER, scopes=[f"access:servers!user={LEARNER}"])


@pytest.fixture(scope="module")
def kernel(hub: Hub, learner: str) -> Iterator[Kernel]:
    running = Kernel(hub, LEARNER, learner)
    try:
        yield running
    finally:
        running.close()


def _notebook_cell(hub: Hub, cell_id: str) -> str:
    import nbformat

    nb = nbformat.read(hub.home(LEARNER) / "tugas" / f"{QUIZ}.ipynb", as_version=4)
    return next(c.source for c in nb.cells if c.get("id") == cell_id)


def _rows(hub: Hub) -> list[Any]:
    from kenali.classroom.db import ClassDB

    db = ClassDB(f"sqlite:///{hub.data / 'kenali-class.db'}")
    try:
        return db.attempts_of(LEARNER, EXERCISE)
    finally:
        db.close()


def test_the_learner_gets_the_quiz_notebook_with_the_release_link(hub: Hub, quiz: Any, learner: str) -> None:
    """The link the release prints, followed in the learner's server: nbgitpuller clones tugas/ into the home."""
    from kenali.classroom.release import assignment_link

    link = assignment_link(hub.url, quiz.out, QUIZ)
    query = parse_qs(urlsplit(link).query)
    assert query["urlpath"] == [f"lab/tree/tugas/{QUIZ}.ipynb"]
    params = {name: values[0] for name, values in query.items() if name != "urlpath"}
    with requests.get(f"{hub.url}/user/{LEARNER}/git-pull/api", params=params, stream=True, timeout=120,
                      headers={"Authorization": f"token {learner}"}) as events:
        assert events.status_code == 200, events.text[:300]
        phases = [json.loads(line[len("data: "):]).get("phase") for line in events.iter_lines(decode_unicode=True)
                  if line.startswith("data: ")]
    assert phases[-1] == "finished", phases
    notebook = hub.home(LEARNER) / "tugas" / f"{QUIZ}.ipynb"
    assert notebook.read_bytes() == (quiz.out / "tugas" / f"{QUIZ}.ipynb").read_bytes()
    assert f'tampilkan("{EXERCISE}")' in _notebook_cell(hub, "ex-90-1")


def test_the_learners_kernel_loads_the_release_and_holds_no_key_of_the_quiz(hub: Hub, quiz: Any,
                                                                            kernel: Kernel) -> None:
    seen = kernel.json(f"""
import json, os, yaml
from kenali.bank import course_content, load_course
from kenali.i18n import content_dir
course = load_course()
ex = course.exercise("{EXERCISE}")
raw = yaml.safe_load((course_content() / "banks" / "90_kuis.yaml").read_text(encoding="utf-8"))
entries = {{e["id"]: e for e in raw["exercises"]}}
print(json.dumps({{
    "content": os.environ.get("KENALI_CONTENT"), "policy": os.environ.get("KENALI_POLICY"),
    "loaded_from": str(course_content()), "assignment": course.assignment_of(ex.id),
    "loaded": [ex.key, ex.feedback, ex.explanation, list(ex.mistakes)],
    "fields": sorted(entries["{EXERCISE}"]), "keyless": raw.get("keyless"),
    "quiz_in_package": sorted(p.name for p in (content_dir() / "banks").glob("90_*")),
    "other_keys": sorted(e["id"] for e in entries.values() if "key" in e or "explanation" in e),
}}))
""")
    assert seen["content"] == str(quiz.out) and seen["policy"] == str(quiz.out / "kebijakan.yaml")
    assert seen["loaded_from"] == str(quiz.content)
    assert seen["assignment"] == QUIZ
    assert seen["loaded"] == [None, {}, "", []]
    assert set(seen["fields"]).isdisjoint({"key", "feedback", "explanation", "mistakes", "accepted", "solution"})
    assert seen["keyless"] and seen["quiz_in_package"] == []
    assert seen["other_keys"] == ["90.r1"]  # only the reflection (no key) keeps its model answer
    health = requests.get(f"{hub.service_public}api/health", timeout=30).json()
    from kenali.classroom.policy import load_policy, policy_digest
    from kenali.classroom.service.course import ServerCourse

    server_course = ServerCourse(quiz.source)
    assert health["course"] == server_course.version  # the class server checks with the private content
    assert health["policy"] == policy_digest(load_policy(quiz.out / "kebijakan.yaml", exercises=server_course.pairs))


ANSWER = """
view.input.set({answer!r})
result = view.check()
record = view.session.latest(view.ex)
print(json.dumps({{"status": result.status, "score": result.score, "server": record.get("server"),
                  "seq": record.get("seq"), "closed": view.check_button.disabled}}))
"""


def test_a_wrong_then_a_right_answer_earns_nothing_under_first_attempt_credit(hub: Hub, kernel: Kernel) -> None:
    """The notebook's own cells run in the kernel; the learner answers in the widget (Periksa)."""
    kernel.run(_notebook_cell(hub, "start"))
    kernel.run(_notebook_cell(hub, "ex-90-1"))
    kernel.run("import json\nview = _\nassert type(view).__name__ == 'ExerciseView', type(view)")
    first = kernel.json(ANSWER.format(answer="a"))
    assert first["status"] == "wrong" and first["score"] == 0.0
    assert first["server"]["attempt"] == 1 and first["server"]["attempts_left"] == 1
    assert first["server"]["credit"] == 0.0 and first["server"]["final"] is False
    assert first["server"]["parts"] == {} and not first["server"]["explanation"]  # show_parts never, explanation final
    assert first["closed"] is False
    second = kernel.json(ANSWER.format(answer="b"))
    assert second["status"] == "correct" and second["score"] == 1.0  # the verdict is the server's own
    assert second["server"]["attempt"] == 2 and second["server"]["attempts_left"] == 0
    assert second["server"]["credit"] == 0.0 and second["server"]["final"] is True  # only the first attempt counts
    assert second["server"]["explanation"]  # show_explanation: final
    assert second["closed"] is True  # the widget's Periksa is off: no attempt left
    rows = _rows(hub)
    assert [(r.attempt, r.status, r.credit, r.assignment) for r in rows] == [(1, "wrong", 0.0, QUIZ),
                                                                            (2, "correct", 0.0, QUIZ)]


def test_a_third_attempt_is_refused(hub: Hub, kernel: Kernel) -> None:
    """The widget refuses it; a learner who calls the class server from the kernel is refused by the server."""
    third = kernel.json(ANSWER.format(answer="c"))
    assert third["closed"] is True and third["server"]["attempt"] == 2  # nothing new: the last verdict stays
    assert len(_rows(hub)) == 2  # the widget sent nothing
    out = kernel.json(f"""
from kenali.session import current
out = current().client.check("{EXERCISE}", "b", 0, 50)  # a seq the local store will not reach
print(json.dumps(out.model_dump(mode="json")))
""")
    assert out["status"] == "over_limit" and out["score"] == 0.0 and out["credit"] == 0.0 and out["final"] is True
    assert out["messages"] == [] and out["parts"] == {}  # no verdict for an attempt over the limit
    assert [r.attempt for r in _rows(hub)] == [1, 2, 3]


def test_a_forged_local_record_gains_nothing(hub: Hub, kernel: Kernel) -> None:
    """A record written into the learner's own store claiming a right first attempt, synced by the kernel's class
    client: the server checks it, counts it after the others, and the credit stays 0."""
    pushed = kernel.json(f"""
import time
s = current()
forged = {{"exercise": "{EXERCISE}", "lesson": "90", "learner": None, "answer": "b", "status": "correct",
          "score": 1.0, "points": 99.0, "attempt": 1, "hints": 0, "ts": 0.0, "time": "2026-01-01T00:00:00+00:00",
          "mode": "latihan", "v": 2}}
s.store.record(forged)
print(json.dumps({{"sent": s.client.push_once(), "seq": forged["seq"]}}))
""")
    assert pushed["sent"] >= 1
    from kenali.classroom.policy import Attempt, score_attempts

    rows = _rows(hub)
    forged = next(r for r in rows if r.seq == pushed["seq"])
    assert forged.attempt == 4 and forged.source == "sync" and forged.credit == 0.0  # counted last, credits nothing
    assert forged.points != 99.0  # the server's points, not the record's
    pf = _policy(hub)
    _, rule = pf.for_exercise(EXERCISE, "90")
    scored = score_attempts([Attempt(r.status, r.score, r.hints, r.server_time, r.seq or 0) for r in rows], rule)
    assert (scored.first, scored.final, scored.counted, scored.over_limit) == (0.0, 0.0, 2, 2)


def _policy(hub: Hub) -> Any:
    from kenali.classroom.policy import load_policy

    release = Path(hub.env["KENALI_RELEASE"])
    return load_policy(release / "kebijakan.yaml", exercises=[(EXERCISE, "90")])


def test_the_facilitator_sees_the_attempts_live(hub: Hub) -> None:
    session = hub.login(FACILITATOR)
    assert session.get(hub.service_public, timeout=60).status_code == 200  # the hub's OAuth, then the service
    live = session.get(f"{hub.service_public}api/live", params={"lesson": "90"}, timeout=60)
    assert live.status_code == 200, live.text[:300]
    figures = live.json()
    stats = next(e for e in figures["exercises"] if e["exercise"] == EXERCISE)
    assert stats["learners"] == 1 and stats["attempts"] == len(_rows(hub)) == 4
    assert stats["first_correct_share"] == 0.0  # the first attempt was wrong
    assert stats["wrong"] and stats["wrong"][0]["learners"] == 1
    me = next(row for row in figures["learners"] if row["user"] == LEARNER)
    assert me["exercise"] == EXERCISE and me["attempts"] >= 4


def test_the_grades_come_out_of_the_class_servers_database(hub: Hub, quiz: Any, tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    """``kenali class-export``, as deploy/README.md gives it: the quiz's credit is 0, its attempts all there."""
    import csv

    from kenali import cli

    args = ["class-export", "--db", f"sqlite:///{hub.data / 'kenali-class.db'}", "--course", str(quiz.source),
            "--policy", str(quiz.out / "kebijakan.yaml"), "--lesson", "90", "--out", str(tmp_path / "nilai")]
    assert cli.main(args) == 0, capsys.readouterr().err
    with (tmp_path / "nilai" / "attempts.csv").open(encoding="utf-8", newline="") as fh:
        row = next(r for r in csv.DictReader(fh) if (r["learner_id"], r["exercise"]) == (LEARNER, EXERCISE))
    assert (row["attempts"], row["counted"], row["over_limit"], row["first_points"], row["final_points"]) == (
        "4", "2", "2", "0", "0")
