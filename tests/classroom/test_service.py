"""The class server over HTTP: a real server on a free port (token-file auth), against SQLite and PostgreSQL.

Each test names the behaviour it protects; the one-line bug that would break it is in its docstring.
"""

from __future__ import annotations

import asyncio
import json
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from e2e.server import _free_port as free_port

from kenali import cli
from kenali.classroom.policy import load_policy
from kenali.classroom.service import state as state_mod
from kenali.classroom.service.app import Options, make_app, open_state, run_server
from kenali.classroom.service.auth import AuthError, HubBackend
from kenali.classroom.service.course import ServerCourse
from kenali.classroom.wire import MAX_BODY_BYTES

PREFIX = "/services/kenali/"
TOKENS = {
    "tok-ani-000000": {"name": "ani"},
    "tok-budi-00000": {"name": "budi"},
    "tok-sari-00000": {"name": "bu_sari", "groups": ["kenali-fasilitator"]},
    "tok-root-00000": {"name": "root", "admin": True},
    "tok-html-00000": {"name": "<b>tamu</b>"},
}
ANI, BUDI, SARI, ROOT, HTML_USER = (f"tok-{n}" for n in ("ani-000000", "budi-00000", "sari-00000", "root-00000",
                                                         "html-00000"))

POLICY = """
assignments:
  - id: kuis1
    title: Kuis 1
    exercises: ["1.1", "1.13"]
    policy:
      attempts: 2
      credit: best
      show_parts: never
      show_explanation: final
      show_distance: false
  - id: lewat
    title: Sudah lewat
    exercises: ["1.8"]
    policy:
      deadline: "2020-01-01T00:00:00+07:00"
"""


class ClassServer:
    """``kenali serve`` in a thread of this process (its own event loop), on a free port."""

    def __init__(self, tmp: Path, db_url: str, policy: str | None = POLICY, rate: float = 0.0):
        tokens = tmp / "tokens.json"
        tokens.write_text(json.dumps(TOKENS), encoding="utf-8")
        policy_path = None
        if policy is not None:
            policy_path = tmp / "kebijakan.yaml"
            policy_path.write_text(policy, encoding="utf-8")
        self.state = open_state(Options(db=db_url, policy=policy_path, tokens=tokens, rate=rate))
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}{PREFIX}"
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._main, daemon=True)
        self._thread.start()
        assert self._ready.wait(30), "the class server did not start"

    def _main(self) -> None:
        def started(loop: asyncio.AbstractEventLoop, stop: asyncio.Event) -> None:
            self._loop, self._stop = loop, stop
            self._ready.set()

        app = make_app(self.state, PREFIX, cookie_secret=b"k" * 32)
        asyncio.run(run_server(self.state, app, "127.0.0.1", self.port, started))

    def stop(self) -> None:
        self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(30)

    def call(self, path: str, body: Any = None, token: str | None = None, raw: bytes | None = None,
             method: str | None = None) -> tuple[int, Any]:
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        req = urllib.request.Request(self.base + path, data=data, method=method or ("POST" if data is not None
                                                                                      else "GET"))
        if token:
            req.add_header("Authorization", f"token {token}")
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                status, text = resp.status, resp.read().decode()
        except urllib.error.HTTPError as exc:
            status, text = exc.code, exc.read().decode()
        try:
            return status, json.loads(text)
        except ValueError:
            return status, text

    def check(self, exercise: str, answer: Any, seq: int | None = None, token: str = ANI, **extra: Any) -> Any:
        status, out = self.call("api/check", {"exercise": exercise, "answer": answer, "seq": seq, **extra}, token)
        assert status == 200, out
        return out

    def rows(self, user: str, exercise: str) -> list[Any]:
        return self.state.room.db.attempts_of(user, exercise)


