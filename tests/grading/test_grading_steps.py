"""Each grading step alone, without the sandbox: discover, load, extract, score, cache, notes."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import zipfile
from pathlib import Path

import pytest

from kenali.grading import cache, discover, extract, load, notes, score
from kenali.grading.run import Limits, RunResult
from kenali.values import to_plain


def _parse(path: Path):
    entry = next(e for e in discover.discover(path.parent) if e.path == path)
    return load.parse(entry, load.read_entry(entry))


def _plan(kit, sub):
    bank = kit.bank
    return extract.plan(sub, kit.course, [bank], cache.bank_hashes([bank]))


# -- discover -------------------------------------------------------------------------------------

def test_discover_kinds_and_skips_hidden_files(tmp_path, kit):
    folder = tmp_path / "subs"
    folder.mkdir()
    kit.write_zip(folder / "rina-kenali.zip", {"a.txt": b"a"})
    (folder / "budi-handin").write_bytes(kit.zip_bytes({"a.txt": b"a"}))  # a zip without the suffix
    (folder / "dewi.ipynb").write_bytes(kit.nb_bytes(kit.blank()))
    (folder / "Eko").mkdir()
    (folder / "notes.txt").write_text("hello")
    for junk in (".DS_Store", ".hidden.zip", "~$lock.docx", "Thumbs.db", "desktop.ini"):
        (folder / junk).write_bytes(b"PK\x03\x04")
    (folder / "__MACOSX").mkdir()
    (folder / "graded").mkdir()

    entries = discover.discover(folder, exclude=[folder / "graded"])
    assert [(e.name, e.kind) for e in entries] == [
        ("budi-handin", "zip"), ("dewi.ipynb", "notebook"), ("Eko", "folder"), ("notes.txt", "other"),
        ("rina-kenali.zip", "zip"),
    ]
    assert all(e.path.parent == folder for e in entries)


def test_discover_undecodable_file_name_becomes_valid_unicode(tmp_path):
    raw = os.fsencode(tmp_path) + b"/caf\xe9-kenali.zip"
    with open(raw, "wb") as fh:
        fh.write(b"not a zip")
    (entry,) = discover.discover(tmp_path)
    assert entry.name == "caf\ufffd-kenali.zip"
    entry.name.encode("utf-8")  # no lone surrogates: can be written to any report
    assert entry.kind == "zip"


# -- load -----------------------------------------------------------------------------------------

@pytest.mark.parametrize(("name", "learner"), [
    ("rina-kenali (1).zip", "rina"),
    ("rina-kenali.zip", "rina"),
    ("budi_kenali (12).zip", "budi"),
    ("dewi.kenali.zip", "dewi"),
    ("eko.ipynb", "eko"),
    ("Ani Ş.zip", "Ani Ş"),
    ("ブディ", "ブディ"),
])
def test_learner_from_name(name, learner):
    assert load.learner_from_name(name) == learner


def test_identity_from_manifest(tmp_path, kit):
    files = kit.handin(tmp_path, "rina", "Rina Wati", created="2025-06-03T08:00:00+00:00")
    sub = _parse(kit.write_zip(tmp_path / "subs" / "rina-kenali (3).zip", files))
    assert (sub.learner_id, sub.name, sub.created) == ("rina", "Rina Wati", "2025-06-03T08:00:00+00:00")
    assert sub.kind == "zip" and not sub.fatal and sub.notes == [] and sub.identity_ok
    other = _parse(kit.write_zip(tmp_path / "subs" / "whatever (3).zip", files))  # the name says someone else
    assert other.learner_id == "rina" and not other.identity_ok
    assert other.notes == [{"code": "identity_mismatch", "id": "rina", "entry": "whatever (3).zip",
                            "named": "whatever"}]
    assert [nb.path for nb in sub.notebooks] == [kit.nb_path]
    assert sorted(r["exercise"] for r in sub.records) == sorted(kit.widget_ids)
    assert all(r["_file"].startswith("progress/attempts/") for r in sub.records)


def test_identity_from_learner_json_without_manifest(tmp_path, kit):
    files = kit.handin(tmp_path, "budi", "Budi Santoso", manifest=False)
    assert "progress/learner.json" in files and "manifest.json" not in files
    sub = _parse(kit.write_zip(tmp_path / "subs" / "download-42.zip", files))
    assert (sub.learner_id, sub.name) == ("budi", "Budi Santoso")
    assert sub.manifest is None


def test_identity_from_file_name(tmp_path, kit):
    files = kit.handin(tmp_path, "x", manifest=False, learner_json=False)
    sub = _parse(kit.write_zip(tmp_path / "subs" / "rina-kenali (1).zip", files))
    assert sub.learner_id == "rina"
    assert [n["code"] for n in sub.notes] == ["manifest_missing"]


def test_identity_of_folder_and_loose_notebook(tmp_path, kit):
    folder = kit.write_folder(tmp_path / "subs" / "sari", kit.handin(tmp_path, "sari.w", "Sari W", manifest=False))
    (tmp_path / "subs" / "eko.ipynb").write_bytes(kit.nb_bytes(kit.solved()))
    sub = _parse(folder)
    assert (sub.kind, sub.learner_id, sub.name) == ("folder", "sari.w", "Sari W")
    loose = _parse(tmp_path / "subs" / "eko.ipynb")
    assert (loose.kind, loose.learner_id) == ("notebook", "eko")
    assert [nb.path for nb in loose.notebooks] == ["eko.ipynb"] and loose.records == []


def test_lms_download_folder_holding_one_handin_is_graded_as_that_zip(tmp_path, kit):
    """Moodle's "download all submissions" gives one folder per learner with their file inside."""
    folder = tmp_path / "subs" / "Rina Wati_1234_assignsubmission_file_"
    kit.write_zip(folder / "rina-kenali.zip", kit.handin(tmp_path, "rina", "Rina Wati"))
    sub = _parse(folder)
    assert (sub.kind, sub.learner_id, sub.name) == ("folder", "rina", "Rina Wati")
    assert [nb.path for nb in sub.notebooks] == ["exercises/05_lab_data.ipynb"]
    assert sub.records and not any(n["code"] == "empty_entry" for n in sub.notes)


