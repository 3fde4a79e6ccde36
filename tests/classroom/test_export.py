"""``kenali class-export``: the grades of a class out of the class server's database, credited under the policy
the server enforced, in the files ``kenali grade`` writes."""

from __future__ import annotations

import csv
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from kenali import cli
from kenali.classroom.db import AttemptRow, ClassDB
from kenali.classroom.export import ExportError, export

from .test_release import QUIZ_POLICY, private_course

START = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def classroom(tmp_path_factory):
    """A private quiz course, its policy (2 attempts, first attempt credited) and a class database: ana answers
    90.1 wrong, right, right again (over the limit); budi right at once; citra only answers 90.2 (all right)."""
    base = tmp_path_factory.mktemp("export")
    source, _ = private_course(base / "privat")
    policy = base / "kebijakan.yaml"
    policy.write_text(QUIZ_POLICY, encoding="utf-8")
    url = f"sqlite:///{base / 'kelas.db'}"
    db = ClassDB(url)
    answers = [("ana", "90.1", "a", "wrong", 0.0), ("ana", "90.1", "b", "correct", 1.0),
               ("ana", "90.1", "b", "correct", 1.0), ("budi", "90.1", "b", "correct", 1.0),
               ("citra", "90.2", ["a", "c"], "correct", 1.0)]
    try:
        for n, (user, ex, answer, status, score) in enumerate(answers, start=1):
            db.add_attempt(AttemptRow(user=user, exercise=ex, lesson="90", seq=n, answer=answer, status=status,
                                      score=score, points=1.0, source="check", assignment="kuis-akhir",
                                      server_time=START + timedelta(minutes=n)))
    finally:
        db.close()
    return url, source, policy, base


def _csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def test_the_export_credits_the_servers_attempts_under_the_policy(classroom, tmp_path):
    url, source, policy, _ = classroom
    done = export(url, tmp_path / "nilai", course=source, policy=policy)
    assert done.learners == ["ana", "budi", "citra"] and done.lessons == ["90"] and done.unknown == []
    book = {r["learner_id"]: r for r in _csv(tmp_path / "nilai" / "gradebook.csv")}
    assert book["ana"]["90.1"] == "0"  # wrong first: the right answers after it earn nothing (credit: first)
    assert book["budi"]["90.1"] == "1"
    assert book["citra"]["90.1"] == "0" and book["citra"]["90.2"] == "1"
    assert book["budi"]["entry"] == "class server" and book["budi"]["name"] == "budi"
    attempts = {(r["learner_id"], r["exercise"]): r for r in _csv(tmp_path / "nilai" / "attempts.csv")}
    ana = attempts[("ana", "90.1")]
    assert (ana["assignment"], ana["credit"], ana["attempts"], ana["counted"], ana["over_limit"]) == (
        "kuis-akhir", "first", "3", "2", "1")
    assert (ana["first_points"], ana["final_points"], ana["source"]) == ("0", "0", "server")
    assert attempts[("budi", "90.1")]["final_points"] == "1"
    moodle = (tmp_path / "nilai" / "moodle.csv").read_text(encoding="utf-8")
    assert "budi" in moodle and "ana" in moodle
    assert (tmp_path / "nilai" / "summary.html").exists() and (tmp_path / "nilai" / "feedback").is_dir()


def test_without_the_policy_the_latest_answer_counts(classroom, tmp_path):
    url, source, _, _ = classroom
    export(url, tmp_path / "latihan", course=source)
    book = {r["learner_id"]: r for r in _csv(tmp_path / "latihan" / "gradebook.csv")}
    assert book["ana"]["90.1"] == "1"


def test_the_export_refuses_an_unknown_lesson_and_names_exercises_it_cannot_grade(classroom, tmp_path):
    url, source, policy, _ = classroom
    with pytest.raises(ExportError, match="unknown lesson '77'"):
        export(url, tmp_path / "x", course=source, policy=policy, lessons=["77"])
    done = export(url, tmp_path / "publik", lessons=["01"])  # the installed course: no lesson 90
    assert done.unknown == ["90.1", "90.2"] and done.lessons == ["01"]


def test_cli_class_export(classroom, tmp_path, capsys):
    url, source, policy, _ = classroom
    args = ["class-export", "--db", url, "--course", str(source), "--policy", str(policy), "--out",
            str(tmp_path / "nilai")]
    assert cli.main(args) == 0
    out = capsys.readouterr().out
    assert "3 learner(s), lessons 90" in out and "gradebook.csv" in out and "attempts.csv" in out
    assert cli.main([*args[:-2], "--lesson", "77", "--out", str(tmp_path / "y")]) == 2
    err = capsys.readouterr().err
    assert "unknown lesson" in err and "Traceback" not in err
