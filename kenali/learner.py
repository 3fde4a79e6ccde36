"""The learner's identity (name and learner ID), asked once in the start notebook and remembered."""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

from .i18n import t
from .store import fsync_dir

_ID = re.compile(r"^[A-Za-z0-9._-]{1,40}$")


class LearnerError(ValueError):
    """A name or learner ID that cannot be saved; the message is for the learner."""


@dataclass(frozen=True)
class Learner:
    name: str
    id: str


def validate(name: str, learner_id: str) -> Learner:
    """Check a name and an ID as typed into the start notebook."""
    name = " ".join(str(name).split())
    learner_id = str(learner_id).strip()
    if not name:
        raise LearnerError(t("learner.bad_name"))
    if not _ID.match(learner_id):
        raise LearnerError(t("learner.bad_id"))
    return Learner(name, learner_id)


_MAX_BYTES = 64 * 1024


def _parse(data: bytes) -> Learner:
    """The learner in the bytes of ``learner.json``; ``ValueError`` when they hold none."""
    if len(data) > _MAX_BYTES:
        raise ValueError("too large")
    try:
        raw = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, RecursionError) as exc:
        raise ValueError(str(exc)) from None
    if not isinstance(raw, dict) or not isinstance(raw.get("name"), str) or not isinstance(raw.get("id"), str):
        raise ValueError("not a learner file")
    return validate(raw["name"], raw["id"])


def load(home: Path) -> tuple[Learner | None, str | None]:
    """The saved learner, and a warning when the file could not be read or is damaged.

    A file that cannot be read now (an I/O or permission error, a network home timing out) is
    left alone; only a file whose content was read and is not a learner is moved aside (backed up).
    """
    path = home / "learner.json"
    try:
        with path.open("rb") as fh:
            data = fh.read(_MAX_BYTES + 1)
    except FileNotFoundError:
        return None, None
    except OSError as exc:
        return None, t("store.learner_unreadable", path=path, error=exc.strerror or exc)
    try:
        return _parse(data), None
    except ValueError:  # (LearnerError is a ValueError)
        pass
    backup = path.with_name(f"learner.rusak-{time.time_ns()}.json")
    with contextlib.suppress(OSError):
        os.replace(path, backup)
        fsync_dir(home)
    return None, t("store.learner_corrupt", backup=backup)


def save(home: Path, learner: Learner) -> None:
    """Write the identity durably: a temporary file, fsync'ed, renamed into place, folder fsync'ed."""
    home.mkdir(parents=True, exist_ok=True)
    tmp = home / f".tmp-learner-{os.getpid()}-{secrets.token_hex(4)}.json"
    payload = json.dumps({"name": learner.name, "id": learner.id}, ensure_ascii=False).encode("utf-8")
    try:
        with tmp.open("xb") as fh:
            fh.write(payload)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, home / "learner.json")
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    fsync_dir(home)
