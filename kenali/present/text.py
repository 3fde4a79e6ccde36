"""Course text for the learner: variants filled in, Markdown rendered to safe HTML.

* :func:`fill` puts a learner's variant (``{nama}`` → "Rina") into any text of an exercise: scenario,
  question, choices, hints, feedback, explanation, solution. Braces that do not name a pool stay.
* :func:`md` renders a block of Markdown (paragraphs, bullet and numbered lists, tables, emphasis,
  inline code) with mistune; raw HTML in the source is escaped, never passed through.
* :func:`md_inline` renders one line or a few paragraphs where a block element is not wanted (a
  feedback line, a hint, a table cell): the text is never read as a list or a heading.
* :func:`plain` strips the Markdown marks for places that show text only (radio button labels).
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import mistune

if TYPE_CHECKING:
    from ..model import Exercise

PLACEHOLDER = re.compile(r"\{(\w+)\}")

_MARKDOWN = mistune.create_markdown(escape=True, plugins=["table", "strikethrough"])
_BLOCK_START = re.compile(r"^(\s*)(\d+)([.)])(\s)|^(\s*)([-+*#>|])(\s|$)", re.M)
_ONE_PARAGRAPH = re.compile(r"^<p>(.*)</p>$", re.S)
_MARKS = re.compile(r"\*\*(.+?)\*\*|(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?![\w*])|`([^`]+)`")


def esc(text: Any) -> str:
    """Text escaped for HTML."""
    return html.escape(str(text))


def fill(text: str, variant: Mapping[str, str] | None) -> str:
    """Fill the ``{name}`` placeholders that ``variant`` names; leave any other braces alone."""
    if not variant or not text:
        return text
    return PLACEHOLDER.sub(lambda m: variant.get(m.group(1), m.group(0)), text)


def variant_of(ex: Exercise, learner_id: str | None) -> dict[str, str] | None:
    """The learner's variant of ``ex`` (``None`` for an exercise without pools)."""
    return ex.variant(learner_id) if ex.pools else None


def filler(ex: Exercise, learner_id: str | None) -> Callable[[str], str]:
    """A function that fills ``ex``'s placeholders with the learner's variant."""
    variant = variant_of(ex, learner_id)
    return lambda text: fill(text, variant)


@lru_cache(maxsize=8192)
def md(text: str) -> str:
    """A block of Markdown as HTML: paragraphs, lists, tables, emphasis, code; raw HTML escaped."""
    if not text:
        return ""
    return str(_MARKDOWN(text)).strip()


@lru_cache(maxsize=8192)
def md_inline(text: str) -> str:
    """Markdown as HTML without block structure: emphasis, code and paragraphs, never a list or heading
    (a feedback line starting "2026. …" or "- …" stays text); one paragraph has no ``<p>`` around it."""
    if not text:
        return ""
    guarded = _BLOCK_START.sub(
        lambda m: f"{m[1]}{m[2]}\\{m[3]}{m[4]}" if m[2] else f"{m[5]}\\{m[6]}{m[7]}", text
    )
    out = str(_MARKDOWN(guarded)).strip()
    one = _ONE_PARAGRAPH.match(out)
    if one and "<p>" not in one[1]:
        return one[1]
    return out


def plain(text: str) -> str:
    """Text without its Markdown marks, for labels that cannot hold HTML."""
    return _MARKS.sub(lambda m: m[1] or m[2] or m[3], text)
