"""The policy in the widgets, without a browser (set ``.value``, call ``.click()``): what is disclosed after a
try, attempts against the limit, the check button closed after the last attempt or the deadline, and keyless
exercises checked by the class server (its redacted verdict, pending while it is unreachable)."""

from __future__ import annotations

from pathlib import Path

import pytest

from kenali import api
from kenali import session as session_mod
from kenali.classroom import client as client_mod
from kenali.classroom.policy import Policy
from kenali.session import Session
from kenali.store import Store
from kenali.values import to_plain
from kenali.widgets import ExerciseView

from .fakeclass import FakeClass
from .test_client import keyless_course


def policy_file(tmp_path: Path, monkeypatch, body: str) -> Path:
    path = tmp_path / "kebijakan.yaml"
    path.write_text(body, encoding="utf-8")
    monkeypatch.setenv("KENALI_POLICY", str(path))
    return path


STRICT = """
assignments:
  - id: tugas-9
    title: Tugas 9
    exercises: ["9.*"]
    policy: {attempts: 2, credit: first, show_parts: never, show_explanation: final, show_distance: false}
"""


@pytest.fixture
def strict(session, tmp_path, monkeypatch):
    policy_file(tmp_path, monkeypatch, STRICT)
    return session


def view(session, exercise_id) -> ExerciseView:
    return ExerciseView(session.exercise(exercise_id), session)


def test_no_marks_per_actor_and_no_explanation_before_the_last_try(strict):
    v = view(strict, "9.3")
    v.input.dropdowns["ibu"].value = "customer"  # right
    v.input.dropdowns["anak"].value = "customer"  # wrong
    v.input.dropdowns["guru"].value = "konsumen"  # wrong
    v.check_button.click()
    assert all(m.value == "" for m in v.input.marks.values())  # no ✓/✗ per actor
    assert "✓" not in v.feedback.value and "✗" not in v.feedback.value
    assert "Ibu yang membayar" not in v.feedback.value  # no line naming an actor
    assert "1 dari 3" in v.feedback.value  # the head line stays
    assert "Percobaan 1 dari 2" in v.feedback.value and "sisa 1 percobaan" in v.feedback.value
    assert v.explanation.value == "" and not v.check_button.disabled
    v.input.dropdowns["anak"].value = "konsumen"
    v.check_button.click()
    assert "Percobaan 2 dari 2" in v.feedback.value
    assert "Penjelasan" in v.explanation.value  # the last allowed attempt: final
    assert v.check_button.disabled and "sudah habis" in v.feedback.value
    v.input.dropdowns["guru"].value = "customer_dan_konsumen"
    v.check()  # a third check (called directly) is refused, nothing recorded
    assert len(strict.store.attempts("9.3")) == 2
    again = view(strict, "9.3")  # after a kernel restart: still closed
    assert again.check_button.disabled and "sudah habis" in again.feedback.value


def test_no_distance_and_no_missed_options_named(strict):
    v = view(strict, "9.5")
    v.input.text.value = "10"
    v.check_button.click()
    assert "Terlalu kecil" not in v.feedback.value and "Belum tepat" in v.feedback.value
    m = view(strict, "9.2")
    m.input.boxes["a"].value = True
    m.check_button.click()
    assert "Error yang menghambat" not in m.feedback.value  # the missed option is not named


def test_practice_disclosure_under_a_permissive_policy_matches_today(session, tmp_path, monkeypatch):
    policy_file(tmp_path, monkeypatch, "assignments: []\n")
    v = view(session, "9.3")
    v.input.dropdowns["ibu"].value = "customer"
    v.input.dropdowns["anak"].value = "customer"
    v.check_button.click()
    assert "✓" in v.input.marks["ibu"].value and "✗" in v.input.marks["anak"].value
    assert "Penjelasan" in v.explanation.value and "Percobaan ke-1" in v.feedback.value


def test_a_deadline_in_the_past_closes_checking(session, tmp_path, monkeypatch):
    policy_file(tmp_path, monkeypatch, STRICT.replace("show_distance: false", "deadline: 2020-01-01T00:00:00+07:00"))
    v = view(session, "9.1")
    assert v.check_button.disabled and "Batas waktu" in v.feedback.value
    v.input.radio.value = "b"
    v.check()
    assert session.store.attempts("9.1") == []
    api_session = session
    monkeypatch.setattr(session_mod, "_current", api_session)
    out = api.cek("9.7", to_plain(None))
    assert "Batas waktu" in repr(out)


