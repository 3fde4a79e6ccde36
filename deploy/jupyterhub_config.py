"""JupyterHub configuration for a Kenali class: the learners' servers, the class server as a hub service, roles.

One file for the tests, a one-machine demo and The Littlest JupyterHub (TLJH), steered by environment
variables (all optional unless marked):

* ``KENALI_HUB_DATA`` (``./kenali-hub``): the hub's state: its SQLite database, cookie secret, class database.
* ``KENALI_HUB_IP``, ``KENALI_HUB_PORT`` (``127.0.0.1``, ``8000``): where learners reach the hub (the proxy).
* ``KENALI_HUB_API_PORT``, ``KENALI_PROXY_API_PORT`` (``8081``, ``8001``): the hub's and the proxy's own ports.
* ``KENALI_SERVICE_PORT`` (``10101``): the class server's port.
* ``KENALI_SERVICE_HOST`` (``127.0.0.1``): the class server's host as the proxy and the kernels reach it
  (Zero to JupyterHub: ``hub``, the hub pod's Kubernetes service); ``KENALI_SERVICE_LISTEN`` (the host): the
  address it listens on (Zero to JupyterHub: ``0.0.0.0``).
* ``KENALI_SERVICE`` (``managed``): ``managed``, the hub starts ``kenali serve`` and starts it again within its
  30 s poll when it dies; ``external``, something else runs it (systemd, a test) with the API token
  ``KENALI_SERVICE_TOKEN``.
* ``KENALI_CLASS_DB`` (``sqlite:///<data>/kenali-class.db``): the class server's database; a
  ``postgresql+psycopg://`` URL for large classes.
* ``KENALI_POLICY`` (none): the instructor's assessment policy file, handed to the class server.
* ``KENALI_RELEASE`` (none): a folder written by ``kenali assignment release`` (graded assignments): learners'
  kernels load the course from it (``KENALI_CONTENT``, the assessed keys removed) with its policy copy
  (``KENALI_POLICY=<release>/kebijakan.yaml``), and the class server gets that policy (``--policy``).
* ``KENALI_PRIVATE_COURSE`` (none: the installed course): the instructor's content folder with keys, the one
  the release was made from (``--course``), e.g. holding a private quiz bank; the class server checks with it
  (``--course``). Keep it out of the learners' reach; only the hub's user needs to read it.
* ``KENALI_HOMES`` (``<data>/homes``): root of the learners' homes (one-machine spawner only).
* ``KENALI_HUB_PASSWORD`` (required standalone): the class password, 8 characters or more.
* ``KENALI_HUB_ADMIN``, ``KENALI_HUB_ADMIN_PASSWORD`` (``admin``, required standalone, 32 characters or more).
* ``KENALI_FACILITATORS`` (none): comma-separated user names, put in the hub group ``kenali-fasilitator``.
* ``KENALI_COURSE_REPO``, ``KENALI_COURSE_BRANCH`` (none, ``main``): the course's git URL; a learner who logs
  in lands on the nbgitpuller link, which clones the course into their home or updates it.
* ``KENALI_CULL_IDLE`` (``3600``): standalone, seconds before an idle learner's server is stopped
  (jupyterhub-idle-culler); 0 turns culling off. TLJH and Zero to JupyterHub cull with their own settings.

Standalone (``jupyterhub -f deploy/jupyterhub_config.py``) the learners' servers are started by
``SimpleLocalProcessSpawner``: processes of the hub's own user, one home folder each under ``KENALI_HOMES``.
That is for tests and a one-machine demo only: every learner can read every other learner's files. Production
keeps learners apart: TLJH's systemdspawner (a Unix user and a systemd unit with memory and CPU limits per
learner) or Zero to JupyterHub's KubeSpawner (a pod per learner). Under TLJH this file goes into
``/opt/tljh/config/jupyterhub_config.d/``, which TLJH loads after its own settings: the spawner, authenticator,
ports and database TLJH set are then left alone (see deploy/README.md).
"""

# ruff: noqa: F821  (``c``, the configuration object, is given by JupyterHub when it loads this file)
from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

SERVICE = "kenali"
FACILITATOR_GROUP = "kenali-fasilitator"

