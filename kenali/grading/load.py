"""Step 2: read an entry into memory and parse it: manifest, notebooks, answer records.

Nothing from a submission is ever extracted to disk or executed here, and no problem stops the
batch: a bad zip, invalid JSON, a missing manifest become notes on the learner's row.

A hand-in (``kenali submit``) looks like::

    manifest.json                    learner ID and name, time, course version, content hashes
    exercises/NN_slug.ipynb          the learner's exercise notebooks
    progress/learner.json            the learner's identity
    progress/attempts/<id>/*.json    one answer record per attempt (kenali.store)

A folder entry may hold the same, or just notebooks; a loose ``.ipynb`` is a folder of one.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import unicodedata
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import nbformat
import nbformat.reader

from ..learner import LearnerError, validate
from .discover import Entry, display_name
from .notes import Note, note

MAX_FILES = 5000
MAX_FILE = 32 * 1024 * 1024
MAX_TOTAL = 128 * 1024 * 1024
_SKIP_DIRS = {".ipynb_checkpoints", "__pycache__", ".git", "node_modules", "corrupt", ".venv", "venv"}
_RECORD = re.compile(r"(?:^|/)attempts/[^/]+/[^/]+\.json$")
_SUFFIX = re.compile(r"(?:\s*\(\d+\))?$")


@dataclass
class Loaded:
    """The raw files of an entry, its content digest and the problems met while reading it."""

    files: dict[str, bytes] = field(default_factory=dict)
    digest: str = ""
    notes: list[Note] = field(default_factory=list)
    fatal: bool = False


class NotebookFile:
    """A notebook of a submission: its parsed JSON now, an nbformat v4 notebook when first needed."""

    def __init__(self, path: str, nb: Any, sha256: str, error: str | None = None, raw: Any = None):
        self.path, self.sha256, self.error, self.raw = path, sha256, error, raw
        self._nb = nb

    @property
    def metadata(self) -> dict[str, Any]:
        source = self._nb if self._nb is not None else self.raw
        meta = source.get("metadata") if isinstance(source, dict) else None
        return meta if isinstance(meta, dict) else {}

    @property
    def nb(self) -> Any:
        """The notebook as nbformat v4 (converted from older versions), or None when unreadable."""
        if self._nb is None and self.raw is not None and self.error is None:
            try:
                self._nb = _convert(self.raw)
            except Exception as exc:  # nbformat raises many kinds on malformed input
                self.error, self.raw = f"notebook: {_error(exc)}", None
        return self._nb


@dataclass
class Submission:
    """One entry, parsed."""

    entry: str
    kind: str
    digest: str
    learner_id: str
    name: str = ""
    created: str = ""
    manifest: dict[str, Any] | None = None
    notebooks: list[NotebookFile] = field(default_factory=list)
    records: list[dict[str, Any]] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    fatal: bool = False


# -- reading ------------------------------------------------------------------------------------

def _safe_member(name: str) -> str | None:
    name = name.replace("\\", "/")
    path = PurePosixPath(name)
    if name.startswith("/") or re.match(r"^[A-Za-z]:", name) or any(p in {"..", ""} for p in path.parts):
        return None
    return str(path)


def _read_zip(data: bytes, out: Loaded, entry: str) -> None:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        out.notes.append(note("bad_zip", entry=entry, error=str(exc) or type(exc).__name__))
        out.fatal = True
        return
    total = unsafe = 0
    for info in infos:
        if info.is_dir() or info.filename.startswith("__MACOSX/"):
            continue
        name = _safe_member(display_name(info.filename))
        if name is None:
            unsafe += 1
            continue
        if any(part in _SKIP_DIRS for part in PurePosixPath(name).parts[:-1]):
            continue
        if len(out.files) >= MAX_FILES or info.file_size > MAX_FILE or total + info.file_size > MAX_TOTAL:
            out.notes.append(note("too_big", detail=f"{len(infos)} files, {info.filename} is {info.file_size} bytes"))
            break
        try:
            content = archive.read(info)
        except Exception as exc:  # bad CRC, unsupported compression, truncated archive, ...
            out.notes.append(note("unreadable", path=name, error=str(exc) or type(exc).__name__))
            continue
        total += len(content)
        out.files[name] = content
    if unsafe:
        out.notes.append(note("unsafe_path", n=unsafe))


def _read_folder(root: Path, out: Loaded) -> None:
    total = 0
    for folder, dirs, names in os.walk(root, followlinks=False):
        dirs[:] = sorted(d for d in dirs if d not in _SKIP_DIRS and (not d.startswith(".") or d == ".kenali"))
        for raw in sorted(names):
            path = Path(folder) / raw
            if raw.startswith(".") or path.is_symlink():
                continue
            rel = display_name(path.relative_to(root).as_posix())
            try:
                size = path.stat().st_size
                if len(out.files) >= MAX_FILES or size > MAX_FILE or total + size > MAX_TOTAL:
                    out.notes.append(note("too_big", detail=f"{rel} is {size} bytes"))
                    return
                content = path.read_bytes()
            except OSError as exc:
                out.notes.append(note("unreadable", path=rel, error=exc.strerror or str(exc)))
                continue
            total += len(content)
            out.files[rel] = content


def _unwrap_single_zip(out: Loaded, entry: str) -> None:
    """A folder holding nothing but one hand-in zip (as an LMS's "download all submissions" makes
    them, one folder per learner) is graded as that zip."""
    zips = [name for name in out.files if name.lower().endswith(".zip")]
    gradable = [name for name in out.files if _is_notebook_path(name) or _RECORD.search(name)]
    if len(zips) == 1 and not gradable:
        data = out.files.pop(zips[0])
        out.files.clear()
        _read_zip(data, out, f"{entry}/{zips[0]}")


def read_entry(entry: Entry) -> Loaded:
    """Read an entry's files into memory and compute its content digest."""
    out = Loaded()
    h = hashlib.sha256(f"{entry.kind}\0{entry.name}\0".encode())
    try:
        if entry.kind == "folder":
            _read_folder(entry.path, out)
            for name in sorted(out.files):
                h.update(name.encode() + b"\0" + hashlib.sha256(out.files[name]).digest())
            _unwrap_single_zip(out, entry.name)
        elif entry.kind in {"zip", "notebook", "other"}:
            size = entry.path.stat().st_size
            if size > MAX_TOTAL:
                out.notes.append(note("too_big", detail=f"{entry.name} is {size} bytes"))
                out.fatal = True
            else:
                data = entry.path.read_bytes()
                h.update(data)
                if entry.kind == "zip":
                    _read_zip(data, out, entry.name)
                elif entry.kind == "notebook":
                    out.files[entry.name] = data
                else:
                    out.notes.append(note("not_handin", entry=entry.name))
                    out.fatal = True
    except OSError as exc:
        out.notes.append(note("unreadable", path=entry.name, error=exc.strerror or str(exc)))
        out.fatal = True
    out.digest = h.hexdigest()
    return out


