"""Step 1: find the entries of a submissions folder, one per learner (or so the instructor hopes).

An entry is a hand-in zip (``<id>-kenali.zip``), a folder holding a learner's notebooks (and
perhaps their progress folder), a loose notebook, or anything else (which still gets a row that
says it could not be graded). Hidden files and macOS/Windows clutter are skipped.
"""

from __future__ import annotations

import os
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
    kind: str  # "zip" | "folder" | "notebook" | "other"


def display_name(raw: str) -> str:
    """A file name as valid Unicode (undecodable bytes become U+FFFD), so that it can be written anywhere."""
    return raw.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def _kind(path: Path) -> str:
    if path.is_dir():
        return "folder"
    suffix = path.suffix.lower()
    if suffix == ".ipynb":
        return "notebook"
    try:
        with path.open("rb") as fh:
            magic = fh.read(4)
    except OSError:
        return "other"
    if suffix == ".zip" or magic in _ZIP_MAGIC:
        return "zip"
    return "other"


def discover(folder: Path, exclude: Iterable[Path] = ()) -> list[Entry]:
    """The entries of ``folder``, sorted by name; ``exclude`` drops e.g. an output folder inside it."""
    skip = {p.resolve() for p in exclude}
    entries = []
    for raw in os.listdir(folder):
        if raw.startswith(".") or raw.startswith("~$") or raw in _JUNK:
            continue
        path = folder / raw
        try:
            if path.resolve() in skip:
                continue
        except OSError:
            pass
        entries.append(Entry(display_name(raw), path, _kind(path)))
    return sorted(entries, key=lambda e: (e.name.casefold(), e.name))