def test_invalid_learner_id_and_manifest(tmp_path, kit):
    sub = _parse(kit.write_zip(tmp_path / "s" / "rina-kenali.zip",
                               kit.handin(tmp_path, "rina", learner={"id": "../../etc passwd", "name": "R"})))
    assert sub.learner_id == "rina"
    assert [n["code"] for n in sub.notes] == ["learner_id_invalid"]
    files = kit.handin(tmp_path, "rina", learner_json=False)
    files["manifest.json"] = b'{"learner": '
    sub = _parse(kit.write_zip(tmp_path / "s" / "dewi-kenali.zip", files))
    assert sub.learner_id == "dewi" and sub.manifest is None
    assert [n["code"] for n in sub.notes] == ["manifest_invalid"]


def test_zip_with_unsafe_paths_keeps_only_safe_members(tmp_path, kit):
    files = kit.handin(tmp_path, "rina")
    files.update({"../evil.txt": b"x", "/etc/evil": b"x", "C:/evil": b"x", "a/../../evil": b"x",
                  "__MACOSX/._manifest.json": b"junk",
                  "exercises/.ipynb_checkpoints/05_lab_data-checkpoint.ipynb": b"{"})
    path = kit.write_zip(tmp_path / "subs" / "rina-kenali.zip", files)
    loaded = load.read_entry(discover.discover(path.parent)[0])
    assert not any("evil" in name or "MACOSX" in name or "checkpoint" in name for name in loaded.files)
    assert kit.nb_path in loaded.files
    assert loaded.notes == [{"code": "unsafe_path", "n": 4}]
    assert not (tmp_path / "evil.txt").exists() and not (tmp_path / "subs" / "evil.txt").exists()


def test_bad_entries_are_fatal_with_a_note(tmp_path):
    (tmp_path / "broken.zip").write_bytes(b"PK\x03\x04 truncated")
    (tmp_path / "notes.txt").write_text("my answers: 42")
    subs = {s.entry: s for s in (_parse(tmp_path / "broken.zip"), _parse(tmp_path / "notes.txt"))}
    assert subs["broken.zip"].fatal and subs["broken.zip"].notes[0]["code"] == "bad_zip"
    assert subs["notes.txt"].fatal and subs["notes.txt"].notes == [{"code": "not_handin", "entry": "notes.txt"}]