def test_an_unreadable_policy_is_a_warning_and_practice_rules_apply(session, tmp_path, monkeypatch):
    policy_file(tmp_path, monkeypatch, "assignments: [{id: x}]\n")
    v = view(session, "9.1")
    assert "aturan latihan biasa" in v.warning.value  # said once, where the file is first read
    v.input.radio.value = "a"
    v.check_button.click()
    assert "membayar, tidak memakai" in v.feedback.value and "Penjelasan" in v.explanation.value


# -- keyless exercises in a class ---------------------------------------------------------------


@pytest.fixture
def klass(fixture_course, tmp_path, monkeypatch):
    fake = FakeClass(fixture_course, policy=Policy(attempts=2, show_parts="never", show_explanation="final")).start()
    monkeypatch.setenv("KENALI_CLASS_URL", fake.url)
    monkeypatch.setenv("JUPYTERHUB_API_TOKEN", "tok-ani")
    monkeypatch.delenv("KENALI_POLICY", raising=False)
    client_mod.reset_clients()
    course = keyless_course(tmp_path, fixture_course)
    s = Session(course=course, store=Store(tmp_path / "home"))
    assert s.client is not None
    s.client.backoff = (0.05, 0.2)
    yield fake, s
    client_mod.reset_clients()
    fake.stop()


def test_keyless_widget_shows_the_servers_redacted_verdict_and_closes(klass):
    fake, s = klass
    v = view(s, "9.3")
    v.input.dropdowns["ibu"].value = "customer"
    v.input.dropdowns["anak"].value = "customer"
    v.input.dropdowns["guru"].value = "customer"
    v.check_button.click()
    assert fake.checks == 1 and "1 dari 3" in v.feedback.value
    assert all(m.value == "" for m in v.input.marks.values())  # the server sent no parts
    assert "Percobaan 1 dari 2" in v.feedback.value and v.explanation.value == ""
    v.input.dropdowns["anak"].value = "konsumen"
    v.check_button.click()
    assert "Percobaan 2 dari 2" in v.feedback.value and v.check_button.disabled
    assert "Yang membayar adalah customer" in v.explanation.value  # sent by the server with the final attempt
    assert repr(v) == "Latihan 9.3 · sebagian benar · 2/3 poin"
    restored = view(s, "9.3")  # a new kernel: the server's verdict from the store, still closed
    assert restored.check_button.disabled and "2 dari 3" in restored.feedback.value


def test_a_right_answer_closes_the_keyless_exercise(klass):
    """The server calls a right answer final: checking again could earn nothing, so Periksa is off at once,
    with its line, and stays off in a new kernel."""
    fake, s = klass
    v = view(s, "9.1")
    v.input.radio.value = "b"
    v.check_button.click()
    assert fake.checks == 1 and v.check_button.disabled and "sudah benar" in v.feedback.value
    assert "Percobaan 1 dari 2" in v.feedback.value
    assert view(s, "9.1").check_button.disabled


def test_keyless_widget_while_the_server_is_down(klass):
    fake, s = klass
    fake.stop()
    v = view(s, "9.1")
    v.input.radio.value = "b"
    v.check_button.click()
    assert "tersimpan" in v.feedback.value and "server kelas" in v.feedback.value
    assert repr(v) == "Latihan 9.1 · menunggu diperiksa"
    assert "Percobaan ke-1 · menunggu diperiksa" in v.feedback.value  # not judged yet: no score, no count of 2
    assert "poin" not in v.feedback.value and v.explanation.value == ""
    fake.start()
    assert s.client.wait_idle(10), s.client.last_error
    later = view(s, "9.1")
    assert repr(later) == "Latihan 9.1 · benar · 1/1 poin"
    assert "server kelas" in later.feedback.value  # says the verdict came later


