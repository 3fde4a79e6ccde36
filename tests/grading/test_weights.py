"""Lesson weights: by the course's own time estimates (lesson + exercise notebook minutes) unless the
instructor sets them; the weighted grade is a percentage."""

from __future__ import annotations

import json

import pytest

from kenali.grading.pipeline import GradingError
from kenali.grading.weights import WeightsError, lesson_percents, lesson_weights, weighted_percent


def _banks(kit, lessons=None):
    return [b for b in kit.course.banks if b.graded and (lessons is None or b.lesson in lessons)]


def _lesson_minutes(kit, bank):
    nb = json.loads((kit.root / "notebooks" / f"{bank.notebook}.ipynb").read_text(encoding="utf-8"))
    return nb["metadata"]["kenali"]["minutes"]


def test_time_weights_follow_lesson_and_exercise_minutes(kit):
    banks = _banks(kit)
    table = lesson_weights(banks, root=kit.root)
    assert sum(w.weight for w in table) == pytest.approx(100.0)
    minutes = {b.lesson: _lesson_minutes(kit, b) + b.minutes for b in banks}
    total = sum(minutes.values())
    assert {w.lesson: round(w.weight, 6) for w in table} == {k: round(100 * m / total, 6) for k, m in minutes.items()}
    by = {w.lesson: w for w in table}
    assert by["05"].minutes == minutes["05"] and by["05"].source == "minutes"
    # the data lab takes the most time: it weighs most, whatever its points
    assert max(table, key=lambda w: w.weight).lesson == "05"
    assert by["05"].weight > by["04"].weight > 0 and by["05"].points < by["04"].points


def test_no_code_track_is_reported_not_weighted_apart(kit):
    by = {w.lesson: w for w in lesson_weights(_banks(kit), root=kit.root)}
    assert by["05"].no_code_track == "05b_lab_tanpa_kode"
    assert by["05"].points_without_code == sum(ex.points for ex in kit.bank.graded if not ex.is_code) < by["05"].points
    assert all(w.no_code_track is None and w.points_without_code == w.points for k, w in by.items() if k != "05")


def test_without_lesson_notebooks_only_exercise_minutes_count(kit, tmp_path):
    banks = _banks(kit, ["01", "02"])
    table = lesson_weights(banks, root=tmp_path)
    assert [w.lesson_minutes for w in table] == [0, 0]
    assert table[0].weight == pytest.approx(100 * banks[0].minutes / (banks[0].minutes + banks[1].minutes))


def test_instructor_weights_override(kit):
    banks = _banks(kit, ["01", "02", "05"])
    table = lesson_weights(banks, {"1": 1, "02_customer_konsumen": 1, "05": 2, "06": 7}, root=kit.root,
                           course=list(kit.course.banks))  # 06 is not graded in this run: its weight is ignored
    assert [(w.lesson, w.weight, w.source) for w in table] == [("01", 25.0, "instructor"), ("02", 25.0, "instructor"),
                                                               ("05", 50.0, "instructor")]


@pytest.mark.parametrize(("given", "message"), [
    ({"01": 1}, "no weight for lesson 02"),
    ({"01": 1, "02": -1}, "must be a number of 0 or more"),
    ({"01": 1, "02": True}, "must be a number of 0 or more"),
    ({"01": 1, "02": "banyak"}, "must be a number of 0 or more"),
    ({"01": 0, "02": 0}, "add up to 0"),
    ({"01": 1, "02": 1, "07": 1}, "'07' is not a lesson of the course"),
    ({"01": 1, "1": 2, "02": 1}, "two weights"),
])
def test_bad_instructor_weights_are_clear_errors(kit, given, message):
    with pytest.raises(WeightsError) as err:
        lesson_weights(_banks(kit, ["01", "02"]), given, root=kit.root, where="kelas.yaml",
                       course=list(kit.course.banks))
    assert message in str(err.value) and "kelas.yaml" in str(err.value)


def test_a_missing_weight_stops_grading_before_it_starts(kit, tmp_path):
    (tmp_path / "subs").mkdir()
    with pytest.raises(GradingError, match="no weight for lesson 06"):
        kit.grade(tmp_path / "subs", tmp_path / "out", only=["01", "06"], weights={"01": 3})
    assert not (tmp_path / "out").exists()


def test_weighted_percent(kit):
    banks = _banks(kit, ["01", "06"])
    table = lesson_weights(banks, {"01": 3, "06": 1}, root=kit.root)
    half_of_01 = {ex.id: {"earned": ex.points / 2} for ex in banks[0].graded}
    all_of_06 = {ex.id: {"earned": ex.points} for ex in banks[1].graded}
    percents = lesson_percents({"exercises": {**half_of_01, **all_of_06}}, banks)
    assert percents == {"01": 50.0, "06": 100.0}
    assert weighted_percent(percents, table) == pytest.approx(0.75 * 50 + 0.25 * 100)
    assert weighted_percent(lesson_percents({"exercises": {}}, banks), table) == 0.0


