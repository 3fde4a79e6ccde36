"""The child: a fork of a worker that runs one submission's code cells, and never returns.

It confines itself first (:mod:`.confine`: cgroup, network namespace, rlimits, Landlock), points
stdin/stdout/stderr at ``/dev/null``, works in the job's folder (``exercises/``, ``data/``), and
runs each notebook's code cells top to bottom in a fresh namespace where ``cek`` and the other
notebook calls are harmless (a stub ``kenali`` module); every ``cek(...)`` call is rewritten by the
AST to an internal capture, so a learner who redefines ``cek`` gains nothing. Output goes to capped
buffers; each cell has a soft time limit (``SIGALRM``). After an answer cell the answer value is
sent as :func:`kenali.values.to_plain` JSON, cell by cell, so a crash in exercise 5.6 keeps the
answers of 5.1 to 5.5; a value that cannot be converted costs only that answer.

Cells come compiled: by the grader for this submission only (marshal data in the job, cached in the
grader by source), or by the worker for the instructor's own hand-out cells; never from another
learner's job. A cell that does not compile is compiled here, and its error reported.
"""

from __future__ import annotations

import ast
import base64
import builtins
import contextlib
import json
import marshal
import os
import signal
import sys
import tempfile
import time
import types
from pathlib import Path
from typing import Any

from ..source import clean_source
from . import confine
from .protocol import send_line

HIDDEN_CEK = "__kenali_cek__"


class CellTimeout(BaseException):
    """Raised by SIGALRM inside a cell that runs too long."""


class _Capped:
    """A text stream that keeps at most ``limit`` characters and counts the rest."""

    def __init__(self, counter: list[int], limit: int):
        self.counter, self.limit = counter, limit
        self.parts: list[str] = []

    def write(self, text: Any) -> int:
        text = str(text)
        kept = self.limit - self.counter[1]
        if kept > 0:
            self.parts.append(text[:kept])
            self.counter[1] += min(len(text), kept)
        self.counter[0] += len(text)
        return len(text)

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False

    def writable(self) -> bool:
        return True


class _CekRewriter(ast.NodeTransformer):
    """``cek(...)`` / ``kenali.cek(...)`` -> the grader's capture, whatever ``cek`` is bound to."""

    def visit_Call(self, node: ast.Call) -> ast.AST:
        self.generic_visit(node)
        func = node.func
        if isinstance(func, ast.Name | ast.Attribute) and getattr(func, "id", getattr(func, "attr", None)) == "cek":
            node.func = ast.copy_location(ast.Name(id=HIDDEN_CEK, ctx=ast.Load()), func)
        return node


def _describe(exc: BaseException) -> str:
    try:
        text = str(exc)
    except BaseException:  # a learner's exception whose __str__ fails
        text = ""
    text = text.splitlines()[0] if text else ""
    return f"{type(exc).__name__}: {text[:200]}" if text else type(exc).__name__


_NOTEBOOK_CALLS = ("mulai", "tampilkan", "petunjuk", "solusi", "ringkasan", "identitas", "kemajuan", "serahkan")


def _stub_kenali(capture, muat) -> types.ModuleType:
    """What ``import kenali`` gives the learner's code while grading: harmless calls only."""
    stub = types.ModuleType("kenali")
    noop = lambda *args, **kwargs: None  # noqa: E731
    for name in _NOTEBOOK_CALLS:
        setattr(stub, name, noop)
    stub.cek = capture
    stub.muat = muat
    stub.__version__ = "grading"
    return stub


def compile_cell(source: str, name: str = "<cell>") -> Any:
    """A cell as a code object, IPython syntax cleaned and every ``cek(...)`` rewritten to the capture."""
    source = clean_source(source)
    if "cek" not in source:  # nothing to rewrite: compiling the text directly is faster
        return compile(source, name, "exec")
    tree = _CekRewriter().visit(ast.parse(source, filename=name))
    return compile(ast.fix_missing_locations(tree), name, "exec")


