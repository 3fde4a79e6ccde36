"""Step 1: find the entries of a submissions folder, one per learner (or so the instructor hopes).

An entry is a hand-in zip (``<id>-kenali.zip``), a folder holding a learner's notebooks (and
perhaps their progress folder), a loose notebook, or anything else (which still gets a row that
says it could not be graded). Hidden files and macOS/Windows clutter are skipped.

Nothing is followed or opened blindly: every item is ``lstat``-ed; a symbolic link, a FIFO, a
socket or a device is a ``special`` entry (a row with a note, never opened: a FIFO would block the
batch, ``/dev/zero`` would never end); a regular file is opened ``O_NONBLOCK | O_NOFOLLOW``.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

_JUNK = {"__MACOSX", "Thumbs.db", "desktop.ini"}
_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")


@dataclass(frozen=True)
class Entry:
    """One item of the submissions folder."""

    name: str  # display name, always valid Unicode
    path: Path
    kind: str  # "zip" | "folder" | "notebook" | "other" | "special"


def display_name(raw: str) -> str:
    """A file name as valid Unicode (undecodable bytes become U+FFFD), so that it can be written anywhere."""
    return raw.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def open_regular(path: Path) -> int:
    """A descriptor of ``path`` if it is a regular file (never a link, FIFO or device); raises OSError."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW | os.O_CLOEXEC)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(0, "not a regular file", str(path))
    except BaseException:
        os.close(fd)
        raise
    return fd


def _kind(path: Path) -> str:
    try:
        mode = os.lstat(path).st_mode
    except OSError:
        return "other"
    if stat.S_ISDIR(mode):
        return "folder"
    if not stat.S_ISREG(mode):
        return "special"
    suffix = path.suffix.lower()
    if suffix == ".ipynb":
        return "notebook"
    try:
        fd = open_regular(path)
        try:
            magic = os.read(fd, 4)
        finally:
            os.close(fd)
    except OSError:
        return "other"
    if suffix == ".zip" or magic in _ZIP_MAGIC:
        return "zip"
    return "other"


def discover(folder: Path, exclude: Iterable[Path] = ()) -> list[Entry]:
    """The entries of ``folder``, sorted by name; ``exclude`` drops e.g. an output folder inside it."""
    skip = {os.path.realpath(p) for p in exclude}  # realpath never raises (a symbolic link loop stays a name)
    entries = []
    for raw in os.listdir(folder):
        if raw.startswith(".") or raw.startswith("~$") or raw in _JUNK:
            continue
        path = folder / raw
        if os.path.realpath(path) in skip:
            continue
        entries.append(Entry(display_name(raw), path, _kind(path)))
    return sorted(entries, key=lambda e: (e.name.casefold(), e.name))
