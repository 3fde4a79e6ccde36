"""``kenali grade --policy``: every answer record re-checked in order, credited under the instructor's policy.

Hand-ins hold answer records only (lesson 05's widget exercises; no notebook, so no sandbox starts).
"""

from __future__ import annotations

import csv
from datetime import UTC, datetime
from pathlib import Path

import pytest

from kenali.classroom.policy import load_policy

T0 = 1_750_000_000.0  # 2025-06-15 15:06:40 UTC
DEADLINE = "2025-06-15T16:00:00+00:00"  # T0 + 3200 s


def _policy(tmp: Path, body: str, name: str = "kebijakan.yaml") -> Path:
    path = tmp / name
    path.write_text(body, encoding="utf-8")
    return path


def _quiz(credit: str = "last", extra: str = "") -> str:
    return (f"assignments:\n  - id: kuis\n    title: Kuis lab\n    exercises: ['5.14', '5.19']\n"
            f"    policy: {{credit: {credit}{extra}}}\n")


def _retries(kit, learner: str, answers: list, exercise: str = "5.14", start: float = T0, step: float = 60.0):
    return [kit.record(exercise, a, learner, ts=start + step * n, attempt=n + 1) for n, a in enumerate(answers)]


def _grade(kit, tmp: Path, handins: dict[str, list], policy: Path | None = None, out: Path | None = None,
           subs: Path | None = None):
    subs = subs or tmp / "subs"
    if not subs.exists():
        subs.mkdir(parents=True)
        for learner, records in handins.items():
            kit.write_zip(subs / f"{learner}-kenali.zip", kit.handin(tmp / "h", learner, learner.title(), nb=None,
                                                                     records=records))
    return kit.grade(subs, out or tmp / "out", policy=load_policy(policy) if policy else None)


@pytest.fixture(scope="module")
def retried(kit, tmp_path_factory):
    """rina: 5.14 wrong, wrong, right; 5.19 right at once. The same folder graded under four credits."""
    tmp = tmp_path_factory.mktemp("retried")
    records = [*_retries(kit, "rina", ["a", "c", "b"]), kit.record("5.19", ["b", "d"], "rina", ts=T0 + 500)]
    outcomes = {}
    for n, credit in enumerate(["last", "first", "best", "decay"]):
        outcomes[credit] = _grade(kit, tmp, {"rina": records}, _policy(tmp, _quiz(credit), f"p{n}.yaml"),
                                  out=tmp / "out")
    outcomes["none"] = _grade(kit, tmp, {}, None, out=tmp / "out-none")
    return {"tmp": tmp, "outcomes": outcomes}


def test_retrying_until_right_earns_less_under_first_and_decay(kit, retried):
    earned = {c: kit.row(o, "rina")["exercises"]["5.14"]["earned"] for c, o in retried["outcomes"].items()}
    points = kit.course.exercise("5.14").points
    assert earned == {"last": points, "best": points, "none": points, "first": 0, "decay": 0.25 * points}
    res = kit.row(retried["outcomes"]["decay"], "rina")["exercises"]["5.14"]
    assert (res["attempts"], res["counted"], res["first"], res["final"], res["status"]) == (3, 3, 0, 0.25, "correct")
    assert (res["assignment"], res["credit"]) == ("kuis", "decay")
    right_away = kit.row(retried["outcomes"]["first"], "rina")["exercises"]["5.19"]
    assert right_away["earned"] == kit.course.exercise("5.19").points and right_away["first"] == 1


def test_a_changed_policy_regrades(retried):
    # the same folder and output folder: each policy's digest is in the cache key, so nothing came from the cache
    assert all(o.cached == 0 and o.graded == 1 for o in retried["outcomes"].values())
    digests = {o.rows[0]["policy"] for o in retried["outcomes"].values()}
    assert len(digests) == 5


def test_attempts_csv_and_pages_show_first_and_final(kit, retried):
    out = retried["tmp"] / "out"  # the last run: credit decay
    with (out / "attempts.csv").open(encoding="utf-8", newline="") as fh:
        rows = {r["exercise"]: r for r in csv.DictReader(fh)}
    assert set(rows) == {ex.id for ex in kit.bank.graded}
    r = rows["5.14"]
    assert (r["learner_id"], r["assignment"], r["credit"], r["attempts"], r["counted"], r["late"],
            r["over_limit"], r["first_points"], r["final_points"]) == ("rina", "kuis", "decay", "3", "3", "0", "0",
                                                                       "0", "0.25")
    assert (rows["5.1"]["attempts"], rows["5.1"]["assignment"], rows["5.1"]["final_points"]) == ("0", "", "0")
    with (out / "gradebook.csv").open(encoding="utf-8", newline="") as fh:
        book = list(csv.DictReader(fh))
    assert book[0]["5.14"] == "0.25"  # the gradebook's columns are the same; its scores are the credited ones
    page = (out / "feedback" / "rina.html").read_text(encoding="utf-8")
    from kenali.i18n import t

    assert t("grading.attempts", n="3") in page
    assert "Percobaan pertama bernilai 0 poin; yang masuk ke nilaimu 0,25 poin" in page
    summary = (out / "summary.html").read_text(encoding="utf-8")
    assert "<h2>Attempts</h2>" in summary and kit.row(retried["outcomes"]["decay"], "rina")["policy"] in summary
    row = summary[summary.index("<tr><td class='l'>5.14</td><td class='l'>kuis</td>"):]
    assert row[:row.index("</tr>")].endswith("<td>1/1</td><td>0.0%</td><td>100.0%</td><td>25.0%</td>"
                                             "<td>3.00</td><td>0.00</td><td>0</td><td>0</td>")


