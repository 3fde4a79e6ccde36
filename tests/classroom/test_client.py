"""The learner's kernel in a class: pushing records (idempotent, resumed after the server was down), checking
keyless exercises with the server (never blocking a click for long), pending answers and their verdicts."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
import yaml

from kenali.bank import Course, load_bank
from kenali.classroom import client as client_mod
from kenali.classroom.client import ClassClient, ClassUnavailable
from kenali.classroom.policy import Policy
from kenali.classroom.release import keyless_entry
from kenali.session import Session
from kenali.store import Store

from .fakeclass import FakeClass

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
KEYLESS = {"9.1", "9.3", "9.5", "9.7"}


def keyless_course(tmp_path: Path, full: Course, ids: set[str] = KEYLESS) -> Course:
    """The fixture course as a class's learners get it: the exercises ``ids`` without keys."""
    raw = yaml.safe_load((FIXTURES / "bank_semua_tipe.yaml").read_text(encoding="utf-8"))
    raw["exercises"] = [keyless_entry(e, "tugas-9") if e["id"] in ids else e for e in raw["exercises"]]
    raw["keyless"] = {"policy": "test"}
    path = tmp_path / "bank_keyless.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return Course((load_bank(path),), full.concepts, full.roles, full.lesson_titles)


@pytest.fixture
def fake(fixture_course):
    server = FakeClass(fixture_course, policy=Policy(attempts=2, credit="first")).start()
    yield server
    server.stop()


@pytest.fixture
def in_class(fake, monkeypatch, tmp_path):
    """The kernel's environment in a class (the spawner's KENALI_CLASS_URL, the hub's token)."""
    monkeypatch.setenv("KENALI_CLASS_URL", fake.url)
    monkeypatch.setenv("JUPYTERHUB_API_TOKEN", "tok-ani")
    monkeypatch.setattr(client_mod, "BACKOFF", (0.05, 0.2))
    client_mod.reset_clients()
    yield tmp_path / "home"
    client_mod.reset_clients()


def new_session(course: Course, home: Path) -> Session:
    s = Session(course=course, store=Store(home))
    if s.client is not None:
        s.client.backoff = (0.05, 0.2)
    return s


def test_no_client_outside_a_class(monkeypatch, tmp_path, fixture_course):
    monkeypatch.delenv("KENALI_CLASS_URL", raising=False)
    monkeypatch.setenv("JUPYTERHUB_API_TOKEN", "tok-ani")
    assert ClassClient.from_env(tmp_path) is None
    assert Session(course=fixture_course, store=Store(tmp_path)).client is None
    monkeypatch.setenv("KENALI_CLASS_URL", "http://127.0.0.1:9/services/kenali")
    monkeypatch.delenv("JUPYTERHUB_API_TOKEN")
    assert ClassClient.from_env(tmp_path) is None


def test_the_token_is_never_shown(monkeypatch, tmp_path):
    monkeypatch.setenv("KENALI_CLASS_URL", "http://127.0.0.1:9/services/kenali")
    monkeypatch.setenv("JUPYTERHUB_API_TOKEN", "secret-token-123")
    c = ClassClient.from_env(tmp_path)
    assert c is not None and c.url.endswith("/services/kenali/")
    assert "secret-token-123" not in repr(c) and "secret-token-123" not in str(vars(c).get("url"))


def test_push_sends_each_record_once_and_is_idempotent(in_class, fake, fixture_course):
    s = new_session(fixture_course, in_class)
    ex = s.exercise("9.2")
    for answer in (["a"], ["a", "b"], ["a", "c"]):
        s.submit(ex, answer)
    assert s.client is not None and s.client.wait_idle(10)
    assert sorted(k[2] for k in fake.stored) == [1, 2, 3] and fake.received == 3
    assert s.client.push_once() == 0 and fake.received == 3  # nothing left to send
    acked = json.loads((in_class / "sync.json").read_text())
    assert acked["acked"] == {"9.2": [1, 2, 3]} and acked["server"] == fake.url
    (in_class / "sync.json").unlink()  # lost: everything is sent again, the server keeps one of each
    assert s.client.push_once() == 3
    assert fake.received == 6 and len(fake.stored) == 3


def test_records_made_while_the_server_is_down_arrive_when_it_is_back(in_class, fake, fixture_course):
    fake.stop()
    s = new_session(fixture_course, in_class)
    ex = s.exercise("9.1")
    started = time.perf_counter()
    for answer in ("a", "c", "b"):
        result, _ = s.submit(ex, answer)
    assert time.perf_counter() - started < 1.0  # practice is checked here: no click waits on the network
    assert result.status == "correct"
    time.sleep(0.3)
    assert s.client is not None and s.client.last_error  # it tried, and keeps trying
    assert not s.client.wait_idle(0.1)
    fake.start()  # the same port again
    assert s.client.wait_idle(10), s.client.last_error
    assert sorted(k[2] for k in fake.stored if k[1] == "9.1") == [1, 2, 3]
    assert [r["status"] for r in s.store.attempts("9.1")] == ["wrong", "wrong", "correct"]  # nothing lost


def test_a_new_kernel_pushes_what_an_earlier_one_could_not(in_class, fake, fixture_course, monkeypatch):
    monkeypatch.delenv("KENALI_CLASS_URL")  # answered before the course ran in the class
    s = new_session(fixture_course, in_class)
    s.submit(s.exercise("9.6"), "pelanggan")
    assert s.client is None and fake.received == 0
    monkeypatch.setenv("KENALI_CLASS_URL", fake.url)
    s2 = new_session(fixture_course, in_class)  # kernel start: push what is not acknowledged
    assert s2.client is not None and s2.client.wait_idle(10)
    assert ("ani", "9.6", 1) in fake.stored


