"""The learner's identity (name and learner ID), asked once in the start notebook and remembered."""

from __future__ import annotations

import contextlib
import json
import os
import re
import time
from dataclasses import dataclass
from pathlib import Path

from .i18n import t

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


def load(home: Path) -> tuple[Learner | None, str | None]:
    """The saved learner, and a warning when the file was unreadable (it is then backed up)."""
    path = home / "learner.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return validate(data["name"], data["id"]), None
    except FileNotFoundError:
        return None, None
    except (OSError, ValueError, KeyError, TypeError, UnicodeDecodeError):
        backup = path.with_name(f"learner.rusak-{int(time.time())}.json")
        with contextlib.suppress(OSError):
            os.replace(path, backup)
        return None, t("store.corrupt", n=1, backup=backup)


def save(home: Path, learner: Learner) -> None:
    """Write the identity atomically (temporary file, then rename)."""
    home.mkdir(parents=True, exist_ok=True)
    tmp = home / f".tmp-learner-{os.getpid()}.json"
    tmp.write_text(json.dumps({"name": learner.name, "id": learner.id}, ensure_ascii=False), encoding="utf-8")
    os.replace(tmp, home / "learner.json")