# -- parsing ------------------------------------------------------------------------------------

def learner_from_name(name: str) -> str:
    """A learner ID guessed from an entry name: ``rina-kenali (1).zip`` -> ``rina``."""
    stem = name
    for suffix in (".zip", ".ipynb"):
        if stem.lower().endswith(suffix):
            stem = stem[: -len(suffix)]
    stem = _SUFFIX.sub("", stem.strip())
    for suffix in ("-kenali", "_kenali", ".kenali"):
        if stem.lower().endswith(suffix):
            stem = stem[: -len(suffix)]
    return unicodedata.normalize("NFC", stem.strip()) or name


def _json(data: bytes) -> Any:
    return json.loads(data.decode("utf-8-sig"))


def _error(exc: BaseException) -> str:
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text[:160]


def _convert(raw: dict[str, Any]) -> Any:
    major, minor = nbformat.reader.get_version(raw)
    if major not in nbformat.versions:
        raise ValueError(f"unsupported nbformat {major}")
    nb = nbformat.convert(nbformat.versions[major].to_notebook_json(raw, minor=minor), 4)
    cells = nb.get("cells")
    if not isinstance(cells, list):
        raise ValueError("no cell list")
    for cell in cells:
        if not isinstance(cell, dict) or not isinstance(cell.get("source", ""), str):
            raise ValueError("malformed cell")
    if not isinstance(nb.get("metadata", {}), dict):
        raise ValueError("malformed metadata")
    return nb


