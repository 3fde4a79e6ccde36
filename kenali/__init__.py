"""kenali — "Kenali Penggunamu": a JupyterLab course on the people around a product.

Notebook calls (Bahasa Indonesia, like the course)::

    from kenali import mulai, tampilkan, cek
    mulai("01")                    # start a lesson or exercise notebook
    tampilkan("1.3")               # show a widget exercise
    cek("5.2", jawaban_5_2)        # check a code answer

Heavy modules (ipywidgets, pandas) load on first use, so ``import kenali`` stays fast.
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"

_API = {"mulai", "tampilkan", "cek", "petunjuk", "solusi", "ringkasan", "identitas", "kemajuan", "serahkan"}

__all__ = [*sorted(_API), "muat", "__version__"]


def __getattr__(name: str) -> Any:
    if name in _API:
        from . import api

        return getattr(api, name)
    if name == "muat":
        from .data import muat

        return muat
    raise AttributeError(f"module 'kenali' has no attribute {name!r}")
