"""The progress store: every checked answer, kept so that nothing a learner did is ever lost.

Layout (one file per attempt, the Maildir design)::

    <home>/attempts/<exercise id>/<seq:012d>.json     one record, seq = its per-exercise number
    <home>/attempts/<exercise id>/<seq:012d>-<random>.json   the same where hard links are unsupported
    <home>/attempts/<exercise id>/<time ns>-<pid>-<random>.json   version 1 records (no seq)
    <home>/corrupt/...            damaged records, moved aside (a backup, never deleted)

Why this design: it must survive a kernel killed in the middle of a write, a power cut, two
notebooks of the same learner writing at once, and a network home directory (NFS on
JupyterHub), where SQLite and ``flock``/``fcntl`` locks are unreliable. No lock is taken.

Writing: the writer takes the next sequence number of the exercise (the highest one present,
plus one), writes the record to a temporary name in the same folder, fsyncs it and publishes it
with ``os.link(tmp, "<seq>.json")``, which is atomic on local disks and on NFS and fails when a
concurrent writer already took that number (the writer then retries with the next one). Then the
folder itself is fsync'ed, so the new name survives a power cut. Where hard links are
unsupported the record is renamed into place under a name with a random suffix instead. No file
is ever appended to or rewritten.

Order: which answer is the last one is decided by the sequence number (then the file name), never
by the wall clock or a process id; see :func:`record_order_key`. Version 1 records, which have no
sequence number, come before all others, in the order of their time stamp and file name.

Reading: every record is validated into a typed form (:mod:`kenali.records`). A record that
cannot be *read* (an I/O error, a permission problem, a network home timing out) is left where it
is and reported: it will be read next time. Only bytes that were read and are not a valid record
are moved to ``corrupt/``, with a message. A temporary file that holds a complete record (a power
cut after the fsync but before the link) is published, not deleted.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import re
import secrets
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from . import records as records_mod
from .i18n import t
from .records import MAX_ANSWER_BYTES, MAX_RECORD_BYTES, RECORD_VERSION, RecordError, RecordTooLarge

__all__ = ["MAX_ANSWER_BYTES", "RECORD_VERSION", "MemoryStore", "RecordTooLarge", "Store", "fsync_dir",
           "record_order_key", "sort_records"]

_TMP_PREFIX = ".tmp-"
_RECOVER_AFTER_SECONDS = 60  # a complete temporary record older than this was left by a dead writer
_STALE_TMP_SECONDS = 3600  # an incomplete one older than this is moved to corrupt/
_SEQ_NAME = re.compile(r"^(\d{12})(?:-[0-9a-f]+)?\.json$")
_NO_LINKS = {errno.EPERM, errno.EOPNOTSUPP, errno.ENOTSUP, errno.ENOSYS, errno.EMLINK, errno.EXDEV}
_NO_DIR_FSYNC = {errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EBADF, errno.EACCES, errno.EISDIR}


def _safe_name(exercise_id: str) -> str:
    return "".join(ch if ch.isalnum() or ch in ".-_" else "_" for ch in exercise_id)


def record_order_key(rec: Mapping[str, Any]) -> tuple[int, int, float, str]:
    """The sort key that puts an exercise's records in the order they were made (last = newest).

    Records with a sequence number sort by it, then by file name (a deterministic tie-break for
    the rare tie where hard links are unsupported); version 1 records (no sequence number) come
    first, by their time stamp and file name. Accepts raw, unvalidated records too (the grader's).
    """
    seq = rec.get("seq")
    name = PurePosixPath(str(rec.get("_file") or "")).name
    if isinstance(seq, int) and not isinstance(seq, bool) and seq > 0:
        return (1, seq, 0.0, name)
    ts = rec.get("ts")
    stamp = float(ts) if isinstance(ts, int | float) and not isinstance(ts, bool) and abs(ts) < 1e15 else 0.0
    return (0, 0, stamp, name)


def sort_records(records: Iterable[Mapping[str, Any]]) -> list[Any]:
    """Records in the order they were made (see :func:`record_order_key`), oldest first."""
    return sorted(records, key=record_order_key)


def fsync_dir(folder: Path) -> None:
    """Make the names in ``folder`` durable; a no-op on filesystems that cannot fsync a folder."""
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError as exc:
        if exc.errno in _NO_DIR_FSYNC:
            return
        raise
    try:
        os.fsync(fd)
    except OSError as exc:
        if exc.errno not in _NO_DIR_FSYNC:
            raise
    finally:
        os.close(fd)


def _read_capped(path: Path) -> bytes | None:
    """The bytes of a file, or ``None`` when it is larger than a record can be (not read)."""
    with path.open("rb") as fh:
        if os.fstat(fh.fileno()).st_size > MAX_RECORD_BYTES:
            return None
        data = fh.read(MAX_RECORD_BYTES + 1)
    return None if len(data) > MAX_RECORD_BYTES else data


def _error(exc: OSError) -> str:
    return str(exc.strerror or exc)


def _check_size(rec: Mapping[str, Any]) -> None:
    size = records_mod.answer_size(rec.get("answer"))
    if size > MAX_ANSWER_BYTES:
        raise RecordTooLarge(size)


@dataclass
class Store:
    """Answer records on disk under ``root``."""

    root: Path
    warnings: list[str] = field(default_factory=list)

    @property
    def attempts_dir(self) -> Path:
        return self.root / "attempts"

    # -- writing ------------------------------------------------------------------------------
    def record(self, rec: dict[str, Any]) -> Path:
        """Write one record durably and return its path.

        The record gets the exercise's next sequence number as ``seq`` and as its ``attempt``
        number; both are also set in ``rec``. Raises ``OSError`` when the folder is not writable
        and :class:`RecordTooLarge` when the answer is larger than ``MAX_ANSWER_BYTES``.
        """
        _check_size(rec)
        folder = self.attempts_dir / _safe_name(rec["exercise"])
        if not folder.is_dir():  # a new folder: make its name (and its parent's) durable too
            folder.mkdir(parents=True, exist_ok=True)
            fsync_dir(folder.parent)
            fsync_dir(self.root)
        path, seq = self._publish(folder, rec)
        rec["seq"] = rec["attempt"] = seq
        return path

    def _next_seq(self, folder: Path) -> int:
        highest = legacy = 0
        for name in os.listdir(folder):
            match = _SEQ_NAME.match(name)
            if match:
                highest = max(highest, int(match.group(1)))
            elif name.endswith(".json") and not name.startswith("."):
                legacy += 1
        return max(highest, legacy) + 1

    def _publish(self, folder: Path, rec: Mapping[str, Any]) -> tuple[Path, int]:
        seq = self._next_seq(folder)
        for _try in range(1000):
            payload = records_mod.encode({**rec, "v": RECORD_VERSION, "seq": seq, "attempt": seq})
            token = secrets.token_hex(4)
            tmp = folder / f"{_TMP_PREFIX}{seq:012d}-{token}.json"
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            try:
                with os.fdopen(fd, "wb") as fh:
                    fh.write(payload)
                    fh.flush()
                    os.fsync(fh.fileno())
                final = folder / f"{seq:012d}.json"
                try:
                    os.link(tmp, final)
                except FileExistsError:
                    if not os.path.samefile(tmp, final):  # a concurrent writer took this number: take the next
                        tmp.unlink()
                        seq = max(seq + 1, self._next_seq(folder))
                        continue
                    # else a reader took our temporary file for a dead writer's and published it
                except FileNotFoundError:  # ... and removed it already: published unless renumbered
                    with contextlib.suppress(OSError):
                        if _read_capped(final) == payload:
                            fsync_dir(folder)
                            return final, seq
                    seq = max(seq + 1, self._next_seq(folder))
                    continue
                except OSError as exc:
                    if exc.errno not in _NO_LINKS:
                        raise
                    final = folder / f"{seq:012d}-{token}.json"
                    os.replace(tmp, final)
                fsync_dir(folder)
                with contextlib.suppress(FileNotFoundError):
                    tmp.unlink()
                return final, seq
            except BaseException:
                with contextlib.suppress(OSError):
                    tmp.unlink()
                raise
        raise OSError(errno.EAGAIN, "no free sequence number", str(folder))

    # -- reading ------------------------------------------------------------------------------
    def _quarantine(self, path: Path) -> Path | None:
        backup_dir = self.root / "corrupt"
        try:
            backup_dir.mkdir(parents=True, exist_ok=True)
            target = backup_dir / f"{path.parent.name}__{path.name}"
            if target.exists():
                target = backup_dir / f"{path.parent.name}__{secrets.token_hex(4)}-{path.name}"
            os.replace(path, target)
            fsync_dir(backup_dir)
            fsync_dir(path.parent)
            return target
        except OSError:
            return None

    def _leftover(self, folder: Path, path: Path, now: float) -> bool:
        """Deal with a temporary file; True when a record was published from it."""
        try:
            age = now - path.stat().st_mtime
            if age < _RECOVER_AFTER_SECONDS:  # perhaps a writer at work
                return False
            data = _read_capped(path)
        except OSError:
            return False
        try:
            if data is None:
                raise RecordError("too large")
            rec = records_mod.parse(data, path.name)
        except RecordError:  # a writer killed mid-write: no record in it
            if age > _STALE_TMP_SECONDS:
                self._quarantine(path)
            return False
        try:
            if rec["seq"]:
                final = folder / f"{rec['seq']:012d}.json"
                try:
                    os.link(path, final)
                except FileExistsError:
                    if os.path.samefile(path, final) or _read_capped(final) == data:
                        path.unlink()  # published already; the writer died before removing it
                        return False
                    self._publish(folder, json.loads(data.decode("utf-8-sig")))
                except OSError as exc:
                    if exc.errno not in _NO_LINKS:
                        raise
                    self._publish(folder, json.loads(data.decode("utf-8-sig")))
            else:  # a version 1 writer: its final name is the temporary one without the prefix
                os.replace(path, folder / path.name[len(_TMP_PREFIX):])
            fsync_dir(folder)
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
            return True
        except (OSError, ValueError):
            return False

    def _list(self, folder: Path, missing_ok: bool = True) -> list[str] | None:
        try:
            return sorted(os.listdir(folder))
        except FileNotFoundError:
            return [] if missing_ok else None
        except OSError as exc:
            self.warnings.append(t("store.unlistable", path=folder, error=_error(exc)))
            return None

    def _read_folder(self, folder: Path) -> list[dict[str, Any]]:
        names = self._list(folder)
        if not names:
            return []
        now = time.time()
        if any([self._leftover(folder, folder / n, now) for n in names if n.startswith(_TMP_PREFIX)]):
            names = self._list(folder) or []
        records: list[dict[str, Any]] = []
        damaged = 0
        unreadable: list[str] = []
        for name in names:
            if name.startswith(".") or not name.endswith(".json"):
                continue
            path = folder / name
            try:
                data = _read_capped(path)
            except FileNotFoundError:  # moved aside by another reader meanwhile
                continue
            except OSError as exc:  # not the record's fault: leave it, read it next time
                unreadable.append(f"{name}: {_error(exc)}")
                continue
            try:
                if data is None:
                    raise RecordError("too large")
                rec = records_mod.parse(data, name)
            except RecordError:
                try:  # read once more: bytes that change were a transient problem, not damage
                    again = _read_capped(path)
                except OSError:
                    continue
                if again == data:
                    damaged += 1
                    self._quarantine(path)
                continue
            records.append(dict(rec))
        if unreadable:
            self.warnings.append(t("store.unreadable", n=len(unreadable), folder=folder,
                                   error="; ".join(unreadable[:3])))
        if damaged:
            self.warnings.append(t("store.corrupt", n=damaged, backup=self.root / "corrupt"))
        return records

    def attempts(self, exercise_id: str | None = None) -> list[dict[str, Any]]:
        """All records (of one exercise, or of all), oldest first; see :mod:`kenali.records` for the fields."""
        base = self.attempts_dir
        if exercise_id is not None:
            folders: Iterable[Path] = [base / _safe_name(exercise_id)]
        else:
            names = self._list(base) or []
            folders = [base / n for n in names if not n.startswith(".") and (base / n).is_dir()]
        records = [rec for folder in folders for rec in self._read_folder(folder)]
        return sort_records(records)

    def latest(self, exercise_id: str) -> dict[str, Any] | None:
        records = self.attempts(exercise_id)
        return records[-1] if records else None

    def latest_all(self) -> dict[str, dict[str, Any]]:
        """The newest record of every exercise."""
        out: dict[str, dict[str, Any]] = {}
        for rec in self.attempts():
            out[rec["exercise"]] = rec
        return out

    def take_warnings(self) -> list[str]:
        out, self.warnings = self.warnings, []
        return out


@dataclass
class MemoryStore(Store):
    """A store that keeps records in memory only (solution notebooks, previews)."""

    root: Path = Path("/nonexistent")
    _records: list[dict[str, Any]] = field(default_factory=list)

    def record(self, rec: dict[str, Any]) -> Path:
        _check_size(rec)
        seq = 1 + sum(r["exercise"] == rec["exercise"] for r in self._records)
        rec["seq"] = rec["attempt"] = seq
        name = f"{seq:012d}.json"
        stored = records_mod.validate(json.loads(records_mod.encode({**rec, "v": RECORD_VERSION})), name)
        self._records.append(dict(stored))
        return Path(f"memory://{rec['exercise']}/{name}")

    def attempts(self, exercise_id: str | None = None) -> list[dict[str, Any]]:
        return sort_records(dict(r) for r in self._records if exercise_id is None or r["exercise"] == exercise_id)