def test_without_a_policy_the_latest_answer_counts(kit, tmp_path):
    right_then_wrong = _retries(kit, "budi", ["b", "a"])
    outcome = _grade(kit, tmp_path, {"budi": right_then_wrong})
    res = kit.row(outcome, "budi")["exercises"]["5.14"]
    assert (res["status"], res["earned"], res["first"], res["attempts"]) == ("wrong", 0, 1, 2)
    assert res["credit"] == "last" and res["assignment"] is None


def test_attempts_beyond_the_limit_are_ignored(kit, tmp_path):
    records = _retries(kit, "citra", ["a", "c", "b"])
    outcome = _grade(kit, tmp_path, {"citra": records}, _policy(tmp_path, _quiz("best", ", attempts: 2")))
    res = kit.row(outcome, "citra")["exercises"]["5.14"]
    assert (res["earned"], res["attempts"], res["counted"], res["over_limit"], res["limit"]) == (0, 3, 2, 1, 2)
    page = (tmp_path / "out" / "feedback" / "citra.html").read_text(encoding="utf-8")
    assert "1 jawaban melewati jatah 2 percobaan" in page


def test_records_after_the_deadline_are_not_credited(kit, tmp_path):
    # a wrong answer before the deadline, the right one an hour later
    records = [kit.record("5.14", "a", "dedi", ts=T0), kit.record("5.14", "b", "dedi", ts=T0 + 3600, attempt=2)]
    assert datetime.fromtimestamp(T0 + 3600, UTC) > datetime.fromisoformat(DEADLINE) > datetime.fromtimestamp(T0, UTC)
    outcome = _grade(kit, tmp_path, {"dedi": records},
                     _policy(tmp_path, _quiz("best", f", deadline: '{DEADLINE}'")))
    res = kit.row(outcome, "dedi")["exercises"]["5.14"]
    assert (res["earned"], res["late"], res["counted"], res["status"]) == (0, 1, 1, "correct")
    page = (tmp_path / "out" / "feedback" / "dedi.html").read_text(encoding="utf-8")
    assert "1 jawaban tercatat sesudah batas waktu 2025-06-15 16:00 +0000" in page


def test_a_forged_record_gains_nothing(kit, tmp_path):
    # the record claims correct, full score and a first attempt; its answer is wrong
    forged = [kit.record("5.14", "a", "eka", ts=T0, status="correct", score=1.0),
              kit.record("5.19", ["a"], "eka", ts=T0 + 10, status="correct", score=1.0)]
    forged[0]["hints"] = 0
    for policy in (None, _policy(tmp_path, _quiz("first"))):
        out = tmp_path / ("out-" + ("none" if policy is None else "quiz"))
        outcome = _grade(kit, tmp_path, {"eka": forged}, policy, out=out)
        row = kit.row(outcome, "eka")
        assert row["exercises"]["5.14"]["earned"] == 0 and row["exercises"]["5.14"]["first"] == 0
        assert row["exercises"]["5.19"]["earned"] == 0 and row["total"] == 0


def test_hints_are_the_most_recorded(kit, tmp_path):
    records = _retries(kit, "fajar", ["a", "b"])
    records[0]["hints"], records[1]["hints"] = 2, 1
    outcome = _grade(kit, tmp_path, {"fajar": records})
    assert kit.row(outcome, "fajar")["exercises"]["5.14"]["hints"] == 2


def test_cli_with_a_bad_policy_is_one_line_and_exit_2(kit, tmp_path, capsys):
    from kenali.cli import main

    subs = tmp_path / "subs"
    subs.mkdir()
    bad = _policy(tmp_path, _quiz("first", ", atempts: 2"))
    assert main(["grade", str(subs), "--out", str(tmp_path / "out"), "--policy", str(bad), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert "kebijakan.yaml" in err and "atempts" in err and "did you mean 'attempts'" in err
    assert main(["grade", str(subs), "--policy", str(tmp_path / "nope.yaml"), "--quiet"]) == 2
    assert "nope.yaml: file not found" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_cli_with_a_policy_reports_it(kit, tmp_path, capsys):
    from kenali.cli import main

    subs = tmp_path / "subs"
    kit.write_zip(subs / "gita-kenali.zip", kit.handin(tmp_path / "h", "gita", "Gita", nb=None,
                                                       records=_retries(kit, "gita", ["a", "b"])))
    policy = _policy(tmp_path, _quiz("first"))
    assert main(["grade", str(subs), "--out", str(tmp_path / "out"), "--policy", str(policy), "--quiet",
                 "--only", "05"]) == 0
    out = capsys.readouterr().out
    assert f"digest {load_policy(policy).digest()}" in out and "self-reported" in out and "attempts.csv" in out
    with (tmp_path / "out" / "attempts.csv").open(encoding="utf-8", newline="") as fh:
        row = next(r for r in csv.DictReader(fh) if r["exercise"] == "5.14")
    assert (row["first_points"], row["final_points"], row["attempts"]) == ("0", "0", "2")


def test_the_class_servers_verdict_copy_is_not_a_second_attempt(kit, tmp_path):
    """A ``pending`` answer (class server unreachable) and the copy of the server's verdict on it, written by
    the client with ``mode: kelas``, are one attempt: under ``attempts: 1`` the right answer still counts."""
    pending = {**kit.record("5.14", "b", "sari", ts=T0, attempt=1), "status": "pending", "score": 0.0}
    verdict = {**kit.record("5.14", "b", "sari", ts=T0 + 5, attempt=2), "mode": "kelas"}
    policy = _policy(tmp_path, _quiz("first", ", attempts: 1"))
    res = kit.row(_grade(kit, tmp_path, {"sari": [pending, verdict]}, policy), "sari")["exercises"]["5.14"]
    assert (res["attempts"], res["counted"], res["over_limit"], res["final"]) == (1, 1, 0, 1)
