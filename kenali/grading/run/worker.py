"""The worker: a warm process that forks one confined child per job, and holds nothing secret.

Started fresh by the grader (``python -m kenali.grading.run.worker``), so it holds nothing of the
grader: no keys, no solution code, no other learner's work. It imports pandas and numpy, loads the
course data, runs each bank's ``setup`` code (the instructor's, shown to every learner) and a
*neutral* warm-up (generic pandas work on the course data, never a solution), compiles the
instructor's hand-out cells, and detects which confinement layers hold (:mod:`.confine`).

Per job it reads the header, reads the payload (the learner's notebooks) into one buffer without
parsing it, forks the child (PID 1 of a new PID namespace where allowed), and wipes the buffer:
the next job's child inherits nothing of this one. After the job every process of the child is
killed (namespace, cgroup, or the marker scan), the job's folder is removed and the shared data
checked; the child's lines go back to the grader capped, and the buffers are wiped again.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import select
import shutil
import signal
import sys
import time
from pathlib import Path
from typing import Any

from . import confine
from .child import _describe, compile_cell, run_child
from .protocol import encode_frame, read_exact, read_line, send_line, wipe, write_all

NEUTRAL_WARMUP = '''
for _name, _df in list(_frames.items())[:6]:
    _d = _df.copy()
    _d.head(); _d.tail(3); _d.describe(); _d.isna().sum(); _d.dtypes.to_dict(); _d.shape
    _num = list(_d.select_dtypes("number").columns)
    _obj = list(_d.select_dtypes(exclude="number").columns)
    if _num:
        _c = _num[0]
        _d.sort_values(_c, ascending=False).head(5); _d[_c].mean(); _d[_c].round(2); _d[_c].sum()
        _d[_d[_c] > _d[_c].median()]; _d.loc[_d[_c].notna(), [_c]]; _d[_c].astype(float).clip(0)
        _d.assign(_x=_d[_c] * 2).query("_x >= 0"); _d[_num].corr()
    if _obj:
        _o = _obj[0]
        _d[_o].astype(str).str.strip().str.lower(); _d[_o].value_counts(); _d[_o].unique(); _d[_o].nunique()
        _d.drop_duplicates(_o); _d.rename(columns={_o: "_k"}); _d.set_index(_o).reset_index()
    if _num and _obj:
        _g = _d.groupby(_obj[0])[_num[0]].agg(["mean", "sum", "count"]).reset_index()
        _d.groupby(_obj[0], as_index=False)[_num[0]].mean(); _d.pivot_table(index=_obj[0], values=_num[0])
        _d.merge(_g, on=_obj[0], how="left"); pd.concat([_d.head(2), _d.tail(2)])
        _to_plain(_g); _to_plain(_g.iloc[:, 1])
    _d.fillna(0).dropna().iloc[:5, :3].to_dict(); _to_plain(_d.head(20)); _to_plain(_d.iloc[:, 0])
    del _d
_to_plain(1.5); _to_plain(3); _to_plain("teks"); _to_plain([1, 2.5, "a"]); _to_plain({"a": 1}); _to_plain(True)
_to_plain(np.float64(2.5)); _to_plain(np.arange(5)); _to_plain(pd.Series([1.0, 2.0], index=["a", "b"]))
'''


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


def prewarm(init: dict[str, Any]) -> dict[str, Any]:
    """Import, load the data, run the banks' setup and the neutral warm-up; probe the layers."""
    import numpy as np
    import pandas as pd

    code = "\n".join([*init["setups"].values(), *init.get("known_cells", [])])
    if "plot" in code or "matplotlib" in code:  # only when the course's own code plots: a bigger worker forks slower
        with contextlib.suppress(Exception):
            import matplotlib

            matplotlib.use("Agg")
            import matplotlib.pyplot

    from ...data import available, muat
    from ...values import to_plain

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
    # neutral warm-up: lazy imports and caches filled, CPython's specialised bytecode settled here once
    for _round in range(2):
        ns = {"pd": pd, "np": np, "_frames": frames, "_to_plain": to_plain}
        with contextlib.suppress(Exception):
            exec(compile(NEUTRAL_WARMUP, "<warm-up>", "exec"), ns)
        del ns
    compiled: dict[str, Any] = {}  # the instructor's hand-out cells: public, identical in most hand-ins
    for source in init.get("known_cells", []):
        with contextlib.suppress(Exception):
            compiled[source] = compile_cell(source)

    slot = Path(init["workdir"])
    layers = probe(init, slot)
    shared = _Shared(data_dir, slot / "data")
    cgroup = None
    if layers.get("cgroup"):
        lim = init["limits"]  # the worker's own new allocations (job buffers) are charged too: 16 MB headroom
        cgroup = confine.Cgroup(f"kenali-{os.getpid()}", (int(lim["memory_mb"]) + 16) << 20,
                                int(lim["processes"]) + 2)
        if cgroup.version and cgroup.join():
            with contextlib.suppress(OSError):  # the OOM killer takes a job's process, never the worker
                Path("/proc/self/oom_score_adj").write_text("-1000")
        else:
            cgroup.remove()
            cgroup = None
        layers["cgroup"] = f"v{cgroup.version}" if cgroup is not None else ""
    ruleset = -1
    if layers.get("landlock"):
        readable = [*layers["read_roots"], str(slot)] if layers.get("read_roots") else None
        ruleset, _abi = confine.prepare([str(slot / "jobs"), os.devnull], readable)
        layers["landlock"] = _abi if ruleset >= 0 else 0
    import gc

    gc.collect()
    gc.freeze()  # objects made so far are never scanned by the children's collector: fewer copied pages
    return {"frames": frames, "namespaces": namespaces, "errors": errors, "shared": shared, "compiled": compiled,
            "layers": layers, "cgroup": cgroup, "ruleset": ruleset,
            "pidns": confine.PidNamespaces() if layers.get("pidns") else None}


