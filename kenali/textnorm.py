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


#: Words that may stand around an accepted form without changing it ("tahap UAT", "yaitu pengguna akhir").
GLOSS_WORDS = frozenset(
    """tahap tahapan fase proses metode langkah kegiatan konsep istilah istilahnya disebut sebutannya
    dinamakan namanya dikenal sebagai singkatan kepanjangan kepanjangannya dari yaitu yakni adalah ialah
    atau itu ini yang pihak para kaum jenis kelompok peran the a an aka i e ie""".split()
)


def _initials(words: list[str]) -> str:
    return "".join(w[0] for w in words if w)


def _is_gloss(words: list[str], form: str, accepted: tuple[str, ...]) -> bool:
    """Whether ``words`` (normalised) only gloss ``form``: connective words, the form's expansion or its
    acronym, or another accepted form."""
    content = [w for w in words if w not in GLOSS_WORDS]
    if not content:
        return True
    joined = "".join(content)
    form_words = normalize(form).split()
    if len(joined) >= 2 and (_initials(content) == compact(form) or joined == _initials(form_words)):
        return True
    return any(joined == compact(other) for other in accepted)


def contains_form(answer: str, form: str, accepted: tuple[str, ...] = ()) -> bool:
    """Whether ``answer`` is ``form`` with a gloss: "UAT (User Acceptance Testing)", "tahap UAT",
    "pengguna akhir (end user)" contain "UAT" or "pengguna akhir"; "UAT gagal" does not.

    The form must appear as whole words (spacing and hyphens do not matter: "end-user", "enduser");
    every other word must be a gloss (:data:`GLOSS_WORDS`), the form's acronym or expansion, or
    another form in ``accepted``. Parentheses, dashes and colons are read as spaces.

    >>> contains_form("UAT (User Acceptance Testing)", "UAT")
    True
    >>> contains_form("tahap UAT", "UAT")
    True
    >>> contains_form("UAT gagal total", "UAT")
    False
    """
    words = normalize(answer).split()
    target = compact(form)
    if not target or not words:
        return False
    for start in range(len(words)):
        joined = ""
        for end in range(start, len(words)):
            joined += words[end]
            if len(joined) > len(target):
                break
            if joined == target:
                rest = words[:start] + words[end + 1 :]
                if _is_gloss(rest, form, accepted):
                    return True
                break
    return False