def test_digest_follows_content_and_name(tmp_path, kit):
    files = kit.handin(tmp_path, "rina")
    a = kit.write_zip(tmp_path / "a" / "rina-kenali.zip", files)
    b = kit.write_zip(tmp_path / "b" / "rina-kenali.zip", files)
    c = kit.write_zip(tmp_path / "c" / "rina2-kenali.zip", files)
    digests = [load.read_entry(discover.discover(p.parent)[0]).digest for p in (a, b, c)]
    assert digests[0] == digests[1] != digests[2]
    folder = kit.write_folder(tmp_path / "d" / "rina", files)
    before = load.read_entry(discover.discover(folder.parent)[0]).digest
    (folder / kit.nb_path).write_bytes(kit.nb_bytes(kit.blank()))
    assert load.read_entry(discover.discover(folder.parent)[0]).digest != before


def test_parse_notebook_problems():
    assert load.parse_notebook("a.ipynb", b"").error == "empty"
    assert load.parse_notebook("a.ipynb", b"{\"cells\": [").error.startswith("json: ")
    assert load.parse_notebook("a.ipynb", b"[1, 2]").error == "notebook: no nbformat version"
    assert load.parse_notebook("a.ipynb", b'{"nbformat": 4, "cells": {}}').error == "notebook: no cell list"
    assert load.parse_notebook("a.ipynb", b'{"nbformat": 4, "nbformat_minor": 5, "cells": []}').error == "empty"
    bad = load.parse_notebook("a.ipynb", b'{"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [7]}')
    assert bad.error is None  # the JSON is fine; the cells are checked when first needed
    assert bad.nb is None
    assert bad.error.startswith("notebook: ")


def test_parse_notebook_converts_lazily(kit):
    nbf = load.parse_notebook("x.ipynb", kit.nb_bytes(kit.solved()))
    assert nbf.error is None and nbf.metadata["kenali"]["bank"] == "05_lab_data.yaml"
    assert nbf._nb is None  # not converted until the cells are needed
    assert nbf.nb.nbformat == 4 and len(nbf.nb.cells) == len(kit.solved().cells)
    assert nbf.sha256 == hashlib.sha256(kit.nb_bytes(kit.solved())).hexdigest()


def test_records_invalid_and_temporary_files(tmp_path, kit):
    files = kit.handin(tmp_path, "rina")
    files["progress/attempts/5.15/0001-bad.json"] = b"{not json"
    files["progress/attempts/5.15/0002-list.json"] = b"[1, 2]"
    files["progress/attempts/5.15/0003-noid.json"] = json.dumps({"answer": "b"}).encode()
    files["progress/attempts/5.14/.tmp-0004.json"] = b"{half a rec"
    sub = _parse(kit.write_zip(tmp_path / "subs" / "rina-kenali.zip", files))
    assert sub.notes == [{"code": "records_invalid", "n": 3}]
    assert sorted(r["exercise"] for r in sub.records) == sorted(kit.widget_ids)


# -- extract --------------------------------------------------------------------------------------

def test_analyze_finds_cek_calls_and_assignments():
    info = extract.analyze('a, (b, *c) = 1, (2, 3)\njawaban_5_1 = a\nkenali.cek("5.1", jawaban_5_1)\n'
                           'def f():\n    hidden = 1\n    cek("5.9", hidden)\n'
                           'x += 1\ncek(exercise_id="5.2", jawaban=y)')
    assert info.error is None
    assert info.cek == [("5.1", "jawaban_5_1"), ("5.2", "y")]
    assert info.assigns == ["a", "b", "c", "jawaban_5_1", "x"]
    assert extract.analyze('%time jawaban_5_3 = 3\n!ls\ncek("5.3", jawaban_5_3 + 1)').cek == [("5.3", None)]
    assert extract.analyze("jawaban_5_1 = (").error.startswith("SyntaxError")
    assert extract.analyze("x" * (extract.MAX_CELL_CHARS + 1)).error.startswith("cell too long")


