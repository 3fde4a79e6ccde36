"""Step 4: re-execute the learners' code, isolated, and bring back only plain data.

Design
------
* A **worker** (``python -m kenali.grading.sandbox``) is started fresh, so it holds nothing of the
  grader (no keys, no other learner's work). It imports pandas and numpy, loads the course data
  and runs each bank's ``setup`` code once (the *pre-warming*), then waits for jobs on stdin.
* For each submission the worker ``os.fork()``\\ s a **child**. The child starts a new process
  group, drops to an unprivileged user when the worker runs as root, sets ``RLIMIT_AS`` (memory),
  ``RLIMIT_CPU``, ``RLIMIT_FSIZE`` and ``RLIMIT_NPROC``, points stdin/stdout/stderr at
  ``/dev/null`` and works in a temporary copy of the course layout (``exercises/``, ``data/``);
  where the kernel has Landlock it may change files only there and signal no process but its own.
  It runs the learner's code cells in a fresh namespace where ``cek`` and the other notebook calls
  are harmless (a stub ``kenali`` module), with every ``cek(...)`` call rewritten by the AST to an
  internal capture, so a learner who redefines ``cek`` gains nothing. Output goes to capped
  buffers; each cell has a soft time limit (``SIGALRM``).
* After the answer cell of an exercise has run, the child sends the answer value as
  :func:`kenali.values.to_plain` JSON over a pipe. Results stream cell by cell, so a crash or an
  endless loop in exercise 5.6 keeps the answers of 5.1 to 5.5.
* The worker enforces the wall-clock limit per submission (``SIGKILL`` to the child's whole
  process group), caps the bytes it reads back, and reports one frame to the grader.
* The grader (:class:`Pool`) runs ``--workers N`` such workers, restarts a worker that dies (for
  example killed by a learner's code) and never unpickles anything: frames are JSON.

The grader scores the plain values in its own process against the instructor's key
(:mod:`.score`); nothing the child computes is trusted beyond being a value.
"""

from __future__ import annotations

import ast
import builtins
import contextlib
import json
import os
import resource
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import types
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .source import clean_source

HIDDEN_CEK = "__kenali_cek__"
_PACKAGE_PARENT = Path(__file__).resolve().parent.parent.parent
PROTOCOL = 1
_SANDBOX_UID_BASE = 61000  # per-slot unprivileged uids when the grader runs as root


@dataclass(frozen=True)
class Limits:
    """Resource limits for one submission's code."""

    timeout: float = 60.0  # wall clock per submission, seconds
    cell_timeout: float = 10.0  # soft limit per cell, seconds
    memory_mb: int = 1024  # address space the learner's code may add
    output_bytes: int = 1 << 20  # printed output kept per submission; the rest is counted and dropped
    result_bytes: int = 32 << 20  # bytes of results read back per submission
    answer_bytes: int = 8 << 20  # one answer's plain JSON

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


# =============================================================================================
# Child side: runs in the forked process, never returns.
# =============================================================================================

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


def _send(fd: int, obj: dict[str, Any]) -> None:
    data = json.dumps(obj, ensure_ascii=False, allow_nan=True, default=str).encode("utf-8") + b"\n"
    view = memoryview(data)
    while view:
        n = os.write(fd, view)
        view = view[n:]


def _set_limits(limits: dict[str, Any], unprivileged: bool) -> None:
    page = os.sysconf("SC_PAGE_SIZE")
    with open("/proc/self/statm") as fh:
        vm = int(fh.read().split()[0]) * page
    memory = vm + int(limits["memory_mb"]) * 1024 * 1024
    cpu = int(limits["timeout"]) + 1
    settings = [
        (resource.RLIMIT_AS, (memory, memory)),
        (resource.RLIMIT_CPU, (cpu, cpu + 1)),
        (resource.RLIMIT_FSIZE, (64 << 20, 64 << 20)),
        (resource.RLIMIT_CORE, (0, 0)),
    ]
    if unprivileged:  # counts processes of the child's own uid only
        settings.append((resource.RLIMIT_NPROC, (64, 64)))
    for which, value in settings:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(which, value)


