"""The progress store loses nothing: killed writers, concurrent writers, NFS-like homes, corruption."""

from __future__ import annotations

import json
import multiprocessing
import signal
import subprocess
import sys
import time
from pathlib import Path

from kenali.store import Store

WRITER = r"""
import sys, time
from pathlib import Path
from kenali.store import Store
store = Store(Path(sys.argv[1]))
i = 0
while True:
    store.record({"exercise": "1.%d" % (i % 3), "status": "wrong", "answer": "x" * 20000, "ts": time.time(), "n": i})
    i += 1
"""


def _write_many(root: str, worker: int, count: int) -> None:
    store = Store(Path(root))
    for i in range(count):
        store.record({"exercise": "1.1", "status": "correct", "answer": f"{worker}-{i}", "ts": time.time()})


def test_killed_writer_never_leaves_a_half_record(tmp_path):
    for _round in range(3):
        proc = subprocess.Popen([sys.executable, "-c", WRITER, str(tmp_path)])
        time.sleep(0.6)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    store = Store(tmp_path)
    records = store.attempts()
    assert len(records) > 10
    assert all(len(r["answer"]) == 20000 for r in records)
    assert store.take_warnings() == []  # nothing corrupt: a kill leaves at most a temporary file
    assert not (tmp_path / "corrupt").exists()


def test_concurrent_writers_lose_nothing(tmp_path):
    ctx = multiprocessing.get_context("spawn")
    workers = [ctx.Process(target=_write_many, args=(str(tmp_path), w, 60)) for w in range(4)]
    for p in workers:
        p.start()
    for p in workers:
        p.join(60)
        assert p.exitcode == 0
    answers = {r["answer"] for r in Store(tmp_path).attempts("1.1")}
    assert answers == {f"{w}-{i}" for w in range(4) for i in range(60)}


def test_works_where_file_locks_do_not(tmp_path, monkeypatch):
    """On an NFS home without a lock daemon, flock/lockf fail: the store takes no lock at all."""
    import fcntl

    def no_locks(*_a, **_k):
        raise OSError(37, "No locks available")

    monkeypatch.setattr(fcntl, "flock", no_locks)
    monkeypatch.setattr(fcntl, "lockf", no_locks)
    monkeypatch.setattr(fcntl, "fcntl", no_locks)
    store = Store(tmp_path / "nfs-home")
    store.record({"exercise": "2.1", "status": "correct", "answer": "b", "ts": 1.0})
    store.record({"exercise": "2.1", "status": "wrong", "answer": "a", "ts": 2.0})
    assert store.latest("2.1")["answer"] == "a"


def test_corrupt_record_is_backed_up_with_a_message(tmp_path):
    store = Store(tmp_path)
    store.record({"exercise": "1.1", "status": "correct", "answer": "b", "ts": 1.0})
    bad = tmp_path / "attempts" / "1.1" / "00000000000000000001-1-deadbeef.json"
    bad.write_text('{"exercise": "1.1", "stat', encoding="utf-8")
    records = store.attempts("1.1")
    assert [r["answer"] for r in records] == ["b"]
    warnings = store.take_warnings()
    assert len(warnings) == 1 and "rusak" in warnings[0] and "corrupt" in warnings[0]
    backups = list((tmp_path / "corrupt").iterdir())
    assert len(backups) == 1 and backups[0].read_text(encoding="utf-8").startswith('{"exercise"')


def test_leftover_temporary_files_are_ignored(tmp_path):
    store = Store(tmp_path)
    store.record({"exercise": "1.1", "status": "correct", "answer": "b", "ts": 1.0})
    (tmp_path / "attempts" / "1.1" / ".tmp-half.json").write_text('{"exer', encoding="utf-8")
    assert len(store.attempts("1.1")) == 1 and store.take_warnings() == []


def test_unwritable_store_costs_a_warning_not_the_answer(session, monkeypatch):
    from kenali.widgets import ExerciseView

    def refuse(_rec):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(session.store, "record", refuse)
    v = ExerciseView(session.exercise("9.1"), session)
    v.input.radio.value = "b"
    v.check_button.click()
    assert "Benar" in v.feedback.value
    assert "tidak bisa disimpan" in v.warning.value


def test_corrupt_learner_file_is_backed_up(tmp_path):
    from kenali import learner

    (tmp_path / "learner.json").write_text("{not json", encoding="utf-8")
    who, warning = learner.load(tmp_path)
    assert who is None and warning and "rusak" in warning
    assert list(tmp_path.glob("learner.rusak-*.json"))


def test_records_are_plain_json(tmp_path):
    path = Store(tmp_path).record({"exercise": "1.1", "status": "correct", "answer": {"a": "b"}, "ts": 1.0})
    assert json.loads(path.read_text(encoding="utf-8"))["answer"] == {"a": "b"}