def parse_notebook(path: str, data: bytes) -> NotebookFile:
    """Parse one notebook; problems become ``error``, never exceptions.

    The JSON is parsed at once; the conversion to an nbformat v4 notebook (upgrading older
    versions) happens when the grader first needs the cells (only notebooks with code exercises).
    nbformat's JSON-schema validation is skipped (it costs more than the rest of grading a
    notebook); the few properties the grader relies on are checked instead."""
    digest = hashlib.sha256(data).hexdigest()
    if not data.strip():
        return NotebookFile(path, None, digest, "empty")
    try:
        raw = json.loads(data.decode("utf-8-sig"))
    except (ValueError, RecursionError) as exc:
        return NotebookFile(path, None, digest, f"json: {_error(exc)}")
    if not isinstance(raw, dict) or not isinstance(raw.get("nbformat"), int):
        return NotebookFile(path, None, digest, "notebook: no nbformat version")
    cells = raw.get("cells", raw.get("worksheets"))
    if not isinstance(cells, list):
        return NotebookFile(path, None, digest, "notebook: no cell list")
    if not cells:
        return NotebookFile(path, None, digest, "empty", raw=raw)
    return NotebookFile(path, None, digest, raw=raw)


def _is_notebook_path(path: str) -> bool:
    parts = PurePosixPath(path).parts
    return path.lower().endswith(".ipynb") and not any(p in {".ipynb_checkpoints"} for p in parts)


def parse(entry: Entry, loaded: Loaded) -> Submission:
    """Turn an entry's raw files into a :class:`Submission` (identity, notebooks, records)."""
    sub = Submission(entry=entry.name, kind=entry.kind, digest=loaded.digest,
                     learner_id=learner_from_name(entry.name), notes=list(loaded.notes), fatal=loaded.fatal)
    if loaded.fatal:
        return sub
    files = loaded.files
    # manifest: the shallowest manifest.json
    manifests = sorted((p for p in files if PurePosixPath(p).name == "manifest.json"), key=lambda p: (p.count("/"), p))
    identity: dict[str, Any] = {}
    if manifests:
        try:
            manifest = _json(files[manifests[0]])
            if not isinstance(manifest, dict) or not isinstance(manifest.get("learner"), dict):
                raise ValueError("no learner section")
            sub.manifest = manifest
            identity = manifest["learner"]
            created = manifest.get("created")
            sub.created = created if isinstance(created, str) else ""
        except (ValueError, RecursionError) as exc:
            sub.notes.append(note("manifest_invalid", error=_error(exc)))
    learner_files = sorted((p for p in files if PurePosixPath(p).name == "learner.json"),
                           key=lambda p: (p.count("/"), p))
    if not identity and learner_files:
        try:
            data = _json(files[learner_files[0]])
            identity = data if isinstance(data, dict) else {}
        except (ValueError, RecursionError):
            identity = {}
    if identity:
        raw_id, raw_name = identity.get("id"), identity.get("name")
        try:
            who = validate(str(raw_name or "?"), str(raw_id if raw_id is not None else ""))
            sub.learner_id = who.id
            sub.name = str(raw_name or "").strip()[:200]
        except LearnerError:
            sub.notes.append(note("learner_id_invalid", id=str(raw_id)[:80], used=sub.learner_id))
            sub.name = str(raw_name or "").strip()[:200] if isinstance(raw_name, str) else ""
    elif entry.kind == "zip" and not manifests:
        sub.notes.append(note("manifest_missing"))

    for path in sorted(p for p in files if _is_notebook_path(p)):
        sub.notebooks.append(parse_notebook(path, files[path]))

    bad_records = 0
    for path in sorted(p for p in files if _RECORD.search(p)):
        if PurePosixPath(path).name.startswith(".tmp-"):
            continue
        try:
            rec = _json(files[path])
            if not isinstance(rec, dict) or not isinstance(rec.get("exercise"), str):
                raise ValueError("not an answer record")
        except (ValueError, RecursionError):
            bad_records += 1
            continue
        rec["_file"] = path
        sub.records.append(rec)
    if bad_records:
        sub.notes.append(note("records_invalid", n=bad_records))
    if not sub.notebooks and not sub.records:
        sub.notes.append(note("empty_entry"))
    return sub
