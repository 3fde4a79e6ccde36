"""Widget lessons (01-04): graded from answer records alone, as :class:`kenali.store.Store` writes them.

No code is run here (the hand-ins hold no lesson 05 notebook), so no sandbox is started.
"""

from __future__ import annotations

import csv

import pytest

LESSONS = ["01", "02", "03", "04"]


def _wrong_choice(ex):
    return next(k for k in ex.choices if k != ex.key)


@pytest.fixture(scope="module")
def graded(tmp_path_factory, kit):
    course = kit.course
    base = tmp_path_factory.mktemp("widgets")
    subs = base / "subs"
    subs.mkdir()
    widget = [ex for lesson in LESSONS for ex in course.bank(lesson).graded]
    ts = 1_750_000_000.0
    # rina: everything right, on the second try (the first, wrong answers were recorded earlier)
    records = []
    for ex in widget:
        first = _wrong_choice(ex) if ex.type == "pilihan" else ex.correct_answer()
        records.append(kit.record(ex.id, first, "rina", ts=ts))
        records.append(kit.record(ex.id, ex.correct_answer(), "rina", ts=ts + 60, attempt=2))
    kit.write_zip(subs / "rina-kenali.zip", kit.handin(base, "rina", "Rina Wati", nb=None, records=records))
    # budi: one actor wrong in 1.1 (partial), a wrong choice, a wrong number, an unreadable answer, one missing
    peran = course.exercise("1.1")
    partial = peran.correct_answer()
    first_item = peran.items[0]
    partial[first_item.id] = next(k for k in peran.choices if k != first_item.key)
    budi = [
        kit.record("1.1", partial, "budi", ts=ts),
        kit.record("1.8", _wrong_choice(course.exercise("1.8")), "budi", ts=ts),
        kit.record("1.13", 64, "budi", ts=ts),
        kit.record("1.14", ["b"], "budi", ts=ts),  # a list where a choice key belongs
        kit.record("1.7", course.exercise("1.7").correct_answer(), "budi", ts=ts),
        kit.record("1.10", "uat", "budi", ts=ts),
    ]
    kit.write_zip(subs / "budi-kenali.zip", kit.handin(base, "budi", "Budi", nb=None, records=budi))
    outcome = kit.grade(subs, base / "out", only=LESSONS)
    return {"outcome": outcome, "out": base / "out", "rows": {r["learner_id"]: r for r in outcome.rows},
            "widget": widget, "partial": partial}


def test_no_sandbox_needed(graded):
    assert graded["outcome"].graded == 2 and graded["outcome"].sandbox_errors == []


def test_all_correct_from_the_latest_records(kit, graded):
    row = graded["rows"]["rina"]
    ids = [ex.id for ex in graded["widget"]]
    assert sorted(row["exercises"]) == sorted(ids)
    kit.assert_correct(row, ids)
    assert row["notes"] == [] and row["status"] == "ok"
    assert row["total"] == row["maximum"] == sum(ex.points for ex in graded["widget"])
    assert all(row["exercises"][i]["attempts"] == 2 and row["exercises"][i]["source"] == "record" for i in ids)


def test_partial_wrong_invalid_and_missing_answers(kit, graded):
    from kenali.session import check_answer

    course = kit.course
    ex = graded["rows"]["budi"]["exercises"]
    peran = course.exercise("1.1")
    expected = check_answer(peran, graded["partial"])
    assert expected.status == "partial" and 0 < expected.score < 1
    assert ex["1.1"]["status"] == "partial"
    assert ex["1.1"]["earned"] == pytest.approx(expected.score * peran.points, abs=1e-4)
    # placeholders filled with the learner's own variant, as their notebook showed it
    assert ex["1.1"]["answer_text"] == peran.render(peran.describe(graded["partial"]), peran.variant("budi"))
    assert "{" not in ex["1.1"]["answer_text"]
    assert (ex["1.8"]["status"], ex["1.13"]["status"], ex["1.14"]["status"]) == ("wrong", "wrong", "invalid")
    assert (ex["1.7"]["status"], ex["1.10"]["status"]) == ("correct", "correct")
    assert ex["1.2"]["status"] == "unanswered" and ex["1.2"]["source"] is None
    assert graded["rows"]["budi"]["total"] == pytest.approx(round(expected.score * peran.points, 4) + 2)


