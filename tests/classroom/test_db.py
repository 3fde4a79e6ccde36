"""The class database (kenali.classroom.db), against SQLite and PostgreSQL alike (``db_url``)."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta, timezone

import pytest

from kenali.classroom.db import AttemptRow, ClassDB, ClassDBError, RowRejected
from kenali.records import MAX_ANSWER_BYTES

T0 = datetime(2026, 12, 7, 1, 2, 3, 456789, tzinfo=UTC)


def row(user: str = "ani", exercise: str = "1.1", seq: int | None = 1, **more) -> AttemptRow:
    base = dict(user=user, exercise=exercise, lesson="01", seq=seq, answer="b", status="wrong", score=0.0,
                points=2.0, server_time=T0, learner_id="L-ani")
    return AttemptRow(**{**base, **more})


@pytest.fixture
def db(db_url):
    with ClassDB(db_url) as database:
        yield database


def test_stores_and_reads_back_every_field(db):
    fb = [{"key": "feedback.choice", "params": {"n": 2}}, "teks biasa"]
    stored = db.add_attempt(row(answer={"a": [1, 2.5, None, True], "ü": "ñ"}, status="partial", score=0.5,
                                hints=2, credit=0.5, source="check", assignment="tugas-1", client_time="x",
                                feedback=fb, late=True))
    assert stored is not None and stored.id > 0 and stored.attempt == 1
    [back] = db.attempts()
    assert back == stored
    assert back.answer == {"a": [1, 2.5, None, True], "ü": "ñ"} and back.feedback == fb
    assert back.late is True and back.source == "check" and back.credit == 0.5 and back.hints == 2


def test_times_round_trip_as_utc(db):
    if db.kind == "postgresql":  # a server whose sessions are in another zone returns times in that zone
        with db.engine.begin() as conn:
            name = conn.exec_driver_sql("SELECT current_database()").scalar()
            conn.exec_driver_sql(f"ALTER DATABASE \"{name}\" SET timezone = 'America/Sao_Paulo'")
        db.engine.dispose()
        with db.engine.connect() as conn:
            assert conn.exec_driver_sql("SHOW timezone").scalar() == "America/Sao_Paulo"
    jakarta = timezone(timedelta(hours=7))
    local = datetime(2026, 12, 7, 8, 0, 0, 123456, tzinfo=jakarta)
    db.add_attempt(row(server_time=local))
    [back] = db.attempts()
    assert back.server_time == local and back.server_time.utcoffset() == timedelta(0)
    assert back.server_time.hour == 1 and back.server_time.microsecond == 123456
    [learner] = db.learners()
    assert learner.last_seen == local and learner.last_seen.tzinfo is not None


def test_naive_time_is_refused(db):
    with pytest.raises(RowRejected, match="timezone-aware"):
        db.add_attempt(row(server_time=datetime(2026, 12, 7, 1, 0)))
    assert db.attempts() == []


def test_a_retried_sync_is_not_a_new_attempt(db):
    assert db.add_attempt(row(seq=1)).attempt == 1
    assert db.add_attempt(row(seq=1, answer="c")) is None
    assert db.add_attempt(row(seq=2)).attempt == 2
    assert db.add_attempt(row(seq=2)) is None
    # the same seq of another exercise or another learner is another attempt
    assert db.add_attempt(row(seq=1, exercise="1.2")).attempt == 1
    assert db.add_attempt(row(seq=1, user="budi")).attempt == 1
    assert db.count_attempts("ani", "1.1") == 2
    assert [r.answer for r in db.attempts_of("ani", "1.1")] == ["b", "b"]


def test_attempts_without_seq_are_never_deduplicated(db):
    assert [db.add_attempt(row(seq=None)).attempt for _ in range(3)] == [1, 2, 3]


def test_the_attempt_number_is_the_databases_not_the_rows(db):
    db.add_attempt(row(seq=1))
    assert db.add_attempt(row(seq=7, attempt=1)).attempt == 2  # a forged attempt number is ignored
    assert db.count_attempts("ani", "1.1") == 2 and db.count_attempts("ani", "9.9") == 0


def test_attempt_numbers_stay_unique_under_concurrent_writers(db_url):
    """8 writers, each with its own connection pool: one learner's retried syncs (seq 1..30 from every
    writer) and another learner's fresh checks (no seq) interleave; nothing is lost or counted twice."""
    ClassDB(db_url).close()  # create the tables before the race
    errors: list[BaseException] = []
    start = threading.Barrier(8)

    def writer(n: int) -> None:
        try:
            with ClassDB(db_url) as mine:
                start.wait()
                for i in range(30):
                    mine.add_attempt(row(user="ani", seq=(i + n) % 30 + 1))
                    mine.add_attempt(row(user="budi", seq=None, answer=[n, i]))
        except BaseException as e:
            errors.append(e)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors, errors
    with ClassDB(db_url) as db:
        ani = db.attempts_of("ani", "1.1")
        assert [r.attempt for r in ani] == list(range(1, 31))
        assert sorted(r.seq for r in ani) == list(range(1, 31))
        budi = db.attempts_of("budi", "1.1")
        assert [r.attempt for r in budi] == list(range(1, 241))
        assert sorted(tuple(r.answer) for r in budi) == sorted((n, i) for n in range(8) for i in range(30))
        assert db.count_attempts("budi", "1.1") == 240


