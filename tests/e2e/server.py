"""The course served the way the README starts it, over a throw-away copy, for the browser tests.

``start_lab`` runs ``kenali open --no-browser --port N`` and ``start_app`` runs ``kenali app --no-browser
--port N`` (the README's commands, from the course folder, by the Python running the tests, as whatever user
runs them: root in CI, so that ``kenali open`` must let JupyterLab start as root by itself). Only what
isolates a test from the machine is added: a token, the loopback address, and temporary Jupyter config,
data, runtime and IPython folders, so no stale workspace reopens tabs. The course is a temporary copy with a
few developer files beside it (which the learner's file browser must not show), and ``KENALI_HOME``
(identity and answer records) is a temporary folder. ``LabServer.restart`` stops the server and starts it
again over the same course and progress folder: the learner coming back the next day.
``start_lab(work, env=...)`` adds variables a hub's spawner would set (the class server's address and token, a
released content folder); a restart keeps them.
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
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

REPO = Path(__file__).resolve().parents[2]

#: What a learner's course folder holds and the notebooks need (the engine is the installed package).
COURSE_PARTS = ("notebooks", "exercises", "solutions", "data", "docs")
#: Developer files of a checkout, put beside the copy: the learner's file browser must hide them.
DEVELOPER_PARTS = ("kenali/__init__.py", "tests/test_x.py", "bench/b.py", "pyproject.toml", "requirements-dev.txt")

#: JupyterLab user settings: every cell in the DOM (so cells are found by position, on or off screen).
#: (No news or update settings here: ``kenali open`` itself must keep that prompt away.)
LAB_SETTINGS = {
    "@jupyterlab/notebook-extension/tracker": {"windowingMode": "none"},
}

STARTUP_TIMEOUT_S = 120.0  # a cold start on a busy CI machine, with the rest of the suite running alongside
SHUTDOWN_TIMEOUT_S = 20.0


@dataclass
class LabServer:
    """A running course server (JupyterLab or Voilà): where it listens, its token, its course copy and its
    progress folder."""

    base_url: str
    token: str
    course: Path
    home: Path
    log: Path
    process: subprocess.Popen[bytes]
    work: Path
    kind: str = "open"
    env: dict[str, str] = field(default_factory=dict)  # added to the environment (what a hub's spawner sets)

    def url(self, path: str = "/") -> str:
        """A URL of this server with the token, e.g. ``url("/")``: where the README's command sends the learner."""
        sep = "&" if "?" in path else "?"
        return f"{self.base_url}{path}{sep}token={self.token}"

    def restart(self) -> None:
        """Stop this server and start the same command again over the same course and progress folder
        (a new port, token and process; this object then describes the new server)."""
        self.stop()
        fresh = _start(self.work, self.kind, env=self.env)
        self.base_url, self.token, self.process = fresh.base_url, fresh.token, fresh.process

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
    """Copy the parts of the course a learner works in to ``target``, with a few developer files; return it."""
    target.mkdir(parents=True, exist_ok=True)
    for part in COURSE_PARTS:
        shutil.copytree(source / part, target / part, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    shutil.copyfile(source / "README.md", target / "README.md")
    for name in DEVELOPER_PARTS:
        (target / name).parent.mkdir(parents=True, exist_ok=True)
        (target / name).write_text("# a developer file\n", encoding="utf-8")
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
    """The test run's environment less what would steer kenali away from the learner's defaults: the course
    is found from the working folder and answers go to ``<course>/.kenali``, as on a learner's machine."""
    env = dict(os.environ)
    for name in ("MPLBACKEND", "KENALI_COURSE", "KENALI_HOME", "KENALI_DATA"):
        env.pop(name, None)  # e.g. the test run's Agg backend and throw-away home (root conftest.py)
    assert home == course / ".kenali", "the progress folder is the learner's default"
    env.update(
        KENALI_LANG=env.get("KENALI_LANG", "id"),
        JUPYTER_CONFIG_DIR=str(work / "jupyter-config"),
        JUPYTER_DATA_DIR=str(work / "jupyter-data"),
        JUPYTER_RUNTIME_DIR=str(work / "jupyter-runtime"),
        IPYTHONDIR=str(work / "ipython"),
        PYTHONUNBUFFERED="1",
    )
    return env


def _command(kind: str, port: int, token: str) -> list[str]:
    """The README's command (``kenali open`` or ``kenali app``) plus what isolates a test server."""
    return [
        sys.executable,
        "-m",
        "kenali",
        kind,
        "--no-browser",
        "--port",
        str(port),
        "--ServerApp.ip=127.0.0.1",
        "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}",
        "--ServerApp.terminals_enabled=False",
        # a safety net if the test process dies without its teardown: idle kernels are culled, then the
        # server shuts itself down
        "--MappingKernelManager.cull_idle_timeout=900",
        "--MappingKernelManager.cull_interval=60",
        "--ServerApp.shutdown_no_activity_timeout=900",
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


def start_lab(work: Path, env: Mapping[str, str] | None = None) -> LabServer:
    """``kenali open`` over a fresh copy of the course in ``work`` (with ``env`` added to its environment)."""
    return _start(work, "open", env=env)


def start_app(work: Path) -> LabServer:
    """``kenali app`` (Voilà) over a fresh copy of the course in ``work``."""
    return _start(work, "app")


def _start(work: Path, kind: str, attempts: int = 3, env: Mapping[str, str] | None = None) -> LabServer:
    """Start ``kenali <kind>`` over the course copy in ``work`` (made on first use); retry on another port
    if one is taken."""
    course = work / "course"
    home = course / ".kenali"
    if not course.exists():
        copy_course(course)
    extra = dict(env or {})
    env = {**_environment(work, course, home), **extra}
    _write_settings(Path(env["JUPYTER_CONFIG_DIR"]) / "lab" / "user-settings")
    token = secrets.token_hex(16)
    log = work / f"{kind}.log"
    for _ in range(attempts):
        port = _free_port()
        base_url = f"http://127.0.0.1:{port}"
        with log.open("ab") as out:
            process = subprocess.Popen(
                _command(kind, port, token),
                cwd=course,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group, ended as a whole at teardown
            )
        server = LabServer(base_url, token, course, home, log, process, work, kind, extra)
        try:
            ready = _wait_until_ready(
                process, f"{base_url}/api/status?token={token}", time.monotonic() + STARTUP_TIMEOUT_S
            )
        except BaseException:
            _kill_group(process)
            raise
        if ready:
            return server
    raise RuntimeError(f"kenali {kind} did not start (log: {log}):\n{server.log_tail()}")
