"""Answers are never lost (issue 9): read errors, power cuts, damaged fields, clocks, caps, BOMs.

Each test here fails if its fix is reverted. Transient errors are simulated by monkeypatching
(the tests run as root, so ``chmod 000`` would not stop a read).
"""

from __future__ import annotations

import errno
import json
import os
import pathlib
import stat
import time
from pathlib import Path

import pytest

from kenali import learner as learner_mod
from kenali import records as records_mod
from kenali import session as session_mod
from kenali import store as store_mod
from kenali.store import Store, sort_records

GOOD = {"exercise": "1.1", "status": "correct", "answer": "b", "score": 1.0, "ts": 1.0}


def folder(home: Path, exercise: str = "1.1") -> Path:
    return home / "attempts" / exercise


def fail_reading(monkeypatch, name: str, code: int) -> None:
    """Opening any file called ``name`` raises ``OSError(code)``: a disk or network error."""
    real_open = pathlib.Path.open

    def flaky(self, *args, **kwargs):
        if self.name == name:
            raise OSError(code, os.strerror(code), str(self))
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(pathlib.Path, "open", flaky)


def old(path: Path, seconds: float) -> Path:
    then = time.time() - seconds
    os.utime(path, (then, then))
    return path


# -- 1. a read error never moves a good record aside --------------------------------------------
@pytest.mark.parametrize("code", [errno.EIO, errno.EACCES, errno.ETIMEDOUT, errno.ESTALE])
def test_read_error_leaves_the_record_and_says_it_could_not_be_read(tmp_path, monkeypatch, code):
    store = Store(tmp_path)
    first = store.record(dict(GOOD))
    store.record({**GOOD, "answer": "c"})
    with monkeypatch.context() as m:
        fail_reading(m, first.name, code)
        assert [r["answer"] for r in store.attempts("1.1")] == ["c"]
        warnings = store.take_warnings()
    assert len(warnings) == 1 and "tidak bisa dibaca" in warnings[0] and "rusak" not in warnings[0]
    assert first.is_file() and not (tmp_path / "corrupt").exists()
    assert [r["answer"] for r in store.attempts("1.1")] == ["b", "c"]  # read again once the error passes
    assert store.take_warnings() == []


def test_damaged_and_unreadable_records_get_distinct_messages(tmp_path, monkeypatch):
    store = Store(tmp_path)
    store.record(dict(GOOD))
    (folder(tmp_path) / "000000000007.json").write_text('{"exercise": "1.1", "sta', encoding="utf-8")
    (folder(tmp_path) / "000000000008.json").write_text(json.dumps(GOOD), encoding="utf-8")
    fail_reading(monkeypatch, "000000000008.json", errno.EIO)
    store.attempts("1.1")
    unreadable, damaged = sorted(store.take_warnings(), key=lambda w: "rusak" in w)
    assert "tidak bisa dibaca" in unreadable and "rusak" not in unreadable
    assert "rusak" in damaged and "corrupt" in damaged
    assert [p.name for p in (tmp_path / "corrupt").iterdir()] == ["1.1__000000000007.json"]
    assert (folder(tmp_path) / "000000000008.json").is_file()


def test_bytes_that_change_between_two_reads_are_not_damage(tmp_path, monkeypatch):
    """A network home that returns garbage once (then the real bytes) must not cost a record."""
    store = Store(tmp_path)
    path = store.record(dict(GOOD))
    real = store_mod._read_capped
    calls = []

    def garbage_once(p):
        calls.append(p)
        return b'{"exer' if len(calls) == 1 else real(p)

    monkeypatch.setattr(store_mod, "_read_capped", garbage_once)
    store.attempts("1.1")
    assert path.is_file() and not (tmp_path / "corrupt").exists()


# -- 2. durability: the folder is fsync'ed; complete temporary records are recovered ------------
def test_folder_is_fsynced_after_the_record_is_linked_into_place(tmp_path, monkeypatch):
    events = []
    real_fsync, real_link = os.fsync, os.link

    def spy_fsync(fd):
        st = os.fstat(fd)
        events.append(("fsync-dir" if stat.S_ISDIR(st.st_mode) else "fsync-file", st.st_ino))
        return real_fsync(fd)

    def spy_link(src, dst, *a, **k):
        events.append(("link", Path(dst).name))
        return real_link(src, dst, *a, **k)

    monkeypatch.setattr(os, "fsync", spy_fsync)
    monkeypatch.setattr(os, "link", spy_link)
    Store(tmp_path).record(dict(GOOD))
    linked = events.index(("link", "000000000001.json"))
    assert ("fsync-dir", folder(tmp_path).stat().st_ino) in events[linked:]
    assert events[linked - 1][0] == "fsync-file"


