"""Step 2: read an entry into memory and parse it: manifest, notebooks, answer records.

Nothing from a submission is ever extracted to disk or executed here, and no problem stops the
batch: a bad zip, invalid JSON, a missing manifest become notes on the learner's row.

Reading is bounded: files are opened ``O_NONBLOCK | O_NOFOLLOW`` and only if regular; zip members
are read only when stored or deflated, streamed with a cap on the bytes actually produced (the
declared sizes are never trusted); everything parsed is cleaned (:mod:`.bounds`). The learner ID a
hand-in states is checked against the entry's name (``<id>-kenali.zip``, an LMS folder's name);
a mismatch is a note, and such an entry never outranks one whose name confirms the ID.

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
import stat
import unicodedata
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import nbformat
import nbformat.reader

from ..learner import LearnerError, validate
from . import bounds
from .discover import Entry, display_name, open_regular
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
    inner: str | None = None  # the name of the one zip a folder entry held (an LMS download)


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
    identity_ok: bool = True  # False: the ID the hand-in states is not the one its entry name says
    identity: int = 1  # 2: an LMS folder's name says it; 1: a file name says it (the learner chose it); 0: nothing


# -- reading ------------------------------------------------------------------------------------

def _safe_member(name: str) -> str | None:
    name = name.replace("\\", "/")
    path = PurePosixPath(name)
    if name.startswith("/") or re.match(r"^[A-Za-z]:", name) or any(p in {"..", ""} for p in path.parts):
        return None
    return str(path)


def read_bounded(path: Path, cap: int) -> bytes:
    """A regular file's bytes, at most ``cap + 1`` of them (never blocks, never follows a link)."""
    fd = open_regular(path)
    try:
        parts, got = [], 0
        while got <= cap:
            chunk = os.read(fd, min(1 << 20, cap + 1 - got))
            if not chunk:
                break
            parts.append(chunk)
            got += len(chunk)
        return b"".join(parts)
    finally:
        os.close(fd)


_METHODS = {zipfile.ZIP_STORED: "stored", zipfile.ZIP_DEFLATED: "deflate"}


def _zip_entries(data: bytes) -> int | None:
    """The number of members the zip's end record declares (read before any member list is built)."""
    try:
        end = zipfile._EndRecData(io.BytesIO(data))  # type: ignore[attr-defined]
        return int(end[zipfile._ECD_ENTRIES_TOTAL]) if end else None  # type: ignore[attr-defined]
    except Exception:
        return None


def _inflate(archive: zipfile.ZipFile, info: zipfile.ZipInfo, cap: int) -> bytes | None:
    """A member's bytes, streamed; None when it would produce more than ``cap`` bytes."""
    parts, got = [], 0
    with archive.open(info) as fh:
        while True:
            chunk = fh.read(min(1 << 20, cap + 1 - got))
            if not chunk:
                return b"".join(parts)
            got += len(chunk)
            if got > cap:
                return None
            parts.append(chunk)


def _read_zip(data: bytes, out: Loaded, entry: str) -> None:
    declared = _zip_entries(data)
    if declared is not None and declared > MAX_FILES * 2:
        out.notes.append(note("too_big", detail=f"{declared} files in the zip"))
        out.fatal = True
        return
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except Exception as exc:  # BadZipFile, OSError, ValueError, EOFError, and what a crafted header raises
        out.notes.append(note("bad_zip", entry=entry, error=bounds.text(str(exc) or type(exc).__name__, 200)))
        out.fatal = True
        return
    total = unsafe = 0
    for info in infos:
        if info.is_dir() or info.filename.startswith("__MACOSX/"):
            continue
        name = _safe_member(display_name(bounds.text(info.filename, 1000)))
        if name is None:
            unsafe += 1
            continue
        if any(part in _SKIP_DIRS for part in PurePosixPath(name).parts[:-1]):
            continue
        if len(out.files) >= MAX_FILES or info.file_size > MAX_FILE or total + info.file_size > MAX_TOTAL:
            out.notes.append(note("too_big", detail=f"{len(infos)} files, {name} is {info.file_size} bytes"))
            break
        if info.compress_type not in _METHODS:
            out.notes.append(note("zip_method", path=name, method=str(info.compress_type)))
            continue
        if info.flag_bits & 0x1:
            out.notes.append(note("unreadable", path=name, error="encrypted"))
            continue
        try:
            content = _inflate(archive, info, min(MAX_FILE, MAX_TOTAL - total))
        except Exception as exc:  # bad CRC, truncated archive, a corrupt deflate stream, ...
            out.notes.append(note("unreadable", path=name, error=bounds.text(str(exc) or type(exc).__name__, 200)))
            continue
        if content is None:
            out.notes.append(note("too_big", detail=f"{name} inflates to more than declared or allowed"))
            break
        total += len(content)
        out.files[name] = content
    if unsafe:
        out.notes.append(note("unsafe_path", n=unsafe))


