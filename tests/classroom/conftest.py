"""Fixtures for the classroom tests: a database URL for each backend the class server supports.

``db_url`` is parametrized over SQLite (a file in the test's temporary folder) and PostgreSQL (marked
``postgres``). The PostgreSQL database is fresh for every test, created on

* the server at ``KENALI_TEST_POSTGRES_URL`` when set (its user needs CREATEDB), e.g.
  ``postgresql+psycopg://postgres@localhost:5432/postgres``; or else
* a throw-away cluster this session starts: ``initdb`` into a temporary folder and ``pg_ctl`` on a free
  port with a private Unix socket folder and no TCP listener, stopped and deleted at the end. As root it
  runs as the ``postgres`` user (``initdb`` refuses root). Each pytest-xdist worker is its own session,
  so each gets its own cluster.

Without PostgreSQL binaries (``pg_config --bindir``, ``/usr/lib/postgresql/*/bin``) the PostgreSQL tests
are skipped with the reason, or fail when ``KENALI_POSTGRES_REQUIRED=1`` (CI).
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from e2e.server import _free_port
from needs import unavailable


def _bindir() -> Path | None:
    candidates: list[Path] = []
    if pg_config := shutil.which("pg_config"):
        try:
            out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, timeout=10, check=True)
            candidates.append(Path(out.stdout.strip()))
        except (OSError, subprocess.SubprocessError):
            pass

    def version(p: Path) -> float:
        try:
            return float(p.parent.name)
        except ValueError:
            return 0.0

    candidates += sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=version, reverse=True)
    return next((d for d in candidates if (d / "initdb").exists() and (d / "pg_ctl").exists()), None)


def _unavailable(reason: str) -> None:
    unavailable("PostgreSQL", reason, "KENALI_POSTGRES_REQUIRED")


@dataclass(frozen=True)
class PgServer:
    """Where to reach a PostgreSQL server as a user allowed to create databases."""

    host: str
    port: int
    user: str
    password: str | None
    dbname: str

    def connect(self, dbname: str | None = None):
        import psycopg

        return psycopg.connect(host=self.host, port=self.port, user=self.user, password=self.password,
                               dbname=dbname or self.dbname, autocommit=True, connect_timeout=10)

    def url(self, dbname: str) -> str:
        from sqlalchemy.engine import URL

        query = {"host": self.host} if self.host.startswith("/") else {}
        return URL.create("postgresql+psycopg", username=self.user, password=self.password,
                          host=None if query else self.host, port=None if query else self.port,
                          database=dbname, query={**query, "port": str(self.port)} if query else {}
                          ).render_as_string(hide_password=False)


def _start_cluster(bindir: Path) -> tuple[PgServer, Path, list[str]]:
    root = Path(tempfile.mkdtemp(prefix="kenali-pg-"))
    run_as: list[str] = []
    if os.geteuid() == 0:
        try:
            pg = pwd.getpwnam("postgres")
        except KeyError:
            shutil.rmtree(root)
            _unavailable("running as root and there is no 'postgres' user to run initdb as")
        os.chown(root, pg.pw_uid, pg.pw_gid)
        run_as = ["runuser", "-u", "postgres", "--"]
    data, sock, log = root / "data", root / "sock", root / "server.log"
    port = _free_port()

    def run(*args: str) -> None:
        done = subprocess.run([*run_as, *args], capture_output=True, text=True, timeout=120)
        if done.returncode:
            tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            raise RuntimeError(f"{' '.join(args[:2])} failed ({done.returncode}):\n{done.stdout}{done.stderr}{tail}")

    run("mkdir", "-m", "700", str(sock))
    run(str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C",
        "--no-sync")
    options = f"-p {port} -k {sock} -c listen_addresses='' -c fsync=off -c full_page_writes=off -c max_connections=60"
    run(str(bindir / "pg_ctl"), "-D", str(data), "-l", str(log), "-w", "-t", "60", "-o", options, "start")
    server = PgServer(host=str(sock), port=port, user="postgres", password=None, dbname="postgres")
    return server, root, run_as


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    """A PostgreSQL server for this session (or this xdist worker)."""
    try:
        import psycopg  # noqa: F401
    except ImportError:
        _unavailable("psycopg is not installed (pip install 'kenali[class]')")
    if given := os.environ.get("KENALI_TEST_POSTGRES_URL"):
        from sqlalchemy.engine import make_url

        u = make_url(given)
        host = u.query.get("host") or u.host or "localhost"
        yield PgServer(host=str(host), port=int(u.port or u.query.get("port") or 5432), user=u.username or "postgres",
                       password=u.password, dbname=u.database or "postgres")
        return
    bindir = _bindir()
    if bindir is None:
        _unavailable("no initdb/pg_ctl found (pg_config --bindir, /usr/lib/postgresql/*/bin)")
    server, root, run_as = _start_cluster(bindir)
    try:
        yield server
    finally:
        subprocess.run([*run_as, str(bindir / "pg_ctl"), "-D", str(root / "data"), "-m", "immediate", "-w", "stop"],
                       capture_output=True, timeout=60)
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def pg_url(pg_server: PgServer) -> Iterator[str]:
    """The URL of a fresh, empty PostgreSQL database, dropped after the test."""
    name = f"kenali_test_{uuid.uuid4().hex[:12]}"
    with pg_server.connect() as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield pg_server.url(name)
    finally:
        with pg_server.connect() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh class database URL, once per backend."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'kelas.db'}"
    return request.getfixturevalue("pg_url")
