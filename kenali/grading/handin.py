"""The learner's side of grading: one file to hand in (``kenali submit`` and ``serahkan()``).

A hand-in is a zip named ``<learner id>-kenali.zip``::

    manifest.json                    learner ID and name, time, course and kenali version, content hashes
    exercises/NN_slug.ipynb          the learner's exercise notebooks, as saved
    progress/learner.json            the learner's identity
    progress/attempts/<id>/*.json    every answer record (kenali.store), byte for byte

Nothing is refused for being incomplete: the hand-in is made and the learner is warned about
what the instructor would otherwise find missing (an unsaved or empty notebook, a notebook that
is not there, exercises never attempted).
"""

from __future__ import annotations

import hashlib
import json
import os
import zipfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from .. import __version__
from .. import learner as learner_mod
from ..bank import Course, load_course
from ..i18n import lang, t
from ..paths import course_root, progress_home
from ..store import Store, sort_records

MANIFEST_FORMAT = 1
_EPOCH = (1980, 1, 1, 0, 0, 0)


class HandinError(Exception):
    """The hand-in cannot be made at all (no learner identity, no exercises folder); the message is for the learner."""


@dataclass
class Handin:
    """A hand-in that was written: where, for whom, what it holds and what the learner should know."""

    path: Path
    learner_id: str
    name: str
    notebooks: list[str] = field(default_factory=list)
    records: int = 0
    warnings: list[str] = field(default_factory=list)


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _notebook_problem(data: bytes) -> bool:
    """Whether a saved notebook is empty or not a notebook at all."""
    try:
        nb = json.loads(data.decode("utf-8-sig"))
    except (ValueError, UnicodeDecodeError):
        return True
    return not isinstance(nb, dict) or not isinstance(nb.get("cells"), list) or not nb["cells"]


def _compact_ids(ids: list[str], limit: int = 12) -> str:
    shown = ", ".join(ids[:limit])
    return shown + (f" (+{len(ids) - limit})" if len(ids) > limit else "")


def default_path(root: Path, learner_id: str) -> Path:
    return root / f"{learner_id}-kenali.zip"


def make_handin(root: Path | None = None, home: Path | None = None, out: Path | None = None,
                course: Course | None = None) -> Handin:
    """Write the hand-in of the learner whose progress folder is ``home``; see the module docstring."""
    root = Path(root) if root is not None else course_root()
    home = Path(home) if home is not None else progress_home()
    course = course or load_course()
    who, _warning = learner_mod.load(home)
    if who is None:
        raise HandinError(t("submit.no_learner"))
    exercises = root / "exercises"
    if not exercises.is_dir():
        raise HandinError(t("submit.no_exercises", folder=exercises))

    store = Store(home)
    records = store.attempts()
    warnings: list[str] = list(store.take_warnings())
    # Code answers live in the notebook itself: a code check newer than the saved file means the
    # learner's latest code may not be in it. (Widget answers live in the records, saved or not.)
    code_ids = {ex.id: b.lesson for b in course.banks for ex in b.graded if ex.is_code}
    last = {str(rec.get("exercise")): rec for rec in sort_records(records)}  # each exercise's last check
    latest_ts: dict[str, float] = {}
    for exercise_id, rec in last.items():
        ts, lesson = rec.get("ts"), code_ids.get(exercise_id)
        if isinstance(ts, int | float) and lesson is not None:
            latest_ts[lesson] = max(latest_ts.get(lesson, 0.0), float(ts))

    files: dict[str, bytes] = {}
    notebooks: dict[str, str] = {}
    expected = {f"{b.notebook}.ipynb": b for b in course.banks if b.graded}
    present = sorted(p.name for p in exercises.glob("*.ipynb") if p.is_file())
    for name in sorted(expected):
        if name not in present:
            warnings.append(t("submit.missing_notebook", file=name))
    for name in present:
        path = exercises / name
        try:
            data = path.read_bytes()
            mtime = path.stat().st_mtime
        except OSError as exc:
            warnings.append(t("submit.failed", error=f"{path}: {exc.strerror or exc}"))
            continue
        arc = f"exercises/{name}"
        files[arc] = data
        notebooks[arc] = _sha(data)
        if _notebook_problem(data):
            warnings.append(t("submit.empty", file=name))
        bank = expected.get(name)
        if bank is not None and latest_ts.get(bank.lesson, 0.0) > mtime + 1.0:
            warnings.append(t("submit.unsaved", file=name))

    done = {str(rec["exercise"]) for rec in records}
    missing = [ex.id for b in course.banks for ex in b.graded if ex.id not in done]
    if missing:
        warnings.append(t("submit.not_attempted", ids=_compact_ids(missing)))

    for path in sorted(store.attempts_dir.glob("*/*.json")):
        if not path.name.startswith("."):
            try:
                files[f"progress/attempts/{path.parent.name}/{path.name}"] = path.read_bytes()
            except OSError as exc:
                warnings.append(t("submit.failed", error=f"{path}: {exc.strerror or exc}"))
    try:
        files["progress/learner.json"] = (home / "learner.json").read_bytes()
    except OSError:
        pass

    manifest = {
        "format": MANIFEST_FORMAT,
        "learner": {"id": who.id, "name": who.name},
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "kenali_version": __version__,
        "language": lang(),
        "banks": {b.path.name: _sha(b.path.read_bytes()) for b in course.banks},
        "notebooks": notebooks,
        "records": sum(1 for n in files if n.startswith("progress/attempts/")),
    }
    out = Path(out) if out is not None else default_path(root, who.id)
    if out.is_dir() or out.suffix.lower() != ".zip":  # a folder to put the hand-in in
        out = default_path(out, who.id)
    _write_zip(out, {"manifest.json": json.dumps(manifest, ensure_ascii=False, indent=2).encode(), **files})
    return Handin(out, who.id, who.name, sorted(notebooks), manifest["records"], warnings)


def _write_zip(out: Path, files: dict[str, bytes]) -> None:
    """Write atomically: a temporary file in the same folder, then a rename."""
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".tmp-{os.getpid()}-{out.name}")
    try:
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for name in sorted(files, key=lambda n: (n != "manifest.json", n)):
                info = zipfile.ZipInfo(name, date_time=_EPOCH)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = 0o644 << 16
                archive.writestr(info, files[name])
        os.replace(tmp, out)
    finally:
        if tmp.exists():
            tmp.unlink()