def test_keyless_exercise_is_checked_by_the_server(in_class, fake, fixture_course, tmp_path):
    course = keyless_course(tmp_path, fixture_course)
    s = new_session(course, in_class)
    ex = s.exercise("9.1")
    assert ex.key is None and ex.feedback == {} and ex.explanation == ""
    result, record = s.submit(ex, "a")
    assert result.status == "wrong" and fake.checks == 1
    assert record["server"]["attempt"] == 1 and record["server"]["attempts_left"] == 1
    assert any("membayar" in m for m in result.messages)  # the server's feedback, rendered here
    shown = s.shown(ex, result, record)
    assert (shown.attempt, shown.allowed, shown.left, shown.closed) == (1, 2, 1, None)
    again, _ = s.submit(ex, "a")  # the same answer again: no new attempt, not sent
    assert again.status == "wrong" and fake.checks == 1
    result, record = s.submit(ex, "b")
    assert result.status == "correct" and record["server"]["attempts_left"] == 0
    assert s.closed_reason(ex) is not None
    assert s.client is not None and s.client.wait_idle(10)
    assert fake.received == 0  # the server has these attempts: a sync never sends them as new ones
    assert [r["status"] for r in s.store.attempts("9.1")] == ["wrong", "correct"]


def test_a_hanging_server_never_blocks_a_click_and_the_answer_waits(in_class, fake, fixture_course, tmp_path):
    course = keyless_course(tmp_path, fixture_course)
    s = new_session(course, in_class)
    assert s.client is not None
    s.client.check_timeout = 0.5
    fake.mode, fake.hang = "hang", 3.0
    ex = s.exercise("9.5")
    started = time.perf_counter()
    result, record = s.submit(ex, "50")
    assert time.perf_counter() - started < 1.5
    assert result.status == "pending" and record["status"] == "pending"
    assert "tersimpan" in result.messages[0] and "server kelas" in result.messages[0]
    assert s.progress()[0]["done"] == 0  # not checked yet
    fake.mode = "up"
    time.sleep(3.2)  # the hanging requests end
    s.client.push()
    assert s.client.wait_idle(10), s.client.last_error
    latest = s.store.latest("9.5")
    assert latest["status"] == "wrong" and latest["mode"] == "kelas" and latest["server"]["attempt"] == 1
    assert s.store.attempts("9.5")[0]["status"] == "pending"  # the pending record stays, the verdict is newer
    assert s.progress()[0]["done"] == 1
    assert s.client.push_once() == 0  # the verdict is not sent back as a new attempt
    assert fake.attempts("ani", "9.5") == 1


def test_pending_when_the_server_is_down_then_checked_when_it_is_back(in_class, fake, fixture_course, tmp_path):
    course = keyless_course(tmp_path, fixture_course)
    fake.stop()
    s = new_session(course, in_class)
    result, _ = s.submit(s.exercise("9.1"), "b")
    assert result.status == "pending"
    fake.start()
    assert s.client is not None and s.client.wait_idle(10)
    assert s.store.latest("9.1")["status"] == "correct"
    view_result = s.restore_result(s.exercise("9.1"), s.store.latest("9.1"))
    assert view_result.status == "correct" and view_result.messages


def test_check_raises_unavailable_for_a_server_that_fails(fake, fixture_course, tmp_path):
    c = ClassClient(fake.url, "tok-ani", tmp_path, check_timeout=1)
    fake.mode = "fail"
    with pytest.raises(ClassUnavailable):
        c.check("9.1", "a")
    with pytest.raises(ClassUnavailable):
        ClassClient("http://127.0.0.1:1/", "tok-ani", tmp_path, check_timeout=1).check("9.1", "a")


def test_without_a_class_a_keyless_answer_is_kept_pending(monkeypatch, fixture_course, tmp_path):
    monkeypatch.delenv("KENALI_CLASS_URL", raising=False)
    course = keyless_course(tmp_path, fixture_course)
    s = Session(course=course, store=Store(tmp_path / "home"))
    result, _ = s.submit(s.exercise("9.7"), {"kind": "ellipsis"})
    assert result.status == "unanswered"
    result, _ = s.submit(s.exercise("9.7"), {"kind": "number", "value": 3})
    assert result.status == "pending" and s.store.latest("9.7")["status"] == "pending"


def test_a_hanging_server_never_slows_a_practice_click(in_class, fake, fixture_course):
    fake.mode, fake.hang = "hang", 2.0
    s = new_session(fixture_course, in_class)
    started = time.perf_counter()
    for answer in ("a", "b"):
        s.submit(s.exercise("9.1"), answer)
    assert time.perf_counter() - started < 0.5  # the sync waits in its own thread
    fake.mode = "up"
    assert s.client is not None and s.client.wait_idle(15), s.client.last_error
    assert len(fake.stored) == 2


def test_many_records_go_in_bounded_batches(in_class, fake, fixture_course):
    store = Store(in_class)
    for i in range(230):
        size = 900 if i < 150 else 4000
        store.record({"exercise": f"9.{1 + i % 2}", "lesson": "09", "learner": None, "answer": "x" * size,
                      "status": "wrong", "score": 0.0, "points": 1.0, "attempt": 1, "hints": 0, "ts": 0.0,
                      "time": "", "mode": "belajar"})
    c = ClassClient(fake.url, "tok-ani", in_class)
    assert c.push_once() == 230
    assert len(fake.batches) >= 3 and max(fake.batches) <= client_mod.BATCH_RECORDS and sum(fake.batches) == 230
    assert max(fake.sizes) <= client_mod.BATCH_BYTES + 1024 and min(fake.batches) < 60  # big answers: fewer per batch
    assert len(fake.stored) == 230 and c.push_once() == 0