def test_a_filesystem_that_cannot_fsync_a_folder_still_records(tmp_path, monkeypatch):
    real_fsync = os.fsync

    def no_dir_fsync(fd):
        if stat.S_ISDIR(os.fstat(fd).st_mode):
            raise OSError(errno.EINVAL, "Invalid argument")
        return real_fsync(fd)

    monkeypatch.setattr(os, "fsync", no_dir_fsync)
    store = Store(tmp_path)
    store.record(dict(GOOD))
    assert store.latest("1.1")["answer"] == "b"


def _complete_tmp(home: Path, seq: int, answer: str, age: float = 120.0) -> Path:
    """The temporary file a writer leaves when the power goes after its fsync, before its link."""
    home_folder = folder(home)
    home_folder.mkdir(parents=True, exist_ok=True)
    rec = {**GOOD, "answer": answer, "v": records_mod.RECORD_VERSION, "seq": seq, "attempt": seq}
    path = home_folder / f".tmp-{seq:012d}-0badf00d.json"
    path.write_bytes(records_mod.encode(rec))
    return old(path, age)


def test_a_complete_temporary_record_is_recovered_not_deleted(tmp_path):
    store = Store(tmp_path)
    store.record(dict(GOOD))
    tmp = _complete_tmp(tmp_path, 2, "after the check")
    assert [r["answer"] for r in store.attempts("1.1")] == ["b", "after the check"]
    assert not tmp.exists() and (folder(tmp_path) / "000000000002.json").is_file()
    assert store.take_warnings() == [] and not (tmp_path / "corrupt").exists()


def test_a_recovered_record_whose_number_was_taken_gets_the_next_one(tmp_path):
    store = Store(tmp_path)
    tmp = _complete_tmp(tmp_path, 1, "lost in the power cut")
    (folder(tmp_path) / "000000000001.json").write_bytes(records_mod.encode({**GOOD, "seq": 1}))
    records = store.attempts("1.1")
    assert [(r["seq"], r["answer"]) for r in records] == [(1, "b"), (2, "lost in the power cut")]
    assert not tmp.exists()


def test_a_temporary_file_already_linked_is_removed_not_duplicated(tmp_path):
    store = Store(tmp_path)
    final = store.record(dict(GOOD))
    leftover = final.with_name(".tmp-000000000001-0badf00d.json")
    os.link(final, leftover)  # the writer died between its link and its unlink
    old(final, 120)
    assert len(store.attempts("1.1")) == 1 and not leftover.exists()


def test_a_fresh_temporary_file_is_left_to_its_writer(tmp_path):
    store = Store(tmp_path)
    tmp = _complete_tmp(tmp_path, 1, "being written", age=0)
    assert store.attempts("1.1") == [] and tmp.exists()


def test_an_old_half_temporary_file_goes_to_corrupt_quietly(tmp_path):
    store = Store(tmp_path)
    store.record(dict(GOOD))
    half = folder(tmp_path) / ".tmp-000000000002-0badf00d.json"
    half.write_text('{"exer', encoding="utf-8")
    old(half, 7200)
    young = folder(tmp_path) / ".tmp-000000000003-0badf00d.json"
    young.write_text('{"exer', encoding="utf-8")
    assert len(store.attempts("1.1")) == 1 and store.take_warnings() == []
    assert not half.exists() and young.exists()
    assert [p.name for p in (tmp_path / "corrupt").iterdir()] == [f"1.1__{half.name}"]


# -- 3. fields of unexpected types are damage, never a crash ------------------------------------
def _deep(depth: int) -> list:
    value: list = []
    for _ in range(depth):
        value = [value]
    return value