def _restrict_writes(writable: list[str]) -> bool:
    """Where the kernel has Landlock (Linux 5.13+): from now on this process and its children may create,
    change or delete files only under ``writable`` and (Linux 6.12+) may not signal processes outside
    themselves. The uid drop cannot always be used (a grader that is not root, or Python in ``/root``);
    without this a learner's code could rewrite the grader's own package, the data or another learner's
    files. Reading stays allowed. Best effort: returns False where Landlock is unavailable."""
    import ctypes

    create, add_rule, restrict = 444, 445, 446  # Landlock's syscall numbers are the same on every architecture
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        syscall = libc.syscall
        syscall.restype = ctypes.c_long
        abi = syscall(create, None, ctypes.c_size_t(0), ctypes.c_uint32(1))  # LANDLOCK_CREATE_RULESET_VERSION
    except (OSError, AttributeError):
        return False
    if abi < 1:
        return False
    file_rights = 1 << 1 | (1 << 14 if abi >= 3 else 0)  # WRITE_FILE, TRUNCATE
    rights = file_rights | sum(1 << b for b in range(4, 13)) | (1 << 13 if abi >= 2 else 0)  # REMOVE_*, MAKE_*, REFER

    class Ruleset(ctypes.Structure):
        _fields_ = [("fs", ctypes.c_uint64), ("net", ctypes.c_uint64), ("scoped", ctypes.c_uint64)]

    class Beneath(ctypes.Structure):
        _pack_ = 1
        _fields_ = [("access", ctypes.c_uint64), ("fd", ctypes.c_int32)]

    attr = Ruleset(rights, 0, 2 if abi >= 6 else 0)  # LANDLOCK_SCOPE_SIGNAL
    size = 24 if abi >= 6 else 16 if abi >= 4 else 8
    ruleset = syscall(create, ctypes.byref(attr), ctypes.c_size_t(size), ctypes.c_uint32(0))
    if ruleset < 0:
        return False
    try:
        for path in writable:
            with contextlib.suppress(OSError):
                fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
                try:
                    rule = Beneath(rights if os.path.isdir(path) else file_rights, fd)
                    syscall(add_rule, ctypes.c_int(ruleset), ctypes.c_int(1), ctypes.byref(rule), ctypes.c_uint32(0))
                finally:
                    os.close(fd)
        if libc.prctl(38, 1, 0, 0, 0) != 0:  # PR_SET_NO_NEW_PRIVS, required to restrict oneself unprivileged
            return False
        return syscall(restrict, ctypes.c_int(ruleset), ctypes.c_uint32(0)) == 0
    finally:
        os.close(ruleset)


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


_COMPILED: dict[str, Any] = {}
_PRECOMPILE_MAX_CHARS = 50_000


def precompile(source: str) -> Any:
    """In the worker, before it forks: the compiled cell, shared by every submission with the same cell.

    Most cells of a class are identical (setup, untouched starters, the common right answer), and
    compiling is a tenth of a notebook's run. Compiling never runs the learner's code. A cell that
    does not compile, or is very long, is left to the child (None), which reports the error."""
    if len(source) > _PRECOMPILE_MAX_CHARS:
        return None
    code = _COMPILED.get(source)
    if code is None and source not in _COMPILED:
        try:
            code = compile_cell(source)
        except Exception:
            code = None
        if len(_COMPILED) >= 4096:
            _COMPILED.clear()
        _COMPILED[source] = code
    return code


