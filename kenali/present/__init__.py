"""The presentation layer: everything a learner reads passes through here.

``numbers`` and ``dates`` format for the active language edition (Indonesian ``1.234,5``, local
time ``29 Nov 2026, 14.05``); ``text`` fills a learner's variant into ``{placeholders}`` and renders
Markdown to escaped HTML; ``feedback`` builds status lines, feedback, hints, explanations, solutions
and progress tables; ``css`` holds the widgets' style sheet. Widgets, ``cek()``, ``petunjuk()``,
``solusi()`` and the grader's feedback pages all call it; nothing else formats a number or fills a
placeholder.
"""

from __future__ import annotations

from .css import STYLE
from .text import esc, fill, filler, md, md_inline, plain

__all__ = ["STYLE", "esc", "fill", "filler", "md", "md_inline", "plain"]
