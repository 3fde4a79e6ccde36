"""Links a learner can click in any front end: a download of a file the kernel made (the hand-in).

A widget's HTML is not rewritten by JupyterLab's link resolver, and the kernel does not know the server's
URL (JupyterLab, Notebook 7, Voilà and JupyterHub each put files elsewhere), so the file travels inside the
link as a ``data:`` URL with a ``download`` name. That works the same everywhere, offline too.
"""

from __future__ import annotations

import base64
from pathlib import Path

from ..i18n import t
from .text import esc

#: Above this size the file is not put into the page; the learner is told where it is instead.
MAX_INLINE_BYTES = 20 * 1024 * 1024


def download_link_html(path: Path, mime: str = "application/zip") -> str:
    """A download link for ``path`` (its bytes inlined), or, for a very large file, where to find it."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        message = t("download.unreadable", file=path.name, error=exc.strerror or exc)
        return f'<div class="kenali-warn">{esc(message)}</div>'
    if len(data) > MAX_INLINE_BYTES:
        return f"<p>{esc(t('download.too_large', file=path.name, folder=path.parent))}</p>"
    payload = base64.b64encode(data).decode("ascii")
    label = esc(t("download.label", file=path.name))
    return (
        f'<a class="kenali-download jupyter-button mod-primary" download="{esc(path.name)}" '
        f'href="data:{mime};base64,{payload}">⬇ {label}</a>'
    )