def probe(init: dict[str, Any], slot: Path) -> dict[str, Any]:
    """Which confinement layers hold here (see :mod:`.confine`); ``init["layers"]`` may switch some off."""
    wanted = init.get("layers") or {}
    limits = init["limits"]
    layers: dict[str, Any] = {"userns": bool(wanted.get("userns", True)) and confine.enter_userns()}
    if wanted.get("tmpfs", True):
        layers["tmpfs"] = confine.private_tmpfs(slot / "jobs", int(limits["disk_mb"]))
    else:
        layers["tmpfs"] = False
    (slot / "jobs").mkdir(parents=True, exist_ok=True)
    os.chmod(slot / "jobs", 0o755)
    layers["landlock"] = max(0, confine.landlock_abi()) if wanted.get("landlock", True) else 0
    if layers["landlock"] and wanted.get("read_roots", True):
        extra = [str(Path(__file__).resolve().parent.parent.parent), init["data_dir"]]
        layers["read_roots"] = confine.read_roots(extra)
    layers["netns"] = bool(wanted.get("netns", True)) and _can_unshare(confine.CLONE_NEWNET)
    layers["pidns"] = bool(wanted.get("pidns", True)) and confine.pidns_cycle_works()
    if wanted.get("pidns", True) and not layers["pidns"] and layers["userns"] and confine.become_pid1():
        layers["pidns"] = confine.pidns_cycle_works()
    layers["cgroup"] = bool(wanted.get("cgroup", True))
    layers["uid"] = init.get("uid") is not None
    layers["caps"] = bool(wanted.get("caps", True)) and os.geteuid() == 0 and not layers["uid"]
    layers["seccomp"] = bool(wanted.get("seccomp", True)) and os.uname().machine in {"x86_64", "aarch64"}
    return layers


def _can_unshare(flag: int) -> bool:
    """Try in a throw-away child: ``unshare`` changes the caller."""
    pid = os.fork()
    if pid == 0:
        os._exit(0 if confine._unshare(flag) else 1)
    _, status = os.waitpid(pid, 0)
    return os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0