def test_plan_maps_each_exercise_to_its_answer_cell(tmp_path, kit):
    nb = kit.solved()
    sub = _parse(kit.write_zip(tmp_path / "s" / "rina-kenali.zip", kit.handin(tmp_path, "rina", nb=nb)))
    plan = _plan(kit, sub)
    assert plan.notes == []
    (job,) = plan.jobs
    code_cells = [c for c in nb.cells if c.cell_type == "code"]
    assert job.cells == [c.source for c in code_cells]
    assert job.skip == [c.get("id") == "setup" for c in code_cells]  # the setup cell is pre-warmed
    targets = {t["id"]: t for t in job.targets}
    assert sorted(targets, key=lambda i: int(i.split(".")[1])) == kit.code_ids
    for ex_id, target in targets.items():
        assert code_cells[target["cell"]].get("id") == "ex-" + ex_id.replace(".", "-")
        assert target["variable"] == "jawaban_" + ex_id.replace(".", "_") and target["alt"] is None
        assert plan.code[ex_id]["code"] == code_cells[target["cell"]].source
    assert {k: v["answer"] for k, v in plan.widget.items()} == kit.widget_keys


def test_plan_without_cell_ids_matches_by_cek_call_and_variable(tmp_path, kit):
    nb = kit.solved()
    for cell in nb.cells:
        cell["id"] = hashlib.sha1(cell.source.encode()).hexdigest()[:8]
    kit_cell = next(c for c in nb.cells if "jawaban_5_2 =" in c.source)
    kit_cell.source = kit_cell.source.replace('cek("5.2", jawaban_5_2)', "")
    sub = _parse(kit.write_zip(tmp_path / "s" / "rina-kenali.zip", kit.handin(tmp_path, "rina", nb=nb)))
    plan = _plan(kit, sub)
    targets = {t["id"]: t for t in plan.jobs[0].targets}
    assert all(t["cell"] is not None for t in targets.values())
    assert "jawaban_5_2 =" in plan.jobs[0].cells[targets["5.2"]["cell"]]
    assert plan.notes == []


def test_plan_notes_deleted_duplicated_and_renamed_cells(tmp_path, kit):
    nb = kit.solved()
    kit.delete_cell(nb, "5.3")
    kit.insert_code(nb, kit.index_of(nb, "5.2"), 'jawaban_5_2 = 0\ncek("5.2", jawaban_5_2)')
    kit.set_answer(nb, "5.4", 'hasil = 22.0\ncek("5.4", hasil)')
    kit.set_answer(nb, "5.1", "hasil_saya = 178")  # renamed and no cek call: only the cell id tells
    sub = _parse(kit.write_zip(tmp_path / "s" / "rina-kenali.zip", kit.handin(tmp_path, "rina", nb=nb)))
    plan = _plan(kit, sub)
    assert sorted(map(json.dumps, plan.notes)) == sorted(map(json.dumps, [
        {"code": "cell_missing", "id": "5.3"},
        {"code": "cell_duplicate", "id": "5.2", "n": 2},
        {"code": "variable_renamed", "id": "5.4", "name": "hasil"},
        {"code": "variable_renamed", "id": "5.1", "name": "hasil_saya"},
    ]))
    targets = {t["id"]: t for t in plan.jobs[0].targets}
    assert targets["5.3"]["cell"] is None
    assert targets["5.4"]["alt"] == "hasil" and targets["5.1"]["alt"] == "hasil_saya"
    assert "akun_per_jenis =" in plan.jobs[0].cells[targets["5.2"]["cell"]]  # the last of the two


def test_plan_versions_and_changed_files(tmp_path, kit):
    nb = kit.solved()
    kit.insert_code(nb, len(nb.cells) - 1, 'jawaban_5_99 = 1\ncek("5.99", jawaban_5_99)', cell_id="ex-5-99")
    files = kit.handin(tmp_path, "rina", nb=nb, kenali_version="0.0.9", banks={"05_lab_data.yaml": "0" * 64})
    manifest = json.loads(files["manifest.json"])
    manifest["notebooks"][kit.nb_path] = "1" * 64
    files["manifest.json"] = json.dumps(manifest).encode()
    plan = _plan(kit, _parse(kit.write_zip(tmp_path / "s" / "rina-kenali.zip", files)))
    assert [n["code"] for n in plan.notes] == ["other_version", "bank_changed", "notebook_changed",
                                               "notebook_other_version"]
    assert plan.notes[-1]["ids"] == "5.99"
    assert len(plan.jobs) == 1  # still graded


