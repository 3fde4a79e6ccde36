"""``kenali class-export`` flags copied work from the class server's own records, for the instructor to look at.

The installed course, lessons 01 (widget exercises) and 05 (code exercises). In the database:

* ``ana`` and ``budi`` give the same wrong answers to six widget exercises in the same order, budi 4 s after ana
  each time (checked by the server: its clock), and the same wrong value for code exercise 5.3;
* ``citra`` and ``dedi`` give the same right answers and the same right value for 5.3, minutes apart;
* ``eko`` and ``fajar`` answered offline minutes apart; their records reached the server in the same seconds when
  it came back (synced backlog): the server's receipt time is not when they answered;
* ``gina`` and ``hadi`` answered offline seconds apart (their devices' clocks) and synced later too.
"""

from __future__ import annotations

import csv
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from kenali import cli
from kenali.classroom import export as export_mod
from kenali.classroom.db import AttemptRow, ClassDB
from kenali.classroom.export import export, step
from kenali.grading import similarity

START = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)
WIDGET = ["1.1", "1.2", "1.4", "1.5", "1.6", "1.7"]
WRONG_VALUE = {"Enterprise": 1234.5, "UMKM": 99.25, "Perorangan": 7.0}
RIGHT_VALUE = {"Enterprise": 4321.0, "UMKM": 199.5, "Perorangan": 17.0}


def _add(db: ClassDB, user: str, exercise: str, answer: object, status: str, at: datetime, *, seq: int,
         source: str = "check", client_time: datetime | None = None) -> None:
    db.add_attempt(AttemptRow(user=user, exercise=exercise, lesson=exercise.split(".")[0].zfill(2), seq=seq,
                              answer=answer, status=status, score=1.0 if status == "correct" else 0.0, points=1.0,
                              source=source, server_time=at,  # type: ignore[arg-type]
                              client_time=client_time.isoformat() if client_time else None))


def fill(url: str) -> None:
    db = ClassDB(url)
    try:
        for n, ex in enumerate(WIDGET):
            at = START + timedelta(seconds=90 * n)
            _add(db, "ana", ex, f"salah-{n}", "wrong", at, seq=n)
            _add(db, "budi", ex, f"salah-{n}", "wrong", at + timedelta(seconds=4), seq=n)
            _add(db, "citra", ex, f"benar-{n}", "correct", at, seq=n)
            _add(db, "dedi", ex, f"benar-{n}", "correct", at + timedelta(minutes=3), seq=n)
            back = START + timedelta(hours=1, seconds=n)  # the server is back: every backlog arrives now
            answered = START + timedelta(minutes=5 * n)
            _add(db, "eko", ex, f"e-{n}", "correct", back, seq=n, source="sync", client_time=answered)
            _add(db, "fajar", ex, f"e-{n}", "correct", back + timedelta(seconds=1), seq=n, source="sync",
                 client_time=answered + timedelta(minutes=2))
            _add(db, "gina", ex, f"g-{n}", "correct", back + timedelta(minutes=1), seq=n, source="sync",
                 client_time=answered)
            _add(db, "hadi", ex, f"g-{n}", "correct", back + timedelta(minutes=7), seq=n, source="sync",
                 client_time=answered + timedelta(seconds=2))
        code = START + timedelta(minutes=30)
        _add(db, "ana", "5.3", WRONG_VALUE, "wrong", code, seq=100)
        _add(db, "budi", "5.3", WRONG_VALUE, "wrong", code + timedelta(seconds=6), seq=100)
        _add(db, "citra", "5.3", RIGHT_VALUE, "correct", code, seq=100)
        _add(db, "dedi", "5.3", RIGHT_VALUE, "correct", code + timedelta(minutes=4), seq=100)
        _add(db, "eko", "5.3", [], "wrong", code, seq=100)  # an empty value: not evidence of anything
        _add(db, "fajar", "5.3", [], "wrong", code + timedelta(seconds=1), seq=100)
    finally:
        db.close()


def _csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    base = tmp_path_factory.mktemp("export-similarity")
    url = f"sqlite:///{base / 'kelas.db'}"
    fill(url)
    done = export(url, base / "nilai", lessons=["01", "05"])
    return url, done, base / "nilai"


def _flags(out: Path) -> dict[tuple[str, str], dict[str, str]]:
    rows = _csv(out / "similarity.csv")
    return {(r["kind"], r["learners"]): r for r in rows}


def test_same_wrong_answers_in_the_same_order_seconds_apart_are_flagged_from_the_database(db_url, tmp_path):
    fill(db_url)
    done = export(db_url, tmp_path / "nilai", lessons=["01", "05"])
    pair = _flags(tmp_path / "nilai")[("jawaban dan waktu sama", "ana;budi")]
    assert pair["score"] == "100" and pair["exercises"] == ";".join(WIDGET)
    assert pair["clock"] == "waktu server"
    assert "6 of 6 answers identical (6 of them not correct" in pair["evidence"]
    assert "4 s apart" in pair["evidence"] and "class server's clock" in pair["evidence"]
    assert tmp_path / "nilai" / "similarity.csv" in done.files
    assert ("ana", "budi") in [f.learners for f in done.flags]