class _Notebook:
    """One notebook's code cells, run top to bottom in one fresh namespace (as the learner's kernel did)."""

    def __init__(self, k: int, nb: dict[str, Any], fd: int, plain_of: Any, muat: Any, setup: dict[str, Any],
                 cell_timeout: float, out: _Capped, known: dict[str, Any], alarm: Any):
        import numpy as np
        import pandas as pd

        self.k, self.nb, self.fd, self.plain_of, self.cell_timeout, self.out = k, nb, fd, plain_of, cell_timeout, out
        self.captures: dict[str, tuple[int, dict[str, Any]]] = {}
        self.known, self.alarm = known, alarm
        self.current = -1
        noop = lambda *args, **kwargs: None  # noqa: E731
        sys.modules["kenali"] = _stub_kenali(self.capture, muat)
        ns: dict[str, Any] = {"__name__": "__main__", "__builtins__": builtins}
        # The instructor's setup names as they are: the child is a fork, so an in-place edit changes the
        # child's copy-on-write pages only, never the worker's (nor the next submission's) frames.
        ns.update(setup)
        ns.update({"pd": pd, "np": np, "muat": muat, "cek": self.capture, HIDDEN_CEK: self.capture, "display": noop})
        for name in _NOTEBOOK_CALLS:
            ns[name] = noop
        self.ns = ns
        self.by_cell: dict[int, list[dict[str, Any]]] = {}
        for target in nb["targets"]:
            if target.get("cell") is not None:
                self.by_cell.setdefault(int(target["cell"]), []).append(target)

    def capture(self, exercise_id: Any = None, jawaban: Any = ..., *args: Any, **kwargs: Any) -> None:
        """What every ``cek(...)`` call becomes: remember the value passed, as plain data."""
        if isinstance(exercise_id, str | int | float) and not isinstance(exercise_id, bool):
            self.captures[str(exercise_id)] = (self.current, self.plain_of(jawaban))

    def answer(self, target: dict[str, Any], cell: int | None, error: str | None, kind: str | None) -> None:
        via, plain = "missing", None
        got = self.captures.get(target["id"])
        if got is not None and cell is not None and got[0] == cell:
            via, plain = "cek", got[1]
        else:
            for via_name, name in (("variable", target["variable"]), ("renamed", target.get("alt"))):
                if name and name in self.ns:
                    via, plain = via_name, self.plain_of(self.ns[name])
                    break
        send_line(self.fd, {"t": "answer", "nb": self.k, "id": target["id"], "via": via, "plain": plain,
                        "error": error, "error_kind": kind, "cell": cell})

    def _compile(self, i: int, source: str) -> Any:
        code = self.known.get(source)  # the instructor's own cells, compiled once in the worker
        if code is None:
            sent = self.nb.get("code") or []
            if i < len(sent) and isinstance(sent[i], str):  # compiled by the grader for this submission
                with contextlib.suppress(Exception):
                    code = marshal.loads(base64.b64decode(sent[i]))
        return code if code is not None else compile_cell(source, f"<cell {i + 1}>")

    def run_cell(self, i: int, source: str) -> None:
        self.current = i
        targets = self.by_cell.get(i, [])
        if self.nb["skip"][i]:
            for target in targets:
                self._answer_safely(target, i, None, None)
            return
        started = time.monotonic()
        error = kind = None
        try:
            code = self._compile(i, source)
        except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
            error, kind = _describe(exc), "syntax"
            for target in targets:
                self._answer_safely(target, i, error, kind)
            send_line(self.fd, {"t": "cell", "nb": self.k, "i": i, "error": error, "kind": kind, "ms": 0})
            return
        sys.stdout = sys.stderr = self.out
        self.alarm.fired = False
        try:
            signal.setitimer(signal.ITIMER_REAL, self.cell_timeout)
            try:
                exec(code, self.ns)
            except CellTimeout:
                if self.alarm.fired:
                    raise
                error, kind = "CellTimeout raised by the cell's own code", "error"
            except MemoryError:
                error, kind = "MemoryError", "memory"
            except BaseException as exc:  # SystemExit and KeyboardInterrupt too: the cell ends, the run goes on
                error, kind = _describe(exc), "error"
            for target in targets:  # still under the cell's timer: a value whose conversion hangs is stopped
                self._answer_safely(target, i, error, kind)
        except CellTimeout:
            signal.setitimer(signal.ITIMER_REAL, 0)
            if self.alarm.fired:
                error, kind = f"timeout after {self.cell_timeout:g} s", "timeout"
            else:
                error, kind = "CellTimeout raised by the cell's own code", "error"
            for target in targets:
                self._answer_safely(target, i, error, kind)
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            sys.stdout, sys.stderr = sys.__stdout__, sys.__stderr__
        send_line(self.fd, {"t": "cell", "nb": self.k, "i": i, "error": error, "kind": kind,
                            "ms": round((time.monotonic() - started) * 1000, 1)})

    def _answer_safely(self, target: dict[str, Any], cell: int | None, error: str | None, kind: str | None) -> None:
        """One answer; whatever goes wrong with it costs that answer only."""
        try:
            self.answer(target, cell, error, kind)
        except CellTimeout:
            raise
        except BaseException as exc:
            with contextlib.suppress(BaseException):
                send_line(self.fd, {"t": "answer", "nb": self.k, "id": target["id"], "via": "missing",
                                    "plain": {"kind": "other", "type": f"({_describe(exc)})"},
                                    "error": error, "error_kind": kind, "cell": cell})

    def run(self) -> None:
        for i, source in enumerate(self.nb["cells"]):
            self.run_cell(i, source)
        for target in self.nb["targets"]:
            if target.get("cell") is None:  # the answer cell was deleted: maybe the name exists anyway
                self._answer_safely(target, None, None, None)


