"""The learner's kernel against the real class server (``kenali serve`` in a thread, token-file auth, SQLite):
a released keyless copy checked by the server, practice answers pushed, and the server stopped and started
again mid-class with nothing lost and nothing counted twice."""

from __future__ import annotations

import pytest

from kenali.bank import _load_course
from kenali.classroom import client as client_mod
from kenali.classroom.release import release
from kenali.session import Session
from kenali.store import Store

from . import test_service
from .test_service import ANI, ClassServer

POLICY = """
assignments:
  - id: kuis1
    title: Kuis 1
    exercises: ["1.1", "1.13"]
    policy: {attempts: 2, credit: best, show_parts: never, show_explanation: final, show_distance: false}
"""


@pytest.fixture
def classroom(tmp_path, monkeypatch):
    db = f"sqlite:///{tmp_path / 'kelas.db'}"
    server = ClassServer(tmp_path, db, policy=POLICY)
    policy = tmp_path / "kebijakan-rilis.yaml"
    policy.write_text(POLICY, encoding="utf-8")
    done = release(policy, tmp_path / "rilis")
    _load_course.cache_clear()
    course = _load_course("id", done.content)
    _load_course.cache_clear()
    monkeypatch.setenv("KENALI_CLASS_URL", server.base)
    monkeypatch.setenv("JUPYTERHUB_API_TOKEN", ANI)
    monkeypatch.setattr(client_mod, "BACKOFF", (0.05, 0.3))
    monkeypatch.delenv("KENALI_POLICY", raising=False)
    client_mod.reset_clients()
    state = {"server": server}
    yield state, course, tmp_path, db
    client_mod.reset_clients()
    state["server"].stop()


def test_a_class_with_the_real_server_stopped_and_started_mid_class(classroom, monkeypatch):
    state, course, tmp, db = classroom
    s = Session(course=course, store=Store(tmp / "home"))
    assert s.client is not None
    s.client.backoff = (0.05, 0.3)
    quiz = s.exercise("1.1")
    assert course.assignment_of("1.1") == "kuis1" and all(not i.key for i in quiz.items)
    wrong = {item.id: quiz.choices and next(iter(quiz.choices)) for item in quiz.items}
    result, record = s.submit(quiz, wrong)
    assert result.status in {"wrong", "partial"} and result.parts == {}  # show_parts: never, from the server
    assert record["server"]["attempt"] == 1 and record["server"]["attempts_left"] == 1
    practice = s.exercise("2.1")
    s.submit(practice, practice.correct_answer())
    assert s.client.wait_idle(10), s.client.last_error
    server = state["server"]
    assert [r.seq for r in server.rows("ani", "2.1")] == [1]
    assert len(server.rows("ani", "1.1")) == 1

    server.stop()  # the class server goes down mid-class
    pending, _ = s.submit(s.exercise("1.13"), "99")
    assert pending.status == "pending"
    s.submit(practice, {i.id: next(c for c in practice.choices if c != i.key) for i in practice.items})
    local = {ex: len(s.store.attempts(ex)) for ex in ("1.1", "1.13", "2.1")}
    assert local == {"1.1": 1, "1.13": 1, "2.1": 2}

    port = server.port
    monkeypatch.setattr(test_service, "free_port", lambda: port)
    state["server"] = server = ClassServer(tmp, db, policy=POLICY)  # back, on the same database and address
    s.client.push()
    assert s.client.wait_idle(15), s.client.last_error
    latest = s.store.latest("1.13")
    assert latest["status"] in {"wrong", "invalid", "correct", "partial"} and latest["mode"] == "kelas"
    assert [r.seq for r in server.rows("ani", "1.13")] == [1]  # the pending answer, judged once
    assert len(server.rows("ani", "2.1")) == local["2.1"] and len(server.rows("ani", "1.1")) == 1
    assert s.client.push_once() == 0  # nothing left, nothing sent twice
    s2 = Session(course=course, store=Store(tmp / "home"))  # a new kernel: nothing to resend
    assert s2.client is not None and s2.client.wait_idle(10)
    assert len(server.rows("ani", "1.13")) == 1 and len(server.rows("ani", "2.1")) == local["2.1"]