def test_same_right_answers_minutes_apart_are_not_flagged(exported):
    _, done, out = exported
    flagged = {learners for (_, learners) in _flags(out)}
    assert "citra;dedi" not in flagged
    assert not any({"citra", "dedi"} & set(f.learners) for f in done.flags)


def test_a_synced_backlog_is_timed_by_the_learners_devices_never_by_its_arrival(exported):
    """eko and fajar reached the server a second apart but answered two minutes apart: not flagged. gina and hadi
    answered two seconds apart on their devices: flagged, and the flag says which clock it used."""
    _, _, out = exported
    flags = _flags(out)
    assert not any("eko" in learners or "fajar" in learners for (_, learners) in flags)
    pair = flags[("jawaban dan waktu sama", "gina;hadi")]
    assert pair["clock"] == "waktu perangkat peserta" and "2 s apart" in pair["evidence"]
    assert "learners' machines" in pair["evidence"]


def test_identical_wrong_code_values_are_flagged_right_or_empty_values_are_not(exported):
    _, _, out = exported
    values = [(learners, r) for (kind, learners), r in _flags(out).items() if kind == "nilai salah sama"]
    assert [learners for learners, _ in values] == ["ana;budi"]
    row = values[0][1]
    assert row["exercises"] == "5.3" and row["score"] == "50" and row["clock"] == "waktu server"
    assert "6 s apart" in row["evidence"] and "only wrong values are compared" in row["evidence"]
    assert not any(k == "kode sama" or k == "sama dengan solusi" for k, _ in _flags(out))  # no source: no code kinds


def test_the_summary_lists_the_flags_as_work_to_look_at(exported):
    _, _, out = exported
    page = (out / "summary.html").read_text(encoding="utf-8")
    assert "To look at: possibly copied work" in page and "Nothing here changes a score" in page
    assert "ana, budi" in page and "gina, hadi" in page
    assert "waktu server" in page and "waktu perangkat peserta" in page


def test_flags_change_no_score(exported, tmp_path, monkeypatch):
    url, done, out = exported
    assert done.flags
    book = {r["learner_id"]: r for r in _csv(out / "gradebook.csv")}
    assert book["ana"]["1.1"] == "0" and book["citra"]["1.1"] == book["gina"]["1.1"] == "5"  # 1.1: 5 points
    monkeypatch.setattr(export_mod.similarity, "find_trails", lambda *a, **k: [])
    quiet = export(url, tmp_path / "tanpa", lessons=["01", "05"])
    assert quiet.flags == [] and _csv(tmp_path / "tanpa" / "similarity.csv") == []
    for name in ("gradebook.csv", "moodle.csv", "attempts.csv", "feedback/ana.html", "feedback/budi.html"):
        assert (tmp_path / "tanpa" / name).read_bytes() == (out / name).read_bytes(), name


def test_a_failing_detector_never_stops_the_grades(exported, tmp_path, monkeypatch):
    url, _, out = exported

    def broken(*_a, **_k):
        raise RuntimeError("boom")

    monkeypatch.setattr(export_mod.similarity, "find_trails", broken)
    export(url, tmp_path / "rusak", lessons=["01", "05"])
    assert (tmp_path / "rusak" / "gradebook.csv").read_bytes() == (out / "gradebook.csv").read_bytes()
    assert "Not computed (RuntimeError)" in (tmp_path / "rusak" / "summary.html").read_text(encoding="utf-8")


def test_the_server_clock_counts_only_when_the_server_dated_the_answer_as_it_was_made():
    made = START
    checked = AttemptRow(user="a", exercise="1.1", status="wrong", source="check", server_time=made)
    live = AttemptRow(user="a", exercise="1.1", status="wrong", source="sync", server_time=made + timedelta(seconds=3),
                      client_time=made.isoformat())
    late = AttemptRow(user="a", exercise="1.1", status="wrong", source="sync", server_time=made + timedelta(minutes=9),
                      client_time=made.isoformat())
    unknown = AttemptRow(user="a", exercise="1.1", status="wrong", source="sync", server_time=made)
    assert step(checked, "k") == similarity.Step("k", server=made, device=None)
    assert step(live, "k").server == made + timedelta(seconds=3) and step(live, "k").device == made
    assert step(late, "k") == similarity.Step("k", server=None, device=made)
    assert step(unknown, "k") == similarity.Step("k", server=None, device=None)
    # two steps compare on the server's clock only when both have it
    assert step(checked, "k").gap(step(live, "k")) == (3.0, "server")
    assert step(checked, "k").gap(step(late, "k")) is None
    assert step(live, "k").gap(step(late, "k")) == (0.0, "device")


def test_cli_reports_the_flags(exported, tmp_path, capsys):
    url, _, _ = exported
    assert cli.main(["class-export", "--db", url, "--lesson", "01", "--lesson", "05", "--out",
                     str(tmp_path / "nilai")]) == 0
    out = capsys.readouterr().out
    assert "similarity.csv" in out and "copied work to look at (never a penalty): 3 in similarity.csv" in out