def test_servers_starting_at_once_create_the_tables_once(db_url):
    errors: list[BaseException] = []
    start = threading.Barrier(6)

    def opener() -> None:
        try:
            start.wait()
            ClassDB(db_url).close()
        except BaseException as e:
            errors.append(e)

    threads = [threading.Thread(target=opener) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    with ClassDB(db_url) as db, db.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM schema_version").scalar() == 1


@pytest.mark.parametrize(("answer", "why"), [
    ("lone \ud800 surrogate", "surrogate"),
    ({"key \udfff": 1}, "surrogate"),
    ([[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["deep"]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]], "deeper than 32"),
    ("x" * (1024 * 1024), f"more than {MAX_ANSWER_BYTES}"),
    ({1: "int key"}, "only text keys"),
    ({"a": {1, 2}}, "type set"),
])
def test_odd_answers_are_refused_with_a_reason(db, answer, why):
    with pytest.raises(RowRejected, match=why) as info:
        db.add_attempt(row(answer=answer))
    assert str(info.value).startswith("answer refused")
    assert db.attempts() == [] and db.learners() == []


def test_a_very_deep_answer_is_refused_not_a_recursion_error(db):
    deep: list = []
    for _ in range(100_000):
        deep = [deep]
    with pytest.raises(RowRejected, match="deeper"):
        db.add_attempt(row(answer=deep))


def test_awkward_but_valid_text_round_trips(db):
    answer = {"nul": "a\x00b", "emoji": "🙂", "nan": float("inf") * 0, "quote": "'; DROP TABLE attempts; --"}
    db.add_attempt(row(answer=answer))
    [back] = db.attempts()
    assert back.answer["nul"] == "a\x00b" and back.answer["emoji"] == "🙂" and back.answer["nan"] != back.answer["nan"]
    with pytest.raises(RowRejected, match="user"):
        db.add_attempt(row(user="an\x00i"))
    with pytest.raises(RowRejected, match="user"):
        db.add_attempt(row(user=""))


def test_incremental_reads(db):
    first = db.add_attempt(row(seq=1))
    second = db.add_attempt(row(seq=2, exercise="1.2"))
    third = db.add_attempt(row(seq=3, user="budi"))
    assert db.attempts(since_id=first.id) == [second, third]
    assert db.attempts(since_id=third.id) == []
    assert db.last_id() == third.id
    assert db.attempts(exercise="1.2") == [second]
    assert db.attempts(user="budi") == [third]
    assert db.attempts(limit=2) == [first, second]


def test_where_learners_are(db):
    db.add_attempt(row(seq=1, server_time=T0))
    db.touch("ani", None, T0 + timedelta(minutes=1))
    [ani] = db.learners()
    assert ani.last_exercise == "1.1" and ani.last_seen == T0 + timedelta(minutes=1) and ani.learner_id == "L-ani"
    db.touch("ani", "2.1", T0 - timedelta(hours=1))  # an old record synced late does not move her back
    assert db.learners()[0].last_exercise == "1.1"
    db.touch("ani", "2.1", T0 + timedelta(minutes=2))
    db.touch("budi", "1.1", T0)
    assert [(lr.user, lr.last_exercise) for lr in db.learners()] == [("ani", "2.1"), ("budi", "1.1")]


def test_data_survives_reopening(db_url):
    with ClassDB(db_url) as db:
        db.add_attempt(row(seq=1))
        db.add_attempt(row(seq=2))
    with ClassDB(db_url) as db:
        assert [r.attempt for r in db.attempts()] == [1, 2]
        assert db.add_attempt(row(seq=2)) is None
        assert db.add_attempt(row(seq=3)).attempt == 3
        assert db.learners()[0].user == "ani"


def test_a_database_from_a_newer_kenali_is_refused(db_url):
    with ClassDB(db_url) as db, db.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE schema_version SET version = 99")
    with pytest.raises(ClassDBError, match=r"schema version 99.*upgrade kenali"):
        ClassDB(db_url)


def test_kind(db, db_url):
    assert db.kind == db_url.split(":")[0].split("+")[0]


# -- errors that name the database -------------------------------------------------------------------

def test_sqlite_in_a_missing_folder(tmp_path):
    with pytest.raises(ClassDBError, match=f"{tmp_path / 'nope'}.*does not exist"):
        ClassDB(f"sqlite:///{tmp_path / 'nope' / 'kelas.db'}")


def test_sqlite_that_cannot_be_opened(tmp_path):
    (tmp_path / "kelas.db").mkdir()  # a folder where the file should be
    with pytest.raises(ClassDBError, match=f"cannot open the class database sqlite:///{tmp_path / 'kelas.db'}"):
        ClassDB(f"sqlite:///{tmp_path / 'kelas.db'}")


def test_sqlite_in_memory_is_refused():
    with pytest.raises(ClassDBError, match="give a file path"):
        ClassDB("sqlite://")


def test_unsupported_and_malformed_urls():
    with pytest.raises(ClassDBError, match="only sqlite"):
        ClassDB("mysql://kelas:rahasia@localhost/kelas")
    with pytest.raises(ClassDBError, match="not a database URL"):
        ClassDB("kelas.db")
    with pytest.raises(ClassDBError, match="not a database URL") as info:
        ClassDB("postgresql://kelas:rahasia@host:port-bukan-angka/kelas")
    assert "rahasia" not in str(info.value) and "kelas:***@host" in str(info.value)


def test_unreachable_postgres_names_the_url_without_the_password():
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens here once closed
    with pytest.raises(ClassDBError) as info:
        ClassDB(f"postgresql+psycopg://kelas:rahasia-sekali@127.0.0.1:{port}/kelas")
    text = str(info.value)
    assert f"postgresql+psycopg://kelas:***@127.0.0.1:{port}/kelas" in text
    assert "rahasia" not in text and "Traceback" not in text


# -- SQLite: a writer killed mid-transaction -----------------------------------------------------------

WRITER = """
import sys, time
from datetime import UTC, datetime
from kenali.classroom.db import AttemptRow, ClassDB
db = ClassDB(sys.argv[1])
if sys.argv[2] == "hold":
    with db._write() as conn:
        conn.exec_driver_sql("INSERT INTO attempts (user, exercise, attempt, answer, status, score, points, hints,"
                             " source, feedback, server_time, late) VALUES ('ani', '1.1', 1, '\\"x\\"', 'wrong', 0,"
                             " 1, 0, 'sync', '[]', '2026-12-07 00:00:00', 0)")
        print("ready", flush=True)
        time.sleep(60)
i = 0
while True:
    i += 1
    db.add_attempt(AttemptRow(user="ani", exercise="1.1", seq=i, answer="x" * 2000, status="wrong",
                              server_time=datetime.now(UTC)))
    if i == 30:
        print("ready", flush=True)
"""


@pytest.mark.parametrize("mode", ["hold", "loop"])
def test_a_killed_writer_leaves_sqlite_consistent(tmp_path, mode):
    url = f"sqlite:///{tmp_path / 'kelas.db'}"
    ClassDB(url).close()
    proc = subprocess.Popen([sys.executable, "-c", WRITER, url, mode], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "ready"
        if mode == "loop":
            time.sleep(0.3)
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.kill()
        proc.wait(30)
    with sqlite3.connect(tmp_path / "kelas.db") as raw:
        assert raw.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    with ClassDB(url) as db:
        stored = db.attempts_of("ani", "1.1")
        if mode == "hold":
            assert stored == []  # the uncommitted insert is gone
        else:
            assert len(stored) >= 30
            assert [r.attempt for r in stored] == [r.seq for r in stored] == list(range(1, len(stored) + 1))
        # and the database takes writes again: no lock left behind
        assert db.add_attempt(row(seq=10_000)).attempt == len(stored) + 1


@pytest.mark.postgres
def test_postgres_connections_dropped_mid_class_are_replaced(pg_server, pg_url):
    with ClassDB(pg_url) as db:
        db.add_attempt(row(seq=1))
        dbname = pg_url.rsplit("/", 1)[1].split("?")[0]
        with pg_server.connect() as admin:  # what a PostgreSQL restart does to the pool's connections
            admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (dbname,))
        assert db.add_attempt(row(seq=2)).attempt == 2
        assert db.count_attempts("ani", "1.1") == 2
