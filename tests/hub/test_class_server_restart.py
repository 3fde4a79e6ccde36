"""The class server stops mid-class and comes back: nothing is lost.

JupyterHub polls the managed services it started and starts one again when its process has exited (every
30 s, ``jupyterhub/services/service.py``), so the deployment needs no supervisor of its own. The story: a
learner answers while the class server runs; the server is killed; the learner answers twice more (checked
locally, kept in their store, the kernel's sync retrying in the background); the hub starts the server
again; the answers given while it was down arrive on their own, none twice, and the first one is still there.

The learner's kernel is played by a :class:`kenali.session.Session` in this process with the environment the
hub gives a learner's server (``KENALI_CLASS_URL`` and the server's own ``JUPYTERHUB_API_TOKEN``).
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator

import pytest
import requests

from .hub import Hub, processes_in

LEARNER = "dewi"
RESTART_TIMEOUT_S = 120.0  # the hub's 30 s poll (with jitter), then the server's own start
SYNC_TIMEOUT_S = 120.0  # the client's retry pauses grow to a minute while the server is away


def _service_pid(hub: Hub) -> int:
    pids = [pid for pid, cmd in processes_in(hub.data).items() if "kenali serve" in cmd]
    assert len(pids) == 1, f"expected one class server, found {pids}"
    return pids[0]


def _healthy(hub: Hub) -> bool:
    try:
        return requests.get(f"{hub.service_public}api/health", timeout=5).status_code == 200
    except requests.RequestException:
        return False


def _rows(hub: Hub) -> list[tuple[str, int | None, str]]:
    from kenali.classroom.db import ClassDB

    db = ClassDB(f"sqlite:///{hub.data / 'kenali-class.db'}")
    try:
        return [(r.exercise, r.seq, r.status) for r in db.attempts(user=LEARNER)]
    finally:
        db.close()


def _wait(condition, timeout: float, what: str, hub: Hub) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.5)
    raise AssertionError(f"{what} within {timeout:.0f} s\n{hub.log_tail(30)}")


@pytest.fixture
def kernel(hub: Hub, monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    """A learner's kernel: a Session over the learner's store with the environment of their hub server."""
    from kenali.classroom.client import reset_clients
    from kenali.session import Session
    from kenali.store import Store

    hub.api("POST", f"users/{LEARNER}", ok=False)
    hub.start_server(LEARNER)
    monkeypatch.setenv("KENALI_CLASS_URL", hub.service_url)
    monkeypatch.setenv("JUPYTERHUB_API_TOKEN", hub.server_token(LEARNER))
    reset_clients()
    session = Session(store=Store(hub.home(LEARNER) / ".kenali"))
    try:
        yield session
    finally:
        reset_clients()


def test_answers_given_while_the_class_server_is_down_arrive_when_it_is_back(hub: Hub, kernel) -> None:  # type: ignore[no-untyped-def]
    session = kernel
    course = session.course
    singles = [ex for ex in course.exercises(graded_only=True) if ex.type == "pilihan"][:3]
    assert len(singles) == 3
    first, second, third = singles

    result, _ = session.submit(first, first.key)
    assert result.status == "correct"
    _wait(lambda: _rows(hub) == [(first.id, 1, "correct")], 30, "the first answer reached the server", hub)

    old = _service_pid(hub)
    os.kill(old, signal.SIGKILL)  # a crash: no goodbye
    _wait(lambda: not _healthy(hub), 10, "the class server went down", hub)

    wrong = next(k for k in second.choices if k != second.key)
    assert session.submit(second, wrong)[0].status == "wrong"  # checked locally, as always
    assert session.submit(third, third.key)[0].status == "correct"
    assert len(session.store.attempts()) == 3  # the learner's store has everything
    assert not _healthy(hub) and len(_rows(hub)) == 1  # the server has not got them (it is down)

    _wait(lambda: _healthy(hub), RESTART_TIMEOUT_S, "the hub started the class server again", hub)
    assert _service_pid(hub) != old
    expected = sorted([(first.id, 1, "correct"), (second.id, 1, "wrong"), (third.id, 1, "correct")])
    _wait(lambda: sorted(_rows(hub)) == expected, SYNC_TIMEOUT_S, "the answers given meanwhile arrived", hub)
    assert "Service kenali exited" in hub.log.read_text(encoding="utf-8", errors="replace")
