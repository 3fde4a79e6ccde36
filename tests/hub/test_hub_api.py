"""The hub as deploy/jupyterhub_config.py sets it up: the class server runs as a hub service behind the proxy,
a learner's server token reaches it (and nothing of anyone else's), a forged record gains nothing.

One hub for the module (see conftest.py); the steps build on each other in file order.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import requests

from .hub import FACILITATOR, SERVICE, Hub

LEARNER = "siti"
OTHER = "budi"


def _service(hub: Hub, method: str, path: str, token: str | None, body: Any = None) -> requests.Response:
    headers = {"Authorization": f"token {token}"} if token else {}
    return requests.request(method, f"{hub.service_public}{path}", json=body, headers=headers, timeout=30)


def _graded_single_choice() -> tuple[str, str, str]:
    """A graded single-choice exercise of the course: (id, its key, a wrong option)."""
    from kenali.bank import load_course

    for ex in load_course().exercises(graded_only=True):
        if ex.type == "pilihan":
            return ex.id, str(ex.key), next(k for k in ex.choices if k != ex.key)
    raise AssertionError("the course has no graded single-choice exercise")


def _class_rows(hub: Hub, user: str, exercise: str) -> list[Any]:
    """What the class server stored (its own table, read directly)."""
    from kenali.classroom.db import ClassDB

    db = ClassDB(f"sqlite:///{hub.data / 'kenali-class.db'}")
    try:
        return db.attempts(user=user, exercise=exercise)
    finally:
        db.close()


# -- (a) the hub starts with the class server as a service ------------------------------------------------


def test_class_server_answers_through_the_proxy(hub: Hub) -> None:
    health = requests.get(f"{hub.service_public}api/health", timeout=30)
    assert health.status_code == 200, health.text
    assert health.json()["ok"] is True
    assert health.json()["db"] == "sqlite"  # the default: a SQLite file in the hub's data folder
    assert (hub.data / "kenali-class.db").exists()


def test_the_hub_knows_the_service_and_the_facilitator_group(hub: Hub) -> None:
    service = hub.api("GET", f"services/{SERVICE}")
    assert service["name"] == SERVICE
    assert service["command"], "the hub runs the class server itself (a managed service)"
    group = hub.api("GET", "groups/kenali-fasilitator")
    assert group["users"] == [FACILITATOR]


def test_the_learners_page_is_jupyterlab_with_the_course_settings(hub: Hub) -> None:
    """A learner's server is JupyterLab with kenali's server extension on and the class server's address."""
    server = hub.start_server(LEARNER)
    assert server["url"] == f"/user/{LEARNER}/"
    env = _server_environment(hub, LEARNER)
    assert env["KENALI_CLASS_URL"] == hub.service_url
    assert env["KENALI_HOME"] == "~/.kenali"
    assert env["HOME"] == str(hub.home(LEARNER).resolve())
    log = hub.log.read_text(encoding="utf-8", errors="replace")
    assert "kenali: saved notebooks keep a readable form of kenali widgets" in log  # kenali.serverext loaded


def _server_environment(hub: Hub, user: str) -> dict[str, str]:
    from .hub import processes_in

    for pid, cmdline in processes_in(hub.home(user)).items():
        if "singleuser" in cmdline:
            items = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
            return dict(item.decode().split("=", 1) for item in items if b"=" in item)
    raise AssertionError(f"{user}'s server is not running")


# -- (e) a learner's server token reaches the class server, and nothing of anyone else's -----------------


def test_the_server_token_may_call_the_class_server(hub: Hub) -> None:
    hub.start_server(LEARNER)
    token = hub.server_token(LEARNER)
    exercise, key, _ = _graded_single_choice()
    response = _service(hub, "POST", "api/check", token, {"exercise": exercise, "answer": key, "seq": 1})
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "correct"
    rows = _class_rows(hub, LEARNER, exercise)
    assert [(r.user, r.status) for r in rows] == [(LEARNER, "correct")]