@pytest.fixture
def server(tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[ClassServer]:
    monkeypatch.setattr(state_mod, "LIVE_MAX_AGE", 0.0)
    srv = ClassServer(tmp_path, db_url)
    try:
        yield srv
    finally:
        srv.stop()


def record(exercise: str, seq: int, answer: Any, **fields: Any) -> dict[str, Any]:
    return {"exercise": exercise, "seq": seq, "answer": answer, "v": 2, "lesson": "01", "time": "2026-12-07T08:00:00",
            **fields}


# -- the kernels' API --------------------------------------------------------------------------------------


def test_health_names_the_database_course_and_policy(server: ClassServer):
    status, out = server.call("api/health")
    assert status == 200 and out["ok"] is True
    assert out["db"] == server.state.room.db.kind
    assert out["course"] == ServerCourse().version and len(out["policy"]) == 16


def test_sync_is_idempotent(server: ClassServer):
    """Bug: dedupe by (user, exercise, seq) dropped -> a retried push is a second attempt."""
    body = {"records": [record("1.12", 1, "a"), record("1.12", 2, "b")]}
    first = server.call("api/records", body, ANI)
    again = server.call("api/records", body, ANI)
    assert first[0] == again[0] == 200
    assert first[1]["accepted"] == again[1]["accepted"] == [{"exercise": "1.12", "seq": 1},
                                                            {"exercise": "1.12", "seq": 2}]
    assert [r["status"] for r in again[1]["results"]] == ["wrong", "correct"]
    assert [r["attempt"] for r in again[1]["results"]] == [1, 2]
    assert [(r.seq, r.attempt, r.source) for r in server.rows("ani", "1.12")] == [(1, 1, "sync"), (2, 2, "sync")]


def test_a_check_then_the_same_record_synced_is_one_attempt(server: ClassServer):
    """Bug: the check path stores without its seq -> the later sync of that record counts twice."""
    out = server.check("1.13", "70", seq=4)
    status, synced = server.call("api/records", {"records": [record("1.13", 4, "70", status="pending")]}, ANI)
    assert status == 200 and synced["results"][0] == out
    assert len(server.rows("ani", "1.13")) == 1


def test_a_forged_record_is_stored_as_what_its_answer_earns(server: ClassServer):
    """Bug: the server trusts the record's status/score/attempt -> a forged 'correct' scores."""
    forged = record("1.12", 7, "a", status="correct", score=1, attempt=1, points=1)
    status, out = server.call("api/records", {"records": [forged]}, ANI)
    assert status == 200
    assert out["results"][0]["status"] == "wrong" and out["results"][0]["score"] == 0
    assert out["results"][0]["credit"] == 0
    (row,) = server.rows("ani", "1.12")
    assert (row.status, row.score, row.credit, row.seq) == ("wrong", 0.0, 0.0, 7)


def test_attempts_beyond_the_limit_are_refused_and_earn_nothing(server: ClassServer):
    """Bug: the limit is not enforced (or counted per request body) -> a third try earns the points."""
    first = server.check("1.13", "80", seq=1)
    second = server.check("1.13", "90", seq=2)
    third = server.check("1.13", "65", seq=3)  # the key, too late
    assert (first["attempts_left"], second["attempts_left"]) == (1, 0)
    assert second["final"] is True
    assert third["status"] == "over_limit" and third["score"] == 0 and third["messages"] == []
    assert third["credit"] == 0 and third["attempts_left"] == 0 and third["attempt"] == 2  # all 2 used
    # the learner's own attempt count in the body is ignored
    fourth = server.check("1.13", "65", seq=4, hints=0)
    assert fourth["status"] == "over_limit"
    assert [r.status for r in server.rows("ani", "1.13")] == ["wrong", "wrong", "correct", "correct"]
    assert all((r.credit or 0) == 0 for r in server.rows("ani", "1.13"))
    # another learner has their own attempts
    assert server.check("1.13", "65", seq=1, token=BUDI)["status"] == "correct"


def test_after_the_deadline_an_answer_is_late_and_earns_nothing(server: ClassServer):
    """Bug: the deadline is judged by the client's time (or not at all) -> a late right answer is credited."""
    out = server.check("1.8", "d", seq=1, client_time="2019-12-31T10:00:00+07:00")
    assert out["late"] is True and out["final"] is True
    assert out["status"] == "correct" and out["credit"] == 0
    (row,) = server.rows("ani", "1.8")
    assert row.late is True and row.client_time == "2019-12-31T10:00:00+07:00"


def test_redaction_hides_marks_explanation_and_distance(server: ClassServer):
    """Bug: the server returns the unredacted result -> per-actor marks, the explanation and 'too big' leak."""
    course = ServerCourse()
    roles = dict(course.exercise("1.1").correct_answer())
    actor = next(iter(roles))
    roles[actor] = "reseller" if roles[actor] != "reseller" else "pembeli"
    out = server.check("1.1", roles, seq=1)
    assert out["status"] == "partial" and out["parts"] == {}
    assert [m["key"] for m in out["messages"]] == ["feedback.partial"]
    assert out["explanation"] is None and out["disclosure"] == {"parts": False, "explanation": False,
                                                                "distance": False}
    number = server.check("1.13", "120", seq=1)
    assert number["messages"] == [{"key": "feedback.wrong", "params": {}}]  # no "terlalu besar"
    # practice rules elsewhere: everything shown, so the redaction above is the policy's doing
    practice = server.check("1.7", ["a"], seq=1)
    assert practice["parts"] and practice["explanation"]
    assert any(m["key"] == "feedback.multi_missed" for m in practice["messages"] if isinstance(m, dict))
    # the final attempt opens the explanation (show_explanation: final)
    last = server.check("1.13", "121", seq=2)
    assert last["final"] is True and last["explanation"]


def test_unknown_exercises_are_refused_clearly(server: ClassServer):
    status, out = server.call("api/check", {"exercise": "9.99", "answer": "a"}, ANI)
    assert status == 404 and "9.99" in out["error"]
    status, out = server.call("api/records", {"records": [record("9.99", 1, "a"), record("1.12", 1, "b")]}, ANI)
    assert status == 200
    assert out["accepted"] == [{"exercise": "1.12", "seq": 1}]
    assert out["rejected"][0]["exercise"] == "9.99" and "not in" in out["rejected"][0]["reason"]


def test_the_keyless_form_carries_no_key(server: ClassServer):
    """Bug: the exercise endpoint dumps the exercise -> key, feedback and explanation go to the kernel."""
    status, out = server.call("api/exercise/1.1", token=ANI)
    assert status == 200 and out["id"] == "1.1" and out["items"]
    text = json.dumps(out)
    ex = ServerCourse().exercise("1.1")
    assert "key" not in out and "explanation" not in out and "feedback" not in out
    assert ex.items[0].why not in text and all(set(i) == {"id", "label"} for i in out["items"])
    assert out["policy"]["attempts"] == 2


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"{", "not JSON"),
        (b"[1]", "JSON object"),
        (b'{"exercise": "1.12", "answer": "a", "score": 1}', "score"),
        (b'{"exercise": "1.12", "hints": "2"}', "hints"),
        (b'{"exercise": "1.12", "answer": "' + b"x" * (MAX_BODY_BYTES + 10) + b'"}', "bytes"),
        (b'{"exercise": "1.10", "answer": "\\ud800"}', "Unicode"),
    ],
)
def test_malformed_or_too_large_bodies_are_a_400_with_a_reason(server: ClassServer, raw: bytes, reason: str):
    status, out = server.call("api/check", raw=raw, token=ANI)
    assert status == 400 and reason in out["error"]


