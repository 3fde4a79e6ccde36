"""Every failure case, graded in one batch: each entry is graded as far as possible and its row says
what went wrong, while the other exercises of the same submission keep their scores."""

from __future__ import annotations

import csv
import re

import pytest

LOOP_ID, CRASH_ID = "5.6", "5.7"


@pytest.fixture(scope="module")
def graded(tmp_path_factory, kit):
    base = tmp_path_factory.mktemp("failures")
    subs, tmp = base / "subs", base / "tmp"
    subs.mkdir()

    def handin(name: str, **kw) -> None:
        kit.write_zip(subs / f"{name}-kenali.zip", kit.handin(tmp, name, name.title(), **kw))

    def solved(**answers: str):
        nb = kit.solved()
        for ex_id, source in answers.items():
            kit.set_answer(nb, ex_id.replace("_", "."), source)
        return nb

    handin("json", nb=b'{"cells": [{"cell_type": "code", "source": "jawaban_5_1 = 178"')
    handin("empty", nb=b"")
    no_cells = kit.solved()
    no_cells.cells = []
    handin("nocells", nb=no_cells)
    handin("missing", nb=None)
    handin("deleted", nb=kit.delete_cell(kit.solved(), "5.3"))
    dup = kit.solved()
    kit.insert_code(dup, kit.index_of(dup, "5.2"), 'jawaban_5_2 = 0\ncek("5.2", jawaban_5_2)')
    handin("dup", nb=dup)
    handin("renamed", nb=solved(
        **{"5_4": 'lunas = pesanan[pesanan["status_bayar"] == "lunas"]\n'
                  'per_kanal = lunas.groupby("kanal_penjualan")["nilai"].sum()\n'
                  'hasil = float(per_kanal["reseller"] / per_kanal.sum() * 100)\ncek("5.4", hasil)',
           "5_1": 'siswa_per_akun = pengguna["id_akun"].value_counts()\nhasil_51 = int((siswa_per_akun > 1).sum())'}))
    other = kit.solved()
    kit.insert_code(other, len(other.cells) - 1, 'jawaban_5_99 = 1\ncek("5.99", jawaban_5_99)', cell_id="ex-5-99")
    handin("otherversion", nb=other, banks={"05_lab_data.yaml": "0" * 64})
    handin("loop", nb=solved(**{LOOP_ID: "while True:\n    pass"}))
    handin("crash", nb=solved(**{CRASH_ID: "import os\nos._exit(1)"}))
    handin("kill", nb=solved(**{CRASH_ID: "import os\nos.kill(os.getpid(), 9)"}))
    handin("oom", nb=solved(**{"5.5": "jawaban_5_5 = bytearray(4 * 1024**3)", "5.9": "jawaban_5_9 = [0] * 10**10"}))
    huge = kit.solved()
    kit.insert_code(huge, kit.index_of(huge, "5.3"), 'print("x" * 50_000_000)')
    handin("huge", nb=huge)
    # identified only by the entry name: a zip without manifest or learner.json, and a bare folder
    no_identity = kit.widget_records(None)
    kit.write_zip(subs / "Ani Ş.zip", kit.handin(tmp, "x", manifest=False, learner_json=False, records=no_identity))
    kit.write_folder(subs / "ブディ", {"05_lab_data.ipynb": kit.nb_bytes(kit.solved())})
    kit.write_zip(subs / "dewi-kenali.zip", kit.handin(tmp, "dewi", "Dewi", created="2025-06-01T10:00:00+00:00"))
    kit.write_zip(subs / "dewi-kenali (1).zip",
                  kit.handin(tmp, "dewi", "Dewi", nb=solved(**{"5.1": "jawaban_5_1 = 0"}),
                             created="2025-06-02T10:00:00+00:00"))
    (subs / "notes.txt").write_text("jawaban saya: 178")
    (subs / "broken.zip").write_bytes(b"PK\x03\x04 this is not a zip at all")
    slip = kit.handin(tmp, "slip", "Slip")
    slip["../evil.txt"] = b"owned"
    slip["../../exercises/05_lab_data.ipynb"] = kit.nb_bytes(kit.blank())
    kit.write_zip(subs / "slip-kenali.zip", slip)
    kit.write_zip(subs / "nomanifest-kenali.zip",
                  kit.handin(tmp, "nomanifest", manifest=False, learner_json=False,
                             records=kit.widget_records("nomanifest")))
    badrec = kit.handin(tmp, "badrec", "Bad Rec")
    badrec["progress/attempts/5.15/00000000000000000001-1-bad.json"] = b'{"exercise": "5.15", "answer": '
    kit.write_zip(subs / "badrec-kenali.zip", badrec)
    (subs / ".DS_Store").write_bytes(b"junk")

    out = base / "out"
    outcome = kit.grade(subs, out)
    return {"outcome": outcome, "out": out, "subs": subs, "base": base}


