"""The grader's side: a pool of pre-warmed workers, fed jobs, read for results.

:class:`Pool` runs ``workers`` worker processes (:mod:`.worker`), sends each free worker one job
(the notebooks of one submission), restarts a worker that dies (killed by a learner's code, say)
or stops answering, and parses what comes back (:func:`.protocol.parse_payload`) without ever
unpickling anything. On a system other than Linux no worker is started: every job comes back
with the reason (widget answers are still graded, in the grader).
"""

from __future__ import annotations

import base64
import contextlib
import json
import marshal
import os
import resource
import select
import shutil
import subprocess
import sys
import tempfile
import time
from collections import deque
from pathlib import Path
from typing import Any

from .child import compile_cell
from .confine import Cgroup, platform_problem
from .protocol import Limits, RunResult, encode_frame, parse_payload

_PACKAGE_PARENT = Path(__file__).resolve().parent.parent.parent.parent
_ENV_KEPT = {"PATH", "LANG", "LANGUAGE", "TZ", "PYTHONHOME", "VIRTUAL_ENV", "CONDA_PREFIX", "KENALI_LANG",
             "KENALI_COURSE", "SYSTEMROOT"}
_SANDBOX_UID_BASE = 61000  # per-slot unprivileged uids when the grader runs as root


class _Worker:
    def __init__(self, pool: Pool, slot: int):
        self.pool, self.slot = pool, slot
        self.buf = bytearray()
        self.header: dict[str, Any] | None = None
        self.ready = False
        self.job: Any = None
        self.deadline = 0.0
        self.failed_starts = 0
        self.start()

    def start(self) -> None:
        # only what Python, the locale and kenali need: the grader's own environment (tokens, keys, paths)
        # is not for learner code, which could return it as an answer and read it on its feedback page
        env = {k: v for k, v in os.environ.items() if k in _ENV_KEPT or k.startswith("LC_")}
        env |= {"KENALI_DATA": str(self.pool.data_dir), "MPLBACKEND": "Agg", "PYTHONHASHSEED": "0",
               "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
               "PYTHONDONTWRITEBYTECODE": "1", "KENALI_HOME": str(self.pool.workdir / "home")}
        # the workers run this very copy of kenali, whichever one `pip install` registered last
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(_PACKAGE_PARENT), os.environ.get("PYTHONPATH")) if p)
        debug = os.environ.get("KENALI_GRADE_DEBUG")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "kenali.grading.run.worker"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=None if debug else subprocess.DEVNULL, env=env, cwd=str(self.pool.workdir),
        )
        self.buf.clear()
        self.header, self.ready, self.job = None, False, None
        self.deadline = time.monotonic() + self.pool.start_timeout
        uid = _SANDBOX_UID_BASE + self.slot if self.pool.drop_privileges else None
        init = {"data_dir": str(self.pool.data_dir), "setups": self.pool.setups, "uid": uid,
                "known_cells": self.pool.known_cells, "limits": self.pool.limits.to_json(),
                "layers": self.pool.layer_switches, "workdir": str(self.pool.workdir / f"w{self.slot}")}
        (self.pool.workdir / f"w{self.slot}").mkdir(exist_ok=True)
        self._write({"t": "init"}, json.dumps(init).encode())

    def _write(self, header: dict[str, Any], payload: bytes = b"") -> bool:
        try:
            assert self.proc.stdin is not None
            for part in encode_frame(header, payload):
                self.proc.stdin.write(part)
            self.proc.stdin.flush()
            return True
        except (BrokenPipeError, OSError, ValueError):
            return False

    def send(self, key: Any, job: dict[str, Any]) -> None:
        self.job = key
        self.deadline = time.monotonic() + float(job["limits"]["timeout"]) + self.pool.grace
        payload = json.dumps(job["notebooks"], ensure_ascii=True).encode()
        # when the worker is gone, poll() sees end-of-file and reports the job
        self._write({"t": "job", "job": job["job"], "limits": job["limits"]}, payload)

    def kill(self) -> None:
        with contextlib.suppress(OSError):
            self.proc.kill()
        with contextlib.suppress(Exception):
            self.proc.wait(timeout=5)
        with contextlib.suppress(Exception):  # its jobs' namespaces died with it (their init's lifeline)
            Cgroup.remove_left(self.proc.pid)
        for stream in (self.proc.stdin, self.proc.stdout):
            with contextlib.suppress(Exception):
                stream.close()

    def frames(self) -> list[tuple[dict[str, Any], bytes]]:
        out = []
        while True:
            if self.header is None:
                nl = self.buf.find(b"\n")
                if nl < 0:
                    return out
                try:
                    self.header = json.loads(bytes(self.buf[:nl]))
                except ValueError:
                    self.header = {"t": "garbled", "bytes": 0}
                del self.buf[: nl + 1]
            size = int(self.header.get("bytes", 0))
            if len(self.buf) < size:
                return out
            payload = bytes(self.buf[:size])
            del self.buf[:size]
            out.append((self.header, payload))
            self.header = None