def test_a_token_without_the_service_scope_is_refused(hub: Hub) -> None:
    """Only the scope deploy/jupyterhub_config.py grants lets a token in: one without it gets 403."""
    exercise, key, _ = _graded_single_choice()
    bare = hub.token(OTHER, scopes=["users:activity!user"])
    response = _service(hub, "POST", "api/check", bare, {"exercise": exercise, "answer": key})
    assert response.status_code in (401, 403), response.text
    assert _class_rows(hub, OTHER, exercise) == []
    assert _service(hub, "POST", "api/check", None, {"exercise": exercise, "answer": key}).status_code == 401


def test_the_server_token_reaches_nothing_of_another_learner(hub: Hub) -> None:
    hub.start_server(LEARNER)
    token = hub.server_token(LEARNER)
    exercise, key, _ = _graded_single_choice()
    # a body naming someone else changes nothing: the server's identity is the token's user
    response = _service(hub, "POST", "api/records", token,
                        {"records": [{"exercise": exercise, "seq": 7, "answer": key, "learner": OTHER}]})
    assert response.status_code == 200, response.text
    assert _class_rows(hub, OTHER, exercise) == []
    # the class figures are for facilitators only
    assert _service(hub, "GET", "api/live", token).status_code in (401, 403)
    # the hub gives it nothing of the other learner: not their model, not their server
    hub.api("POST", f"users/{OTHER}", ok=False)
    other = requests.get(f"{hub.url}/hub/api/users/{OTHER}", headers={"Authorization": f"token {token}"},
                         timeout=30)
    assert other.status_code in (403, 404)
    files = requests.get(f"{hub.url}/user/{OTHER}/api/contents", headers={"Authorization": f"token {token}"},
                         timeout=30, allow_redirects=False)
    assert files.status_code in (302, 403, 404, 424, 503)
    assert files.status_code != 200


def test_a_facilitator_reads_the_live_figures(hub: Hub) -> None:
    """The facilitator logs in to the hub and reaches the live data through the hub's OAuth; a learner does
    not (refused even when logged in)."""
    session = hub.login(FACILITATOR)
    page = session.get(hub.service_public, timeout=60)  # the hub's OAuth: redirects, then the service's cookie
    assert page.status_code == 200, page.text[:300]
    live = session.get(f"{hub.service_public}api/live", timeout=60)
    assert live.status_code == 200, live.text[:300]
    assert LEARNER in json.dumps(live.json())
    learner = hub.login(OTHER)
    assert learner.get(hub.service_public, timeout=60).status_code == 403
    assert learner.get(f"{hub.service_public}api/live", timeout=60).status_code == 403


# -- (d) a forged record in class mode gains nothing -----------------------------------------------------


def test_a_forged_record_gains_nothing(hub: Hub) -> None:
    """A learner writes a record into their own progress folder claiming 'correct' with full score for a wrong
    answer, and lets it sync with the class client: the server checks the answer itself and stores 'wrong'."""
    from kenali.classroom.client import ClassClient
    from kenali.store import Store

    exercise, _, wrong = _graded_single_choice()
    home = hub.home(OTHER) / ".kenali"
    forged = {"exercise": exercise, "lesson": exercise.split(".")[0].zfill(2), "learner": OTHER, "answer": wrong,
              "status": "correct", "score": 1.0, "points": 99.0, "hints": 0, "ts": 0.0, "time": "",
              "mode": "latihan", "v": 2}
    Store(home).record(forged)
    client = ClassClient(hub.service_url, hub.token(OTHER, scopes=_server_scopes()), home)
    try:
        assert client.push_once() >= 1
    finally:
        client.close()
    rows = _class_rows(hub, OTHER, exercise)
    assert [(r.status, r.score) for r in rows] == [("wrong", 0.0)]
    assert rows[0].answer == wrong


def _server_scopes() -> list[str]:
    from .hub import SERVER_TOKEN_SCOPES

    return list(SERVER_TOKEN_SCOPES)


@pytest.fixture(scope="module", autouse=True)
def _learners(hub: Hub) -> None:
    for user in (LEARNER, OTHER):
        hub.api("POST", f"users/{user}", ok=False)