def test_plan_records_use_latest_answer_and_ignore_claims(tmp_path, kit):
    records = [
        kit.record("5.14", "b", "rina", ts=100.0),
        kit.record("5.14", "a", "rina", ts=200.0, status="correct", score=1.0),
        kit.record("5.15", "b", "budi", ts=100.0),
        kit.record("1.13", 3, "rina", ts=50.0),  # another lesson, known to the course: no note
        kit.record("5.3", {"kind": "number", "value": 1}, "rina", ts=100.0, status="correct", score=1.0),
    ]
    records.append({**records[0], "exercise": "7.77"})
    files = kit.handin(tmp_path, "rina", nb=None, records=records)
    plan = _plan(kit, _parse(kit.write_zip(tmp_path / "s" / "rina-kenali.zip", files)))
    assert plan.widget["5.14"] == {"answer": "a", "attempts": 2, "time": records[1]["time"]}
    assert plan.widget["5.15"]["answer"] == "b"
    codes = {n["code"]: n for n in plan.notes}
    assert codes["records_unknown"]["ids"] == "7.77"
    assert codes["records_other_learner"]["ids"] == "budi"
    assert codes["records_code_ignored"]["ids"] == "5.3"
    assert "notebook_missing" in codes and plan.jobs == []


def test_plan_two_notebooks_for_a_lesson_and_solution_notebooks(tmp_path, kit):
    files = kit.handin(tmp_path, "rina")
    files["exercises/05_lab_data copy.ipynb"] = kit.nb_bytes(kit.blank())
    files["notebooks/05_lab_data.ipynb"] = kit.nb_bytes(kit.blank())  # a lesson notebook: never graded
    plan = _plan(kit, _parse(kit.write_zip(tmp_path / "s" / "rina-kenali.zip", files)))
    (dup,) = [n for n in plan.notes if n["code"] == "notebook_duplicate"]
    assert dup["used"] == kit.nb_path and dup["ignored"] == "exercises/05_lab_data copy.ipynb"
    assert [j.notebook for j in plan.jobs] == [kit.nb_path]

    files = kit.handin(tmp_path, "dewi", nb=kit.nb_bytes(kit.solution_notebook()))
    plan = _plan(kit, _parse(kit.write_zip(tmp_path / "s" / "dewi-kenali.zip", files)))
    assert {"code": "notebook_solution", "file": kit.nb_path} in plan.notes


def test_plan_of_unreadable_notebooks(tmp_path, kit):
    for name, data, code in [("a", b"", "notebook_empty"), ("b", b"{oops", "notebook_invalid_json"),
                             ("c", b'{"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [7]}',
                              "notebook_invalid")]:
        plan = _plan(kit, _parse(kit.write_zip(tmp_path / "s" / f"{name}.zip", kit.handin(tmp_path, name, nb=data))))
        assert [n["code"] for n in plan.notes] == [code], name
        assert plan.jobs == [] and set(plan.widget) == set(kit.widget_ids)


# -- score ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("value", [
    3, 2.5, float("nan"), "teks", True, None, ..., [1, "a", [2.0]], {"a": 1, 2: [3]}, {1, 2},
])
def test_valid_plain_accepts_what_to_plain_makes(value):
    assert score.valid_plain(to_plain(value))


def test_valid_plain_accepts_pandas_values():
    import pandas as pd

    df = pd.DataFrame({"a": [1, 2], "b": [None, 3.5]}, index=["x", "y"])
    assert score.valid_plain(to_plain(df))
    assert score.valid_plain(to_plain(df["b"]))
    assert score.valid_plain(to_plain(pd.Series([float("nan"), pd.Timestamp("2025-01-01")])))


