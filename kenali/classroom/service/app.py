"""The class server's tornado application and ``kenali serve``.

``make_app`` joins the routes (under the service prefix the hub proxies, ``/services/kenali/``): the
kernels' API (:mod:`.api`), the facilitator's pages (:mod:`.pages`), their script and style, and the OAuth
callback. :func:`open_state` loads what the server needs and turns every problem (a bad policy file, a
database that cannot be opened, a broken course, no hub environment) into one :class:`ServeError`
sentence; :func:`serve` runs it until SIGTERM or Ctrl+C.
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import signal
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

from tornado import web
from tornado.httpserver import HTTPServer

from ..db import ClassDB, ClassDBError
from ..policy import PolicyError, load_policy
from ..wire import MAX_BODY_BYTES
from . import api, pages
from .auth import AuthConfigError, Backend, HubBackend, TokenFileBackend
from .core import Classroom
from .course import CourseError, ServerCourse
from .state import State

HERE = Path(__file__).resolve().parent
DEFAULT_PREFIX = "/services/kenali/"
DEFAULT_PORT = 10101
DB_FILE = "kenali-class.db"
log = logging.getLogger("kenali.serve")


class ServeError(RuntimeError):
    """The class server cannot start; the message says why and what to do."""


@dataclass
class Options:
    """What ``kenali serve`` was asked for (see ``kenali serve --help``)."""

    db: str | None = None
    policy: Path | None = None
    course: Path | None = None
    tokens: Path | None = None
    ip: str | None = None
    port: int | None = None
    prefix: str | None = None
    rate: float = 5.0


def service_prefix(given: str | None = None) -> str:
    prefix = given or os.environ.get("JUPYTERHUB_SERVICE_PREFIX") or DEFAULT_PREFIX
    prefix = "/" + prefix.strip("/") + "/"
    return prefix.replace("//", "/")


def listen_address(ip: str | None, port: int | None) -> tuple[str, int]:
    """``--ip``/``--port``, else where the hub says the service is (``JUPYTERHUB_SERVICE_URL``), else
    127.0.0.1:10101."""
    url = os.environ.get("JUPYTERHUB_SERVICE_URL")
    host, default_port = "127.0.0.1", DEFAULT_PORT
    if url:
        parsed = urlparse(url)
        host = parsed.hostname or host
        default_port = parsed.port or (443 if parsed.scheme == "https" else 80)
    return ip or host, port if port is not None else default_port


def db_url(given: str | None) -> str:
    """``--db``, else ``$KENALI_CLASS_DB``, else a SQLite file in the working folder; a plain path is SQLite."""
    url = given or os.environ.get("KENALI_CLASS_DB") or ""
    if not url:
        return f"sqlite:///{Path.cwd() / DB_FILE}"
    if "://" not in url:
        return f"sqlite:///{Path(url).expanduser().resolve()}"
    return url


def policy_file(given: Path | None) -> Path | None:
    """``--policy``, else ``$KENALI_POLICY``, else none (practice rules)."""
    return given or (Path(os.environ["KENALI_POLICY"]) if os.environ.get("KENALI_POLICY") else None)


def open_state(opts: Options) -> State:
    """Course, policy, database and authentication, checked; :class:`ServeError` names what is wrong."""
    try:
        course = ServerCourse(opts.course)
    except CourseError as exc:
        raise ServeError(str(exc)) from None
    policy_path = policy_file(opts.policy)
    policy = None
    if policy_path is not None:
        try:
            policy = load_policy(Path(policy_path).expanduser(), exercises=course.pairs)
        except PolicyError as exc:
            raise ServeError(f"policy file: {exc}") from None
    auth: Backend
    try:
        auth = (TokenFileBackend(opts.tokens) if opts.tokens is not None
                else HubBackend(prefix=service_prefix(opts.prefix)))
    except AuthConfigError as exc:
        raise ServeError(str(exc)) from None
    try:
        db = ClassDB(db_url(opts.db))
    except ClassDBError as exc:
        raise ServeError(str(exc)) from None
    return State(Classroom(db, course, policy), auth, rate=opts.rate)


def make_app(state: State, prefix: str = DEFAULT_PREFIX, cookie_secret: bytes | None = None) -> web.Application:
    """The tornado application of the class server (routes under ``prefix``)."""
    kw = {"state": state}
    routes: list[tuple[str, type[web.RequestHandler], dict[str, object]]] = [
        (prefix + "api/health", api.HealthHandler, kw),
        (prefix + "api/records", api.RecordsHandler, kw),
        (prefix + "api/check", api.CheckHandler, kw),
        (prefix + r"api/exercise/([^/]+)", api.ExerciseHandler, kw),
        (prefix + "api/live", api.LiveHandler, kw),
        (prefix + r"api/projector/([^/]+)", api.ProjectorDataHandler, kw),
        (prefix + r"api/.*", api.NotFoundHandler, kw),
        (prefix, pages.LivePage, kw),
        (prefix + r"projector/([^/]+)", pages.ProjectorPage, kw),
    ]
    routes += state.auth.handlers(prefix)
    if prefix != "/":
        routes.append((prefix.rstrip("/"), web.RedirectHandler, {"url": prefix}))
    return web.Application(
        routes,  # type: ignore[arg-type]
        template_path=str(HERE / "templates"),
        static_path=str(HERE / "static"),
        static_url_prefix=prefix + "static/",
        cookie_secret=cookie_secret or os.environ.get("KENALI_COOKIE_SECRET") or secrets.token_bytes(32),
        kenali_prefix=prefix,
        xsrf_cookies=False,  # every state-changing request is token-authenticated (never by cookie)
        autoreload=False,
    )


async def run_server(state: State, app: web.Application, ip: str, port: int,
                     started: Callable[[asyncio.AbstractEventLoop, asyncio.Event], None] | None = None) -> None:
    """Serve ``app`` on ``ip:port`` until SIGTERM/SIGINT (or until the event handed to ``started`` is set)."""
    server = HTTPServer(app, max_body_size=2 * MAX_BODY_BYTES, xheaders=True)
    try:
        server.listen(port, ip)
    except OSError as exc:
        raise ServeError(f"cannot listen on {ip}:{port}: {exc.strerror or exc} (another server on that port? "
                         "choose one with --port)") from None
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        try:
            loop.add_signal_handler(sig, stop.set)
        except (NotImplementedError, RuntimeError, ValueError):  # Windows, or not the main thread
            pass
    warm = loop.run_in_executor(state.executor, state.room.course.warm)  # code keys off the request path
    if started is not None:
        started(loop, stop)
    try:
        await stop.wait()
    finally:
        server.stop()
        await server.close_all_connections()
        warm.cancel()
        state.close()
        log.info("kenali serve: stopped")


def serve(opts: Options) -> int:
    """Run the class server until SIGTERM/Ctrl+C. Problems at start are a :class:`ServeError`."""
    logging.basicConfig(level=logging.INFO, format="[%(levelname).1s %(asctime)s %(name)s] %(message)s")
    for noisy in ("tornado.access", "alembic"):  # one line per request is too many for a class of 200
        logging.getLogger(noisy).setLevel(logging.WARNING)
    state = open_state(opts)
    prefix = service_prefix(opts.prefix)
    ip, port = listen_address(opts.ip, opts.port)
    app = make_app(state, prefix)
    room = state.room
    policy = f"policy {room.policy_digest}" if room.policy is not None else "no policy (practice rules)"
    log.info("kenali serve: http://%s:%d%s · db %s (%s) · %s · course %s (%d exercises) · auth %s",
             ip, port, prefix, room.db.kind, room.db.url, policy, room.course.version, len(room.course.pairs),
             state.auth.kind)
    try:
        asyncio.run(run_server(state, app, ip, port))
    except ServeError:
        state.close()
        raise
    return 0
