"""The instructor's files (gradebook, Moodle CSV, feedback, class summary) and idempotent re-grading.

A small class is graded once per module: ``ani`` gets everything right, ``budi`` and ``citra``
make the same mistakes in 5.1 and 5.14 (so those are the most common wrong answers), ``citra``
also leaves 5.2 blank and renames a variable, and ``zed.txt`` is not a hand-in at all.
"""

from __future__ import annotations

import csv
import html
import shutil

import pytest

from kenali.grading import report

WRONG_5_1 = 'jawaban_5_1 = 100\ncek("5.1", jawaban_5_1)'


def _snapshot(out) -> dict[str, bytes]:
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*"))
            if p.is_file() and ".cache" not in p.relative_to(out).parts}


NEW_WIDGETS = ["5.16", "5.17", "5.18", "5.19"]  # the "Apa artinya?" decisions: everyone answers them right


def _build_class(kit, subs, tmp, budi_5_1: str = WRONG_5_1) -> None:
    kit.write_zip(subs / "ani-kenali.zip", kit.handin(tmp, "ani", "Ani Lestari"))
    budi = kit.solved()
    kit.set_answer(budi, "5.1", budi_5_1)
    kit.set_answer(budi, "5.4", 'jawaban_5_4 = 21.0\ncek("5.4", jawaban_5_4)')
    kit.write_zip(subs / "budi-kenali.zip", kit.handin(tmp, "budi", "Budi Santoso", nb=budi, records=[
        kit.record("5.14", "c", "budi", ts=1_750_000_000.0),
        kit.record("5.14", "a", "budi", ts=1_750_000_500.0, attempt=2),
        kit.record("5.15", "b", "budi", ts=1_750_000_600.0),
        *kit.widget_records("budi", ts=1_750_000_700.0, ids=NEW_WIDGETS),
    ]))
    citra = kit.solved()
    kit.set_answer(citra, "5.1", WRONG_5_1)
    kit.set_answer(citra, "5.2", kit.cell(kit.blank(), "5.2").source)
    kit.set_answer(citra, "5.3", 'lunas = pesanan[pesanan["status_bayar"] == "lunas"]\n'
                                 'hasil_3 = lunas.merge(akun, on="id_akun").groupby("segmen")["nilai"].sum()\n'
                                 'cek("5.3", hasil_3)')
    kit.write_folder(subs / "citra", kit.handin(tmp, "citra", "Citra Dewi Ayu", nb=citra, manifest=False, records=[
        kit.record("5.14", "a", "citra", ts=1_750_000_000.0), kit.record("5.15", "b", "citra", ts=1_750_000_100.0),
        *kit.widget_records("citra", ts=1_750_000_200.0, ids=NEW_WIDGETS)]))
    (subs / "zed.txt").write_text("no hand-in")


@pytest.fixture(scope="module")
def graded(tmp_path_factory, kit):
    base = tmp_path_factory.mktemp("reports")
    subs = base / "subs"
    subs.mkdir()
    _build_class(kit, subs, base / "tmp")
    out = base / "out"
    outcome = kit.grade(subs, out)
    return {"base": base, "subs": subs, "out": out, "outcome": outcome, "files": _snapshot(out)}


@pytest.fixture(scope="module")
def book(graded):
    with (graded["out"] / "gradebook.csv").open(encoding="utf-8", newline="") as fh:
        return list(csv.reader(fh))


def _by_id(book):
    header = book[0]
    return {r[0]: dict(zip(header, r, strict=True)) for r in book[1:]}


# -- gradebook.csv, moodle.csv ---------------------------------------------------------------------

def test_report_files(graded):
    assert sorted(graded["files"]) == ["attempts.csv", "feedback/ani.html", "feedback/budi.html", "feedback/citra.html",
                                       "feedback/zed.txt.html", "gradebook.csv", "moodle.csv", "moodle_unmatched.csv",
                                       "similarity.csv", "summary.html"]
    assert sorted(p.name for p in graded["outcome"].files) == sorted(p.split("/")[-1] for p in graded["files"])