env = os.environ.get
DATA = Path(env("KENALI_HUB_DATA") or Path.cwd() / "kenali-hub").expanduser().resolve()
DATA.mkdir(parents=True, exist_ok=True)
# Standalone unless an outer configuration (TLJH's) chose a spawner before this file was loaded.
STANDALONE = "spawner_class" not in c.JupyterHub

SERVICE_PORT = int(env("KENALI_SERVICE_PORT") or 10101)
SERVICE_HOST = env("KENALI_SERVICE_HOST") or "127.0.0.1"
SERVICE_URL = f"http://{SERVICE_HOST}:{SERVICE_PORT}"
CLASS_DB = env("KENALI_CLASS_DB") or f"sqlite:///{DATA / 'kenali-class.db'}"


def _fail(message: str) -> None:
    """Stop the hub at start with one clear line (a configuration mistake is no traceback)."""
    raise SystemExit(f"deploy/jupyterhub_config.py: {message}")


# -- the hub, the proxy, the hub's own database (standalone; TLJH sets its own) ---------------------------
if STANDALONE:
    c.JupyterHub.bind_url = f"http://{env('KENALI_HUB_IP') or '127.0.0.1'}:{int(env('KENALI_HUB_PORT') or 8000)}"
    c.JupyterHub.hub_ip = "127.0.0.1"
    c.JupyterHub.hub_port = int(env("KENALI_HUB_API_PORT") or 8081)
    c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{int(env('KENALI_PROXY_API_PORT') or 8001)}"
    c.ConfigurableHTTPProxy.command = [shutil.which("configurable-http-proxy") or "configurable-http-proxy"]
    c.ConfigurableHTTPProxy.pid_file = str(DATA / "jupyterhub-proxy.pid")
    c.JupyterHub.db_url = f"sqlite:///{DATA / 'jupyterhub.sqlite'}"
    c.JupyterHub.cookie_secret_file = str(DATA / "jupyterhub_cookie_secret")
    c.JupyterHub.pid_file = str(DATA / "jupyterhub.pid")
    # stopping the hub stops the proxy and every learner's server (the defaults, stated)
    c.JupyterHub.cleanup_servers = True
    c.JupyterHub.cleanup_proxy = True

    # -- who logs in: one class password; the admin has their own ----------------------------------------
    c.JupyterHub.authenticator_class = "shared-password"
    password, admin_password = env("KENALI_HUB_PASSWORD"), env("KENALI_HUB_ADMIN_PASSWORD")
    if not password or len(password) < 8:
        _fail("set KENALI_HUB_PASSWORD, the class password (8 characters or more)")
    if not admin_password or len(admin_password) < 32:
        _fail("set KENALI_HUB_ADMIN_PASSWORD, the admin's password (32 characters or more)")
    c.SharedPasswordAuthenticator.user_password = password
    c.SharedPasswordAuthenticator.admin_password = admin_password
    c.Authenticator.admin_users = {env("KENALI_HUB_ADMIN") or "admin"}
    c.Authenticator.allow_all = True  # anyone with the class password signs in under a name of their own

    # -- the learners' servers: local processes, a home each (tests and demos only, see the docstring) ---
    c.JupyterHub.spawner_class = "simple"
    homes = Path(env("KENALI_HOMES") or DATA / "homes").expanduser().resolve()
    homes.mkdir(parents=True, exist_ok=True)
    c.SimpleLocalProcessSpawner.home_dir_template = str(homes / "{username}")
    c.Spawner.cmd = [str(Path(sys.executable).with_name("jupyterhub-singleuser"))]
    if not Path(c.Spawner.cmd[0]).exists():
        c.Spawner.cmd = [sys.executable, "-m", "jupyterhub.singleuser"]
    # An editable install of kenali (a checkout) installs no Jupyter config files: enable the server
    # extension through a config folder of our own (a regular install, TLJH's or the image's, has it).
    config_dir = DATA / "jupyter-config" / "jupyter_server_config.d"
    config_dir.mkdir(parents=True, exist_ok=True)
    (config_dir / "kenali.json").write_text(
        json.dumps({"ServerApp": {"jpserver_extensions": {"kenali.serverext": True}}}), encoding="utf-8"
    )
    c.Spawner.environment = {"JUPYTER_CONFIG_PATH": str(DATA / "jupyter-config")}
    c.Spawner.start_timeout = 120  # a cold start on a busy machine
    c.Spawner.http_timeout = 120

