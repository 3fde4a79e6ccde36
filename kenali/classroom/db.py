"""The class server's database: every attempt the server receives, and where each learner is.

``ClassDB(url)`` is SQLAlchemy 2 Core (no ORM) over one of two engines:

* ``sqlite:///path/to/class.db`` (the default of ``kenali serve``). WAL journal, so the facilitator's
  page reads while kernels write; a busy timeout, so concurrent writers wait instead of failing; and
  ``synchronous=FULL``: in WAL mode ``NORMAL`` survives a crash of the server process but may lose the
  last commits on a power cut, and the server acknowledges an attempt to the kernel (which then stops
  resending it) right after the commit, so an acknowledged attempt must be on disk. Write transactions
  start with ``BEGIN IMMEDIATE``: the write lock is taken before the attempt is counted, so two writers
  never number two attempts alike.
* ``postgresql+psycopg://user:password@host/db`` for large classes: a pool sized for a few hundred
  learners behind one server; the attempt count and the insert run under a transaction-level advisory
  lock on ``(user, exercise)``.

Attempts are deduplicated by ``(user, exercise, seq)`` (``seq`` is the learner's local record number;
a retried sync is not a new attempt) and numbered by the database: ``attempt`` is the number of stored
attempts of ``(user, exercise)`` plus one, whatever the row says. Answers are untrusted JSON: plain data
no deeper than 32 levels and at most :data:`kenali.records.MAX_ANSWER_BYTES` serialized, stored as text.
Times are timezone-aware UTC on the way in and on the way out. A database that cannot be opened or
written raises :class:`ClassDBError` naming the URL (password hidden).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy import event, exc
from sqlalchemy.engine import URL, Connection, Engine, make_url

from ..records import MAX_ANSWER_BYTES

SCHEMA_VERSION = 1
MAX_DEPTH = 32  # nesting levels of an answer
MAX_FEEDBACK_BYTES = 64 * 1024
_MAX_NAME = 200  # user names, exercise ids, lessons, assignments
_MAX_CLIENT_TIME = 64
_RETRIES = 5

Source = Literal["check", "sync"]


class ClassDBError(RuntimeError):
    """The class database cannot be opened, read or written (the message names the URL)."""


class RowRejected(ValueError):
    """A row that cannot be stored as it is (too large, not plain JSON, bad text, naive time)."""


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, kw_only=True)
class AttemptRow:
    """One attempt as stored. ``attempt`` and ``id`` are assigned by :meth:`ClassDB.add_attempt`."""

    user: str
    exercise: str
    lesson: str | None = None
    seq: int | None = None
    answer: Any = None
    status: str
    score: float = 0.0
    points: float = 0.0
    hints: int = 0
    attempt: int = 0
    credit: float | None = None
    source: Source = "sync"
    assignment: str | None = None
    client_time: str | None = None
    server_time: datetime = field(default_factory=_now)
    learner_id: str | None = None
    feedback: list[Any] = field(default_factory=list)
    late: bool = False
    id: int = 0


@dataclass(frozen=True, kw_only=True)
class LearnerRow:
    """Where a learner is: the last time the server heard of them and the exercise they last tried."""

    user: str
    learner_id: str | None = None
    last_seen: datetime
    last_exercise: str | None = None


metadata = sa.MetaData()

attempts_table = sa.Table(
    "attempts", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("user", sa.String(_MAX_NAME), nullable=False),
    sa.Column("learner_id", sa.String(_MAX_NAME)),
    sa.Column("exercise", sa.String(_MAX_NAME), nullable=False),
    sa.Column("lesson", sa.String(_MAX_NAME)),
    sa.Column("assignment", sa.String(_MAX_NAME)),
    sa.Column("seq", sa.BigInteger),
    sa.Column("attempt", sa.Integer, nullable=False),
    sa.Column("answer", sa.Text, nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("score", sa.Float, nullable=False),
    sa.Column("points", sa.Float, nullable=False),
    sa.Column("hints", sa.Integer, nullable=False),
    sa.Column("credit", sa.Float),
    sa.Column("source", sa.String(10), nullable=False),
    sa.Column("feedback", sa.Text, nullable=False),
    sa.Column("client_time", sa.String(_MAX_CLIENT_TIME)),
    sa.Column("server_time", sa.DateTime(timezone=True), nullable=False),
    sa.Column("late", sa.Boolean, nullable=False),
    # NULLs are distinct in a unique constraint (both engines): rows without seq never collide.
    sa.UniqueConstraint("user", "exercise", "seq", name="uq_attempts_seq"),
    # The check path's count and in-order read of one learner's exercise use this index too.
    sa.UniqueConstraint("user", "exercise", "attempt", name="uq_attempts_attempt"),
    sa.Index("ix_attempts_exercise", "exercise", "id"),  # the projector view and per-exercise reads
)

learners_table = sa.Table(
    "learners", metadata,
    sa.Column("user", sa.String(_MAX_NAME), primary_key=True),
    sa.Column("learner_id", sa.String(_MAX_NAME)),
    sa.Column("last_seen", sa.DateTime(timezone=True), nullable=False),
    sa.Column("last_exercise", sa.String(_MAX_NAME)),
)

schema_table = sa.Table(
    "schema_version", metadata,
    sa.Column("version", sa.Integer, nullable=False),
)


# -- checking rows --------------------------------------------------------------------------------

def _plain(value: Any, depth: int = 0) -> str | None:
    """Why ``value`` is not plain JSON data of at most ``MAX_DEPTH`` levels (None when it is)."""
    if depth > MAX_DEPTH:
        return f"nested deeper than {MAX_DEPTH} levels"
    if value is None or isinstance(value, bool | int | float):
        return None  # NaN is allowed: missing values in a table answer
    if isinstance(value, str):
        return _bad_text(value)
    if isinstance(value, list | tuple):
        for item in value:
            if why := _plain(item, depth + 1):
                return why
        return None
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                return f"a key of type {type(key).__name__} (only text keys)"
            if (why := _bad_text(key)) or (why := _plain(item, depth + 1)):
                return why
        return None
    return f"a value of type {type(value).__name__} (only JSON data)"


def _bad_text(text: str) -> str | None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "text that is not valid Unicode (a lone surrogate)"
    return None


def _json(value: Any, what: str, limit: int) -> str:
    if why := _plain(value):
        raise RowRejected(f"{what} refused: {why}")
    text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    size = len(text.encode("utf-8"))
    if size > limit:
        raise RowRejected(f"{what} refused: {size} bytes, more than {limit}")
    return text


def _name(value: Any, what: str, optional: bool = True, limit: int = _MAX_NAME) -> str | None:
    if value is None and optional:
        return None
    if not isinstance(value, str) or (not value and not optional):
        raise RowRejected(f"{what} must be text, got {value!r:.60}")
    if len(value) > limit or "\x00" in value or _bad_text(value):
        raise RowRejected(f"{what} refused: longer than {limit} characters or not valid text")
    return value


def _number(value: Any, what: str, optional: bool = False) -> float | None:
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise RowRejected(f"{what} must be a finite number, got {value!r:.60}")
    return float(value)


def _utc(value: datetime, what: str) -> datetime:
    if not isinstance(value, datetime) or value.tzinfo is None or value.utcoffset() is None:
        raise RowRejected(f"{what} must be a timezone-aware datetime, got {value!r:.60}")
    return value.astimezone(UTC)


def _from_db_time(value: datetime) -> datetime:
    # SQLite keeps no zone (we store UTC); PostgreSQL returns the session's zone.
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _values(row: AttemptRow) -> dict[str, Any]:
    if row.source not in ("check", "sync"):
        raise RowRejected(f"source must be 'check' or 'sync', got {row.source!r:.60}")
    if row.seq is not None and (isinstance(row.seq, bool) or not isinstance(row.seq, int)
                                or not 0 <= row.seq < 2**62):
        raise RowRejected(f"seq must be a non-negative integer, got {row.seq!r:.60}")
    if isinstance(row.hints, bool) or not isinstance(row.hints, int) or not 0 <= row.hints < 1000:
        raise RowRejected(f"hints must be an integer from 0 to 999, got {row.hints!r:.60}")
    if not isinstance(row.client_time, str | None) or (row.client_time and len(row.client_time) > _MAX_CLIENT_TIME):
        raise RowRejected("client_time must be short text")
    return {
        "user": _name(row.user, "user", optional=False),
        "learner_id": _name(row.learner_id, "learner_id"),
        "exercise": _name(row.exercise, "exercise", optional=False),
        "lesson": _name(row.lesson, "lesson"),
        "assignment": _name(row.assignment, "assignment"),
        "seq": row.seq,
        "answer": _json(row.answer, "answer", MAX_ANSWER_BYTES),
        "status": _name(row.status, "status", optional=False, limit=20),
        "score": _number(row.score, "score"),
        "points": _number(row.points, "points"),
        "hints": row.hints,
        "credit": _number(row.credit, "credit", optional=True),
        "source": row.source,
        "feedback": _json(list(row.feedback), "feedback", MAX_FEEDBACK_BYTES),
        "client_time": _name(row.client_time, "client_time", limit=_MAX_CLIENT_TIME),
        "server_time": _utc(row.server_time, "server_time"),
        "late": bool(row.late),
    }


def _row(r: sa.Row[Any]) -> AttemptRow:
    m = r._mapping
    return AttemptRow(
        id=m["id"], user=m["user"], learner_id=m["learner_id"], exercise=m["exercise"], lesson=m["lesson"],
        assignment=m["assignment"], seq=m["seq"], attempt=m["attempt"], answer=json.loads(m["answer"]),
        status=m["status"], score=m["score"], points=m["points"], hints=m["hints"], credit=m["credit"],
        source=m["source"], feedback=json.loads(m["feedback"]), client_time=m["client_time"],
        server_time=_from_db_time(m["server_time"]), late=bool(m["late"]),
    )


# -- the database ---------------------------------------------------------------------------------

def redacted(url: str | URL) -> str:
    """A database URL fit for a message: the password replaced by ``***``."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "<unreadable database URL>"