class _Notebook:
    """One notebook's code cells, run top to bottom in one fresh namespace (as the learner's kernel did)."""

    def __init__(self, k: int, nb: dict[str, Any], fd: int, plain_of: Any, muat: Any, setup: dict[str, Any],
                 cell_timeout: float, out: _Capped, compiled: list[Any] | None = None):
        import numpy as np
        import pandas as pd

        self.k, self.nb, self.fd, self.plain_of, self.cell_timeout, self.out = k, nb, fd, plain_of, cell_timeout, out
        self.captures: dict[str, tuple[int, dict[str, Any]]] = {}
        self.compiled = compiled or []
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
        _send(self.fd, {"t": "answer", "nb": self.k, "id": target["id"], "via": via, "plain": plain,
                        "error": error, "error_kind": kind, "cell": cell})

    def _compile(self, i: int, source: str) -> Any:
        code = self.compiled[i] if i < len(self.compiled) else None
        return code if code is not None else compile_cell(source, f"<cell {i + 1}>")

    def run_cell(self, i: int, source: str) -> None:
        self.current = i
        targets = self.by_cell.get(i, [])
        if self.nb["skip"][i]:
            for target in targets:
                self.answer(target, i, None, None)
            return
        started = time.monotonic()
        error = kind = None
        try:
            code = self._compile(i, source)
        except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
            error, kind = _describe(exc), "syntax"
            for target in targets:
                self.answer(target, i, error, kind)
            _send(self.fd, {"t": "cell", "nb": self.k, "i": i, "error": error, "kind": kind, "ms": 0})
            return
        sys.stdout = sys.stderr = self.out
        try:
            signal.setitimer(signal.ITIMER_REAL, self.cell_timeout)
            try:
                exec(code, self.ns)
            except CellTimeout:
                raise
            except MemoryError:
                error, kind = "MemoryError", "memory"
            except BaseException as exc:  # SystemExit and KeyboardInterrupt too: the cell ends, the run goes on
                error, kind = _describe(exc), "error"
            for target in targets:  # still under the cell's timer: a value whose conversion hangs is stopped
                self.answer(target, i, error, kind)
        except CellTimeout:
            signal.setitimer(signal.ITIMER_REAL, 0)
            error, kind = f"timeout after {self.cell_timeout:g} s", "timeout"
            for target in targets:
                self.answer(target, i, error, kind)
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            sys.stdout, sys.stderr = sys.__stdout__, sys.__stderr__
        _send(self.fd, {"t": "cell", "nb": self.k, "i": i, "error": error, "kind": kind,
                        "ms": round((time.monotonic() - started) * 1000, 1)})

    def run(self) -> None:
        for i, source in enumerate(self.nb["cells"]):
            self.run_cell(i, source)
        for target in self.nb["targets"]:
            if target.get("cell") is None:  # the answer cell was deleted: maybe the name exists anyway
                self.answer(target, None, None, None)


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


class _Shared:
    """The worker's one copy of the course data, which every child's ``data/`` links to.

    Copying the CSV files for every child cost more than running a learner's notebook, so the
    worker copies them once. A child runs as another user where it can (the files are then
    read-only to it); either way the worker checks the files after every child and copies them
    again if a learner's code changed, replaced or removed any of them.
    """

    def __init__(self, source: Path, folder: Path):
        self.source, self.folder = source, folder
        self.names = sorted(p.name for p in source.glob("*.csv")) if source.is_dir() else []
        self.stamp: dict[str, tuple[int, int, int]] = {}
        self.restore()

    def _stat(self, name: str) -> tuple[int, int, int] | None:
        try:
            st = os.lstat(self.folder / name)
        except OSError:
            return None
        return (st.st_ino, st.st_size, st.st_mtime_ns)

    def restore(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)
        self.folder.mkdir(parents=True, exist_ok=True)
        for name in self.names:
            with contextlib.suppress(OSError):
                shutil.copyfile(self.source / name, self.folder / name)
                os.chmod(self.folder / name, 0o444)
        os.chmod(self.folder, 0o555)
        self.stamp = {name: self._stat(name) for name in self.names}

    def check(self) -> bool:
        """Whether the data is as copied; restores it (and returns False) when not."""
        try:
            intact = sorted(os.listdir(self.folder)) == self.names and all(
                self._stat(name) == self.stamp[name] for name in self.names)
        except OSError:
            intact = False
        if not intact:
            with contextlib.suppress(OSError):
                os.chmod(self.folder, 0o755)
            self.restore()
        return intact


