"""The class client in a learner's kernel: reports answers to the class server and asks it to check answers
of keyless (assessment) exercises.

The local store (:mod:`kenali.store`) stays the source of truth: every answer is written there first.
The client then

* **pushes** records the server has not acknowledged yet (``POST api/records``, in batches) from a
  background daemon thread, woken after each answer, so a click never waits on the network. What the
  server acknowledged is remembered in ``<progress folder>/sync.json`` (written atomically); losing that
  file only means sending again, since the server keeps one attempt per (learner, exercise, ``seq``).
  While the server is down the thread retries with growing pauses; a new kernel pushes everything not
  acknowledged yet, so answers given while the server was down arrive when it is back. A record the
  server judged while syncing (a ``pending`` answer of a keyless exercise) gets its verdict written
  locally as a newer record;
* **checks** an answer of a keyless exercise (``POST api/check``), synchronously but never for longer
  than a short timeout: the caller then records the answer as ``pending``.

Standard library only for HTTP (urllib, threading). Requests carry ``Authorization: token …`` (the
single-user server's ``JUPYTERHUB_API_TOKEN``); the token is never logged or shown.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..records import VERDICT_MODE
from ..store import Store, fsync_dir

if TYPE_CHECKING:
    from .wire import CheckOut

SYNC_FILE = "sync.json"
CHECK_TIMEOUT = 3.0  # seconds a click may wait for the server's verdict
PUSH_TIMEOUT = 20.0  # per sync request, in the background
BATCH_RECORDS = 100  # records per sync request (the server takes at most wire.MAX_RECORDS)
BATCH_BYTES = 192 * 1024  # and at most this many bytes of JSON (the server reads at most wire.MAX_BODY_BYTES)
BACKOFF = (1.0, 60.0)  # first and longest pause between retries while the server is unreachable


class ClassUnavailable(Exception):
    """The class server could not be reached, failed, or did not answer in time; the answer waits locally."""


class ClassRefused(Exception):
    """The class server refused a request (HTTP 4xx): ``reason`` is its one-sentence explanation."""

    def __init__(self, status: int, reason: str):
        super().__init__(f"HTTP {status}: {reason}")
        self.status, self.reason = status, reason


def _base(url: str) -> str:
    return url if url.endswith("/") else url + "/"


def verdict_server_info(out: CheckOut) -> dict[str, Any]:
    """The server's details of a verdict, kept in a local record's ``server`` field (plain JSON data)."""
    return {
        "attempt": out.attempt,
        "attempts_left": out.attempts_left,
        "final": out.final,
        "credit": out.credit,
        "late": out.late,
        "status": out.status,
        "messages": list(out.messages),
        "parts": dict(out.parts),
        "explanation": out.explanation,
        "disclosure": out.disclosure.model_dump(),
        "assignment": out.assignment,
        "seq": out.seq,
    }


class ClassClient:
    """The connection of one learner's progress folder to the class server."""

    def __init__(self, url: str, token: str, home: Path, *, check_timeout: float = CHECK_TIMEOUT,
                 push_timeout: float = PUSH_TIMEOUT, backoff: tuple[float, float] = BACKOFF):
        self.url = _base(url)
        self._token = token
        self.home = Path(home)
        self.check_timeout = check_timeout
        self.push_timeout = push_timeout
        self.backoff = backoff
        self.store = Store(self.home)  # its own store object: the session's collects the session's warnings
        self._lock = threading.Lock()  # one sync at a time in this process
        self._wake = threading.Event()
        self._progress = threading.Condition()
        self._requested = self._synced = 0  # pushes asked for, and the last one a successful sync covered
        self._stop = False
        self._thread: threading.Thread | None = None
        self.last_error: str | None = None  # why the last sync failed (shown by tests and diagnostics)

    def __repr__(self) -> str:  # never the token
        return f"ClassClient({self.url!r}, home={str(self.home)!r})"

    @classmethod
    def from_env(cls, home: Path | None = None) -> ClassClient | None:
        """The client of this kernel: ``None`` unless ``KENALI_CLASS_URL`` and ``JUPYTERHUB_API_TOKEN`` are set."""
        url = os.environ.get("KENALI_CLASS_URL", "").strip()
        token = os.environ.get("JUPYTERHUB_API_TOKEN", "").strip()
        if not url or not token:
            return None
        if home is None:
            from ..paths import progress_home

            home = progress_home()
        return cls(url, token, home)

    # -- HTTP ---------------------------------------------------------------------------------
    def _request(self, path: str, payload: Any, timeout: float) -> Any:
        """POST JSON, return the decoded JSON answer. Raises :class:`ClassUnavailable` or :class:`ClassRefused`."""
        body = json.dumps(payload, ensure_ascii=False, allow_nan=False).encode("utf-8")
        req = urllib.request.Request(self.url + path, data=body, method="POST", headers={
            "Authorization": f"token {self._token}",
            "Content-Type": "application/json; charset=utf-8",
            "Accept": "application/json",
        })
        try:
            with urllib.request.urlopen(req, timeout=timeout) as resp:
                data = resp.read()
        except urllib.error.HTTPError as exc:
            reason = f"HTTP {exc.code}"
            with contextlib.suppress(Exception):
                reason = str(json.loads(exc.read(4096)).get("error") or reason)
            if 400 <= exc.code < 500 and exc.code not in {408, 429}:
                raise ClassRefused(exc.code, reason) from None
            raise ClassUnavailable(reason) from None
        except (OSError, ValueError) as exc:  # URLError, timeouts, resets, a malformed URL
            raise ClassUnavailable(str(getattr(exc, "reason", None) or exc)) from None
        try:
            return json.loads(data)
        except ValueError:
            raise ClassUnavailable("the server's answer is not JSON") from None

    def _bounded(self, func: Any, timeout: float) -> Any:
        """Run ``func()`` in a daemon thread and give up after ``timeout`` seconds (DNS lookups and slow
        servers are not all covered by socket timeouts; a click must never wait longer)."""
        box: dict[str, Any] = {}

        def run() -> None:
            try:
                box["value"] = func()
            except BaseException as exc:  # handed to the caller
                box["error"] = exc

        worker = threading.Thread(target=run, name="kenali-class-check", daemon=True)
        worker.start()
        worker.join(timeout)
        if worker.is_alive():
            raise ClassUnavailable(f"no answer within {timeout:g} s")
        if "error" in box:
            raise box["error"]
        return box["value"]

    # -- checking -----------------------------------------------------------------------------
    def check(self, exercise: str, answer: Any, hints: int = 0, seq: int | None = None,
              learner: str | None = None, client_time: str = "") -> CheckOut:
        """The server's (redacted) verdict on one answer of a keyless exercise, within ``check_timeout``.

        Raises :class:`ClassUnavailable` (down, slow, failing) or :class:`ClassRefused` (it will not check it).
        """
        from .wire import CheckIn, CheckOut, WireError, parse_obj

        request = CheckIn(exercise=exercise, answer=answer, hints=hints, seq=seq, client_time=client_time[:64],
                          learner=learner[:200] if learner else None)
        data = self._bounded(lambda: self._request("api/check", request.model_dump(mode="json"),
                                                   self.check_timeout), self.check_timeout + 0.25)
        try:
            return parse_obj(CheckOut, data)
        except WireError as exc:
            raise ClassUnavailable(f"unexpected answer: {exc}") from None

    # -- what was acknowledged ------------------------------------------------------------------
    @property
    def sync_path(self) -> Path:
        return self.home / SYNC_FILE

    def acknowledged(self) -> set[tuple[str, int]]:
        """(exercise, seq) of every record this server acknowledged (empty when the file is missing or
        damaged, or names another server: everything is then sent again, which the server ignores)."""
        try:
            data = json.loads(self.sync_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return set()
        if not isinstance(data, dict) or data.get("server") != self.url or not isinstance(data.get("acked"), dict):
            return set()
        out: set[tuple[str, int]] = set()
        for exercise, seqs in data["acked"].items():
            if isinstance(exercise, str) and isinstance(seqs, list):
                out.update((exercise, s) for s in seqs if isinstance(s, int) and not isinstance(s, bool))
        return out

    def mark_acknowledged(self, refs: Iterable[tuple[str, int]]) -> None:
        """Add records to ``sync.json`` (tmp + fsync + rename; an unwritable folder only costs re-sending)."""
        refs = set(refs)
        if not refs:
            return
        acked = self.acknowledged() | refs
        by_exercise: dict[str, list[int]] = {}
        for exercise, seq in sorted(acked):
            by_exercise.setdefault(exercise, []).append(seq)
        payload = json.dumps({"server": self.url, "acked": by_exercise}, sort_keys=True).encode("utf-8")
        tmp = self.home / f".{SYNC_FILE}.{os.getpid()}.{threading.get_ident()}.tmp"
        try:
            self.home.mkdir(parents=True, exist_ok=True)
            with open(tmp, "wb") as fh:
                fh.write(payload)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, self.sync_path)
            fsync_dir(self.home)
        except OSError:
            with contextlib.suppress(OSError):
                tmp.unlink()

    def unsent(self) -> list[dict[str, Any]]:
        """Local records the server has not acknowledged, oldest first.

        Left out: records without a sequence number (version 1), records of solution notebooks, and
        records that hold a verdict of the server itself (``server`` set: the server has that attempt).
        """
        acked = self.acknowledged()
        records = self.store.attempts()
        self.store.take_warnings()  # the session reports problems of the store; the sync only skips them
        return [
            r for r in records
            if r.get("seq") and r.get("mode") != "solusi" and r.get("server") is None
            and (r["exercise"], r["seq"]) not in acked
        ]

    # -- pushing ------------------------------------------------------------------------------
    @staticmethod
    def _batches(records: list[dict[str, Any]]) -> Iterable[list[dict[str, Any]]]:
        batch: list[dict[str, Any]] = []
        size = 0
        for rec in records:
            wire_rec = {k: v for k, v in rec.items() if not k.startswith("_") and k != "server"}
            n = len(json.dumps(wire_rec, ensure_ascii=False, default=str).encode("utf-8")) + 1
            if batch and (len(batch) >= BATCH_RECORDS or size + n > BATCH_BYTES):
                yield batch
                batch, size = [], 0
            batch.append(wire_rec)
            size += n
        if batch:
            yield batch

    def push_once(self) -> int:
        """Send every unacknowledged record now, in batches; returns how many the server acknowledged.

        Verdicts the server returns for ``pending`` answers become new local records. Raises
        :class:`ClassUnavailable` when the server cannot be reached (what was acknowledged before stays so).
        """
        from .wire import RecordsOut, WireError, parse_obj

        with self._lock:
            todo = self.unsent()
            pending = {(r["exercise"], r["seq"]): r for r in todo if r["status"] == "pending"}
            done = 0
            for batch in self._batches(todo):
                try:
                    data = self._request("api/records", {"records": batch}, self.push_timeout)
                    out = parse_obj(RecordsOut, data)
                except ClassRefused as exc:  # a token it does not accept, a body it refuses: retried later
                    raise ClassUnavailable(exc.reason) from None
                except WireError as exc:
                    raise ClassUnavailable(f"unexpected answer: {exc}") from None
                refs = {(a.exercise, a.seq) for a in out.accepted} | {(r.exercise, r.seq) for r in out.rejected}
                self.mark_acknowledged(refs)
                done += len(out.accepted)
                for verdict in out.results:
                    key = (verdict.exercise, verdict.seq or 0)
                    if key in pending:
                        self._write_verdict(pending[key], verdict)
            return done

    def _write_verdict(self, rec: Mapping[str, Any], out: CheckOut) -> None:
        """Record the server's verdict on a pending answer, unless a newer answer of the exercise exists."""
        if out.status in {"pending", "over_limit", "unanswered"}:
            return
        latest = self.store.latest(rec["exercise"])
        self.store.take_warnings()
        if latest is None or latest["seq"] != rec["seq"] or latest["status"] != "pending":
            return
        verdict = {
            "exercise": rec["exercise"], "lesson": rec.get("lesson"), "learner": rec.get("learner"),
            "answer": rec.get("answer"), "status": out.status, "score": round(out.score, 6),
            "points": rec.get("points", 0.0), "hints": rec.get("hints", 0), "ts": time.time(),
            "time": rec.get("time", ""), "mode": VERDICT_MODE, "server": verdict_server_info(out),
        }
        with contextlib.suppress(OSError, ValueError):
            self.store.record(verdict)
            self.mark_acknowledged({(verdict["exercise"], verdict["seq"])})

    # -- the background thread ----------------------------------------------------------------
    def push(self) -> None:
        """Ask the background thread to sync now (returns at once; starts the thread on first use)."""
        with self._progress:
            self._requested += 1
        self._wake.set()
        if self._thread is None or not self._thread.is_alive():
            self._stop = False
            self._thread = threading.Thread(target=self._run, name="kenali-class-sync", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        delay = 0.0
        while not self._stop:
            if delay:
                self._wake.wait(delay)
            else:
                self._wake.wait()
            if self._stop:
                break
            self._wake.clear()
            with self._progress:
                covered = self._requested
            try:
                self.push_once()
            except ClassUnavailable as exc:
                self.last_error = str(exc)
                delay = min(max(delay * 2, self.backoff[0]), self.backoff[1])
                continue
            except Exception as exc:  # never let the thread die on a surprise: retry later
                self.last_error = f"{type(exc).__name__}: {exc}"
                delay = self.backoff[1]
                continue
            self.last_error = None
            delay = 0.0
            with self._progress:
                self._synced = covered
                self._progress.notify_all()

    def wait_idle(self, timeout: float) -> bool:
        """Wait until a sync succeeded after the last :meth:`push` (True) or ``timeout`` passes (False)."""
        with self._progress:
            return self._progress.wait_for(lambda: self._synced >= self._requested, timeout)

    def close(self) -> None:
        """Stop the background thread (at its next wake-up)."""
        self._stop = True
        self._wake.set()


_clients: dict[tuple[str, str], ClassClient] = {}
_clients_lock = threading.Lock()


def shared_client(home: Path) -> ClassClient | None:
    """This kernel's client for a progress folder (one per class URL and folder), or ``None`` outside a class.

    The first call starts pushing whatever the server has not acknowledged yet (a new kernel sends the
    answers given while the server was down).
    """
    url = os.environ.get("KENALI_CLASS_URL", "").strip()
    token = os.environ.get("JUPYTERHUB_API_TOKEN", "").strip()
    if not url or not token:
        return None
    key = (_base(url), str(Path(home)))
    with _clients_lock:
        client = _clients.get(key)
        if client is None or client._token != token:
            client = _clients[key] = ClassClient(url, token, Path(home))
            client.push()
    return client


def reset_clients() -> None:
    """Stop and forget every shared client (tests)."""
    with _clients_lock:
        for client in _clients.values():
            client.close()
        _clients.clear()