def test_gradebook_and_moodle_cover_every_lesson(kit, graded):
    course = kit.course
    with (graded["out"] / "gradebook.csv").open(encoding="utf-8", newline="") as fh:
        book = list(csv.DictReader(fh))
    header = list(book[0])
    assert header[2:header.index("total")] == [ex.id for ex in graded["widget"]]
    budi = next(r for r in book if r["learner_id"] == "budi")
    assert budi["1.1"] == f"{round(graded['rows']['budi']['exercises']['1.1']['earned'], 2):g}"
    with (graded["out"] / "moodle.csv").open(encoding="utf-8", newline="") as fh:
        moodle = list(csv.reader(fh))
    titles = [course.bank(lesson).title.split("·", 1)[1].strip() for lesson in LESSONS]
    assert moodle[0][5:] == [f"Kenali {lesson}: {title} (%)" for lesson, title in zip(LESSONS, titles, strict=True)]
    rina = next(r for r in moodle if r[0] == "rina")
    assert rina[4:] == ["100"] * (1 + len(LESSONS))  # percentages: all right is 100, never the point total
    assert float(budi["weighted_percentage"]) == pytest.approx(
        sum(float(budi[f"percentage_{lesson}"]) * w for lesson, w in _weights(kit).items()) / 100, abs=0.1)


def _weights(kit):
    from kenali.grading.weights import lesson_weights

    return {w.lesson: w.weight for w in lesson_weights([kit.course.bank(x) for x in LESSONS], root=kit.root)}


def test_learner_text_cannot_inject_html_or_spreadsheet_formulas(kit, tmp_path):
    subs = tmp_path / "subs"
    name = '=HYPERLINK("http://example.com","<script>alert(1)</script>")'
    evil_text = "<script>alert(2)</script><img src=x onerror=alert(3)>"
    records = [kit.record("1.10", evil_text, "evil")]
    kit.write_zip(subs / "evil-kenali.zip", kit.handin(tmp_path, "evil", name, nb=None, records=records))
    kit.write_zip(subs / "=cmd|' calc'!A0 <img src=x onerror=alert(4)>.zip",
                  kit.handin(tmp_path, "x", nb=None, manifest=False, learner_json=False, records=[]))
    outcome = kit.grade(subs, tmp_path / "out", only=["01"])
    assert outcome.graded == 2
    for page in [*(tmp_path / "out" / "feedback").glob("*.html"), tmp_path / "out" / "summary.html"]:
        text = page.read_text(encoding="utf-8")
        assert "<script" not in text and "<img" not in text, page.name
    feedback = (tmp_path / "out" / "feedback" / "evil.html").read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(2)&lt;/script&gt;" in feedback
    with (tmp_path / "out" / "gradebook.csv").open(encoding="utf-8", newline="") as fh:
        book = {r["entry"]: r for r in csv.DictReader(fh)}
    assert book["evil-kenali.zip"]["name"] == "'" + name
    odd = next(r for entry, r in book.items() if entry != "evil-kenali.zip")
    assert odd["learner_id"].startswith("'=cmd") and odd["entry"].startswith("'=cmd")
    with (tmp_path / "out" / "moodle.csv").open(encoding="utf-8", newline="") as fh:
        moodle = list(csv.reader(fh))
    assert all(not cell.startswith(("=", "+", "@")) for row in moodle for cell in row)


def test_output_folder_inside_the_submissions_folder_and_progress(kit, tmp_path):
    subs = tmp_path / "subs"
    kit.write_zip(subs / "rina-kenali.zip", kit.handin(tmp_path, "rina", nb=None))
    kit.write_zip(subs / "budi-kenali.zip", kit.handin(tmp_path, "budi", nb=None))
    calls = []
    first = kit.grade(subs, subs / "graded", only=["05_lab_data"], progress=lambda *a: calls.append(a))
    assert calls == [(1, 2, 0), (2, 2, 0)]
    calls.clear()
    again = kit.grade(subs, subs / "graded", only=["5"], progress=lambda *a: calls.append(a))
    assert (first.entries, again.entries, again.cached) == (2, 2, 2)  # the reports folder is no entry
    assert calls == [(1, 2, 1), (2, 2, 2)]
    assert [r["learner_id"] for r in again.rows] == ["budi", "rina"]


def test_instructor_mistakes_are_one_clear_error(kit, tmp_path):
    from kenali.grading.pipeline import GradingError

    with pytest.raises(GradingError, match="not a folder"):
        kit.grade(tmp_path / "nowhere", tmp_path / "out")
    (tmp_path / "subs").mkdir()
    with pytest.raises(GradingError, match="unknown lesson '99'"):
        kit.grade(tmp_path / "subs", tmp_path / "out", only=["99"])
    (tmp_path / "file").write_text("x")
    with pytest.raises(GradingError, match="not a folder"):
        kit.grade(tmp_path / "subs", tmp_path / "file")
    empty = kit.grade(tmp_path / "subs", tmp_path / "out")
    assert empty.entries == 0 and (tmp_path / "out" / "summary.html").is_file()