def _close_fds_from(low: int) -> None:
    """Close every open descriptor from ``low`` up (only those open: cheaper than closerange to 65536)."""
    try:
        fds = [int(name) for name in os.listdir("/proc/self/fd")]
    except OSError:
        os.closerange(low, 1 << 16)
        return
    for fd in fds:
        if fd >= low:
            with contextlib.suppress(OSError):
                os.close(fd)


def run_child(state: dict[str, Any], header: dict[str, Any], payload: bytearray, fd: int, workdir: Path,
              uid: int | None) -> None:
    """Run one submission's notebooks; stream JSON lines to ``fd``. Never returns."""
    began = time.monotonic()
    steps: list[tuple[str, float]] = []
    from ...data import muat as real_muat
    from ...values import to_plain

    limits = header["limits"]
    layers = state["layers"]
    if state["cgroup"] is not None:  # born in the worker's cgroup; the OOM killer may take this one
        with contextlib.suppress(OSError):
            Path("/proc/self/oom_score_adj").write_text("500")
        steps.append(("cgroup", time.monotonic()))
    with contextlib.suppress(OSError):
        os.setpgid(0, 0)
    os.environ[confine.MARKER] = str(header.get("token", ""))
    devnull = os.open(os.devnull, os.O_RDWR)
    for target in (0, 1, 2):
        os.dup2(devnull, target)
    os.dup2(fd, 3)
    fd = 3
    ruleset = -1
    if state["ruleset"] >= 0:
        os.dup2(state["ruleset"], 4)
        ruleset = 4
    _close_fds_from(5)
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    if layers.get("netns"):
        confine.enter_netns()
        steps.append(("netns", time.monotonic()))

    # the job's course layout: exercises/ (the working directory) and data/, a link to the worker's own
    # copy of the data (checked after every job)
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "exercises").mkdir(exist_ok=True)
    (workdir / "tmp").mkdir(exist_ok=True)
    with contextlib.suppress(OSError):
        os.symlink(state["shared"].folder, workdir / "data")
    if uid is not None:
        for item in (workdir, workdir / "exercises", workdir / "tmp"):
            with contextlib.suppress(OSError):
                os.chown(item, uid, uid)
    os.chdir(workdir / "exercises")
    os.environ["KENALI_HOME"] = str(workdir / ".kenali")
    os.environ["HOME"] = str(workdir)
    os.environ["TMPDIR"] = tempfile.tempdir = str(workdir / "tmp")
    try:
        notebooks = json.loads(payload.decode("utf-8", "surrogatepass"))
        steps.append(("parse", time.monotonic()))
    finally:
        payload[:] = b""
    if uid is not None:
        with contextlib.suppress(OSError):
            os.setgroups([])
        os.setgid(uid)
        os.setuid(uid)
    confine.set_limits(limits, unprivileged=uid is not None)
    steps.append(("rlimits", time.monotonic()))
    if layers.get("caps"):
        confine.drop_capabilities()
    confine.apply(ruleset)
    if ruleset >= 0:
        os.close(ruleset)
    if layers.get("seccomp"):
        confine.no_unix_sockets()
    steps.append(("landlock", time.monotonic()))

    cell_timeout = float(limits["cell_timeout"])
    answer_cap = int(limits["answer_bytes"])
    counter = [0, 0]  # characters written, characters kept
    out = _Capped(counter, int(limits["output_bytes"]))
    alarm = _Alarm()
    signal.signal(signal.SIGALRM, alarm.fire)

    def plain_of(value: Any) -> dict[str, Any]:
        try:
            if _too_many(value, answer_cap // 8):  # known before converting: a huge table says so at once
                return {"kind": "too_big", "type": _safe_type(value), "size": -1}
            plain = to_plain(value)
            size = len(json.dumps(plain, allow_nan=True, default=str))
            if size > answer_cap:
                return {"kind": "too_big", "type": type(value).__name__, "size": size}
            return plain
        except CellTimeout:
            if alarm.fired:
                raise
            return {"kind": "other", "type": f"{type(value).__name__} (CellTimeout)"}
        except MemoryError:
            return {"kind": "too_big", "type": type(value).__name__, "size": -1}
        except BaseException as exc:
            return {"kind": "other", "type": f"{_safe_type(value)} ({_describe(exc)})"}

    # the learner's code must not reach the real engine (no key computing, no progress writes)
    for name in [m for m in sys.modules if m == "kenali" or m.startswith("kenali.")]:
        del sys.modules[name]
    builtins.input = lambda *a, **k: (_ for _ in ()).throw(EOFError("input() is not available while grading"))
    cached = state["frames"]
    known = state["compiled"]

    def muat(name: str, folder: Any = None):
        if folder is None and name in cached:
            return cached[name].copy()
        return real_muat(name, Path(folder) if folder is not None else workdir / "data")

    ready = time.monotonic()
    for k, nb in enumerate(notebooks):
        _Notebook(k, nb, fd, plain_of, muat, state["namespaces"].get(nb["bank"], {}), cell_timeout, out,
                  known, alarm).run()
    send_line(fd, {"t": "done", "output_chars": counter[0], "output_cap": int(limits["output_bytes"]),
                   "setup_ms": round((ready - began) * 1000, 1), "run_ms": round((time.monotonic() - ready) * 1000, 1),
                   "steps": {name: round((t - began) * 1000, 1) for name, t in steps}})
    os._exit(0)


def _too_many(value: Any, cells: int) -> bool:
    """Whether a list, dict, array, Series or DataFrame holds more than ``cells`` values (exact types only:
    a learner's class could lie about its size)."""
    if type(value) is str:
        return len(value) > cells * 8
    if type(value) in (list, tuple, dict, set):
        return len(value) > cells
    module = type(value).__module__ or ""
    if module.startswith(("pandas.", "numpy")):
        size = getattr(value, "size", 0)
        return isinstance(size, int) and size > cells
    return False


def _safe_type(value: Any) -> str:
    try:
        return str(type(value).__name__)[:80]
    except BaseException:
        return "?"


class _Alarm:
    """The cell timer: ``fired`` tells a real timeout from learner code raising :class:`CellTimeout` itself."""

    def __init__(self) -> None:
        self.fired = False

    def fire(self, signum: int, frame: Any) -> None:
        self.fired = True
        raise CellTimeout()