BAD_FIELDS = [
    {"attempt": "x"}, {"attempt": True}, {"attempt": 0}, {"hints": []}, {"hints": -1}, {"score": "NaN"},
    {"score": float("nan")}, {"score": 7}, {"exercise": 5}, {"exercise": ""}, {"status": "hebat"},
    {"status": None}, {"ts": "kemarin"}, {"ts": float("inf")}, {"time": {"a": 1}}, {"seq": "3"},
    {"seq": -1}, {"learner": ["rina"]}, {"lesson": 1}, {"points": "1"}, {"mode": 3}, {"v": "2"},
    {"answer": _deep(40)}, {"answer": {"a": _deep(35)}},
]


@pytest.mark.parametrize("change", BAD_FIELDS, ids=[next(iter(c)) + "=" + repr(next(iter(c.values())))[:12]
                                                     for c in BAD_FIELDS])
def test_a_field_of_an_unexpected_type_is_damage(tmp_path, change):
    store = Store(tmp_path)
    store.record(dict(GOOD))
    bad = {**GOOD, "v": 2, "seq": 9, "attempt": 9, "answer": "z", **change}
    (folder(tmp_path) / "000000000009.json").write_text(json.dumps(bad), encoding="utf-8")
    records = store.attempts("1.1")
    assert [r["answer"] for r in records] == ["b"]
    assert "rusak" in store.take_warnings()[0]
    assert (tmp_path / "corrupt" / "1.1__000000000009.json").is_file()


@pytest.mark.parametrize("text", ["[" * 100_000 + "]" * 100_000, "[1, 2]", "null", '"1.1"', "\xff\xfe", ""])
def test_unparseable_records_are_damage(tmp_path, text):
    store = Store(tmp_path)
    store.record(dict(GOOD))
    (folder(tmp_path) / "000000000009.json").write_text(text, encoding="latin-1")
    assert [r["answer"] for r in store.attempts("1.1")] == ["b"]
    assert "rusak" in store.take_warnings()[0]


def test_records_read_back_have_guaranteed_field_types(tmp_path):
    store = Store(tmp_path)
    (folder(tmp_path)).mkdir(parents=True)
    # a version 1 record, as kenali wrote them before sequence numbers, with few fields
    (folder(tmp_path) / "00000000000000000001-1-deadbeef.json").write_text(
        json.dumps({"exercise": "1.1", "status": "wrong", "answer": "a"}), encoding="utf-8")
    store.record({**GOOD, "hints": 2, "score": 1})
    for rec in store.attempts("1.1"):
        assert set(records_mod.AnswerRecord.__annotations__) == set(rec)
        assert isinstance(rec["exercise"], str) and isinstance(rec["status"], str)
        assert isinstance(rec["score"], float) and 0 <= rec["score"] <= 1
        assert isinstance(rec["attempt"], int) and rec["attempt"] >= 1
        assert isinstance(rec["hints"], int) and isinstance(rec["seq"], int) and isinstance(rec["ts"], float)
        assert isinstance(rec["time"], str) and isinstance(rec["points"], float)


def _plant(home: Path, exercise_id: str, **fields) -> None:
    path = folder(home, exercise_id)
    path.mkdir(parents=True, exist_ok=True)
    seq = 1 + len(list(path.glob("*.json")))
    rec = {"exercise": exercise_id, "status": "correct", "score": 1.0, "seq": seq, "attempt": seq, "v": 2, **fields}
    (path / f"{seq:012d}.json").write_text(json.dumps(rec), encoding="utf-8")


def test_damaged_records_never_crash_the_notebook_calls(session, monkeypatch, tmp_path):
    from kenali import api
    from kenali.grading.handin import make_handin
    from kenali.widgets import CodeResultView, ExerciseView

    monkeypatch.setattr(session_mod, "_current", session)
    home = session.store.root
    learner_mod.save(home, learner_mod.Learner("Rina", "rina"))
    session.learner = learner_mod.load(home)[0]
    _plant(home, "9.1", answer=["a", "b"])  # valid JSON, a shape a choice cannot show
    _plant(home, "9.2", answer="b", hints=[])
    _plant(home, "9.3", answer={"ibu": ["x"]}, score="NaN")
    _plant(home, "9.4", answer={"a": {"b": 1}})
    _plant(home, "9.5", answer=[1, 2], attempt="x")
    _plant(home, "9.6", answer={"x": 1}, exercise=5)
    _plant(home, "9.7", answer=1, hints={"a": 1})
    _plant(home, "9.k1", answer={"a": "b"}, status="hebat")
    said = []
    for exercise_id in ("9.1", "9.2", "9.3", "9.4", "9.5", "9.6", "9.k1"):
        view = api.tampilkan(exercise_id)
        assert isinstance(view, ExerciseView)
        said += [view.warning.value, *session.take_warnings()]
    assert any("tidak sesuai" in x for x in said) and any("rusak" in x for x in said)
    assert isinstance(api.cek("9.7", 1), CodeResultView)
    assert api.kemajuan() is not None and api.ringkasan() is not None
    (tmp_path / "root" / "exercises").mkdir(parents=True)
    handin = make_handin(root=tmp_path / "root", home=home, course=session.course)
    assert handin.records == 3  # 9.1 and 9.4 (valid records, answers of the wrong shape) and the new 9.7
    box = api.serahkan()
    box.make()
    assert "kenali-warn" in box.message.value or "serahan" in box.message.value


