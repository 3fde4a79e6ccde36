"""Fixtures for the end-to-end tests: Chromium driven by Playwright, and a JupyterLab server per module.

* Each e2e module is one learner's story told in steps: its tests run in file order (pytest-xdist's
  ``--dist loadscope`` keeps a module on one worker) and share one page. Once a step fails, the later
  steps of that module are skipped, since they build on it; the failing step leaves a screenshot and the
  module a Playwright trace in ``tests/e2e/artifacts/`` (open it with ``playwright show-trace``).
* Each module gets its own JupyterLab server over its own copy of the course and its own ``KENALI_HOME``,
  so modules never see each other's answers and nothing is written into a learner's progress folder.
* The browser is Debian's Chromium (``/usr/bin/chromium``, or the path in ``KENALI_CHROMIUM``); Playwright's
  own browser download is not needed. Without it, or without Playwright, the tests skip and say how to
  install them; with ``KENALI_E2E_REQUIRED=1`` (set by ``.ci/run``) they fail instead.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from needs import unavailable

from .lab import ARTIFACTS
from .server import LabServer, start_app, start_lab

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
VIEWPORT = {"width": 1280, "height": 800}
ACTION_TIMEOUT_MS = 30_000  # one click, one expected text; runs of whole notebooks have their own timeouts


def chromium_path() -> str | None:
    """``KENALI_CHROMIUM``, else Debian's ``/usr/bin/chromium``, else ``chromium`` on the PATH."""
    candidates = [os.environ.get("KENALI_CHROMIUM"), "/usr/bin/chromium", shutil.which("chromium")]
    return next((c for c in candidates if c and os.access(c, os.X_OK)), None)


def _missing() -> str | None:
    """Why the browser tests cannot run here (None when they can)."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright for Python is not installed: pip install -r requirements.txt (or: pip install playwright)"
    if chromium_path() is None:
        return (
            "Chromium is not installed: apt-get install -y chromium "
            "(or point KENALI_CHROMIUM at a Chromium or Chrome executable)"
        )
    return None


def _require_browser() -> None:
    reason = _missing()
    if reason is None:
        return
    unavailable("Chromium and Playwright", reason, "KENALI_E2E_REQUIRED")


# -- one story per module: later steps skip after a failed one; failures leave a screenshot -----------


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[Any]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    if report.failed and "e2e" in item.keywords:
        _record_failure(item, report)
    return report


def _record_failure(item: pytest.Item, report: pytest.TestReport) -> None:
    module = item.parent
    if module is not None and not hasattr(module, "_e2e_failed_step"):
        module._e2e_failed_step = item.name  # type: ignore[attr-defined]
    page = item.funcargs.get("page") if hasattr(item, "funcargs") else None
    if page is not None:
        ARTIFACTS.mkdir(exist_ok=True)
        try:
            page.screenshot(path=ARTIFACTS / f"FAILED-{item.path.stem}-{item.name}.png")
        except Exception as exc:  # the page may be gone; the report matters more than the picture
            report.sections.append(("e2e screenshot", f"no screenshot: {exc}"))


def pytest_runtest_setup(item: pytest.Item) -> None:
    failed = getattr(item.parent, "_e2e_failed_step", None)
    if failed is not None and "e2e" in item.keywords:
        pytest.skip(f"an earlier step of this story failed ({failed})")


def _module_name(request: pytest.FixtureRequest) -> str:
    return Path(str(request.node.path)).stem


# -- the browser, the server, the page ------------------------------------------------------------------


# ``browser`` (Chromium, one per test worker, shared with tests/hub and tests/classroom) is in tests/conftest.py.


@pytest.fixture(scope="module")
def server(
    browser: Browser, tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Iterator[LabServer]:
    """The course started as the README says (``kenali open``, or ``kenali app`` for a module that sets
    ``SERVER_KIND = "app"``) over a fresh copy of the course with its own progress folder; its log is kept
    in ``artifacts/``. (It asks for ``browser`` first, so that where the browser tests skip no server starts.)"""
    kind = getattr(request.module, "SERVER_KIND", "open")
    lab = (start_app if kind == "app" else start_lab)(tmp_path_factory.mktemp(f"e2e-{kind}"))
    try:
        yield lab
    finally:
        lab.stop()
        ARTIFACTS.mkdir(exist_ok=True)
        shutil.copyfile(lab.log, ARTIFACTS / f"server-{_module_name(request)}.log")


@pytest.fixture(scope="module")
def page(browser: Browser, server: LabServer, request: pytest.FixtureRequest) -> Iterator[Page]:
    """One browser tab for the module's story, traced; the trace is kept when a step failed."""
    module = _module_name(request)
    for stale in (*ARTIFACTS.glob(f"FAILED-{module}-*.png"), ARTIFACTS / f"trace-{module}.zip"):
        stale.unlink(missing_ok=True)  # from an earlier run of this module
    context = browser.new_context(
        viewport=VIEWPORT, device_scale_factor=1, locale="en-US", accept_downloads=True
    )
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    context.tracing.start(screenshots=True, snapshots=True)
    tab = context.new_page()
    tab.on("dialog", lambda dialog: dialog.accept())  # "leave page?" when a notebook is left unsaved
    console: list[str] = []  # the browser's errors and warnings, kept for diagnosis
    tab.on("console", lambda m: console.append(f"{m.type}: {m.text}") if m.type in {"error", "warning"} else None)
    tab.on("pageerror", lambda error: console.append(f"uncaught: {error}"))
    try:
        yield tab
    finally:
        ARTIFACTS.mkdir(exist_ok=True)
        (ARTIFACTS / f"console-{module}.log").write_text("\n".join(console) + "\n", encoding="utf-8")
        trace = ARTIFACTS / f"trace-{module}.zip"
        if getattr(request.node, "_e2e_failed_step", None):
            context.tracing.stop(path=trace)
        else:
            context.tracing.stop()
        context.close()


#: The height of the layout tests' browser tabs (a laptop screen).
LAYOUT_HEIGHT = 768


@pytest.fixture(scope="module", params=[1366, 1024], ids=lambda w: f"{w}px")
def wide_page(request: pytest.FixtureRequest, browser: Browser, server: LabServer) -> Iterator[Page]:
    """A browser tab 1366 or 1024 px wide and :data:`LAYOUT_HEIGHT` high (the layout checks run in both)."""
    context = browser.new_context(viewport={"width": request.param, "height": LAYOUT_HEIGHT}, device_scale_factor=1)
    tab = context.new_page()
    tab.on("dialog", lambda dialog: dialog.accept())
    try:
        yield tab
    finally:
        context.close()