def _reason(error: BaseException) -> str:
    orig = getattr(error, "orig", None) or error
    text = str(orig).strip().splitlines()
    return text[0] if text else type(orig).__name__


def _sqlite_engine(url: URL) -> Engine:
    db = url.database or ""
    if db in ("", ":memory:") or db.startswith("file:"):
        raise ClassDBError(f"class database {redacted(url)}: give a file path, e.g. sqlite:///kelas.db "
                           "(an in-memory database would lose every attempt on a restart)")
    folder = Path(db).expanduser().resolve().parent
    if not folder.is_dir():
        raise ClassDBError(f"class database {redacted(url)}: the folder {folder} does not exist")
    engine = sa.create_engine(url, connect_args={"check_same_thread": False, "timeout": 30},
                              pool_size=8, max_overflow=8)

    @event.listens_for(engine, "connect")
    def _connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we emit BEGIN ourselves (below)
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=FULL")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get("kenali_write") else "BEGIN")

    return engine


def _postgres_engine(url: URL) -> Engine:
    # One server process, a few hundred learners: requests are short, so 10 connections kept open and
    # up to 20 more at a peak, well under PostgreSQL's default max_connections of 100.
    # pre_ping: a connection the server dropped (a PostgreSQL restart mid-class) is replaced, not reported.
    return sa.create_engine(url, pool_size=10, max_overflow=20, pool_timeout=30, pool_pre_ping=True,
                            pool_recycle=1800, connect_args={"connect_timeout": 10})


