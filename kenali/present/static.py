"""The static form of a kenali widget: what a saved notebook shows where no kernel holds the widget.

Every kenali output carries it as ``text/html`` next to the live widget. JupyterLab, Notebook 7 and Voilà
show the live widget while its kernel runs; a saved notebook keeps only this form (``kenali.serverext``
drops the live one on save), so a reload or the next day shows the exercise and its last result with one
line on how to resume, never "Error displaying widget: model not found". The same form is what nbval
compares and what a notebook viewer without widgets (GitHub, nbviewer) shows.
"""

from __future__ import annotations

from ..i18n import t
from ..serverext import STATIC_MARK
from .text import esc


def static_html(body_html: str, *, resume: str | None = "static.resume") -> str:
    """Wrap already escaped HTML as a static form, with the resume line (a message key) under it."""
    line = f'<p class="kenali-resume"><i>{esc(t(resume))}</i></p>' if resume else ""
    style = "border-left: 4px solid #b7c3d0; padding: 2px 12px; margin: 6px 0"
    return f'<div class="{STATIC_MARK}" style="{style}">{body_html}{line}</div>'


def exercise_static_html(title_html: str, status: str) -> str:
    """An exercise's static form: its title, its last status line, how to resume."""
    return static_html(f"{title_html}<p><b>{esc(status)}</b></p>")
