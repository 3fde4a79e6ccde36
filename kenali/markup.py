"""Kept for imports from before the presentation layer: escaping and Markdown now live in
:mod:`kenali.present.text`."""

from __future__ import annotations

from .present.text import esc, md, md_inline

__all__ = ["esc", "md", "md_inline"]