def test_the_credited_points_are_named_when_they_differ_from_the_answers(klass):
    """First-attempt credit: the second answer scores 2/3, the class server credits the first one's 1/3; the line
    under the feedback says both, so "2/3 poin" is not read as the grade."""
    from kenali.model import Result
    from kenali.present.feedback import attempts_of_line

    _, s = klass
    ex = s.exercise("9.3")
    second = Result("partial", 2 / 3)
    assert attempts_of_line(2, 2, 0, second, ex, credit=1 / 3) == (
        "Percobaan 2 dari 2 · 2/3 poin · nilai yang dihitung: 1/3 poin")
    assert "dihitung" not in attempts_of_line(2, 2, 0, second, ex, credit=2 / 3)  # the same: said once
    assert "dihitung" not in attempts_of_line(2, 2, 0, second, ex)  # not known (no class server)
    server = {"attempt": 2, "attempts_left": 0, "final": True, "credit": 1 / 3, "late": False, "status": "partial",
              "messages": [], "parts": {}, "explanation": None, "disclosure": {}, "assignment": "tugas-9", "seq": 2}
    s.store.record({"exercise": "9.3", "lesson": "09", "learner": None, "answer": {"ibu": "customer"},
                    "status": "partial", "score": round(2 / 3, 6), "points": 3.0, "attempt": 2, "hints": 0,
                    "ts": 1.0, "time": "2026-12-07T08:00:00+00:00", "mode": "belajar", "server": server})
    assert s.shown(ex, s.restore_result(ex, s.latest(ex)), s.latest(ex)).credit == pytest.approx(1 / 3)
    restored = view(s, "9.3")  # what the learner sees, e.g. after a kernel restart
    assert "Percobaan 2 dari 2 · 2/3 poin · nilai yang dihitung: 1/3 poin" in restored.feedback.value
    assert restored.check_button.disabled


def test_solution_of_a_keyless_exercise_is_not_shown(klass, monkeypatch):
    _, s = klass
    monkeypatch.setattr(session_mod, "_current", s)
    out = api.solusi("9.1")
    assert "tugas yang dinilai" in repr(out)


def test_cek_of_a_keyless_code_exercise_goes_to_the_server(klass, monkeypatch):
    import pandas as pd

    fake, s = klass
    monkeypatch.setattr(session_mod, "_current", s)
    wrong = pd.Series([1, 2, 3], index=["a", "b", "c"], name="nilai")
    out = api.cek("9.7", wrong)
    assert fake.checks == 1 and "Percobaan 1 dari 2" in out.feedback.value and "Belum tepat" in out.feedback.value
    right = pd.Series([10, 30, 20], index=["a", "b", "c"], name="nilai")
    out = api.cek("9.7", right)
    assert fake.checks == 2 and repr(out) == "Latihan 9.7 · benar · 1/1 poin"
    assert "Urutkan lalu kalikan" in out.explanation.value  # the final attempt: the server sent it
    assert "sudah benar" in repr(api.cek("9.7", right))  # judged right and final: not sent again
    assert fake.checks == 2


def test_a_late_answer_by_the_servers_clock_closes_checking(klass):
    from datetime import UTC, datetime

    fake, s = klass
    fake.policy = Policy(deadline=datetime(2020, 1, 1, tzinfo=UTC))
    v = view(s, "9.1")
    assert not v.check_button.disabled  # this kernel has no policy file: only the server knows the deadline
    v.input.radio.value = "a"
    v.check_button.click()
    assert "setelah batas waktu" in v.feedback.value and "Menurut server kelas" in v.feedback.value
    assert v.check_button.disabled


def test_cek_under_a_policy_hides_which_values_differ(session, tmp_path, monkeypatch):
    import pandas as pd

    monkeypatch.setattr(session_mod, "_current", session)
    wrong = pd.Series([30, 10, 20], index=["a", "b", "c"], name="nilai")
    assert "nilai berbeda" in api.cek("9.7", wrong).feedback.value  # practice: which values differ
    policy_file(tmp_path, monkeypatch, STRICT)
    out = api.cek("9.7", wrong + 1)
    assert "Belum tepat" in out.feedback.value and "nilai berbeda" not in out.feedback.value
    assert "Percobaan 2 dari 2" in out.feedback.value and out.explanation.value  # the last attempt: final