@pytest.fixture(scope="module")
def rows(graded):
    return {r["learner_id"]: r for r in graded["outcome"].rows}


def _widgets_ok(kit, row):
    kit.assert_correct(row, kit.widget_ids)


def _code_zero(kit, row, message_key: str | None = None):
    from kenali.i18n import t

    for ex_id in kit.code_ids:
        res = row["exercises"][ex_id]
        assert res["status"] == "unanswered" and res["earned"] == 0, ex_id
        if message_key:
            assert t(message_key) in res["messages"]


def test_every_entry_gets_one_row(graded, rows):
    outcome = graded["outcome"]
    assert outcome.entries == 22 and outcome.graded == 22 and outcome.cached == 0  # .DS_Store skipped
    assert len(rows) == 21  # dewi handed in twice
    assert outcome.sandbox_errors == []
    assert {"Ani Ş", "ブディ", "notes.txt", "broken", "dewi"} <= set(rows)


def test_invalid_json_notebook(kit, rows):
    row = rows["json"]
    assert kit.codes(row) == ["notebook_invalid_json"]
    assert row["notes"][0]["file"] == kit.nb_path
    _code_zero(kit, row)
    _widgets_ok(kit, row)
    assert row["total"] == len(kit.widget_ids) and row["status"] == "check"


@pytest.mark.parametrize("learner", ["empty", "nocells"])
def test_empty_notebook(kit, rows, learner):
    row = rows[learner]
    assert kit.codes(row) == ["notebook_empty"]
    _code_zero(kit, row)
    _widgets_ok(kit, row)


def test_missing_notebook(kit, rows):
    row = rows["missing"]
    assert row["notes"] == [{"code": "notebook_missing", "notebook": "05_lab_data", "lesson": "05"}]
    _code_zero(kit, row, "grading.answer.no_notebook")
    _widgets_ok(kit, row)


def test_deleted_answer_cell(kit, rows):
    row = rows["deleted"]
    assert row["notes"] == [{"code": "cell_missing", "id": "5.3"}]
    assert row["exercises"]["5.3"]["status"] == "unanswered"
    kit.assert_correct(row, [i for i in kit.all_ids if i != "5.3"])


def test_duplicated_answer_cells_grade_the_last(kit, rows):
    row = rows["dup"]
    assert row["notes"] == [{"code": "cell_duplicate", "id": "5.2", "n": 2}]
    kit.assert_correct(row, kit.all_ids)


def test_renamed_answer_variables_are_still_graded(kit, rows):
    row = rows["renamed"]
    assert sorted(kit.notes_of(row, "variable_renamed"), key=lambda n: n["id"]) == [
        {"code": "variable_renamed", "id": "5.1", "name": "hasil_51"},
        {"code": "variable_renamed", "id": "5.4", "name": "hasil"},
    ]
    assert len(row["notes"]) == 2
    assert row["exercises"]["5.1"]["via"] == "renamed" and row["exercises"]["5.4"]["via"] == "cek"
    kit.assert_correct(row, kit.all_ids)


def test_notebook_of_another_course_version(kit, rows):
    row = rows["otherversion"]
    assert sorted(kit.codes(row)) == ["bank_changed", "notebook_other_version"]
    assert kit.notes_of(row, "notebook_other_version")[0]["ids"] == "5.99"
    assert kit.notes_of(row, "bank_changed")[0]["bank"] == "05_lab_data.yaml"
    assert "5.99" not in row["exercises"]
    kit.assert_correct(row, kit.all_ids)  # scored against the instructor's bank


def test_endless_loop_times_out_one_exercise(kit, rows):
    from kenali.i18n import t

    row = rows["loop"]
    assert row["notes"] == [{"code": "cell_timeout", "id": LOOP_ID, "seconds": 1}]
    res = row["exercises"][LOOP_ID]
    assert res["status"] == "wrong" and res["earned"] == 0
    assert t("grading.answer.timeout", seconds="1") in res["messages"]
    before = kit.code_ids[: kit.code_ids.index(LOOP_ID)]
    after = kit.code_ids[kit.code_ids.index(LOOP_ID) + 1:]
    assert before and after
    kit.assert_correct(row, before + after + kit.widget_ids)


@pytest.mark.parametrize(("learner", "reason"), [("crash", "exit status 1"), ("kill", "killed by SIGKILL")])
def test_crash_keeps_earlier_answers(kit, rows, learner, reason):
    from kenali.i18n import t

    row = rows[learner]
    position = kit.code_ids.index(CRASH_ID)
    lost = kit.code_ids[position:]
    (crashed,) = row["notes"]
    assert crashed["code"] == "crashed" and crashed["reason"].startswith(reason)
    assert crashed["ids"] == ", ".join(lost)
    kit.assert_correct(row, kit.code_ids[:position] + kit.widget_ids)
    for ex_id in lost:
        assert row["exercises"][ex_id]["status"] == "unanswered"
        assert t("grading.answer.not_run") in row["exercises"][ex_id]["messages"]
    assert row["total"] == position + len(kit.widget_ids)


