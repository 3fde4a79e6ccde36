"""The wire format between the grader, its workers and their children; the limits; what comes back.

* grader -> worker, on the worker's stdin: frames. A frame is one JSON header line, then exactly
  ``header["bytes"]`` bytes of payload. The first frame is ``init`` (no learner data). A ``job``
  frame's payload is the JSON of the job's notebooks: the worker never parses it, its child does
  (so the worker never holds a learner's code).
* child -> worker, on a pipe: JSON lines (``answer``, ``cell``, ``done``, ``fatal``), ASCII only
  (``ensure_ascii``), so that a lone surrogate in an answer never fails the encoding.
* worker -> grader, on the worker's stdout: frames (``ready``; ``result`` whose payload is the
  child's lines as read, capped).

Everything is JSON; nothing is ever unpickled. The grader treats the child's lines as hostile:
malformed lines are skipped, text is cleaned (:mod:`..bounds`).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from typing import Any

from ..bounds import deep_text

PROTOCOL = 2


@dataclass(frozen=True)
class Limits:
    """Resource limits for one submission's code."""

    timeout: float = 60.0  # wall clock per submission, seconds
    cell_timeout: float = 10.0  # soft limit per cell, seconds
    memory_mb: int = 1024  # memory of all the submission's processes together (per process where no cgroup)
    output_bytes: int = 1 << 20  # printed output kept per submission; the rest is counted and dropped
    result_bytes: int = 32 << 20  # bytes of results read back per submission
    answer_bytes: int = 8 << 20  # one answer's plain JSON
    disk_mb: int = 64  # bytes written in the job's folder, in total (a tmpfs) or per file (fallback)
    processes: int = 64  # processes and threads of one submission together

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


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
    repeated: list[str] = field(default_factory=list)  # answers sent more than once (forged lines?)
    ms: list[float] = field(default_factory=list)  # worker's clock: forked, child ended, reaped, cleaned up


def send_line(fd: int, obj: dict[str, Any]) -> None:
    """Child side: one JSON line, ASCII only (lone surrogates escaped, never an encoding error)."""
    data = json.dumps(obj, ensure_ascii=True, allow_nan=True, default=str).encode("ascii") + b"\n"
    view = memoryview(data)
    while view:
        n = os.write(fd, view)
        view = view[n:]


def encode_frame(header: dict[str, Any], payload: bytes | bytearray | memoryview = b"") -> list[bytes | memoryview]:
    header = {**header, "bytes": len(payload)}
    return [json.dumps(header).encode() + b"\n", memoryview(payload)]


def write_all(fd: int, parts: list[bytes | memoryview]) -> None:
    for part in parts:
        view = memoryview(part)
        while view:
            n = os.write(fd, view)
            view = view[n:]


def read_line(fd: int, limit: int = 1 << 16) -> bytes:
    """A header line read byte by byte (never past the newline: the payload is not ours to buffer)."""
    out = bytearray()
    while len(out) < limit:
        b = os.read(fd, 1)
        if not b:
            break
        out += b
        if b == b"\n":
            break
    return bytes(out)


def read_exact(fd: int, n: int) -> bytearray:
    """Exactly ``n`` bytes (fewer at end of file), read into one buffer the caller can wipe."""
    buf = bytearray(n)
    view = memoryview(buf)
    got = 0
    while got < n:
        k = os.readv(fd, [view[got:]])
        if k <= 0:
            break
        got += k
    view.release()
    del buf[got:]
    return buf


def wipe(buf: bytearray) -> None:
    """Overwrite a buffer that held learner data, so that no later fork inherits it."""
    if buf:
        buf[:] = bytes(len(buf))


def parse_payload(header: dict[str, Any], payload: bytes) -> RunResult:
    """Parse a child's stream; malformed lines are skipped (they can only come from learner code)."""
    def num(v: Any) -> float:
        return float(v) if isinstance(v, int | float) and not isinstance(v, bool) and abs(v) < 1e9 else 0.0

    def small(v: Any) -> int | None:
        return v if isinstance(v, int) and not isinstance(v, bool) and -1000 < v < 1000 else None

    res = RunResult({}, [], None, bool(header.get("timed_out")), bool(header.get("truncated")),
                    small(header.get("exit")), small(header.get("signal")), num(header.get("seconds")))
    if isinstance(header.get("ms"), list):
        res.ms = [num(v) for v in header["ms"][:4]]
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
            key = (msg["nb"], deep_text(msg["id"]))
            if key in res.answers and key[1] not in res.repeated:
                res.repeated.append(key[1])
            res.answers[key] = deep_text(msg)
        elif kind == "cell":
            res.cells.append(deep_text(msg))
        elif kind == "done":
            res.done = deep_text(msg)
        elif kind == "fatal":
            res.fatal = deep_text(str(msg.get("error")))[:300]
    return res