def test_an_answer_of_a_shape_the_input_cannot_show_is_left_out_with_a_message(session):
    _plant(session.store.root, "9.1", answer=["a", "b"])
    rec = session.latest(session.exercise("9.1"))
    assert rec["answer"] is None and rec["attempt"] == 1
    assert any("tidak sesuai" in w for w in session.take_warnings())


# -- 4. the last answer is decided by the sequence number, never by the clock ------------------
def test_a_clock_stepped_back_does_not_bring_back_an_older_answer(tmp_path, monkeypatch):
    store = Store(tmp_path)
    store.record({**GOOD, "answer": "wrong one", "ts": 2_000_000_000.0})
    monkeypatch.setattr(time, "time", lambda: 1_000_000_000.0)  # stepped back by years
    monkeypatch.setattr(time, "time_ns", lambda: 1_000_000_000 * 10**9)
    store.record({**GOOD, "answer": "right one", "ts": 1_000_000_000.0})
    assert store.latest("1.1")["answer"] == "right one"
    assert [r["attempt"] for r in store.attempts("1.1")] == [1, 2]


def test_the_grader_and_the_store_use_one_order(tmp_path):
    from kenali.grading.extract import _latest

    store = Store(tmp_path)
    for answer, ts in (("a", 300.0), ("b", 200.0), ("c", 100.0)):
        store.record({**GOOD, "answer": answer, "ts": ts})
    raw = [json.loads(p.read_text(encoding="utf-8")) | {"_file": f"progress/attempts/1.1/{p.name}"}
           for p in sorted(folder(tmp_path).glob("*.json"), reverse=True)]
    assert [r["answer"] for r in _latest(raw)["1.1"]] == ["a", "b", "c"]
    assert [r["answer"] for r in store.attempts("1.1")] == ["a", "b", "c"]


def test_version_1_records_come_before_numbered_ones(tmp_path):
    store = Store(tmp_path)
    folder(tmp_path).mkdir(parents=True)
    for i, answer in enumerate(("old-1", "old-2")):
        (folder(tmp_path) / f"{i:020d}-1-deadbeef.json").write_text(
            json.dumps({**GOOD, "answer": answer, "ts": 9e9 + i}), encoding="utf-8")
    store.record({**GOOD, "answer": "new", "ts": 1.0})
    records = store.attempts("1.1")
    assert [r["answer"] for r in records] == ["old-1", "old-2", "new"]
    assert records[-1]["attempt"] == records[-1]["seq"] == 3  # counting on from the old records


def test_a_number_taken_by_a_concurrent_writer_is_not_overwritten(tmp_path, monkeypatch):
    store = Store(tmp_path)
    monkeypatch.setattr(Store, "_next_seq", lambda self, folder: 1)  # every writer sees an empty folder
    for answer in "abc":
        store.record({**GOOD, "answer": answer})
    assert [(r["seq"], r["answer"]) for r in store.attempts("1.1")] == [(1, "a"), (2, "b"), (3, "c")]


def test_without_hard_links_records_are_renamed_into_place_in_order(tmp_path, monkeypatch):
    def no_links(*_a, **_k):
        raise OSError(errno.EPERM, "Operation not permitted")

    monkeypatch.setattr(os, "link", no_links)
    store = Store(tmp_path)
    for answer in "abc":
        store.record({**GOOD, "answer": answer})
    assert [r["answer"] for r in store.attempts("1.1")] == ["a", "b", "c"]
    assert not list(folder(tmp_path).glob(".tmp-*"))