def _world_readable(path: Path) -> bool:
    """Whether another user could read ``path`` (every folder above it traversable)."""
    try:
        path = path.resolve()
        for folder in [*reversed(path.parents), path]:
            mode = folder.stat().st_mode
            if not mode & 0o001 if folder.is_dir() else not mode & 0o004:
                return False
        return True
    except OSError:
        return False


def can_drop_privileges() -> bool:
    """Children may run as an unprivileged user when the grader is root and Python is readable by others
    (otherwise a learner's ``import statistics`` would fail for no fault of theirs)."""
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        return False
    import importlib.util

    from .. import __file__ as kenali_file

    spec = importlib.util.find_spec("pandas")  # found, not imported: the workers should start at once
    pandas_file = spec.origin if spec and spec.origin else os.__file__
    return all(_world_readable(Path(p)) for p in (os.__file__, resource.__file__, pandas_file, kenali_file))


class Pool:
    """``workers`` pre-warmed sandbox workers; :meth:`submit` jobs, :meth:`poll` for results."""

    def __init__(self, workers: int, setups: dict[str, str], data_dir: Path, limits: Limits,
                 drop_privileges: bool | None = None, known_cells: list[str] | None = None,
                 layers: dict[str, bool] | None = None):
        """``known_cells``: the instructor's hand-out cells (compiled once per worker); ``layers``:
        confinement layers to switch off (``{"pidns": False}``; for measuring their cost)."""
        self.setups, self.data_dir, self.limits = dict(setups), Path(data_dir), limits
        self.known_cells = list(known_cells or [])
        self.code_cache: dict[str, str | None] = {}
        self.layer_switches = dict(layers or {})
        self.layers: dict[str, Any] = {}
        self.platform = platform_problem()
        self.drop_privileges = can_drop_privileges() if drop_privileges is None else drop_privileges
        self.workdir = Path(tempfile.mkdtemp(prefix="kenali-grade-"))
        os.chmod(self.workdir, 0o755)
        self.start_timeout = 120.0
        self.grace = 10.0
        self.queue: deque[tuple[Any, dict[str, Any]]] = deque()
        self.results: list[tuple[Any, RunResult]] = []
        self.counter = 0
        self.errors: list[str] = []
        self.workers = [] if self.platform else [_Worker(self, slot) for slot in range(max(1, workers))]
        if self.platform:
            self.errors.append(self.platform)

    # -- public ---------------------------------------------------------------------------------
    @property
    def pending(self) -> int:
        return len(self.queue) + sum(1 for w in self.workers if w.job is not None)

    def submit(self, key: Any, notebooks: list[dict[str, Any]]) -> None:
        self.counter += 1
        notebooks = [{**nb, "code": [self._compiled(src) for src in nb["cells"]]} for nb in notebooks]
        self.queue.append((key, {"job": self.counter, "limits": self.limits.to_json(), "notebooks": notebooks}))
        self._dispatch()

    def _compiled(self, source: str) -> str | None:
        """A cell compiled here, in the grader (which holds every hand-in anyway), as marshal data for the
        child of this submission only; cached by source, so a cell most learners share compiles once.
        The workers never see another learner's code. None: the child compiles it (and reports the error)."""
        if len(source) > 200_000:
            return None
        if source not in self.code_cache:
            try:
                data: str | None = base64.b64encode(marshal.dumps(compile_cell(source))).decode("ascii")
            except Exception:  # a syntax error: the child reports it
                data = None
            if len(self.code_cache) >= 4096:
                self.code_cache.clear()
            self.code_cache[source] = data
        return self.code_cache[source]

    def poll(self, timeout: float = 0.0) -> list[tuple[Any, RunResult]]:
        """Results finished since the last call; waits up to ``timeout`` seconds for the first."""
        end = time.monotonic() + timeout
        while True:
            self._dispatch()
            fds = {w.proc.stdout.fileno(): w for w in self.workers if w.proc.stdout and not w.proc.stdout.closed}
            wait = max(0.0, min(end - time.monotonic(), 0.5))
            ready: list[int] = []
            if fds:
                with contextlib.suppress(InterruptedError):
                    ready, _, _ = select.select(list(fds), [], [], wait if not self.results else 0)
            for fd in ready:
                self._read(fds[fd])
            self._check_deadlines()
            if self.results or time.monotonic() >= end or not self.pending:
                out, self.results = self.results, []
                return out

    def close(self) -> None:
        for w in self.workers:
            w.kill()
        shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self) -> Pool:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    # -- internals --------------------------------------------------------------------------------
    def _dispatch(self) -> None:
        if self.queue and not any(w.proc.stdout is not None for w in self.workers):  # none left (or not Linux)
            reason = self.errors[-1] if self.errors else "no sandbox worker"
            while self.queue:
                key, _ = self.queue.popleft()
                self.results.append((key, RunResult({}, [], None, error=reason)))
            return
        for w in self.workers:
            if not self.queue:
                return
            if w.ready and w.job is None:
                key, job = self.queue.popleft()
                w.send(key, job)

    def _fail(self, w: _Worker, reason: str) -> None:
        if w.job is not None:
            self.results.append((w.job, RunResult({}, [], None, error=reason)))
        w.kill()
        w.failed_starts += 0 if w.ready else 1
        if w.failed_starts >= 3:  # the worker cannot even start: fail every queued job
            self.errors.append(reason)
            while self.queue:
                key, _ = self.queue.popleft()
                self.results.append((key, RunResult({}, [], None, error=reason)))
            w.job, w.ready = None, False
            w.proc.stdout = None
            return
        w.start()

    def _read(self, w: _Worker) -> None:
        try:
            chunk = os.read(w.proc.stdout.fileno(), 1 << 20)
        except OSError:
            chunk = b""
        if not chunk:
            self._fail(w, "sandbox worker died" + (" (killed by the learner's code?)" if w.job is not None else ""))
            return
        w.buf.extend(chunk)
        for header, payload in w.frames():
            kind = header.get("t")
            if kind == "ready":
                w.ready, w.failed_starts = True, 0
                self.errors.extend(e for e in header.get("errors", []) if e not in self.errors)
                if isinstance(header.get("layers"), dict):
                    self.layers = header["layers"]
            elif kind == "result" and w.job is not None:
                self.results.append((w.job, parse_payload(header, payload)))
                w.job = None
            else:
                self._fail(w, "sandbox protocol error")
                return

    def _check_deadlines(self) -> None:
        now = time.monotonic()
        for w in self.workers:
            if w.proc.stdout is None:
                continue
            if (w.job is not None or not w.ready) and now > w.deadline:
                self._fail(w, "sandbox worker stopped responding")
