"""Starting the course for a learner: ``kenali open`` (JupyterLab) and ``kenali app`` (Voilà, no code).

Both serve the *course folder* as the server's root, so every link between ``notebooks/``, ``exercises/``,
``solutions/`` and the hand-in zip resolves, and both open the start notebook. Options a learner or
facilitator adds on the command line go to JupyterLab or Voilà unchanged (they come last, so they win).
Run as root (a container, a workshop VM, Binder) the server is allowed to start.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from .paths import PACKAGE_DIR

#: The start notebook, relative to the course folder.
START_NOTEBOOK = "notebooks/00_mulai.ipynb"

#: JupyterLab app settings for the course: overrides of defaults (see kenali/jupyter/README.md).
APP_SETTINGS = PACKAGE_DIR / "jupyter" / "app-settings"
#: The server extension that keeps saved notebooks readable the next day (kenali.serverext).
SERVER_EXTENSION = "kenali.serverext"

#: What a learner never needs to see in the file browser: the engine, the tests, build metadata.
#: (The defaults of Jupyter's ContentsManager come first; they are replaced, not extended, by a list.)
HIDDEN = (
    "__pycache__",
    "*.pyc",
    "*.pyo",
    ".DS_Store",
    "*~",
    "kenali",
    "tests",
    "bench",
    "build",
    "dist",
    "deploy",
    "*.egg-info",
    "pyproject.toml",
    "requirements*.txt",
    "conftest.py",
    "generate.py",
)


def running_as_root() -> bool:
    """True for the superuser on POSIX (never on Windows, which has no such check in Jupyter)."""
    geteuid = getattr(os, "geteuid", None)
    return bool(geteuid and geteuid() == 0)


def _has_option(args: Sequence[str], *names: str) -> bool:
    return any(a == n or a.startswith(n + "=") for a in args for n in names)


def _traitlets_list(values: Sequence[str]) -> str:
    return json.dumps(list(values))


def _server_command(module: list[str], root: Path, options: list[str], extra: Sequence[str],
                    as_root: bool | None) -> list[str]:
    """What both servers share: the course folder as root, the developer files hidden, kenali's server
    extension; root allowed when running as root; the caller's options last (they win)."""
    as_root = running_as_root() if as_root is None else as_root
    command = [sys.executable, "-m", *module, f"--ServerApp.root_dir={root}", *options,
               f"--ContentsManager.hide_globs={_traitlets_list(HIDDEN)}"]
    if as_root and not _has_option(extra, "--allow-root", "--ServerApp.allow_root"):
        command.append("--allow-root")
    return [*command, *extra]


def lab_command(root: Path, extra: Sequence[str] = (), *, as_root: bool | None = None) -> list[str]:
    """The command line of ``kenali open``: JupyterLab over ``root`` with the start notebook open."""
    options = [
        f"--LabApp.default_url=/lab/tree/{START_NOTEBOOK}",
        f'--ServerApp.jpserver_extensions={{"{SERVER_EXTENSION}": True}}',
        # no "Would you like to receive official Jupyter news?" prompt over the first lesson
        f"--LabApp.app_settings_dir={APP_SETTINGS}",
        "--LabApp.news_url=None",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
    ]
    return _server_command(["jupyterlab"], root, options, extra, as_root)


def app_command(root: Path, extra: Sequence[str] = (), *, as_root: bool | None = None) -> list[str]:
    """The command line of ``kenali app``: a Jupyter server over ``root`` with Voilà, opened at the start
    notebook rendered as an app (code hidden, widgets live); links between notebooks stay inside Voilà."""
    options = [
        f"--ServerApp.default_url=/voila/render/{START_NOTEBOOK}",
        f'--ServerApp.jpserver_extensions={{"voila": True, "{SERVER_EXTENSION}": True}}',
        "--VoilaConfiguration.show_tracebacks=False",
    ]
    # each page runs its own kernel; one left behind when the learner follows a link is shut down once it has
    # been idle and disconnected for ten minutes (unless the command line sets culling itself: traitlets
    # refuses an option given twice)
    for option, value in (("--MappingKernelManager.cull_idle_timeout", "600"),
                          ("--MappingKernelManager.cull_interval", "60")):
        if not _has_option(extra, option):
            options.append(f"{option}={value}")
    return _server_command(["jupyter", "server"], root, options, extra, as_root)