def _child(state: dict[str, Any], job: dict[str, Any], fd: int, workdir: Path, uid: int | None,
           compiled: list[list[Any]]) -> None:
    """Run one submission's notebooks; stream JSON lines to ``fd``. Never returns."""
    began = time.monotonic()
    from ..data import muat as real_muat
    from ..values import to_plain

    limits = job["limits"]
    with contextlib.suppress(OSError):
        os.setpgid(0, 0)
    devnull = os.open(os.devnull, os.O_RDWR)
    for target in (0, 1, 2):
        os.dup2(devnull, target)
    os.dup2(fd, 3)
    fd = 3
    _close_fds_from(4)
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)

    # the temporary course layout: exercises/ (the working directory) and data/, a link to the
    # worker's own copy of the data (checked after every child, see _Shared)
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "exercises").mkdir(exist_ok=True)
    with contextlib.suppress(OSError):
        os.symlink(state["shared"].folder, workdir / "data")
    if uid is not None:
        for item in (workdir, workdir / "exercises"):
            with contextlib.suppress(OSError):
                os.chown(item, uid, uid)
    os.chdir(workdir / "exercises")
    os.environ["KENALI_HOME"] = str(workdir / ".kenali")
    os.environ["HOME"] = str(workdir)
    if uid is not None:
        with contextlib.suppress(OSError):
            os.setgroups([])
        os.setgid(uid)
        os.setuid(uid)
    _set_limits(limits, unprivileged=uid is not None)
    (workdir / "tmp").mkdir(exist_ok=True)
    os.environ["TMPDIR"] = tempfile.tempdir = str(workdir / "tmp")
    _restrict_writes([str(workdir), os.devnull])

    cell_timeout = float(limits["cell_timeout"])
    answer_cap = int(limits["answer_bytes"])
    counter = [0, 0]  # characters written, characters kept
    out = _Capped(counter, int(limits["output_bytes"]))

    def on_alarm(signum, frame):
        raise CellTimeout()

    signal.signal(signal.SIGALRM, on_alarm)

    def plain_of(value: Any) -> dict[str, Any]:
        try:
            plain = to_plain(value)
            size = len(json.dumps(plain, allow_nan=True, default=str))
            if size > answer_cap:
                return {"kind": "too_big", "type": type(value).__name__, "size": size}
            return plain
        except CellTimeout:
            raise
        except BaseException as exc:
            return {"kind": "other", "type": f"{type(value).__name__} ({_describe(exc)})"}

    # the learner's code must not reach the real engine (no key computing, no progress writes)
    for name in [m for m in sys.modules if m == "kenali" or m.startswith("kenali.")]:
        del sys.modules[name]
    builtins.input = lambda *a, **k: (_ for _ in ()).throw(EOFError("input() is not available while grading"))
    cached = state["frames"]

    def muat(name: str, folder: Any = None):
        if folder is None and name in cached:
            return cached[name].copy()
        return real_muat(name, Path(folder) if folder is not None else workdir / "data")

    ready = time.monotonic()
    for k, nb in enumerate(job["notebooks"]):
        _Notebook(k, nb, fd, plain_of, muat, state["namespaces"].get(nb["bank"], {}), cell_timeout, out,
                  compiled[k] if k < len(compiled) else None).run()
    _send(fd, {"t": "done", "output_chars": counter[0], "output_cap": int(limits["output_bytes"]),
               "setup_ms": round((ready - began) * 1000, 1), "run_ms": round((time.monotonic() - ready) * 1000, 1)})
    os._exit(0)


# =============================================================================================
# Worker side: the pre-warmed process that forks one child per submission.
# =============================================================================================

def _prewarm(init: dict[str, Any]) -> dict[str, Any]:
    import numpy as np
    import pandas as pd

    code = "\n".join([*init["setups"].values(), *(src for srcs in init.get("warmup", {}).values() for src in srcs)])
    if "plot" in code or "matplotlib" in code:  # only when the course's own code plots: a bigger worker forks slower
        with contextlib.suppress(Exception):
            import matplotlib

            matplotlib.use("Agg")
            import matplotlib.pyplot

    from ..data import available, muat
    from ..values import to_plain

    data_dir = Path(init["data_dir"])
    frames: dict[str, Any] = {}
    errors: list[str] = []
    for name in available(data_dir) if data_dir.is_dir() else []:
        try:
            frames[name] = muat(name, data_dir)
        except Exception as exc:
            errors.append(f"data {name}: {_describe(exc)}")

    def cached(name: str, folder: Any = None):
        if folder is None and name in frames:
            return frames[name].copy()
        return muat(name, Path(folder) if folder is not None else data_dir)

    namespaces: dict[str, dict[str, Any]] = {}
    for bank, setup in init["setups"].items():
        ns: dict[str, Any] = {"pd": pd, "np": np, "muat": cached, "__name__": "__kenali_setup__"}
        try:
            exec(compile(setup, f"{bank}:setup", "exec"), ns)
        except Exception as exc:
            errors.append(f"{bank} setup: {_describe(exc)}")
        namespaces[bank] = {k: v for k, v in ns.items() if not k.startswith("__") and k not in {"pd", "np", "muat"}}
    shared = _Shared(data_dir, Path(init["workdir"]) / "data")
    # Warm up: run the kind of code the children will run (the banks' own solution code), so that
    # lazy imports and caches are filled and CPython's specialised bytecode settles here, once,
    # instead of being redone (and copied page by page) in every forked child. Results are dropped.
    for bank, sources in init.get("warmup", {}).items():
        for _round in range(2):
            for source in sources:
                ns = {**namespaces.get(bank, {}), "pd": pd, "np": np, "muat": cached}
                ns = {k: (v.copy() if isinstance(v, pd.DataFrame | pd.Series) else v) for k, v in ns.items()}
                with contextlib.suppress(Exception):
                    exec(compile(clean_source(source), "<warm-up>", "exec"), ns)
                    for name, value in list(ns.items()):
                        if name.startswith("jawaban"):  # the answers only: converting the data costs seconds
                            to_plain(value)
                del ns
    import gc

    gc.collect()
    gc.freeze()  # objects made so far are never scanned by the children's collector: fewer copied pages
    return {"frames": frames, "namespaces": namespaces, "errors": errors, "shared": shared}


