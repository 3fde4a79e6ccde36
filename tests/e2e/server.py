"""A throw-away JupyterLab server over a copy of the course, for the browser tests.

The server runs from the Python running the tests (``python -m jupyterlab``), so the kernels import the
installed ``kenali``. Everything a learner's own setup could change is isolated: the course is a temporary
copy, ``KENALI_HOME`` (identity and answer records) is a temporary folder, and Jupyter's config, data,
runtime, IPython, settings and workspace folders are temporary too, so no stale workspace reopens tabs and no
news popup covers the notebook.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

REPO = Path(__file__).resolve().parents[2]

#: What a learner's course folder holds and the notebooks need (the engine is the installed package).
COURSE_PARTS = ("notebooks", "exercises", "data")

#: JupyterLab user settings: every cell in the DOM (so cells are found by position, on or off screen),
#: and no news or update notifications over the notebook.
LAB_SETTINGS = {
    "@jupyterlab/notebook-extension/tracker": {"windowingMode": "none"},
    "@jupyterlab/apputils-extension/notification": {"fetchNews": "false", "checkForUpdates": False},
}

STARTUP_TIMEOUT_S = 120.0  # a cold start on a busy CI machine, with the rest of the suite running alongside
SHUTDOWN_TIMEOUT_S = 20.0


@dataclass
class LabServer:
    """A running JupyterLab: where it listens, its token, its course copy and its progress folder."""

    base_url: str
    token: str
    course: Path
    home: Path
    log: Path
    process: subprocess.Popen[bytes]

    def tree_url(self, path: str) -> str:
        """The URL that opens ``path`` (relative to the course) alone, in a fresh workspace."""
        return f"{self.base_url}/lab/tree/{quote(path)}?reset&token={self.token}"

    def log_tail(self, lines: int = 40) -> str:
        text = self.log.read_text(encoding="utf-8", errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def stop(self) -> None:
        """Ask the server to shut down (it stops its kernels), then end its process group if it lingers."""
        if self.process.poll() is not None:
            return
        request = urllib.request.Request(
            f"{self.base_url}/api/shutdown", method="POST", headers={"Authorization": f"token {self.token}"}
        )
        try:
            urllib.request.urlopen(request, timeout=10).close()
        except OSError:
            pass
        try:
            self.process.wait(timeout=SHUTDOWN_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            _kill_group(self.process)


def _kill_group(process: subprocess.Popen[bytes]) -> None:
    for sig, wait in ((signal.SIGTERM, 10.0), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


def copy_course(target: Path, source: Path = REPO) -> Path:
    """Copy the parts of the course a learner works in to ``target``; return it."""
    target.mkdir(parents=True, exist_ok=True)
    for part in COURSE_PARTS:
        shutil.copytree(source / part, target / part, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    return target


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _write_settings(folder: Path) -> None:
    for plugin, values in LAB_SETTINGS.items():
        path = folder / f"{plugin}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values), encoding="utf-8")


def _environment(work: Path, course: Path, home: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("MPLBACKEND", None)  # the test run's Agg backend; a learner gets inline plots
    env.update(
        KENALI_COURSE=str(course),
        KENALI_HOME=str(home),
        KENALI_DATA=str(course / "data"),
        KENALI_LANG=env.get("KENALI_LANG", "id"),
        JUPYTER_CONFIG_DIR=str(work / "jupyter-config"),
        JUPYTER_DATA_DIR=str(work / "jupyter-data"),
        JUPYTER_RUNTIME_DIR=str(work / "jupyter-runtime"),
        IPYTHONDIR=str(work / "ipython"),
        PYTHONUNBUFFERED="1",
    )
    return env


def _command(port: int, token: str, course: Path, work: Path) -> list[str]:
    return [
        sys.executable,
        "-m",
        "jupyterlab",
        "--no-browser",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={course}",
        "--ServerApp.allow_root=True",
        "--ServerApp.terminals_enabled=False",
        # a safety net if the test process dies without its teardown: idle kernels are culled, then the
        # server shuts itself down
        "--MappingKernelManager.cull_idle_timeout=900",
        "--MappingKernelManager.cull_interval=60",
        "--ServerApp.shutdown_no_activity_timeout=900",
        f"--LabApp.user_settings_dir={work / 'lab-settings'}",
        f"--LabApp.workspaces_dir={work / 'lab-workspaces'}",
        "--LabApp.news_url=None",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
    ]


def _wait_until_ready(process: subprocess.Popen[bytes], status_url: str, deadline: float) -> bool:
    """Poll ``/api/status`` until it answers (True) or the process exits (False); time out with an error."""
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        try:
            with urllib.request.urlopen(status_url, timeout=5) as response:
                if response.status == 200:
                    return True
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.25)
    raise TimeoutError(f"JupyterLab did not answer {status_url.split('?')[0]} in {STARTUP_TIMEOUT_S:.0f} s")


def start_lab(work: Path, attempts: int = 3) -> LabServer:
    """Start JupyterLab over a fresh copy of the course in ``work``; retry on another port if one is taken."""
    course = copy_course(work / "course")
    home = work / "kenali-home"
    home.mkdir()
    _write_settings(work / "lab-settings")
    env = _environment(work, course, home)
    token = secrets.token_hex(16)
    log = work / "jupyterlab.log"
    for _ in range(attempts):
        port = _free_port()
        base_url = f"http://127.0.0.1:{port}"
        with log.open("ab") as out:
            process = subprocess.Popen(
                _command(port, token, course, work),
                cwd=course,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group, ended as a whole at teardown
            )
        server = LabServer(base_url, token, course, home, log, process)
        try:
            ready = _wait_until_ready(
                process, f"{base_url}/api/status?token={token}", time.monotonic() + STARTUP_TIMEOUT_S
            )
        except BaseException:
            _kill_group(process)
            raise
        if ready:
            return server
    raise RuntimeError(f"JupyterLab did not start (log: {log}):\n{server.log_tail()}")