def test_kernels_need_a_token_and_unknown_paths_answer_json(server: ClassServer):
    status, out = server.call("api/check", {"exercise": "1.12", "answer": "b"})
    assert status == 401 and "token" in out["error"]
    status, out = server.call("api/check", {"exercise": "1.12", "answer": "b"}, "tok-wrong-00000")
    assert status == 401
    status, out = server.call("api/nothing", token=ANI)
    assert status == 404 and out["status"] == 404


def test_a_learner_sending_too_fast_is_slowed_down(tmp_path: Path, db_url: str):
    """Bug: no rate limit -> one kernel in a loop takes the server from everyone."""
    srv = ClassServer(tmp_path, db_url, rate=1.0)
    try:
        codes = [srv.call("api/check", {"exercise": "1.12", "answer": "a"}, ANI)[0] for _ in range(35)]
        assert codes[0] == 200 and codes[-1] == 429
        assert srv.call("api/check", {"exercise": "1.12", "answer": "a"}, BUDI)[0] == 200  # others unaffected
    finally:
        srv.stop()


# -- the facilitator's side --------------------------------------------------------------------------------


def test_facilitator_endpoints_refuse_a_learner(server: ClassServer):
    """Bug: the live API or pages check only that someone is logged in -> learners see everyone's answers."""
    for path in ("api/live", "api/projector/1.12"):
        assert server.call(path, token=ANI)[0] == 403
        assert server.call(path)[0] == 401
        assert server.call(path, token=SARI)[0] == 200
        assert server.call(path, token=ROOT)[0] == 200
    status, page = server.call("", token=ANI)
    assert status == 403 and "Halaman ini untuk fasilitator" in page and "kenali-fasilitator" in page
    status, page = server.call("projector/1.12", token=ANI)
    assert status == 403
    status, page = server.call("", token=SARI)
    assert status == 200 and 'id="exercises"' in page