def test_gradebook_columns(kit, book):
    assert book[0] == ["learner_id", "name", *kit.all_ids, "total", "maximum", "percentage", "status", "notes",
                       "entry", "weighted_percentage", "percentage_05"]
    assert [r[0] for r in book[1:]] == ["ani", "budi", "citra", "zed.txt"]
    assert all(len(r) == len(book[0]) for r in book)


def test_gradebook_values(kit, book):
    rows = _by_id(book)
    ani = rows["ani"]
    assert (ani["name"], ani["total"], ani["maximum"], ani["percentage"], ani["status"], ani["notes"],
            ani["entry"]) == ("Ani Lestari", "19", "19", "100.0", "ok", "", "ani-kenali.zip")
    assert all(ani[i] == "1" for i in kit.all_ids)
    budi = rows["budi"]
    assert {i: budi[i] for i in kit.all_ids if budi[i] != "1"} == {"5.1": "0", "5.4": "0", "5.14": "0"}
    assert (budi["total"], budi["percentage"], budi["status"]) == ("16", "84.2", "ok")
    citra = rows["citra"]
    assert {i: citra[i] for i in kit.all_ids if citra[i] != "1"} == {"5.1": "0", "5.2": "0", "5.14": "0"}
    assert (citra["total"], citra["status"], citra["entry"]) == ("16", "check", "citra")
    assert citra["notes"] == "exercise 5.3: answer variable renamed to hasil_3"
    zed = rows["zed.txt"]
    assert (zed["total"], zed["percentage"], zed["status"]) == ("0", "0.0", "failed")
    assert "neither a hand-in" in zed["notes"]


