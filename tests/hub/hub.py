"""A JupyterHub for the tests, started with ``deploy/jupyterhub_config.py`` as an administrator would.

``start_hub(work)`` runs ``jupyterhub -f deploy/jupyterhub_config.py`` in ``work`` on free ports, with its
state (a SQLite hub database, the class database, the learners' homes) in ``work``, and waits until the hub
answers through its proxy. ``Hub.stop()`` stops the hub (which stops the proxy, the learners' servers and the
managed services), then ends whatever of ours is still running: every process whose working folder lies in
``work`` (the hub, the proxy, the class server, the culler, single-user servers and their kernels all run
there), and reports those it had to end, since the hub should have stopped them.

Learners log in with the class password; ``Hub.login()`` does it as a browser does (form, cookies, xsrf),
``Hub.token()`` asks the hub's REST API for a token with given scopes.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
from e2e.server import _free_port as free_port

REPO = Path(__file__).resolve().parents[2]
CONFIG = REPO / "deploy" / "jupyterhub_config.py"
SERVICE = "kenali"
FACILITATOR = "fasil"  # a member of the hub group kenali-fasilitator (not an admin)
ADMIN = "admin"
STARTUP_TIMEOUT_S = 120.0
STOP_TIMEOUT_S = 30.0
#: the scopes JupyterHub gives a learner's server token under deploy/jupyterhub_config.py
SERVER_TOKEN_SCOPES = ["users:activity!user", f"access:services!service={SERVICE}"]


def missing_tools() -> str | None:
    """Why a hub cannot start here (None when it can)."""
    import shutil

    try:
        import jupyterhub  # noqa: F401
    except ImportError:
        return "JupyterHub is not installed: pip install -e '.[class]'"
    if not shutil.which("configurable-http-proxy"):
        return "configurable-http-proxy is not installed: npm install -g configurable-http-proxy"
    return None


def processes_in(folder: Path) -> dict[int, str]:
    """Processes (pid: command line) whose working folder is ``folder`` or below it."""
    found: dict[int, str] = {}
    root = str(folder.resolve())
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cwd = os.readlink(entry / "cwd")
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
        except OSError:  # gone, or not ours to read
            continue
        if (cwd == root or cwd.startswith(root + "/")) and cmdline:
            found[int(entry.name)] = cmdline
    return found


def _kill(pids: dict[int, str]) -> None:
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for pid in pids:
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and any(Path(f"/proc/{pid}").exists() for pid in pids):
            time.sleep(0.1)


@dataclass
class Hub:
    """A running hub: where it listens, who may log in, its folders and its process."""

    url: str  # the public address (the proxy), e.g. http://127.0.0.1:41234
    service_url: str  # the class server as kernels reach it: http://127.0.0.1:N/services/kenali/
    work: Path
    data: Path
    homes: Path
    password: str
    admin_password: str
    process: subprocess.Popen[bytes]
    log: Path
    env: dict[str, str]
    admin_token: str = ""
    strays: dict[int, str] = field(default_factory=dict)

    @property
    def service_public(self) -> str:
        """The class server through the hub's proxy."""
        return f"{self.url}/services/{SERVICE}/"

    def home(self, user: str) -> Path:
        return self.homes / user

    # -- the REST API ----------------------------------------------------------------------------------
    def api(self, method: str, path: str, token: str | None = None, body: Any = None, ok: bool = True) -> Any:
        """Call ``/hub/api/<path>`` with ``token`` (the admin's by default); the JSON answer (None if empty)."""
        response = requests.request(
            method, f"{self.url}/hub/api/{path.lstrip('/')}", json=body, timeout=30,
            headers={"Authorization": f"token {token or self.admin_token}"},
        )
        if ok and response.status_code >= 400:
            raise AssertionError(f"{method} hub/api/{path}: HTTP {response.status_code} {response.text[:300]}")
        return response.json() if response.content else None

    def login(self, user: str, password: str | None = None) -> requests.Session:
        """A browser-like session logged in as ``user`` (the class password unless given)."""
        session = requests.Session()
        session.get(f"{self.url}/hub/login", timeout=30).raise_for_status()
        response = session.post(
            f"{self.url}/hub/login",
            data={"username": user, "password": password or self.password,
                  "_xsrf": session.cookies.get("_xsrf", path="/hub/")},
            allow_redirects=False, timeout=30,
        )
        if response.status_code != 302:
            raise AssertionError(f"login as {user}: HTTP {response.status_code}")
        return session

    def token(self, user: str, scopes: list[str] | None = None, note: str = "test") -> str:
        """A new API token of ``user`` with ``scopes`` (all of the user's own when None), made by the admin."""
        body: dict[str, Any] = {"note": note, "expires_in": 3600}
        if scopes is not None:
            body["scopes"] = scopes
        model = self.api("GET", f"users/{user}", ok=False)
        if not model or "name" not in model:
            self.api("POST", f"users/{user}")
        return str(self.api("POST", f"users/{user}/tokens", body=body)["token"])

    def start_server(self, user: str, timeout: float = STARTUP_TIMEOUT_S) -> dict[str, Any]:
        """Start ``user``'s single-user server through the API and wait until it is ready; its model."""
        self.api("POST", f"users/{user}/server", ok=False)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            model = self.api("GET", f"users/{user}")
            server = (model.get("servers") or {}).get("")
            if server and server.get("ready"):
                return server
            time.sleep(0.5)
        raise TimeoutError(f"{user}'s server did not start in {timeout:.0f} s:\n{self.log_tail()}")

    def server_token(self, user: str) -> str:
        """The ``JUPYTERHUB_API_TOKEN`` the hub gave ``user``'s running server (read from its environment)."""
        home = str(self.home(user).resolve())
        for pid, cmdline in processes_in(self.home(user)).items():
            if "jupyterhub-singleuser" not in cmdline and "jupyterhub.singleuser" not in cmdline:
                continue
            environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
            values = dict(item.decode().split("=", 1) for item in environ if b"=" in item)
            if values.get("HOME") == home and values.get("JUPYTERHUB_API_TOKEN"):
                return values["JUPYTERHUB_API_TOKEN"]
        raise AssertionError(f"no running server of {user} found")

    def log_tail(self, lines: int = 60) -> str:
        text = self.log.read_text(encoding="utf-8", errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    # -- the end ---------------------------------------------------------------------------------------
    def stop(self) -> dict[int, str]:
        """Stop the hub as an administrator does (SIGTERM: it stops the proxy, servers, services), wait, then
        end what is left of ours; returns what had to be ended that way (also kept in ``strays``)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        deadline = time.monotonic() + 10  # single-user servers stop their kernels as they go
        while time.monotonic() < deadline and processes_in(self.work):
            time.sleep(0.2)
        self.strays = processes_in(self.work)
        _kill(self.strays)
        return self.strays


def hub_environment(work: Path, *, service: str = "managed", extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment the hub starts in: the test run's, less kenali's own settings, plus the deploy
    configuration's variables (free ports, state in ``work``)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KENALI_", "JUPYTERHUB_", "JPY_"))}
    env.update(
        KENALI_HUB_DATA=str(work / "data"),
        KENALI_HOMES=str(work / "homes"),
        KENALI_HUB_PORT=str(free_port()),
        KENALI_HUB_API_PORT=str(free_port()),
        KENALI_PROXY_API_PORT=str(free_port()),
        KENALI_SERVICE_PORT=str(free_port()),
        KENALI_SERVICE=service,
        KENALI_HUB_PASSWORD="kelas-" + secrets.token_hex(6),
        KENALI_HUB_ADMIN=ADMIN,
        KENALI_HUB_ADMIN_PASSWORD=secrets.token_hex(20),
        KENALI_FACILITATORS=FACILITATOR,
        KENALI_LANG=os.environ.get("KENALI_LANG", "id"),
        PYTHONUNBUFFERED="1",
    )
    if service == "external":
        env["KENALI_SERVICE_TOKEN"] = secrets.token_hex(20)
    env.update(extra or {})
    return env


def start_hub(work: Path, *, service: str = "managed", extra: dict[str, str] | None = None,
              before_wait: Any = None) -> Hub:
    """Start the hub in ``work`` and wait until it answers through the proxy; log in the admin and keep an API
    token of theirs. ``before_wait(hub)`` runs once the hub process exists (e.g. to start an external service)."""
    work.mkdir(parents=True, exist_ok=True)
    env = hub_environment(work, service=service, extra=extra)
    log = work / "hub.log"
    with log.open("ab") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "jupyterhub", "-f", str(CONFIG)],
            cwd=work, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    hub = Hub(
        url=f"http://127.0.0.1:{env['KENALI_HUB_PORT']}",
        service_url=f"http://127.0.0.1:{env['KENALI_SERVICE_PORT']}/services/{SERVICE}/",
        work=work, data=Path(env["KENALI_HUB_DATA"]), homes=Path(env["KENALI_HOMES"]),
        password=env["KENALI_HUB_PASSWORD"], admin_password=env["KENALI_HUB_ADMIN_PASSWORD"],
        process=process, log=log, env=env,
    )
    try:
        if before_wait is not None:
            before_wait(hub)
        _wait_until_up(hub)
        session = hub.login(ADMIN, hub.admin_password)
        response = session.post(
            f"{hub.url}/hub/api/users/{ADMIN}/tokens", json={"note": "tests", "expires_in": 7200},
            headers={"X-XSRFToken": session.cookies.get("_xsrf", path="/hub/")}, timeout=30,
        )
        if response.status_code != 201:
            raise AssertionError(f"admin token: HTTP {response.status_code} {response.text[:300]}")
        hub.admin_token = response.json()["token"]
    except BaseException:
        hub.stop()
        raise
    return hub


def _wait_until_up(hub: Hub) -> None:
    """Until the hub's API answers through the proxy (its route is in place) and the class server is up."""
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if hub.process.poll() is not None:
            raise RuntimeError(f"the hub exited with {hub.process.returncode}:\n{hub.log_tail()}")
        try:
            api = requests.get(f"{hub.url}/hub/api/", timeout=5)
            if api.status_code == 200 and "version" in api.json():
                health = requests.get(f"{hub.service_public}api/health", timeout=5)
                if health.status_code == 200:
                    return
        except (requests.RequestException, json.JSONDecodeError):
            pass
        time.sleep(0.3)
    raise TimeoutError(f"the hub or its class server did not answer in {STARTUP_TIMEOUT_S:.0f} s:\n{hub.log_tail()}")
