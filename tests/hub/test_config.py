"""deploy/jupyterhub_config.py read the way JupyterHub reads it, without starting a hub: standalone (tests,
a one-machine demo), inside TLJH or Zero to JupyterHub (an outer configuration chose the spawner first), and
its mistakes (a missing password) as one clear line. Also the course link (``kenali hub-link``).
"""

from __future__ import annotations

import runpy
import sys
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from traitlets.config import Config

from kenali.classroom.hublink import LinkError, hub_link

from .hub import CONFIG

STANDALONE_ENV = {"KENALI_HUB_PASSWORD": "kelas-12345", "KENALI_HUB_ADMIN_PASSWORD": "x" * 32}


def load(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, env: dict[str, str], outer: Config | None = None) -> Config:
    """Run the configuration file with ``c`` as JupyterHub gives it (after an outer config, if any)."""
    for name in list(__import__("os").environ):
        if name.startswith("KENALI_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("KENALI_HUB_DATA", str(tmp_path / "data"))
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    c = outer or Config()
    runpy.run_path(str(CONFIG), init_globals={"c": c})
    return c


def test_standalone_runs_everything_on_this_machine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    env = {**STANDALONE_ENV, "KENALI_FACILITATORS": "ana, budi", "KENALI_SERVICE_PORT": "9999"}
    c = load(tmp_path, monkeypatch, env)
    assert c.JupyterHub.spawner_class == "simple"
    assert c.JupyterHub.authenticator_class == "shared-password"
    assert c.SimpleLocalProcessSpawner.home_dir_template == str(tmp_path / "data" / "homes" / "{username}")
    [service, culler] = c.JupyterHub.services
    assert service["name"] == "kenali" and service["url"] == "http://127.0.0.1:9999"
    assert service["command"] == [sys.executable, "-m", "kenali", "serve"]
    assert service["environment"]["KENALI_CLASS_DB"] == f"sqlite:///{tmp_path / 'data' / 'kenali-class.db'}"
    assert service["oauth_no_confirm"] is True
    assert culler["name"] == "idle-culler"
    assert c.Spawner.environment["KENALI_CLASS_URL"] == "http://127.0.0.1:9999/services/kenali/"
    assert c.Spawner.environment["KENALI_HOME"] == "~/.kenali"
    assert "access:services!service=kenali" in c.Spawner.server_token_scopes
    assert c.JupyterHub.load_groups == {"kenali-fasilitator": {"users": ["ana", "budi"]}}
    user_role = next(r for r in c.JupyterHub.load_roles if r["name"] == "user")
    assert "access:services!service=kenali" in user_role["scopes"]
    assert c.Spawner.default_url == "/lab"
    assert (tmp_path / "data" / "jupyter-config" / "jupyter_server_config.d" / "kenali.json").exists()


def test_a_course_repository_makes_the_login_land_on_the_course(tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    c = load(tmp_path, monkeypatch, {**STANDALONE_ENV, "KENALI_COURSE_REPO": "https://git.example.org/kelas/kursus.git"})
    query = parse_qs(urlsplit(c.Spawner.default_url).query)
    assert c.Spawner.default_url.startswith("/git-pull?")
    assert query["repo"] == ["https://git.example.org/kelas/kursus.git"]
    assert query["targetpath"] == ["kursus"]
    assert query["urlpath"] == ["lab/tree/kursus/notebooks/00_mulai.ipynb"]


def test_inside_tljh_or_z2jh_the_outer_settings_stay(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    outer = Config()
    outer.JupyterHub.spawner_class = "kubespawner.KubeSpawner"
    outer.JupyterHub.authenticator_class = "github"
    outer.Spawner.environment = {"TZ": "Asia/Jakarta"}
    outer.Spawner.default_url = "/lab/tree/README.md"
    outer.JupyterHub.services = [{"name": "cull-idle", "command": ["cull"]}]
    outer.JupyterHub.load_roles = [{"name": "user", "scopes": ["self", "read:hub"]},
                                   {"name": "cull-idle", "services": ["cull-idle"], "scopes": ["list:users"]}]
    env = {"KENALI_SERVICE_HOST": "hub", "KENALI_SERVICE_LISTEN": "0.0.0.0",
           "KENALI_CLASS_DB": "postgresql+psycopg://kenali@db/kelas"}
    c = load(tmp_path, monkeypatch, env, outer)  # no passwords needed: the outer config logs people in
    assert c.JupyterHub.spawner_class == "kubespawner.KubeSpawner"
    assert c.JupyterHub.authenticator_class == "github"
    assert "bind_url" not in c.JupyterHub and "db_url" not in c.JupyterHub
    # theirs kept, ours added; no culler of ours: TLJH and Z2JH cull with their own settings
    [culler, service] = c.JupyterHub.services
    assert culler["name"] == "cull-idle"
    roles = {r["name"]: r for r in c.JupyterHub.load_roles}
    assert roles["user"]["scopes"] == ["self", "read:hub", "access:services!service=kenali"]
    assert "cull-idle" in roles and "kenali-fasilitator" in roles
    assert c.Spawner.default_url == "/lab/tree/README.md"
    assert service["url"] == "http://hub:10101"
    assert service["command"][-4:] == ["--ip", "0.0.0.0", "--port", "10101"]
    assert service["environment"]["KENALI_CLASS_DB"] == "postgresql+psycopg://kenali@db/kelas"
    assert c.Spawner.environment["TZ"] == "Asia/Jakarta"
    assert c.Spawner.environment["KENALI_CLASS_URL"] == "http://hub:10101/services/kenali/"
    assert "--allow-root" not in c.Spawner.args


@pytest.mark.parametrize(("env", "says"), [
    ({}, "KENALI_HUB_PASSWORD"),
    ({"KENALI_HUB_PASSWORD": "pendek"}, "8 characters"),
    ({"KENALI_HUB_PASSWORD": "kelas-12345", "KENALI_HUB_ADMIN_PASSWORD": "short"}, "32 characters"),
    ({**STANDALONE_ENV, "KENALI_SERVICE": "external"}, "KENALI_SERVICE_TOKEN"),
    ({**STANDALONE_ENV, "KENALI_SERVICE": "sidecar"}, "'managed' or 'external'"),
])
def test_mistakes_stop_the_hub_with_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, env: dict[str, str],
                                             says: str) -> None:
    with pytest.raises(SystemExit) as stop:
        load(tmp_path, monkeypatch, env)
    assert says in str(stop.value)
    assert str(stop.value).startswith("deploy/jupyterhub_config.py: ")


def test_the_course_link() -> None:
    link = hub_link("https://kelas.example.org/", "https://github.com/org/kenali-kursus.git")
    parts = urlsplit(link)
    assert parts.path == "/hub/user-redirect/git-pull"
    query = parse_qs(parts.query)
    assert query == {"repo": ["https://github.com/org/kenali-kursus.git"], "branch": ["main"],
                     "targetpath": ["kenali-kursus"], "urlpath": ["lab/tree/kenali-kursus/notebooks/00_mulai.ipynb"]}
    # the hub's own page given as the address, a base path, a branch
    assert hub_link("https://x.org/kelas/hub", "https://g/o/r", "kelas-b").startswith(
        "https://x.org/kelas/hub/user-redirect/git-pull?repo=https%3A%2F%2Fg%2Fo%2Fr&branch=kelas-b&targetpath=r")


@pytest.mark.parametrize(("hub", "repo"), [("kelas.example.org", "https://g/o/r"), ("https://x.org", " "),
                                           ("https://x.org", "/")])
def test_the_course_link_refuses_what_cannot_work(hub: str, repo: str) -> None:
    with pytest.raises(LinkError):
        hub_link(hub, repo)


def test_hub_link_command(capsys: pytest.CaptureFixture[str]) -> None:
    from kenali.cli import main

    assert main(["hub-link", "--hub", "http://127.0.0.1:8000", "--repo", "file:///srv/kursus"]) == 0
    assert capsys.readouterr().out.strip() == hub_link("http://127.0.0.1:8000", "file:///srv/kursus")
    assert main(["hub-link", "--hub", "kelas", "--repo", "file:///srv/kursus"]) == 2
    assert "http:// or https://" in capsys.readouterr().err