def _reap() -> None:
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def run_job(state: dict[str, Any], header: dict[str, Any], payload: bytearray, slot: Path,
            uid: int | None) -> tuple[dict[str, Any], list[tuple[bytearray, int]]]:
    limits = header["limits"]
    workdir = slot / "jobs" / "current"  # one job at a time per worker; Landlock's rule holds slot/jobs
    started = time.monotonic()
    token = secrets.token_hex(8)
    header = {**header, "token": token}
    r, w = os.pipe()
    pidns = state["pidns"]
    pid, init = pidns.fork() if pidns is not None else (os.fork(), None)
    if pid == 0:  # the child
        try:
            os.close(r)
            run_child(state, header, payload, w, workdir, uid)
        except BaseException as exc:
            import traceback

            detail = _describe(exc) + " | " + " / ".join(traceback.format_exc().splitlines()[-4:-1])
            for target in (3, w):  # the result pipe is fd 3 once the child has set up its descriptors
                with contextlib.suppress(BaseException):
                    send_line(target, {"t": "fatal", "error": detail[:600]})
                    break
        finally:
            os._exit(70)
    forked = time.monotonic()
    wipe(payload)
    os.close(w)
    with contextlib.suppress(OSError):  # also here: no race with the child's own setpgid
        os.setpgid(pid, pid)
    deadline = started + float(limits["timeout"])
    cap = int(limits["result_bytes"])
    chunks: list[tuple[bytearray, int]] = []
    size = 0
    timed_out = truncated = False

    def read_some() -> bool:
        nonlocal size, truncated
        chunk = bytearray(1 << 16)  # never resized: a moved copy would leave this learner's results behind
        n = os.readv(r, [chunk])
        if n <= 0:
            return False
        if size + n > cap:
            truncated = True
            wipe(chunk)
            return False
        chunks.append((chunk, n))
        size += n
        return True

    exited = None  # the child's own end: a process it left behind may hold the pipe open, the job is over anyway
    with contextlib.suppress(OSError, AttributeError):
        exited = os.pidfd_open(pid)
    watched = [r] if exited is None else [r, exited]
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            timed_out = True
            break
        ready, _, _ = select.select(watched, [], [], remaining)
        if r in ready and not read_some():
            break
        if exited is not None and exited in ready and r not in ready:
            break
    if exited is not None:
        os.close(exited)
    ended = time.monotonic()
    for kill, target in ((os.kill, init), (os.killpg, pid), (os.kill, pid)):  # the namespace's init: everything
        if target is not None:                                                # in it dies; the child and its group
            with contextlib.suppress(OSError):
                kill(target, signal.SIGKILL)
    _, status = os.waitpid(pid, 0)
    if init is not None:
        with contextlib.suppress(ChildProcessError):
            os.waitpid(init, 0)
        pidns.done()
    reaped = time.monotonic()
    while not truncated and select.select([r], [], [], 0)[0] and read_some():  # what it wrote before it stopped
        pass
    os.close(r)
    if state["cgroup"] is not None:
        state["cgroup"].kill_all()
    if init is None and state["cgroup"] is None:
        confine.kill_marked(token)
    _reap()
    shutil.rmtree(workdir, ignore_errors=True)
    state["shared"].check()
    code = os.WEXITSTATUS(status) if os.WIFEXITED(status) else None
    sig = os.WTERMSIG(status) if os.WIFSIGNALED(status) else None
    out = {
        "t": "result", "job": header["job"], "timed_out": timed_out, "truncated": truncated,
        "exit": code, "signal": sig,
        "ms": [round((t - started) * 1000, 1) for t in (forked, ended, reaped, time.monotonic())],
        "seconds": round(time.monotonic() - started, 3),
    }
    return out, chunks


def worker_main() -> int:
    """The worker process: pre-warm, then one forked child per job."""
    proto = os.dup(1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    sys.stdout = open(os.devnull, "w")  # stray prints must not corrupt the protocol
    stdin = os.dup(0)
    os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
    head = json.loads(read_line(stdin))
    init = json.loads(bytes(read_exact(stdin, int(head.get("bytes", 0)))))
    with contextlib.suppress(OSError, ValueError):  # orphans of a child are reparented here and reaped
        confine.libc().prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
    state = prewarm(init)
    slot = Path(init["workdir"])
    uid = init.get("uid")
    layers = {k: v for k, v in state["layers"].items() if k != "read_roots"}
    layers["read_limited"] = bool(state["layers"].get("read_roots")) and state["ruleset"] >= 0
    write_all(proto, encode_frame({"t": "ready", "errors": state["errors"], "pid": os.getpid(), "layers": layers}))
    while True:
        line = read_line(stdin)
        if not line:
            break
        if not line.strip():
            continue
        header = json.loads(line)
        payload = read_exact(stdin, int(header.get("bytes", 0)))
        result, chunks = run_job(state, header, payload, slot, uid)
        n = sum(k for _, k in chunks)
        write_all(proto, [json.dumps({**result, "bytes": n}).encode() + b"\n", *(memoryview(c)[:k] for c, k in chunks)])
        for chunk, _ in chunks:
            wipe(chunk)
    if state["cgroup"] is not None:
        state["cgroup"].remove()
    return 0


if __name__ == "__main__":
    sys.exit(worker_main())