def _nest(depth: int) -> dict:
    plain = {"kind": "number", "value": 1}
    for _ in range(depth):
        plain = {"kind": "list", "items": [plain]}
    return plain


@pytest.mark.parametrize("plain", [
    None, 3, "number", [], {"kind": "pickle", "data": "gASV"}, {},
    {"kind": "number", "value": "178"}, {"kind": "number", "value": True}, {"kind": "number"},
    {"kind": "text", "value": 3}, {"kind": "bool", "value": 1},
    {"kind": "list", "items": {"a": 1}}, {"kind": "list", "items": [3]},
    {"kind": "dict", "items": [["a"]]}, {"kind": "dict", "items": [[1, {"kind": "none"}]]},
    {"kind": "series", "index": [1, 2], "values": [1]},
    {"kind": "series", "index": [1], "values": [{"kind": "number", "value": 1}]},
    {"kind": "series", "index": [1], "values": [float("nan")]},
    {"kind": "series", "index": [1], "values": [1], "name": [1]},
    {"kind": "dataframe", "columns": ["a", "b"], "index": [0], "data": [[1]]},
    {"kind": "dataframe", "columns": ["a"], "index": [0, 1], "data": [[1]]},
    {"kind": "dataframe", "columns": ["a"], "index": [0], "data": [[[1]]]},
    {"kind": "dataframe", "columns": "a", "index": [0], "data": [[1]]},
    _nest(40),
])
def test_valid_plain_rejects_malformed_values(plain):
    assert not score.valid_plain(plain)


def test_score_checks_plain_values_against_the_instructors_key(tmp_path, kit):
    """Scoring alone, with a hand-made sandbox result: only the values count, malformed ones are refused."""
    sub = _parse(kit.write_zip(tmp_path / "s" / "rina-kenali.zip", kit.handin(tmp_path, "rina")))
    plan = _plan(kit, sub)
    msg = {"t": "answer", "nb": 0, "via": "cek", "error": None, "error_kind": None}
    run = RunResult({
        (0, "5.1"): {**msg, "id": "5.1", "plain": {"kind": "number", "value": 178}},
        (0, "5.2"): {**msg, "id": "5.2", "plain": {"kind": "number", "value": "178", "correct": True}},
        (0, "5.4"): {**msg, "id": "5.4", "plain": {"kind": "number", "value": 1.0}},
        (0, "5.5"): {**msg, "id": "5.5", "plain": None, "error": "ZeroDivisionError: x", "error_kind": "error"},
    }, [], {"t": "done", "output_chars": 10}, exit=0)
    graded = score.score(sub, plan, run, [kit.bank], Limits())
    ex = graded["exercises"]
    assert ex["5.1"]["status"] == "correct" and ex["5.1"]["earned"] == 1.0
    assert ex["5.2"]["status"] == "invalid" and ex["5.2"]["answer"] is None
    assert ex["5.4"]["status"] == "wrong"
    assert ex["5.5"]["status"] == "wrong" and any("ZeroDivisionError" in m for m in ex["5.5"]["messages"])
    assert ex["5.3"]["status"] == "unanswered"  # never came back from the sandbox
    assert {n["code"] for n in graded["notes"]} == {"crashed"}
    assert all(ex[i]["status"] == "correct" for i in kit.widget_ids)  # 5.1 and the six widget exercises
    assert graded["total"] == 7.0 and graded["maximum"] == 19.0 and graded["status"] == "check"
    json.dumps(graded, allow_nan=False)  # plain JSON, cacheable


# -- cache ----------------------------------------------------------------------------------------

def test_fingerprint_changes_when_a_bank_changes(tmp_path, kit):
    from kenali.bank import load_bank

    copy = tmp_path / kit.bank.path.name
    shutil.copyfile(kit.bank.path, copy)
    options = {"limits": Limits().to_json(), "scope": [copy.name]}
    first = cache.fingerprint([load_bank(copy)], options)
    assert cache.fingerprint([load_bank(copy)], options) == first
    text = copy.read_text(encoding="utf-8")
    edited = text.replace("int((siswa_per_akun > 1).sum())", "int((siswa_per_akun >= 2).sum())")
    assert edited != text
    copy.write_text(edited, encoding="utf-8")
    assert cache.fingerprint([load_bank(copy)], options) != first
    assert cache.bank_hashes([load_bank(copy)])[copy.name] == hashlib.sha256(copy.read_bytes()).hexdigest()