class ClassDB:
    """The class server's database (see the module docstring)."""

    kind: Literal["sqlite", "postgresql"]

    def __init__(self, url: str):
        try:
            parsed = make_url(url)
        except Exception as e:
            shown = re.sub(r"//([^:@/]*):[^@]*@", r"//\1:***@", str(url))[:80]  # a password must not reach a log
            raise ClassDBError(f"class database URL {shown!r} is not a database URL ({e}); expected "
                               "sqlite:///path.db or postgresql+psycopg://user@host/dbname") from None
        self.url = redacted(parsed)
        backend = parsed.get_backend_name()
        if backend == "sqlite":
            self.kind = "sqlite"
            self.engine = _sqlite_engine(parsed)
        elif backend == "postgresql":
            if parsed.drivername == "postgresql":
                parsed = parsed.set(drivername="postgresql+psycopg")
            self.kind = "postgresql"
            try:
                self.engine = _postgres_engine(parsed)
            except Exception as e:  # e.g. a driver that is not installed
                raise ClassDBError(f"class database {self.url}: {_reason(e)}") from None
        else:
            raise ClassDBError(f"class database {self.url}: only sqlite:/// and postgresql+psycopg:// are supported")
        try:
            self._create()
        except ClassDBError:
            self.engine.dispose()
            raise
        except exc.SQLAlchemyError as e:
            self.engine.dispose()
            raise ClassDBError(f"cannot open the class database {self.url}: {_reason(e)}") from None

    def __repr__(self) -> str:
        return f"ClassDB({self.url!r})"

    def __enter__(self) -> ClassDB:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    @contextmanager
    def _write(self, action: str = "write to") -> Iterator[Connection]:
        try:
            with self.engine.connect().execution_options(kenali_write=True) as conn, conn.begin():
                yield conn
        except (RowRejected, exc.IntegrityError):
            raise
        except exc.SQLAlchemyError as e:
            raise ClassDBError(f"cannot {action} the class database {self.url}: {_reason(e)}") from None

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        try:
            with self.engine.connect() as conn, conn.begin():
                yield conn
        except exc.SQLAlchemyError as e:
            raise ClassDBError(f"cannot read the class database {self.url}: {_reason(e)}") from None

    def _create(self) -> None:
        with self._write("open") as conn:
            if self.kind == "postgresql":  # two servers starting at once must not both create the tables
                conn.execute(sa.text("SELECT pg_advisory_xact_lock(7243010)"))
            metadata.create_all(conn, checkfirst=True)
            versions = [v for (v,) in conn.execute(sa.select(schema_table.c.version))]
            if not versions:
                conn.execute(schema_table.insert().values(version=SCHEMA_VERSION))
            elif max(versions) > SCHEMA_VERSION:
                raise ClassDBError(f"class database {self.url} has schema version {max(versions)}, newer than "
                                   f"this kenali understands ({SCHEMA_VERSION}): upgrade kenali")

    # -- writing ------------------------------------------------------------------------------

    def add_attempt(self, row: AttemptRow) -> AttemptRow | None:
        """Store ``row`` with the next attempt number of its ``(user, exercise)``; None when an attempt
        with the same ``(user, exercise, seq)`` is already stored (a retried sync). Also records where the
        learner is. Raises :class:`RowRejected` for a row that cannot be stored."""
        values = _values(row)
        for _ in range(_RETRIES):
            try:
                return self._insert(values)
            except exc.IntegrityError:
                # A concurrent writer won a race the lock should have prevented (e.g. a second
                # server on the same database): the seq is now a duplicate, or try the next number.
                if values["seq"] is not None and self._seq_stored(values):
                    return None
        raise ClassDBError(f"class database {self.url}: could not number an attempt of "
                           f"{values['user']!r}/{values['exercise']!r} after {_RETRIES} tries")

    def _seq_stored(self, v: dict[str, Any]) -> bool:
        t = attempts_table.c
        with self._read() as conn:
            return conn.execute(sa.select(t.id).where(t.user == v["user"], t.exercise == v["exercise"],
                                                      t.seq == v["seq"])).first() is not None

    def _insert(self, v: dict[str, Any]) -> AttemptRow | None:
        t = attempts_table.c
        with self._write() as conn:
            if self.kind == "postgresql":
                conn.execute(sa.select(sa.func.pg_advisory_xact_lock(
                    sa.func.hashtextextended(sa.literal(v["user"]) + "\x1f" + v["exercise"], 0))))
            same = (t.user == v["user"]) & (t.exercise == v["exercise"])
            if v["seq"] is not None and conn.execute(sa.select(t.id).where(same, t.seq == v["seq"])).first():
                return None
            count = conn.execute(sa.select(sa.func.count()).select_from(attempts_table).where(same)).scalar_one()
            new = {**v, "attempt": count + 1}
            new_id = conn.execute(attempts_table.insert().values(**new).returning(t.id)).scalar_one()
            self._touch(conn, v["user"], v["exercise"], v["server_time"], v["learner_id"])
        return AttemptRow(**{**new, "answer": json.loads(v["answer"]), "feedback": json.loads(v["feedback"]),
                             "id": new_id})

    def touch(self, user: str, exercise: str | None, at: datetime, learner_id: str | None = None) -> None:
        """Record that ``user`` was seen at ``at`` (on ``exercise`` when given). An older time than the
        one stored changes nothing."""
        user_ = _name(user, "user", optional=False)
        exercise_ = _name(exercise, "exercise")
        learner_ = _name(learner_id, "learner_id")
        when = _utc(at, "at")
        with self._write() as conn:
            self._touch(conn, user_, exercise_, when, learner_)

    def _touch(self, conn: Connection, user: str | None, exercise: str | None, at: datetime,
               learner_id: str | None) -> None:
        insert: Any
        if self.kind == "postgresql":
            from sqlalchemy.dialects.postgresql import insert
        else:
            from sqlalchemy.dialects.sqlite import insert
        table = learners_table
        stmt = insert(table).values(user=user, learner_id=learner_id, last_seen=at, last_exercise=exercise)
        ex = stmt.excluded
        stmt = stmt.on_conflict_do_update(
            index_elements=[table.c.user],
            set_={"last_seen": ex.last_seen,
                  "last_exercise": sa.func.coalesce(ex.last_exercise, table.c.last_exercise),
                  "learner_id": sa.func.coalesce(ex.learner_id, table.c.learner_id)},
            where=table.c.last_seen <= ex.last_seen,
        )
        conn.execute(stmt)

    # -- reading ------------------------------------------------------------------------------

    def attempts(self, user: str | None = None, exercise: str | None = None, since_id: int = 0,
                 limit: int | None = None) -> list[AttemptRow]:
        """Stored attempts in the order they were stored, optionally of one user and/or exercise, only
        those with ``id > since_id`` (the live view passes the last id it has seen), at most ``limit``."""
        t = attempts_table.c
        query = sa.select(attempts_table).where(t.id > since_id).order_by(t.id)
        if user is not None:
            query = query.where(t.user == user)
        if exercise is not None:
            query = query.where(t.exercise == exercise)
        if limit is not None:
            query = query.limit(limit)
        with self._read() as conn:
            return [_row(r) for r in conn.execute(query)]

    def attempts_of(self, user: str, exercise: str) -> list[AttemptRow]:
        """One learner's attempts of one exercise, by attempt number (what the policy scores)."""
        t = attempts_table.c
        query = sa.select(attempts_table).where(t.user == user, t.exercise == exercise).order_by(t.attempt)
        with self._read() as conn:
            return [_row(r) for r in conn.execute(query)]

    def count_attempts(self, user: str, exercise: str) -> int:
        """How many attempts of ``exercise`` by ``user`` are stored."""
        t = attempts_table.c
        query = sa.select(sa.func.count()).select_from(attempts_table).where(t.user == user, t.exercise == exercise)
        with self._read() as conn:
            return int(conn.execute(query).scalar_one())

    def last_id(self) -> int:
        """The id of the latest stored attempt (0 when none)."""
        with self._read() as conn:
            return int(conn.execute(sa.select(sa.func.coalesce(sa.func.max(attempts_table.c.id), 0))).scalar_one())

    def learners(self) -> list[LearnerRow]:
        """Every learner the server has heard of, by user name."""
        t = learners_table.c
        with self._read() as conn:
            return [LearnerRow(user=r.user, learner_id=r.learner_id, last_seen=_from_db_time(r.last_seen),
                               last_exercise=r.last_exercise)
                    for r in conn.execute(sa.select(learners_table).order_by(t.user))]

    def close(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()
