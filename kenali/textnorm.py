"""Normalise free-text answers so that case, spacing, hyphens, punctuation and diacritics do not matter."""

from __future__ import annotations

import re
import unicodedata

_SEPARATORS = re.compile(r"[\s\-‐‑‒–—_/]+")
_PUNCT = re.compile(r"[^\w\s]")


def normalize(text: str) -> str:
    """Fold ``text`` to a canonical form: lower case, no diacritics, single spaces, no punctuation.

    >>> normalize("  End-User ")
    'end user'
    >>> normalize("Pelanggan  Loyal!")
    'pelanggan loyal'
    >>> normalize("Konsumén")
    'konsumen'
    """
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    spaced = _SEPARATORS.sub(" ", stripped.casefold())
    return " ".join(_PUNCT.sub("", spaced).split())


def compact(text: str) -> str:
    """``normalize`` without any spaces, so that "end user" and "enduser" meet."""
    return normalize(text).replace(" ", "")