def _read_folder(root: Path, out: Loaded) -> None:
    total = 0
    walked = 0
    for folder, dirs, names in os.walk(root, followlinks=False):
        walked += 1
        if walked > MAX_FILES:
            out.notes.append(note("too_big", detail=f"more than {MAX_FILES} folders"))
            return
        dirs[:] = sorted(d for d in dirs if d not in _SKIP_DIRS and (not d.startswith(".") or d == ".kenali"))
        for raw in sorted(names):
            path = Path(folder) / raw
            if raw.startswith("."):
                continue
            rel = display_name(path.relative_to(root).as_posix())
            try:
                st = os.lstat(path)
                if stat.S_ISLNK(st.st_mode):
                    continue
                if not stat.S_ISREG(st.st_mode):
                    out.notes.append(note("special_file", entry=rel))
                    continue
                if len(out.files) >= MAX_FILES or st.st_size > MAX_FILE or total + st.st_size > MAX_TOTAL:
                    out.notes.append(note("too_big", detail=f"{rel} is {st.st_size} bytes"))
                    return
                content = read_bounded(path, min(MAX_FILE, MAX_TOTAL - total))
                if len(content) > min(MAX_FILE, MAX_TOTAL - total):
                    out.notes.append(note("too_big", detail=f"{rel} grew while read"))
                    return
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
        out.inner = PurePosixPath(zips[0]).name
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
        elif entry.kind == "special":
            out.notes.append(note("special_file", entry=entry.name))
            out.fatal = True
        elif entry.kind in {"zip", "notebook", "other"}:
            data = read_bounded(entry.path, MAX_TOTAL)
            if len(data) > MAX_TOTAL:
                out.notes.append(note("too_big", detail=f"{entry.name} is more than {MAX_TOTAL} bytes"))
                out.fatal = True
            else:
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
    """Parsed JSON from a hand-in, cleaned (:func:`.bounds.clean`): text encodable, numbers sane, depth capped."""
    return bounds.clean(json.loads(data.decode("utf-8-sig")))


def _token_in(needle: str, haystack: str) -> bool:
    """Whether ``needle`` is a whole token of ``haystack`` (``rina`` in ``Rina_123_assignsubmission``)."""
    return re.search(rf"(?<![A-Za-z0-9]){re.escape(needle)}(?![A-Za-z0-9])", haystack, re.IGNORECASE) is not None


def identity_strength(learner_id: str, entry: Entry, inner: str | None) -> int:
    """How well the entry's name backs the learner ID: 2 when a folder's name (an LMS made it) holds the
    ID as a word, 1 when a file name says it (``<id>-kenali.zip``: the learner named it), 0 when not."""
    wanted = unicodedata.normalize("NFC", learner_id).casefold()
    if entry.kind == "folder" and _token_in(learner_id, entry.name):
        return 2
    names = [entry.name, *([inner] if inner else [])]
    return 1 if any(learner_from_name(n).casefold() == wanted for n in names) else 0


def identity_confirmed(learner_id: str, entry: Entry, inner: str | None) -> bool:
    """Whether the entry's name (or the one zip an LMS folder holds) says the same learner ID."""
    return identity_strength(learner_id, entry, inner) > 0


def _error(exc: BaseException) -> str:
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return bounds.text(text[:160])


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
    if bounds.may_hold_surrogates(data):  # half an emoji somewhere: every text made encodable
        raw = bounds.deep_text(raw)
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
    named = learner_from_name(loaded.inner) if loaded.inner else learner_from_name(entry.name)
    sub = Submission(entry=entry.name, kind=entry.kind, digest=loaded.digest,
                     learner_id=named, notes=list(loaded.notes), fatal=loaded.fatal)
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
            sub.created = created[:40] if isinstance(created, str) else ""  # shown, never used to choose
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
            who = validate(str(raw_name or "?")[:200], str(raw_id if raw_id is not None else "")[:200])
            sub.name = str(raw_name or "").strip()[:200]
            sub.identity = identity_strength(who.id, entry, loaded.inner)
            if sub.identity == 0 and who.id.casefold() != sub.learner_id.casefold():
                sub.notes.append(note("identity_mismatch", id=who.id, entry=entry.name, named=sub.learner_id))
                sub.identity_ok = False
            sub.learner_id = who.id
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
        rec["ts"] = bounds.number(rec.get("ts"))  # a 400-digit or infinite time stamp orders nothing
        rec["_file"] = path
        sub.records.append(rec)
    if bad_records:
        sub.notes.append(note("records_invalid", n=bad_records))
    if not sub.notebooks and not sub.records:
        sub.notes.append(note("empty_entry"))
    return sub
