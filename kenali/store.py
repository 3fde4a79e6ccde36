"""The progress store: every checked answer, kept so that nothing a learner did is ever lost.

Layout (one file per attempt, the Maildir design)::

    <home>/attempts/<exercise id>/<time ns>-<pid>-<random>.json
    <home>/corrupt/...            unreadable records, moved aside (a backup, never deleted)

Why this design: it must survive a kernel killed in the middle of a write, two notebooks of the
same learner writing at once, and a network home directory (NFS on JupyterHub), where SQLite and
``flock``/``fcntl`` locks are unreliable. Each record is written to a temporary name in the same
folder, flushed, fsync'ed and then renamed into place; ``rename`` within one folder is atomic on
local disks and on NFS. No file is ever appended to or rewritten, so concurrent writers cannot
interleave, and no lock is taken, so a lock daemon that is missing or stale cannot hang a lesson.
A reader sees either a whole record or none.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .i18n import t

RECORD_VERSION = 1
_TMP_PREFIX = ".tmp-"
_STALE_TMP_SECONDS = 3600


def _safe_name(exercise_id: str) -> str:
    return "".join(ch if ch.isalnum() or ch in ".-_" else "_" for ch in exercise_id)


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
        """Write one record atomically; raises ``OSError`` when the folder is not writable."""
        folder = self.attempts_dir / _safe_name(rec["exercise"])
        folder.mkdir(parents=True, exist_ok=True)
        payload = json.dumps({"v": RECORD_VERSION, **rec}, ensure_ascii=False, sort_keys=True).encode("utf-8")
        name = f"{time.time_ns():020d}-{os.getpid()}-{secrets.token_hex(4)}.json"
        tmp = folder / f"{_TMP_PREFIX}{name}"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(payload)
                fh.flush()
                os.fsync(fh.fileno())
            final = folder / name
            os.replace(tmp, final)
        except BaseException:
            with contextlib.suppress(OSError):
                tmp.unlink()
            raise
        return final

    # -- reading ------------------------------------------------------------------------------
    def _quarantine(self, path: Path, reason: str) -> Path | None:
        backup_dir = self.root / "corrupt"
        try:
            backup_dir.mkdir(parents=True, exist_ok=True)
            target = backup_dir / f"{path.parent.name}__{path.name}"
            os.replace(path, target)
            return target
        except OSError:
            return None

    def _read_folder(self, folder: Path) -> list[dict[str, Any]]:
        records = []
        corrupt = 0
        try:
            entries = sorted(folder.iterdir())
        except OSError:
            return []
        now = time.time()
        for path in entries:
            if path.name.startswith(_TMP_PREFIX):
                # a writer killed mid-write leaves only a temporary file: never a half record
                with contextlib.suppress(OSError):
                    if now - path.stat().st_mtime > _STALE_TMP_SECONDS:
                        path.unlink()
                continue
            if path.suffix != ".json":
                continue
            try:
                rec = json.loads(path.read_text(encoding="utf-8"))
                if not isinstance(rec, dict) or "exercise" not in rec or "status" not in rec:
                    raise ValueError("not an answer record")
            except (OSError, ValueError, UnicodeDecodeError):
                corrupt += 1
                self._quarantine(path, "unreadable")
                continue
            rec["_file"] = path.name
            records.append(rec)
        if corrupt:
            self.warnings.append(t("store.corrupt", n=corrupt, backup=self.root / "corrupt"))
        return records

    def attempts(self, exercise_id: str | None = None) -> list[dict[str, Any]]:
        """All records (of one exercise, or of all), oldest first."""
        base = self.attempts_dir
        if exercise_id is not None:
            folders: Iterable[Path] = [base / _safe_name(exercise_id)]
        else:
            try:
                folders = sorted(p for p in base.iterdir() if p.is_dir())
            except OSError:
                folders = []
        records = [rec for folder in folders for rec in self._read_folder(folder)]
        return sorted(records, key=lambda r: (r.get("ts", 0), r["_file"]))

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
        self._records.append({"v": RECORD_VERSION, **rec, "_file": f"{len(self._records):08d}"})
        return Path(f"memory://{rec['exercise']}")

    def attempts(self, exercise_id: str | None = None) -> list[dict[str, Any]]:
        return [r for r in self._records if exercise_id is None or r["exercise"] == exercise_id]