def test_fingerprint_changes_with_limits_scope_and_data(tmp_path, kit):
    banks = [kit.bank]
    base = cache.fingerprint(banks, {"limits": Limits().to_json()})
    assert cache.fingerprint(banks, {"limits": Limits(timeout=5).to_json()}) != base
    assert cache.fingerprint(banks, {"limits": Limits().to_json(), "scope": ["x"]}) != base
    data = tmp_path / "data"
    data.mkdir()
    (data / "akun.csv").write_text("a\n1\n")
    with_data = cache.fingerprint(banks, {}, data=data)
    (data / "akun.csv").write_text("a\n2\n")
    assert cache.fingerprint(banks, {}, data=data) != with_data


def test_cache_round_trip_and_prune(tmp_path):
    store = cache.Cache(tmp_path / ".cache", "fp1")
    result = {"digest": "d1", "total": 1.5, "notes": [{"code": "x", "n": 1}]}
    assert store.get("d1") is None
    assert store.put("d1", result) == result
    assert cache.Cache(tmp_path / ".cache", "fp1").get("d1") == result
    assert cache.Cache(tmp_path / ".cache", "fp2").get("d1") is None  # another grader, another key
    assert cache.Cache(tmp_path / ".cache", "fp1", enabled=False).get("d1") is None
    later = cache.Cache(tmp_path / ".cache", "fp1")
    later.put("d2", {"digest": "d2"})
    later.prune()  # d1 was not used by this run
    assert later.get("d2") == {"digest": "d2"}
    assert cache.Cache(tmp_path / ".cache", "fp1").get("d1") is None
    assert not list((tmp_path / ".cache").glob(".tmp-*"))


def test_cache_ignores_corrupt_and_mismatched_files(tmp_path):
    store = cache.Cache(tmp_path, "fp")
    store.put("d1", {"digest": "d1"})
    path = store._path("d1")
    path.write_text("{broken")
    assert store.get("d1") is None
    path.write_text(json.dumps({"digest": "other"}))
    assert store.get("d1") is None


# -- notes ----------------------------------------------------------------------------------------

def test_every_note_code_has_both_texts():
    from kenali.i18n import t

    for code in notes.INSTRUCTOR:
        t(f"grading.notes.{code}")  # raises KeyError when the learner's text is missing
    with pytest.raises(KeyError):
        notes.note("no_such_code")


def test_note_rendering():
    n = notes.note("cell_timeout", id="5.6", seconds=1.0)
    assert notes.english(n) == "exercise 5.6: stopped after 1 s (endless loop?)"
    assert "5.6" in notes.learner_text(n) and "1 detik" in notes.learner_text(n)
    assert notes.english({"code": "cell_timeout"}).startswith("cell_timeout")  # missing parameters never raise


def test_zip_members_are_never_extracted(tmp_path, kit, monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("extracted to disk")

    monkeypatch.setattr(zipfile.ZipFile, "extract", refuse)
    monkeypatch.setattr(zipfile.ZipFile, "extractall", refuse)
    sub = _parse(kit.write_zip(tmp_path / "s" / "rina-kenali.zip", kit.handin(tmp_path, "rina")))
    assert sub.notebooks and sub.records


def test_plan_of_an_old_format_notebook(kit):
    """An nbformat 3 notebook (no cell ids) is upgraded and its answer cells found by their cek calls."""
    import nbformat

    data = nbformat.writes(nbformat.convert(kit.solved(), 3), version=3).encode()
    sub = load.Submission(entry="rina", kind="folder", digest="d", learner_id="rina",
                          notebooks=[load.parse_notebook(kit.nb_path, data)])
    plan = _plan(kit, sub)
    assert plan.notes == [{"code": "records_missing"}]
    (job,) = plan.jobs
    targets = {t["id"]: t["cell"] for t in job.targets}
    assert all(f'cek("{i}", jawaban_{i.replace(".", "_")})' in job.cells[targets[i]] for i in kit.code_ids)