def _reap() -> None:
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def _run_job(state: dict[str, Any], job: dict[str, Any], root: Path, uid: int | None) -> tuple[dict[str, Any], bytes]:
    limits = job["limits"]
    workdir = root / f"job-{job['job']}"
    started = time.monotonic()
    compiled = [[precompile(source) for source in nb["cells"]] for nb in job["notebooks"]]
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child
        try:
            os.close(r)
            _child(state, job, w, workdir, uid, compiled)
        except BaseException as exc:
            import traceback

            detail = _describe(exc) + " | " + " / ".join(traceback.format_exc().splitlines()[-4:-1])
            for target in (3, w):  # the result pipe is fd 3 once the child has set up its descriptors
                with contextlib.suppress(BaseException):
                    _send(target, {"t": "fatal", "error": detail[:600]})
                    break
        finally:
            os._exit(70)
    os.close(w)
    with contextlib.suppress(OSError):  # also here: no race with the child's own setpgid
        os.setpgid(pid, pid)
    deadline = started + float(limits["timeout"])
    cap = int(limits["result_bytes"])
    buf = bytearray()
    timed_out = truncated = False
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            timed_out = True
            break
        ready, _, _ = select.select([r], [], [], remaining)
        if not ready:
            continue
        chunk = os.read(r, 1 << 16)
        if not chunk:
            break
        if len(buf) + len(chunk) > cap:
            truncated = True
            break
        buf += chunk
    for kill in (os.killpg, os.kill):  # the child and anything it started
        with contextlib.suppress(OSError):
            kill(pid, signal.SIGKILL)
    _, status = os.waitpid(pid, 0)
    while not truncated:  # what the child wrote before it was stopped
        ready, _, _ = select.select([r], [], [], 0)
        if not ready:
            break
        chunk = os.read(r, 1 << 16)
        if not chunk or len(buf) + len(chunk) > cap:
            break
        buf += chunk
    os.close(r)
    _reap()
    shutil.rmtree(workdir, ignore_errors=True)
    state["shared"].check()
    header = {
        "t": "result", "job": job["job"], "timed_out": timed_out, "truncated": truncated,
        "exit": os.WEXITSTATUS(status) if os.WIFEXITED(status) else None,
        "signal": os.WTERMSIG(status) if os.WIFSIGNALED(status) else None,
        "seconds": round(time.monotonic() - started, 3), "bytes": len(buf),
    }
    return header, bytes(buf)


def _frame(out: Any, header: dict[str, Any], payload: bytes = b"") -> None:
    header = {**header, "bytes": len(payload)}
    out.write(json.dumps(header).encode() + b"\n" + payload)
    out.flush()


def worker_main() -> int:
    """The worker process: pre-warm, then one forked child per job."""
    proto = os.fdopen(os.dup(1), "wb")
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    sys.stdout = open(os.devnull, "w")  # stray prints must not corrupt the protocol
    stdin = sys.stdin.buffer
    init = json.loads(stdin.readline())
    with contextlib.suppress(OSError, ValueError):  # orphans of a child are reparented here and reaped
        import ctypes

        ctypes.CDLL(None).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
    state = _prewarm(init)
    root = Path(init["workdir"])
    uid = init.get("uid")
    _frame(proto, {"t": "ready", "errors": state["errors"], "pid": os.getpid()})
    for line in stdin:
        if not line.strip():
            continue
        job = json.loads(line)
        header, payload = _run_job(state, job, root, uid)
        _frame(proto, header, payload)
    return 0


# =============================================================================================
# Grader side: a pool of workers.
# =============================================================================================

@dataclass
class RunResult:
    """What came back for one job: the child's JSON lines, parsed, and how it ended."""

    answers: dict[tuple[int, str], dict[str, Any]]
    cells: list[dict[str, Any]]
    done: dict[str, Any] | None
    timed_out: bool = False
    truncated: bool = False
    exit: int | None = None
    signal: int | None = None
    seconds: float = 0.0
    error: str | None = None  # the sandbox itself failed
    fatal: str | None = None  # the child failed before running any cell