def test_ties_are_broken_by_file_name_not_by_time_or_pid():
    recs = [{"seq": 4, "_file": "000000000004-bb.json", "ts": 1.0},
            {"seq": 4, "_file": "000000000004-aa.json", "ts": 9.0}]
    assert [r["_file"] for r in sort_records(recs)] == ["000000000004-aa.json", "000000000004-bb.json"]
    assert sort_records([{"seq": 2, "ts": 1.0}, {"ts": 5.0}, {"seq": 1, "ts": 9.0}]) == [
        {"ts": 5.0}, {"seq": 1, "ts": 9.0}, {"seq": 2, "ts": 1.0}]


# -- 5. a folder that cannot be listed is reported, not shown as empty progress -----------------
@pytest.mark.parametrize("which", ["exercise", "attempts"])
def test_a_folder_that_cannot_be_listed_costs_a_warning(session, monkeypatch, which):
    store = session.store
    store.record({**GOOD, "exercise": "9.1"})
    target = folder(store.root, "9.1") if which == "exercise" else store.root / "attempts"
    real = os.listdir

    def refuse(path="."):
        if Path(path) == target:
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real(path)

    monkeypatch.setattr(os, "listdir", refuse)
    session.progress()
    warnings = session.take_warnings()
    assert len(warnings) == 1 and "tidak bisa dibaca" in warnings[0] and str(target) in warnings[0]


# -- 6. size caps ------------------------------------------------------------------------------
def test_an_answer_too_large_is_refused_with_a_message(session):
    ex = session.exercise("9.6")
    result, _record = session.submit(ex, "kata " * 20_000)
    assert result.status in {"wrong", "invalid", "partial", "correct"}
    assert session.store.attempts("9.6") == []
    assert any("terlalu besar" in w for w in session.take_warnings())
    with pytest.raises(records_mod.RecordTooLarge):
        Store(session.store.root).record({**GOOD, "answer": "x" * (records_mod.MAX_ANSWER_BYTES + 1)})


def test_a_record_file_too_large_is_damage_and_is_not_read(tmp_path, monkeypatch):
    store = Store(tmp_path)
    store.record(dict(GOOD))
    huge = folder(tmp_path) / "000000000002.json"
    huge.write_text(json.dumps({**GOOD, "answer": "x" * (records_mod.MAX_RECORD_BYTES + 10)}), encoding="utf-8")
    reads = []
    real_read = records_mod.parse
    monkeypatch.setattr(records_mod, "parse", lambda data, name="": reads.append(len(data)) or real_read(data, name))
    assert [r["answer"] for r in store.attempts("1.1")] == ["b"]
    assert "rusak" in store.take_warnings()[0] and max(reads) < records_mod.MAX_RECORD_BYTES


# -- 7 and 9. a byte-order mark is not damage; learner.json is as robust as the records --------
def test_a_record_with_a_byte_order_mark_is_read(tmp_path):
    store = Store(tmp_path)
    folder(tmp_path).mkdir(parents=True)
    (folder(tmp_path) / "000000000001.json").write_bytes(b"\xef\xbb\xbf" + json.dumps({**GOOD, "seq": 1}).encode())
    assert [r["answer"] for r in store.attempts("1.1")] == ["b"] and store.take_warnings() == []


def test_learner_file_with_a_byte_order_mark_is_read(tmp_path):
    (tmp_path / "learner.json").write_bytes(b"\xef\xbb\xbf" + json.dumps({"name": "Rina", "id": "rina"}).encode())
    assert learner_mod.load(tmp_path) == (learner_mod.Learner("Rina", "rina"), None)


@pytest.mark.parametrize("code", [errno.EIO, errno.EACCES, errno.ETIMEDOUT])
def test_learner_file_that_cannot_be_read_is_left_alone(tmp_path, monkeypatch, code):
    learner_mod.save(tmp_path, learner_mod.Learner("Rina", "rina"))
    with monkeypatch.context() as m:
        fail_reading(m, "learner.json", code)
        who, warning = learner_mod.load(tmp_path)
    assert who is None and warning and "tidak bisa dibaca" in warning and "rusak" not in warning
    assert not list(tmp_path.glob("learner.rusak-*"))
    assert learner_mod.load(tmp_path)[0] == learner_mod.Learner("Rina", "rina")


