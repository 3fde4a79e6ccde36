"""Fixtures for the hub tests: a JupyterHub started with ``deploy/jupyterhub_config.py`` per test module, and
the course as a git repository for nbgitpuller.

Every test here is marked ``hub`` (``pytest -m hub`` runs them alone, ``-m 'not hub'`` leaves them out). Each
module gets its own hub on free ports in its own temporary folder, so modules can run on different xdist
workers at once (``--dist loadscope`` keeps one module on one worker). Without JupyterHub or
configurable-http-proxy the tests skip and say how to install them; with ``KENALI_HUB_REQUIRED=1`` (set by
``.ci/run``) they fail instead. After a module, nothing it started may still run.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import Any

import pytest
from needs import unavailable

from .hub import REPO, Hub, missing_tools, start_hub

HERE = Path(__file__).resolve().parent
ARTIFACTS = HERE / "artifacts"
COURSE_FOLDER = "kenali-kursus"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if HERE in Path(str(item.path)).resolve().parents:
            item.add_marker(pytest.mark.hub)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[Any]) -> Generator[None, Any, Any]:
    report = yield
    module = item.parent
    if report.failed and getattr(item.module, "STORY", False) and not hasattr(module, "_hub_failed_step"):
        module._hub_failed_step = item.name  # type: ignore[union-attr]
    return report


def pytest_runtest_setup(item: pytest.Item) -> None:
    failed = getattr(item.parent, "_hub_failed_step", None)
    if failed is not None:
        pytest.skip(f"an earlier step of this story failed ({failed})")


def require_hub() -> None:
    reason = missing_tools()
    if reason is None:
        return
    unavailable("the hub tests' tools", reason, "KENALI_HUB_REQUIRED")


def keep_log(hub: Hub, name: str) -> None:
    """Copy the hub's log (and the class server's, if it has one) into ``artifacts/`` for diagnosis."""
    ARTIFACTS.mkdir(exist_ok=True)
    if hub.log.exists():
        shutil.copyfile(hub.log, ARTIFACTS / f"hub-{name}.log")
    service_log = hub.work / "service.log"
    if service_log.exists():
        shutil.copyfile(service_log, ARTIFACTS / f"service-{name}.log")


def finish(hub: Hub, name: str) -> None:
    """Stop the hub, keep its log, and fail if the hub left processes running that it should have stopped."""
    strays = hub.stop()
    keep_log(hub, name)
    if strays:
        listing = "\n".join(f"  {pid}: {cmd}" for pid, cmd in strays.items())
        pytest.fail(f"stopping the hub left processes running (now ended):\n{listing}", pytrace=False)


@pytest.fixture(scope="module")
def course_repo(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The course as a git repository (one commit on ``main``), as a ``file://`` URL nbgitpuller clones."""
    from e2e.server import copy_course

    repo = copy_course(tmp_path_factory.mktemp("repo") / COURSE_FOLDER)
    shutil.copyfile(REPO / ".gitignore", repo / ".gitignore")
    git = ["git", "-c", "user.name=Kenali", "-c", "user.email=kenali@example.org", "-c", "init.defaultBranch=main"]
    for command in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "kursus"]):
        subprocess.run([*git, *command], cwd=repo, check=True)
    return repo.as_uri()


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Iterator[Hub]:
    """A hub with the class server as a managed service (``kenali serve``), for this module."""
    require_hub()
    running = start_hub(tmp_path_factory.mktemp("hub"))
    try:
        yield running
    finally:
        finish(running, Path(str(request.node.path)).stem)