def test_moodle_csv(graded):
    with (graded["out"] / "moodle.csv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    # percentages (16 of 19 points: 84.21 %); one lesson graded, so the weighted grade is that lesson's;
    # zed.txt has no grade at all and is left out (it would erase a grade in Moodle), listed beside it
    assert rows == [
        ["ID number", "Username", "First name", "Last name", "Kenali: nilai akhir berbobot (%)",
         "Kenali 05: Lab data: peran dalam data (%)"],
        ["ani", "ani", "Ani", "Lestari", "100", "100"],
        ["budi", "budi", "Budi", "Santoso", "84.21", "84.21"],
        ["citra", "citra", "Citra", "Dewi Ayu", "84.21", "84.21"],
    ]
    with (graded["out"] / "moodle_unmatched.csv").open(encoding="utf-8", newline="") as fh:
        assert [r[:2] for r in csv.reader(fh)][1:] == [["learner", "zed.txt"]]


# -- feedback -------------------------------------------------------------------------------------

def test_feedback_holds_answers_results_and_explanations(kit, graded):
    from kenali.i18n import t

    page = (graded["out"] / "feedback" / "budi.html").read_text(encoding="utf-8")
    course = kit.course
    assert html.escape(t("grading.learner_line", name="Budi Santoso", id="budi")) in page
    # Indonesian decimal comma
    assert html.escape(t("grading.total", earned="16", maximum="19", percent="84,2%")) in page
    for ex_id, status, score in (("5.1", "wrong", "0"), ("5.2", "correct", "1"), ("5.14", "wrong", "0")):
        ex = course.exercise(ex_id)
        line = t("status_line_scored", kind=ex.kind_label, id=ex_id, status=t(f"status.{status}"), score=score,
                 points="1")
        assert f"<p class='status {status}'>{html.escape(line)}</p>" in page
        explanation = report.md_inline(ex.render(ex.explanation, ex.variant("budi") if ex.pools else None))
        assert explanation in page, ex_id
    assert "<code>100</code>" in page  # budi's value for 5.1
    assert html.escape(course.exercise("5.14").describe("a")) in page  # the last recorded answer, not the first
    assert html.escape(course.exercise("5.14").describe("c")) not in page
    assert html.escape(t("grading.attempts", n=2)) in page
    assert html.escape('jawaban_5_4 = 21.0') in page  # the learner's code
    assert "<b>" in page and "**" not in report.md_inline("**customer**")


def test_feedback_shows_tables_and_notes_in_the_course_language(kit, graded):
    from kenali.grading.notes import learner_text

    page = (graded["out"] / "feedback" / "citra.html").read_text(encoding="utf-8")
    note = {"code": "variable_renamed", "id": "5.3", "name": "hasil_3"}
    assert html.escape(learner_text(note)) in page
    assert "<table><tr><th class='l'></th><th>nilai</th></tr><tr><th class='l'>B2B</th>" in page  # 5.3's Series
    assert page.count("<div class='ex'>") == len(kit.all_ids)
    failed = (graded["out"] / "feedback" / "zed.txt.html").read_text(encoding="utf-8")
    assert html.escape(learner_text({"code": "not_handin", "entry": "zed.txt"})) in failed


# -- summary --------------------------------------------------------------------------------------

def test_summary_contents(kit, graded):
    page = (graded["out"] / "summary.html").read_text(encoding="utf-8")
    assert "4 learner(s), 3 graded; mean 89.5%, median 84.2%" in page
    assert "Status: 2 ok, 1 to check, 1 failed." in page
    # the score distribution: 84.2, 84.2 and 100 percent
    dist = page[page.index("<h2>Score distribution</h2>"):page.index("<h2>Exercises</h2>")]
    assert "<svg" in dist and "<title>80–90: 2</title>" in dist and "<title>90–100: 1</title>" in dist
    assert "<title>0–10: 0</title>" in dist
    # share correct per exercise (chart and table) and the most common wrong answer
    assert "<title>5.1: 33.3</title>" in page and "<title>5.3: 100</title>" in page
    row_5_1 = page[page.index("<tr><td class='l'>5.1</td>"):]
    row_5_1 = row_5_1[:row_5_1.index("</tr>")]
    assert "<td>3/3</td><td>33.3%</td><td>33.3%</td>" in row_5_1
    assert "100 <span class='muted'>(2×)</span>" in row_5_1
    row_5_2 = page[page.index("<tr><td class='l'>5.2</td>"):]
    assert row_5_2[:row_5_2.index("</tr>")].endswith("<td>2/3</td><td>66.7%</td><td>66.7%</td><td class='l'>—</td>")
    row_5_14 = page[page.index("<tr><td class='l'>5.14</td>"):]
    choice_a = html.escape(kit.course.exercise("5.14").describe("a"))
    assert f"{choice_a} <span class='muted'>(2×)</span>" in row_5_14[:row_5_14.index("</tr>")]
    # mastery per concept, computed here from the gradebook's own numbers
    rows = [r for r in graded["outcome"].rows if not r["fatal"]]
    bank = kit.bank
    for cid in sorted({c for ex in bank.graded for c in ex.concepts}):
        exs = [ex for ex in bank.graded if cid in ex.concepts]
        earned = sum(r["exercises"][ex.id]["earned"] for r in rows for ex in exs)
        points = sum(ex.points for _ in rows for ex in exs)
        assert f"<tr><td class='l'>{cid}</td>" in page
        concept_row = page[page.index(f"<tr><td class='l'>{cid}</td>"):]
        assert concept_row[:concept_row.index("</tr>")].endswith(f"<td>{100 * earned / points:.1f}%</td>"), cid
    assert "<h2>Mastery per syllabus concept</h2>" in page
    # problems
    assert "<td class='l'>variable_renamed</td><td>1</td>" in page and "<td class='l'>not_handin</td><td>1</td>" in page


# -- analytics on hand-made rows -----------------------------------------------------------------

def _res(status: str, score: float, points: float = 1.0, key: str = "", text: str = "") -> dict:
    return {"status": status, "score": score, "earned": score * points, "answer_key": key, "answer_text": text}


def _row(learner: str, results: dict, *, fatal: bool = False, notes: list | None = None, maximum: float = 2.0):
    total = sum(r["earned"] for r in results.values())
    return {"learner_id": learner, "fatal": fatal, "notes": notes or [], "total": total, "maximum": maximum,
            "status": "failed" if fatal else ("check" if notes else "ok"), "exercises": results}


def test_analytics_numbers(kit):
    course = kit.course
    exercises = [course.exercise("5.1"), course.exercise("5.14")]
    rows = [
        _row("a", {"5.1": _res("correct", 1), "5.14": _res("correct", 1)}),
        _row("b", {"5.1": _res("wrong", 0, key="k7", text="7"), "5.14": _res("wrong", 0, key="ka", text="a. x")}),
        _row("c", {"5.1": _res("wrong", 0, key="k7", text="7"), "5.14": _res("unanswered", 0)},
             notes=[{"code": "cell_timeout"}, {"code": "memory"}]),
        _row("d", {"5.1": _res("wrong", 0, key="k9", text="9"), "5.14": _res("correct", 1)},
             notes=[{"code": "memory"}]),
        _row("e", {"5.1": _res("unanswered", 0), "5.14": _res("unanswered", 0)}, fatal=True,
             notes=[{"code": "bad_zip"}]),
    ]
    a = report.analytics(rows, course, exercises)
    assert (a["learners"], a["graded"]) == (5, 4)
    assert a["percents"] == [100.0, 0.0, 0.0, 50.0]
    assert (a["mean"], a["median"]) == (37.5, 25.0)
    assert a["status"] == {"ok": 2, "check": 2, "failed": 1}
    e51, e514 = a["exercises"]
    assert (e51["learners"], e51["answered"], e51["correct"], e51["correct_share"], e51["mean_score"]) == \
        (4, 4, 1, 25.0, 25.0)
    assert (e51["common_wrong"], e51["common_wrong_count"]) == ("7", 2)
    assert (e514["answered"], e514["correct"], e514["correct_share"]) == (3, 2, 50.0)
    assert (e514["common_wrong"], e514["common_wrong_count"]) == ("a. x", 1)
    concepts = {c["id"]: c["mastery"] for c in a["concepts"]}
    # 5.1: eu.vs-customer, kl.customer-pembayar; 5.14: eu.metrik (of the four graded rows)
    assert concepts == {"eu.vs-customer": 25.0, "kl.customer-pembayar": 25.0, "eu.metrik": 50.0}
    titles = {c.id: c.title for c in course.concepts}
    assert {c["id"]: c["title"] for c in a["concepts"]} == {k: titles[k] for k in concepts}
    assert list(a["notes"].items()) == [("memory", 2), ("bad_zip", 1), ("cell_timeout", 1)]


def test_analytics_of_no_rows(kit):
    a = report.analytics([], kit.course, [kit.course.exercise("5.1")])
    assert (a["learners"], a["graded"], a["mean"], a["median"]) == (0, 0, 0.0, 0.0)
    assert a["exercises"][0]["correct_share"] == 0.0 and a["exercises"][0]["common_wrong"] == ""


def test_merge_keeps_the_newest_entry_per_learner():
    def res(entry, learner, created, total, fatal=False):
        return {"entry": entry, "learner_id": learner, "created": created, "total": total, "maximum": 10,
                "fatal": fatal, "notes": [], "status": "failed" if fatal else "ok", "exercises": {}}

    rows = report.merge([res("b2.zip", "Budi", "2025-06-02", 3), res("b1.zip", "budi", "2025-06-01", 9),
                         res("a.zip", "ani", "", 5), res("a-broken.zip", "ani", "", 0, fatal=True)])
    assert [(r["learner_id"], r["entry"], r["status"]) for r in rows] == [("ani", "a.zip", "check"),
                                                                          ("Budi", "b2.zip", "check")]
    note = rows[1]["notes"][-1]
    assert note["code"] == "duplicate_entry" and note["others"] == "b1.zip (9/10)" and note["used_score"] == "3/10"


@pytest.mark.parametrize(("learner", "pattern"), [
    ("rina", "rina"), ("rina.w-2", "rina.w-2"), ("Ani Ş", r"Ani_S-[0-9a-f]{8}"), ("ブディ", r"peserta-[0-9a-f]{8}"),
    ("../../x", r"x-[0-9a-f]{8}"), ("", r"peserta-[0-9a-f]{8}"),
])
def test_safe_name(learner, pattern):
    import re

    assert re.fullmatch(pattern, report.safe_name(learner))
    assert report.safe_name(learner) == report.safe_name(learner)


def test_num():
    assert [report.num(x) for x in (0, 1.0, 12.5, 1 / 3, 2.999)] == ["0", "1", "12.5", "0.33", "3"]


# -- idempotence ----------------------------------------------------------------------------------

def test_regrading_the_same_folder_is_cached_and_byte_identical(kit, graded):
    again = kit.grade(graded["subs"], graded["out"])
    assert (again.entries, again.cached, again.graded) == (4, 4, 0)
    assert _snapshot(graded["out"]) == graded["files"]
    assert again.rows == graded["outcome"].rows


def test_regrading_without_cache_gives_the_same_bytes(kit, graded, tmp_path):
    fresh = kit.grade(graded["subs"], tmp_path / "out", use_cache=False, workers=1)
    assert (fresh.cached, fresh.graded) == (0, 4)
    assert _snapshot(tmp_path / "out") == graded["files"]


def test_only_the_changed_submission_is_regraded(kit, graded, tmp_path):
    subs, out = tmp_path / "subs", tmp_path / "out"
    shutil.copytree(graded["subs"], subs)
    shutil.copytree(graded["out"], out)
    budi = kit.solved()
    kit.set_answer(budi, "5.4", 'jawaban_5_4 = 21.0\ncek("5.4", jawaban_5_4)')
    kit.write_zip(subs / "budi-kenali.zip", kit.handin(tmp_path, "budi", "Budi Santoso", nb=budi))
    outcome = kit.grade(subs, out, workers=1)  # the cache does not depend on the number of workers
    assert (outcome.entries, outcome.graded, outcome.cached) == (4, 1, 3)
    files = _snapshot(out)
    changed = sorted(name for name in files if files[name] != graded["files"][name])
    # budi's new 5.1 is the published solution's: similarity.csv lists him with the others who hand it in
    assert changed == ["attempts.csv", "feedback/budi.html", "gradebook.csv", "moodle.csv", "similarity.csv",
                       "summary.html"]
    old, new = graded["files"]["gradebook.csv"].splitlines(), files["gradebook.csv"].splitlines()
    assert [i for i, (a, b) in enumerate(zip(old, new, strict=True)) if a != b] == [2]  # budi's line only
    assert _by_id(list(csv.reader(files["gradebook.csv"].decode().splitlines())))["budi"]["total"] == "18"
    assert len(list((out / ".cache").glob("*.json"))) == 4  # the old result of budi is pruned


def test_a_learner_who_left_loses_the_feedback_file(kit, graded, tmp_path):
    subs, out = tmp_path / "subs", tmp_path / "out"
    shutil.copytree(graded["subs"], subs)
    shutil.copytree(graded["out"], out)
    (subs / "zed.txt").unlink()
    outcome = kit.grade(subs, out)
    assert (outcome.graded, outcome.cached) == (0, 3)
    assert not (out / "feedback" / "zed.txt.html").exists() and (out / "feedback" / "ani.html").exists()