# -- every learner's server: JupyterLab with kenali's settings, the class server's address ---------------
# kenali is installed in the hub's environment too: the hub runs the class server with its own Python
try:
    from kenali.classroom.hublink import pull_path
    from kenali.launch import APP_SETTINGS, HIDDEN, running_as_root
except ImportError as exc:
    _fail(f"kenali is not installed in the hub's Python ({sys.executable}): {exc}")
c.Spawner.args = [
    *c.Spawner.get("args", []),
    f"--ContentsManager.hide_globs={json.dumps(list(HIDDEN))}",
    "--LabApp.news_url=None",
    "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
    f"--LabApp.app_settings_dir={APP_SETTINGS}",
]
if STANDALONE and running_as_root():  # a container or CI runs the hub, and so the learners' servers, as root
    c.Spawner.args.append("--allow-root")
c.Spawner.environment = {
    **dict(c.Spawner.environment or {}),
    # kernels talk to the class server directly (no proxy hop); the hub's token authenticates them
    "KENALI_CLASS_URL": f"{SERVICE_URL}/services/{SERVICE}/",
    # progress and identity in the learner's home, outside the course clone: re-pulling or even deleting
    # the clone loses nothing (kenali expands the ~)
    "KENALI_HOME": "~/.kenali",
    "KENALI_LANG": env("KENALI_LANG") or "id",
}
# -- graded assignments: the learners get the release without keys, the class server the keys -------------
RELEASE = Path(env("KENALI_RELEASE")).expanduser().resolve() if env("KENALI_RELEASE") else None
PRIVATE = Path(env("KENALI_PRIVATE_COURSE")).expanduser().resolve() if env("KENALI_PRIVATE_COURSE") else None
SERVER_POLICY = Path(env("KENALI_POLICY")).expanduser().resolve() if env("KENALI_POLICY") else None
if RELEASE is not None:
    release_policy = RELEASE / "kebijakan.yaml"
    if not (RELEASE / ".kenali-release").is_file() or not release_policy.is_file():
        _fail(f"KENALI_RELEASE={RELEASE} is not a folder written by `kenali assignment release` "
              "(no .kenali-release or kebijakan.yaml in it)")
    if SERVER_POLICY is not None and (not SERVER_POLICY.is_file()
                                      or SERVER_POLICY.read_bytes() != release_policy.read_bytes()):
        _fail(f"KENALI_POLICY={SERVER_POLICY} differs from the policy the release was made with "
              f"({release_policy}): release again, or leave KENALI_POLICY unset (the release's copy is used)")
    SERVER_POLICY = release_policy
    c.Spawner.environment = {**c.Spawner.environment, "KENALI_CONTENT": str(RELEASE),
                             "KENALI_POLICY": str(release_policy)}
if PRIVATE is not None:
    if not (PRIVATE / "banks").is_dir() and not (PRIVATE / c.Spawner.environment["KENALI_LANG"] / "banks").is_dir():
        _fail(f"KENALI_PRIVATE_COURSE={PRIVATE} is not a course content folder (no banks/ in it or below it)")
    if RELEASE is None:
        _fail("KENALI_PRIVATE_COURSE is set without KENALI_RELEASE: the learners would get no copy of its banks")
    if not STANDALONE and PRIVATE.stat().st_mode & 0o005:
        # learners are Unix users of this machine (TLJH): a folder others may read hands them the keys
        print(f"deploy/jupyterhub_config.py: warning: {PRIVATE} may be read by other users: chmod o-rwx it "
              "(only the hub's user needs it)", file=sys.stderr)

# A learner who logs in lands on the course: nbgitpuller clones it into their home (or updates it) and opens
# the start notebook. Without a course repository they land in JupyterLab.
COURSE_REPO = env("KENALI_COURSE_REPO")
if COURSE_REPO:
    c.Spawner.default_url = "/" + pull_path(COURSE_REPO, env("KENALI_COURSE_BRANCH") or "main")
elif "default_url" not in c.Spawner:
    c.Spawner.default_url = "/lab"