def test_out_of_memory(kit, rows):
    from kenali.i18n import t

    row = rows["oom"]
    assert row["notes"] == [{"code": "memory", "id": "5.5", "mb": 256}, {"code": "memory", "id": "5.9", "mb": 256}]
    for ex_id in ("5.5", "5.9"):
        assert row["exercises"][ex_id]["status"] == "wrong"
        assert t("grading.answer.memory") in row["exercises"][ex_id]["messages"]
    kit.assert_correct(row, [i for i in kit.all_ids if i not in {"5.5", "5.9"}])


def test_huge_output_is_capped_and_noted(kit, rows):
    row = rows["huge"]
    (capped,) = row["notes"]
    assert capped["code"] == "output_truncated" and capped["size"] == "50,000,001 characters"
    kit.assert_correct(row, kit.all_ids)


def test_entry_names_with_spaces_and_non_latin_letters(kit, graded, rows):
    out = graded["out"]
    for learner, entry in (("Ani Ş", "Ani Ş.zip"), ("ブディ", "ブディ")):
        row = rows[learner]
        assert row["entry"] == entry
        assert re.fullmatch(r"[A-Za-z0-9._-]+", row["file"]), row["file"]
        assert (out / "feedback" / f"{row['file']}.html").is_file()
        (unsafe,) = kit.notes_of(row, "name_unsafe")
        assert unsafe["file"] == f"feedback/{row['file']}.html"
        assert row["status"] == "check"
    assert rows["Ani Ş"]["file"].startswith("Ani_S-")
    assert kit.codes(rows["Ani Ş"]) == ["manifest_missing", "name_unsafe"]
    kit.assert_correct(rows["Ani Ş"], kit.all_ids)
    kit.assert_correct(rows["ブディ"], kit.code_ids)
    with (out / "gradebook.csv").open(encoding="utf-8") as fh:
        assert {"Ani Ş", "ブディ"} <= {r["learner_id"] for r in csv.DictReader(fh)}


def test_two_entries_for_one_learner(kit, rows):
    row = rows["dewi"]
    (dup,) = kit.notes_of(row, "duplicate_entry")
    assert dup["n"] == 2 and dup["used"] == "dewi-kenali (1).zip"  # the newer hand-in counts
    assert dup["others"] == "dewi-kenali.zip (19/19)" and dup["used_score"] == "18/19"
    assert row["entry"] == "dewi-kenali (1).zip" and row["total"] == 18 and row["status"] == "check"


def test_not_a_hand_in(kit, rows):
    row = rows["notes.txt"]
    assert row["notes"] == [{"code": "not_handin", "entry": "notes.txt"}]
    assert row["status"] == "failed" and row["total"] == 0 and row["fatal"]
    assert set(row["exercises"]) == set(kit.all_ids)  # a full row, every exercise unanswered


def test_corrupt_zip(rows):
    row = rows["broken"]
    assert [n["code"] for n in row["notes"]] == ["bad_zip"]
    assert row["status"] == "failed" and row["total"] == 0


def test_zip_with_parent_paths(kit, graded, rows):
    row = rows["slip"]
    assert row["notes"] == [{"code": "unsafe_path", "n": 2}]
    kit.assert_correct(row, kit.all_ids)  # the learner's real notebook, not the blank one smuggled in
    base = graded["base"]
    assert not list(base.rglob("evil.txt")) and not (base.parent / "evil.txt").exists()


def test_hand_in_without_manifest(kit, rows):
    row = rows["nomanifest"]
    assert row["notes"] == [{"code": "manifest_missing"}]
    assert row["name"] == ""
    kit.assert_correct(row, kit.all_ids)


def test_invalid_answer_record(kit, rows):
    row = rows["badrec"]
    assert row["notes"] == [{"code": "records_invalid", "n": 1}]
    kit.assert_correct(row, kit.all_ids)  # the readable record of 5.15 still counts


def test_no_problem_goes_unreported(rows):
    """Every entry of this batch has a problem: each row must say so (status "check" or "failed")."""
    for row in rows.values():
        assert row["notes"] and row["status"] in {"check", "failed"}, row["learner_id"]


def test_gradebook_rows_say_what_went_wrong(graded, rows):
    with (graded["out"] / "gradebook.csv").open(encoding="utf-8") as fh:
        book = {r["learner_id"]: r for r in csv.DictReader(fh)}
    assert set(book) == set(rows)
    assert "stopped after 1 s" in book["loop"]["notes"]
    assert "not valid JSON" in book["json"]["notes"]
    assert "neither a hand-in" in book["notes.txt"]["notes"] and book["notes.txt"]["status"] == "failed"
    assert "2 entries for this learner" in book["dewi"]["notes"]
    assert book["crash"]["total"] == "12" and book["loop"]["5.6"] == "0" and book["loop"]["5.7"] == "1"