def test_the_refusal_page_escapes_the_user_name(server: ClassServer):
    status, page = server.call("", token=HTML_USER)
    assert status == 403 and "<b>tamu</b>" not in page and "&lt;b&gt;tamu&lt;/b&gt;" in page


def test_live_figures_reflect_a_new_attempt(server: ClassServer):
    """Bug: the live cache never refreshes (or reads only once) -> the facilitator's view stands still."""
    _, before = server.call("api/live", token=SARI)
    assert before["learners"] == [] and all(e["attempts"] == 0 for e in before["exercises"])
    server.check("1.12", "a", seq=1)
    server.check("1.12", "b", seq=1, token=BUDI)
    _, after = server.call("api/live", token=SARI)
    (stats,) = [e for e in after["exercises"] if e["exercise"] == "1.12"]
    assert (stats["learners"], stats["attempts"], stats["correct_share"]) == (2, 2, 0.5)
    assert {p["user"] for p in after["learners"]} == {"ani", "budi"}
    assert [s["user"] for s in after["stuck"]] == ["ani"]
    server.check("1.12", "b", seq=2)
    _, later = server.call("api/live", token=SARI)
    (stats,) = [e for e in later["exercises"] if e["exercise"] == "1.12"]
    assert stats["attempts"] == 3 and stats["correct_share"] == 1.0 and later["stuck"] == []


def test_an_html_answer_never_reaches_the_page_as_markup(server: ClassServer):
    """Bug: the page renders answers with innerHTML or the server writes them into HTML unescaped."""
    evil = "<script>alert('x')</script><img src=x onerror=alert(1)>"
    server.check("1.10", evil, seq=1)
    _, live = server.call("api/live", token=SARI)
    (stats,) = [e for e in live["exercises"] if e["exercise"] == "1.10"]
    assert stats["wrong"][0]["answer"] == evil  # data, shown by the script as text (see test_pages_browser)
    for path in ("", "projector/1.10"):
        status, page = server.call(path, token=SARI)
        assert status == 200 and "<script>alert" not in page and "onerror" not in page
    script = (Path(state_mod.__file__).parent / "static" / "kelas.js").read_text(encoding="utf-8")
    assert "innerHTML" not in script.replace("never innerHTML", "")


def test_projector_data_has_no_user_names(server: ClassServer):
    server.check("1.12", "a", seq=1)
    server.check("1.12", "b", seq=1, token=BUDI)
    status, out = server.call("api/projector/1.12", token=SARI)
    assert status == 200 and out["learners"] == 2 and out["correct_share"] == 0.5
    text = json.dumps(out)
    assert "ani" not in text and "budi" not in text
    status, page = server.call("projector/9.99", token=SARI)
    assert status == 404 and "9.99" in page


def test_projector_data_of_a_role_exercise_is_per_actor(server: ClassServer):
    from kenali.bank import load_course

    ex = load_course().exercise("1.2")
    server.check("1.2", {**ex.correct_answer(), "hendra": "pengguna_akhir"}, seq=1)
    status, out = server.call("api/projector/1.2", token=SARI)
    assert status == 200 and out["answers"] == [] and len(out["parts"]) == len(ex.items) == len(out["key"])
    assert out["key"][3] == "Pak Hendra, pemilik toko → Pembeli (buyer)"  # one line per actor, not 300 characters
    hendra = out["parts"][3]
    assert [(r["label"], r["learners"], r["correct"]) for r in hendra["roles"]] == [
        ("Pengguna akhir (end user)", 1, False)]