# -- the class server, a service of the hub -------------------------------------------------------------
service: dict[str, object] = {
    "name": SERVICE,
    "url": SERVICE_URL,
    "display": True,
    "oauth_no_confirm": True,  # facilitators go straight to the live page, no "authorize?" page
}
service_env = {"KENALI_CLASS_DB": CLASS_DB, "KENALI_LANG": env("KENALI_LANG") or "id"}
if SERVER_POLICY is not None:
    service_env["KENALI_POLICY"] = str(SERVER_POLICY)
if (env("KENALI_SERVICE") or "managed") == "managed":
    service["command"] = [sys.executable, "-m", "kenali", "serve"]
    if PRIVATE is not None:  # the instructor's content with keys (a private quiz bank); else the installed course
        service["command"] += ["--course", str(PRIVATE)]
    if SERVER_POLICY is not None:
        service["command"] += ["--policy", str(SERVER_POLICY)]
    if env("KENALI_SERVICE_LISTEN"):  # bind elsewhere than the URL's host (a pod listens on all addresses)
        service["command"] += ["--ip", env("KENALI_SERVICE_LISTEN"), "--port", str(SERVICE_PORT)]
    service["environment"] = service_env
    service["cwd"] = str(DATA)
elif env("KENALI_SERVICE") == "external":
    token = env("KENALI_SERVICE_TOKEN")
    if not token or len(token) < 16:
        _fail("KENALI_SERVICE=external needs KENALI_SERVICE_TOKEN (16 characters or more), the service's API token")
    service["api_token"] = token
else:
    _fail(f"KENALI_SERVICE is {env('KENALI_SERVICE')!r}: use 'managed' or 'external'")
# added to what an outer configuration set (TLJH's and Z2JH's cullers, hub.services), never replacing it
services: list[dict[str, object]] = [s for s in c.JupyterHub.get("services", []) if s.get("name") != SERVICE]
services.append(service)

CULL = int(env("KENALI_CULL_IDLE") or 3600) if STANDALONE else 0  # TLJH and Z2JH run their own culler
if CULL > 0:
    services.append(
        {"name": "idle-culler", "command": [sys.executable, "-m", "jupyterhub_idle_culler", f"--timeout={CULL}"],
         "cwd": str(DATA)}
    )
c.JupyterHub.services = services

# -- who may do what ----------------------------------------------------------------------------------
# A learner's server token ($JUPYTERHUB_API_TOKEN in the kernel) carries the scopes requested here that the
# learner holds: so learners hold access to the class server (the 'user' role), and the token asks for it.
SERVICE_ACCESS = f"access:services!service={SERVICE}"
token_scopes = c.Spawner.get("server_token_scopes") or ["users:activity!user", "access:servers!server"]
c.Spawner.server_token_scopes = [*token_scopes, SERVICE_ACCESS]
facilitators = sorted({n.strip() for n in (env("KENALI_FACILITATORS") or "").split(",") if n.strip()})
groups = dict(c.JupyterHub.get("load_groups", {}))
groups[FACILITATOR_GROUP] = {"users": sorted({*groups.get(FACILITATOR_GROUP, {}).get("users", []), *facilitators})}
c.JupyterHub.load_groups = groups
roles: list[dict[str, object]] = [dict(r) for r in c.JupyterHub.get("load_roles", [])]
user_role = next((r for r in roles if r.get("name") == "user"), None)
if user_role is None:
    roles.append({"name": "user", "description": "a learner: their own things and the class server",
                  "scopes": ["self", SERVICE_ACCESS]})
else:  # an outer configuration shaped the 'user' role: add the class server to it
    user_role["scopes"] = [*user_role.get("scopes", ["self"]), SERVICE_ACCESS]
roles += [
    # (the class server itself needs no role: the hub tells it a user's admin flag and groups with their token)
    {"name": FACILITATOR_GROUP, "description": "facilitators: the class server's live page and the learners' list",
     "groups": [FACILITATOR_GROUP], "scopes": [SERVICE_ACCESS, "list:users", "read:users:activity"]},
]
if CULL > 0:
    roles.append({"name": "idle-culler", "services": ["idle-culler"],
                  "scopes": ["list:users", "read:users:activity", "read:servers", "delete:servers"]})
c.JupyterHub.load_roles = roles