def test_weights_reach_the_reports(kit, tmp_path):
    subs = tmp_path / "subs"
    ex = kit.course.bank("01").graded[0]
    kit.write_zip(subs / "ani-kenali.zip", kit.handin(tmp_path, "ani", "Ani", nb=None,
                                                      records=[kit.record(ex.id, ex.correct_answer(), "ani")]))
    kit.grade(subs, tmp_path / "out", only=["01", "06"], weights={"01": 1, "06": 3})
    summary = (tmp_path / "out" / "summary.html").read_text(encoding="utf-8")
    assert "<h2>Lesson weights</h2>" in summary and "set in the policy file" in summary
    assert "<td>25.0%</td>" in summary and "<td>75.0%</td>" in summary
    page = (tmp_path / "out" / "feedback" / "ani.html").read_text(encoding="utf-8")
    assert "Nilai akhir berbobot: 3,1 dari 100." in page and "bobot 75% dari nilai akhir" in page


def test_cli_names_the_policy_file_when_its_weights_are_wrong(tmp_path, capsys):
    """Every weights mistake is one line naming the file (docs/grading.md), not just "policy file"."""
    from kenali.cli import main

    subs = tmp_path / "subs"
    subs.mkdir()
    for weights, message in [('{"01": 1}', "no weight for lesson 02"), ('{"01": 1, "07": 1}', "'07' is not a lesson"),
                             ('{"01": 0, "02": 0, "03": 0, "04": 0, "05": 0, "06": 0}', "add up to 0")]:
        policy = tmp_path / "kelas.yaml"
        policy.write_text(f"weights: {weights}\n", encoding="utf-8")
        assert main(["grade", str(subs), "--out", str(tmp_path / "out"), "--policy", str(policy), "--quiet"]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and message in err and "kelas.yaml" in err, err
    assert not (tmp_path / "out").exists()


def test_the_summary_gives_the_weighted_grade_beside_the_points(kit, tmp_path):
    """Points and the grade differ once lessons are weighted: the summary's mean must not be read as the
    grade Moodle gets (weighted_percentage)."""
    import csv

    subs = tmp_path / "subs"
    ex = kit.course.bank("01").graded[0]
    kit.write_zip(subs / "ani-kenali.zip", kit.handin(tmp_path, "ani", "Ani", nb=None,
                                                      records=[kit.record(ex.id, ex.correct_answer(), "ani")]))
    kit.grade(subs, tmp_path / "out", only=["01", "06"], weights={"01": 1, "06": 3})
    with (tmp_path / "out" / "gradebook.csv").open(encoding="utf-8", newline="") as fh:
        row = next(csv.DictReader(fh))
    assert row["weighted_percentage"] != row["percentage"]
    summary = (tmp_path / "out" / "summary.html").read_text(encoding="utf-8")
    assert f"mean {row['percentage']}%" in summary  # points
    assert f"weighted by lesson): mean {row['weighted_percentage']}%, median {row['weighted_percentage']}%" in summary


def test_the_no_code_track_is_graded_on_its_own_points(kit):
    """A learner who attempted none of lesson 05's code exercises took 05b: all six widget answers right is
    100 % of the lesson (not 6 of 19 points); a learner who attempted code is graded on all 19 points."""
    banks = _banks(kit, ["05"])
    table = lesson_weights(banks, root=kit.root)
    widget = {ex.id: {"earned": ex.points, "status": "correct"} for ex in banks[0].graded if not ex.is_code}
    no_code = {ex.id: {"earned": 0.0, "status": "unanswered"} for ex in banks[0].graded if ex.is_code}
    track = lesson_percents({"exercises": {**widget, **no_code}}, banks, table)
    assert track == {"05": 100.0}
    one_code_wrong = dict(no_code)
    first_code = next(ex for ex in banks[0].graded if ex.is_code)
    one_code_wrong[first_code.id] = {"earned": 0.0, "status": "wrong"}
    coder = lesson_percents({"exercises": {**widget, **one_code_wrong}}, banks, table)
    points = sum(ex.points for ex in banks[0].graded)
    assert coder["05"] == pytest.approx(100.0 * sum(w["earned"] for w in widget.values()) / points)
    # without the weights table (no track known) the lesson is always out of all its points
    assert lesson_percents({"exercises": {**widget, **no_code}}, banks)["05"] == coder["05"]
