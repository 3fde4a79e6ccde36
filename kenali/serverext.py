"""kenali's Jupyter server extension: notebooks that reopen cleanly the next day.

A kenali widget's output carries two forms: the live widget (``application/vnd.jupyter.widget-view+json``)
and a readable static form (``text/html``: the exercise, its last result and one line on how to resume).
The live form only means something while the kernel that made it runs; saved into the file, it turns into
"Error displaying widget: model not found" when the notebook is reopened with a new server or kernel.
So before a notebook is saved, this extension drops the live form from every kenali output that has a
static one. The page keeps showing the live widgets; the file keeps the static form, which is what shows
after a reload or the next day, until the learner runs the cell again.

``kenali open`` and ``kenali app`` enable it; on JupyterHub the deploy configuration enables it
(``ServerApp.jpserver_extensions = {"kenali": True}``).
"""

from __future__ import annotations

from collections.abc import Iterable, MutableMapping
from typing import Any

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
#: The class on the root element of every kenali static form; only outputs carrying it are touched.
STATIC_MARK = "kenali-static"


def _outputs(content: Any) -> Iterable[MutableMapping[str, Any]]:
    cells = content.get("cells") if isinstance(content, MutableMapping) else None
    for cell in cells if isinstance(cells, list) else []:
        if isinstance(cell, MutableMapping) and cell.get("cell_type") == "code":
            for out in cell.get("outputs") or []:
                if isinstance(out, MutableMapping):
                    yield out


def has_static_form(output: MutableMapping[str, Any]) -> bool:
    """True when a display output is a kenali widget with a static ``text/html`` form."""
    data = output.get("data")
    if not isinstance(data, MutableMapping) or WIDGET_VIEW not in data:
        return False
    html = data.get("text/html")
    if isinstance(html, list):
        html = "".join(str(part) for part in html)
    return isinstance(html, str) and STATIC_MARK in html


def drop_live_widgets(content: Any, *, only_kenali: bool = True) -> int:
    """Remove the widget-view form from the outputs of a notebook (a dict, as nbformat or the contents API
    gives it); with ``only_kenali`` just from kenali outputs that have a static form. Returns how many."""
    dropped = 0
    for out in _outputs(content):
        data = out.get("data")
        if not isinstance(data, MutableMapping) or WIDGET_VIEW not in data:
            continue
        if only_kenali and not has_static_form(out):
            continue
        del data[WIDGET_VIEW]
        metadata = out.get("metadata")
        if isinstance(metadata, MutableMapping):
            metadata.pop(WIDGET_VIEW, None)
        dropped += 1
    return dropped


def pre_save(model: dict[str, Any], **_: Any) -> None:
    """A ``ContentsManager`` pre-save hook: drop the live form of kenali widgets from saved notebooks."""
    if isinstance(model, dict) and model.get("type") == "notebook":
        drop_live_widgets(model.get("content"))


def _jupyter_server_extension_points() -> list[dict[str, str]]:
    return [{"module": "kenali.serverext"}]


def _load_jupyter_server_extension(serverapp: Any) -> None:
    manager = serverapp.contents_manager
    register = getattr(manager, "register_pre_save_hook", None)
    if register is not None:
        register(pre_save)
    else:  # an older contents manager: one hook only; keep one that is already set
        if getattr(manager, "pre_save_hook", None) is None:
            manager.pre_save_hook = pre_save
    serverapp.log.info("kenali: saved notebooks keep a readable form of kenali widgets")