# -- authentication through the hub ------------------------------------------------------------------------


def test_hub_tokens_need_the_service_access_scope(monkeypatch: pytest.MonkeyPatch):
    """Bug: any valid hub token is accepted -> a token not meant for the class server reports answers."""
    monkeypatch.setenv("JUPYTERHUB_API_TOKEN", "service-token")
    monkeypatch.setenv("JUPYTERHUB_SERVICE_NAME", "kenali")
    backend = HubBackend()
    model = {"kind": "user", "name": "ani", "admin": False, "groups": ["kelas-a"],
             "scopes": ["access:services!service=kenali", "read:users:name!user=ani"]}
    who = backend._allowed(model)
    assert who is not None and who.name == "ani" and not who.facilitator
    with pytest.raises(AuthError, match="server_token_scopes"):
        backend._allowed({**model, "scopes": ["access:servers!server=ani/"]})
    with pytest.raises(AuthError, match="not a hub user"):
        backend._allowed({**model, "kind": "service"})
    assert backend._allowed({**model, "groups": ["kenali-fasilitator"]}).facilitator
    assert backend._allowed({**model, "admin": True}).facilitator
    assert backend._allowed(None) is None


# -- kenali serve ------------------------------------------------------------------------------------------


def test_serve_refuses_to_start_without_a_hub_unless_told(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str]):
    """Bug: token-file auth (or none) is the fallback -> a misconfigured server accepts anyone."""
    monkeypatch.delenv("JUPYTERHUB_API_TOKEN", raising=False)
    monkeypatch.chdir(tmp_path)
    assert cli.main(["serve", "--port", str(free_port())]) == 2
    assert "JUPYTERHUB_API_TOKEN" in capsys.readouterr().err
    assert not (tmp_path / "kenali-class.db").exists()


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        (["--policy", "nope.yaml"], "file not found"),
        (["--db", "mysql://x/y"], "only sqlite"),
        (["--course", "."], "no banks/"),
        (["--tokens", "missing.yaml"], "cannot be read"),
    ],
)
def test_serve_explains_a_bad_setup_in_one_line(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str], args: list[str], reason: str):
    monkeypatch.chdir(tmp_path)
    tokens = tmp_path / "t.json"
    tokens.write_text(json.dumps(TOKENS), encoding="utf-8")
    full = ["serve", "--port", str(free_port()), *(["--tokens", str(tokens)] if "--tokens" not in args else []), *args]
    assert cli.main(full) == 2
    err = capsys.readouterr().err
    assert reason in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_a_policy_naming_no_exercise_of_the_course_is_refused(tmp_path: Path):
    path = tmp_path / "p.yaml"
    path.write_text("assignments:\n  - {id: a, title: A, exercises: ['99.*'], policy: {attempts: 1}}\n")
    with pytest.raises(Exception, match="matches no exercise"):
        load_policy(path, exercises=ServerCourse().pairs)


def test_the_server_refuses_a_learners_copy_without_keys(tmp_path: Path):
    """Bug: the server loads whatever KENALI_CONTENT or --course names -> it 'checks' with no keys at all."""
    from kenali.classroom.release import release
    from kenali.classroom.service.course import CourseError

    policy = tmp_path / "kebijakan.yaml"
    policy.write_text(POLICY, encoding="utf-8")
    out = release(policy, tmp_path / "rilis").out
    with pytest.raises(CourseError, match="without keys"):
        ServerCourse(out)
    full = ServerCourse(Path(__file__).resolve().parents[2] / "kenali" / "content")  # a folder of editions
    assert full.version == ServerCourse().version and full.exercise("1.13").key == 65


