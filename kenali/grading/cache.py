"""Re-grade only what changed: one cached result per submission content, in ``DIR/.cache``.

A result is keyed by the submission's content digest *and* a fingerprint of everything else that
decides a grade: the grader's code, the banks, the data, the message catalogue, the limits and
the scope. Change any of them and every submission is graded again; change one submission and
only that one is. Results are plain JSON, written atomically, and reports are always made from
the JSON as read back, so a re-run writes byte-identical files.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from pathlib import Path
from typing import Any

from .. import __version__
from ..bank import Bank
from ..i18n import content_dir, lang
from ..paths import data_dir
from .bounds import deep_text

CACHE_FORMAT = 1
_PACKAGE = Path(__file__).resolve().parent.parent


def _sha(path: Path) -> str:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return "missing"


def bank_hashes(banks: list[Bank]) -> dict[str, str]:
    return {b.path.name: _sha(b.path) for b in banks}


def fingerprint(banks: list[Bank], options: dict[str, Any], data: Path | None = None) -> str:
    """Everything besides the submission itself that its grade depends on."""
    data = data or data_dir()
    code = {str(p.relative_to(_PACKAGE)): _sha(p)
            for p in sorted(_PACKAGE.rglob("*.py")) if "__pycache__" not in p.parts}
    parts = {
        "format": CACHE_FORMAT,
        "kenali": __version__,
        "code": code,
        "banks": {b.path.name: _sha(b.path) for b in banks},
        "setup": {b.path.name: b.setup for b in banks},
        "data": {p.name: _sha(p) for p in sorted(data.glob("*.csv"))} if data.is_dir() else {},
        "messages": _sha(content_dir() / "messages.yaml"),
        "lang": lang(),
        "options": options,
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


class Cache:
    """Cached graded entries under ``folder`` (normally ``DIR/.cache``)."""

    def __init__(self, folder: Path, fingerprint: str, enabled: bool = True):
        self.folder, self.fp, self.enabled = folder, fingerprint, enabled
        self.used: set[str] = set()

    def _path(self, digest: str) -> Path:
        return self.folder / (hashlib.sha256(f"{self.fp}:{digest}".encode()).hexdigest()[:32] + ".json")

    def get(self, digest: str) -> dict[str, Any] | None:
        path = self._path(digest)
        self.used.add(path.name)
        if not self.enabled:
            return None
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return data if isinstance(data, dict) and data.get("digest") == digest else None

    def put(self, digest: str, result: dict[str, Any]) -> dict[str, Any]:
        """Store a result; returns it as read back from its JSON (what the reports use)."""
        text = json.dumps(deep_text(result), ensure_ascii=False, sort_keys=True, allow_nan=True)
        path = self._path(digest)
        self.used.add(path.name)
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f".tmp-{os.getpid()}-{path.name}")
            tmp.write_text(text, encoding="utf-8")
            os.replace(tmp, path)
        except OSError:
            pass  # a cache that cannot be written only costs time on the next run
        return json.loads(text)

    def prune(self) -> None:
        """Forget results of submissions that are gone (or of an older grader)."""
        with contextlib.suppress(OSError):
            for path in self.folder.glob("*.json"):
                if path.name not in self.used:
                    path.unlink()