@pytest.mark.parametrize("content", ['{"name": {"a": 1}, "id": "rina"}', '{"name": "Rina", "id": 7}', "[]",
                                     '{"name": "Rina"}', '{"name": "Rina", "id": "no spaces allowed"}'])
def test_learner_file_with_wrong_content_is_backed_up(tmp_path, content):
    (tmp_path / "learner.json").write_text(content, encoding="utf-8")
    who, warning = learner_mod.load(tmp_path)
    assert who is None and warning and "rusak" in warning
    assert [p.read_text(encoding="utf-8") for p in tmp_path.glob("learner.rusak-*.json")] == [content]


def test_learner_save_fsyncs_the_folder(tmp_path, monkeypatch):
    dirs = []
    real_fsync = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: (stat.S_ISDIR(os.fstat(fd).st_mode) and dirs.append(
        os.fstat(fd).st_ino), real_fsync(fd))[1])
    learner_mod.save(tmp_path, learner_mod.Learner("Rina", "rina"))
    assert tmp_path.stat().st_ino in dirs and not list(tmp_path.glob(".tmp-*"))


# -- 8. re-checking the same answer is not a new attempt -------------------------------------------
def test_rechecking_the_same_answer_is_not_a_new_attempt(session):
    ex = session.exercise("9.1")
    _result, first = session.submit(ex, "a")
    _result, again = session.submit(ex, "a")
    assert first["attempt"] == again["attempt"] == 1
    assert len(session.store.attempts("9.1")) == 1
    _result, other = session.submit(ex, "b")
    _result, back = session.submit(ex, "a")  # the same as an older answer, not the latest: a new attempt
    assert (other["attempt"], back["attempt"]) == (2, 3)
    assert [r["answer"] for r in session.store.attempts("9.1")] == ["a", "b", "a"]


def test_rerunning_a_code_check_does_not_count_attempts(session):
    ex = session.exercise("9.2")
    for _ in range(3):
        _result, record = session.submit(ex, ["a", "c"])
    assert record["attempt"] == 1 and len(session.store.attempts("9.2")) == 1


def test_memory_store_numbers_records_and_skips_rechecks(fixture_course):
    from kenali.session import Session

    s = Session(mode="solusi", course=fixture_course)
    ex = s.exercise("9.1")
    s.submit(ex, ex.correct_answer())
    s.submit(ex, ex.correct_answer())
    assert [r["attempt"] for r in s.store.attempts(ex.id)] == [1]


def test_the_widget_does_not_count_the_same_answer_twice(session):
    from kenali.widgets import ExerciseView

    v = ExerciseView(session.exercise("9.1"), session)
    v.input.radio.value = "a"
    v.check_button.click()
    v.check_button.click()
    assert "Percobaan ke-1" in v.feedback.value and len(session.store.attempts("9.1")) == 1
    v.input.radio.value = "b"
    v.check_button.click()
    assert "Percobaan ke-2" in v.feedback.value
    again = ExerciseView(session.exercise("9.1"), session)  # the notebook opened again
    assert again.attempts == 2


def test_attempts_that_cannot_be_recorded_are_still_counted(session, monkeypatch):
    def refuse(_rec):
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(session.store, "record", refuse)
    ex = session.exercise("9.1")
    assert [session.submit(ex, answer)[1]["attempt"] for answer in "aab"] == [1, 2, 3]


@pytest.mark.parametrize("reader_removes_tmp", [False, True])
def test_a_slow_writer_whose_record_a_reader_published_writes_no_duplicate(tmp_path, monkeypatch, reader_removes_tmp):
    """A writer stalled past the recovery age: a reader publishes its temporary file meanwhile."""
    real_link = os.link
    calls = []

    def reader_first(src, dst, *a, **k):
        if not calls:
            calls.append(dst)
            real_link(src, dst)  # what Store._leftover does for a complete, old temporary record
            if reader_removes_tmp:
                os.unlink(src)
        return real_link(src, dst, *a, **k)

    monkeypatch.setattr(os, "link", reader_first)
    store = Store(tmp_path)
    path = store.record(dict(GOOD))
    assert path.name == "000000000001.json"
    assert [r["seq"] for r in store.attempts("1.1")] == [1]
    assert not list(folder(tmp_path).glob(".tmp-*"))