def parse_payload(header: dict[str, Any], payload: bytes) -> RunResult:
    """Parse a child's stream; malformed lines are skipped (they can only come from learner code)."""
    res = RunResult({}, [], None, bool(header.get("timed_out")), bool(header.get("truncated")),
                    header.get("exit"), header.get("signal"), float(header.get("seconds") or 0.0))
    for line in payload.split(b"\n"):
        if not line.strip():
            continue
        try:
            msg = json.loads(line)
        except (ValueError, RecursionError):
            continue
        if not isinstance(msg, dict):
            continue
        kind = msg.get("t")
        if kind == "answer" and isinstance(msg.get("id"), str) and isinstance(msg.get("nb"), int):
            res.answers[(msg["nb"], msg["id"])] = msg
        elif kind == "cell":
            res.cells.append(msg)
        elif kind == "done":
            res.done = msg
        elif kind == "fatal":
            res.fatal = str(msg.get("error"))[:300]
    return res


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
        env = {**os.environ, "KENALI_DATA": str(self.pool.data_dir), "MPLBACKEND": "Agg", "PYTHONHASHSEED": "0",
               "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
               "PYTHONDONTWRITEBYTECODE": "1", "KENALI_HOME": str(self.pool.workdir / "home")}
        # the workers run this very copy of kenali, whichever one `pip install` registered last
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(_PACKAGE_PARENT), os.environ.get("PYTHONPATH")) if p)
        debug = os.environ.get("KENALI_GRADE_DEBUG")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "kenali.grading.sandbox"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=None if debug else subprocess.DEVNULL, env=env, cwd=str(self.pool.workdir),
        )
        self.buf.clear()
        self.header, self.ready, self.job = None, False, None
        self.deadline = time.monotonic() + self.pool.start_timeout
        uid = _SANDBOX_UID_BASE + self.slot if self.pool.drop_privileges else None
        init = {"data_dir": str(self.pool.data_dir), "setups": self.pool.setups, "uid": uid, "warmup": self.pool.warmup,
                "workdir": str(self.pool.workdir / f"w{self.slot}")}
        (self.pool.workdir / f"w{self.slot}").mkdir(exist_ok=True)
        self._write(init)

    def _write(self, obj: dict[str, Any]) -> bool:
        try:
            assert self.proc.stdin is not None
            self.proc.stdin.write(json.dumps(obj).encode() + b"\n")
            self.proc.stdin.flush()
            return True
        except (BrokenPipeError, OSError, ValueError):
            return False

    def send(self, key: Any, job: dict[str, Any]) -> None:
        self.job = key
        self.deadline = time.monotonic() + float(job["limits"]["timeout"]) + self.pool.grace
        self._write(job)  # when the worker is gone, poll() sees end-of-file and reports the job

    def kill(self) -> None:
        with contextlib.suppress(OSError):
            self.proc.kill()
        with contextlib.suppress(Exception):
            self.proc.wait(timeout=5)
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
                 drop_privileges: bool | None = None, warmup: dict[str, list[str]] | None = None):
        self.setups, self.data_dir, self.limits = dict(setups), Path(data_dir), limits
        self.warmup = warmup or {}
        self.drop_privileges = can_drop_privileges() if drop_privileges is None else drop_privileges
        self.workdir = Path(tempfile.mkdtemp(prefix="kenali-grade-"))
        os.chmod(self.workdir, 0o755)
        self.start_timeout = 120.0
        self.grace = 10.0
        self.queue: deque[tuple[Any, dict[str, Any]]] = deque()
        self.results: list[tuple[Any, RunResult]] = []
        self.counter = 0
        self.errors: list[str] = []
        self.workers = [_Worker(self, slot) for slot in range(max(1, workers))]

    # -- public ---------------------------------------------------------------------------------
    @property
    def pending(self) -> int:
        return len(self.queue) + sum(1 for w in self.workers if w.job is not None)

    def submit(self, key: Any, notebooks: list[dict[str, Any]]) -> None:
        self.counter += 1
        self.queue.append((key, {"job": self.counter, "limits": self.limits.to_json(), "notebooks": notebooks}))
        self._dispatch()

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
        if self.queue and not any(w.proc.stdout is not None for w in self.workers):
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


if __name__ == "__main__":
    sys.exit(worker_main())