def test_the_server_ignores_the_learners_content_pointer(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    from kenali.classroom.release import release

    policy = tmp_path / "kebijakan.yaml"
    policy.write_text(POLICY, encoding="utf-8")
    monkeypatch.setenv("KENALI_CONTENT", str(release(policy, tmp_path / "rilis").out))
    course = ServerCourse()
    assert course.check(course.exercise("1.13"), "65").status == "correct"


def test_a_batch_is_judged_in_the_order_the_learner_answered(server: ClassServer):
    """Bug: records judged in body order -> a shuffled batch makes a later right answer the 'first'."""
    batch = [record("1.13", 2, "65"), record("1.13", 1, "80")]
    status, _ = server.call("api/records", {"records": batch}, ANI)
    assert status == 200
    assert [(r.seq, r.attempt, r.status) for r in server.rows("ani", "1.13")] == [(1, 1, "wrong"), (2, 2, "correct")]


def test_a_database_failure_is_a_503_the_client_retries(server: ClassServer, monkeypatch: pytest.MonkeyPatch):
    """Bug: a database error answers 200 or a bare 500 -> the kernel marks records as sent that were never stored."""
    from kenali.classroom.db import ClassDBError

    def broken(row: Any) -> None:
        raise ClassDBError("cannot write to the class database sqlite:///kelas.db: disk I/O error")

    monkeypatch.setattr(server.state.room.db, "add_attempt", broken)
    status, out = server.call("api/records", {"records": [record("1.12", 1, "b")]}, ANI)
    assert status == 503 and "sent again later" in out["error"]
    monkeypatch.undo()
    status, out = server.call("api/records", {"records": [record("1.12", 1, "b")]}, ANI)
    assert status == 200 and out["accepted"] == [{"exercise": "1.12", "seq": 1}]


def test_the_live_figures_of_one_lesson(server: ClassServer):
    """Bug: the lesson filter is ignored (or the cache serves one lesson's figures for another)."""
    server.check("1.12", "a", seq=1)
    _, everything = server.call("api/live", token=SARI)
    _, lesson2 = server.call("api/live?lesson=02", token=SARI)
    _, lesson1 = server.call("api/live?lesson=01", token=SARI)
    assert any(e["exercise"] == "1.12" for e in everything["exercises"])
    assert lesson2["lesson"] == "02" and all(e["lesson"] == "02" for e in lesson2["exercises"])
    assert lesson2["stuck"] == [] and [s["user"] for s in lesson1["stuck"]] == ["ani"]
    status, out = server.call("api/live?lesson=99", token=SARI)
    assert status == 400 and "99" in out["error"]


def test_a_record_that_can_never_be_stored_does_not_block_the_others(server: ClassServer):
    """Bug: a malformed record (or one the database refuses) fails the batch -> the kernel resends it forever."""
    batch = [record("1.12", 1, "b"), record("1.12", 2, "a", hints=-1), record("1.10", 3, "\ud800")]
    status, out = server.call("api/records", raw=json.dumps({"records": batch}).encode(), token=ANI)
    assert status == 200
    assert out["accepted"] == [{"exercise": "1.12", "seq": 1}]
    assert {(r["exercise"], r["seq"]) for r in out["rejected"]} == {("1.12", 2), ("1.10", 3)}
    assert all(r["reason"] for r in out["rejected"])


def test_a_restarted_server_keeps_counting_where_it_stopped(tmp_path: Path, db_url: str,
                                                            monkeypatch: pytest.MonkeyPatch):
    """Bug: counts or dedupe kept in memory only -> after a restart a resent record is a new attempt."""
    monkeypatch.setattr(state_mod, "LIVE_MAX_AGE", 0.0)
    first = ClassServer(tmp_path, db_url)
    first.check("1.13", "80", seq=1)
    first.stop()
    again = ClassServer(tmp_path, db_url)
    try:
        status, out = again.call("api/records", {"records": [record("1.13", 1, "80"), record("1.13", 2, "90")]}, ANI)
        assert status == 200 and [r["attempt"] for r in out["results"]] == [1, 2]
        assert again.check("1.13", "65", seq=3)["status"] == "over_limit"
        _, live = again.call("api/live", token=SARI)
        (stats,) = [e for e in live["exercises"] if e["exercise"] == "1.13"]
        assert stats["attempts"] == 3
    finally:
        again.stop()
