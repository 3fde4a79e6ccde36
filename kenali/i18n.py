"""Learner-facing text: one catalogue per language edition, looked up by dotted key.

Every string a learner sees from the engine comes from ``content/<lang>/messages.yaml``;
``KENALI_LANG`` picks the edition (default ``id``, Bahasa Indonesia).
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path
from typing import Any

import yaml

CONTENT_ROOT = Path(__file__).resolve().parent / "content"
DEFAULT_LANG = "id"


def lang() -> str:
    """The active language edition (``KENALI_LANG``, default ``id``)."""
    return os.environ.get("KENALI_LANG", DEFAULT_LANG)


def content_dir(language: str | None = None) -> Path:
    """The content folder of a language edition."""
    return CONTENT_ROOT / (language or lang())


@cache
def _catalogue(language: str) -> dict[str, Any]:
    path = content_dir(language) / "messages.yaml"
    with path.open(encoding="utf-8") as fh:
        return yaml.load(fh, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def t(key: str, /, **fields: Any) -> str:
    """Look up ``key`` (dotted, e.g. ``"feedback.correct"``) and fill its ``{fields}``."""
    node: Any = _catalogue(lang())
    for part in key.split("."):
        if not isinstance(node, dict) or part not in node:
            raise KeyError(f"no message {key!r} in {content_dir() / 'messages.yaml'}")
        node = node[part]
    if not isinstance(node, str):
        raise KeyError(f"message {key!r} is a group, not a string")
    return node.format(**fields) if fields else node
