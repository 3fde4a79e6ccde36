"""The small Markdown subset of the content (``**bold**``, ``*italic*``, `` `code` ``, paragraphs) as
escaped HTML: shared by the widgets and the grader's feedback pages (which must not import ipywidgets)."""

from __future__ import annotations

import html
import re
from functools import lru_cache
from typing import Any

_BOLD = re.compile(r"\*\*(.+?)\*\*")
_ITALIC = re.compile(r"(?<!\*)\*(?!\*)(.+?)(?<!\*)\*(?!\*)")
_CODE = re.compile(r"`([^`]+)`")


def esc(text: Any) -> str:
    """Text escaped for HTML."""
    return html.escape(str(text))


@lru_cache(maxsize=8192)
def md_inline(text: str) -> str:
    """Escaped text with the content's Markdown marks turned into HTML."""
    out = _CODE.sub(r"<code>\1</code>", _ITALIC.sub(r"<i>\1</i>", _BOLD.sub(r"<b>\1</b>", esc(text))))
    return out.replace("\n\n", "<br><br>")
