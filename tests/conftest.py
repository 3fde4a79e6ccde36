"""Fixtures for the unit tests: the all-types fixture bank, a course made of it, a session.

The root ``conftest.py`` has already pointed ``KENALI_HOME`` at a throw-away folder.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture
def fixture_bank():
    from kenali.bank import load_bank

    return load_bank(FIXTURES / "bank_semua_tipe.yaml")


@pytest.fixture
def fixture_course(fixture_bank, monkeypatch):
    """A course made of the fixture bank only, with the real syllabus and roles."""
    from kenali import keys
    from kenali.bank import Course, load_roles, load_syllabus

    concepts, titles = load_syllabus()
    course = Course((fixture_bank,), tuple(concepts), load_roles(), titles)
    monkeypatch.setattr(keys, "load_course", lambda language=None: course)
    keys._expected.cache_clear()
    yield course
    keys._expected.cache_clear()


@pytest.fixture
def session(fixture_course, tmp_path):
    """A learning-mode session over the fixture course with its own progress folder."""
    from kenali.session import Session
    from kenali.store import Store

    return Session(course=fixture_course, store=Store(tmp_path / "home"))


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Chromium, launched once per test worker and shared by every browser test (``tests/e2e``, ``tests/hub``,
    ``tests/classroom``). Playwright's sync API runs one instance per thread: a second one started while the
    first is alive fails ("using Playwright Sync API inside the asyncio loop"), so no module starts its own."""
    from e2e.conftest import ACTION_TIMEOUT_MS, CHROMIUM_ARGS, _require_browser, chromium_path

    _require_browser()
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=ACTION_TIMEOUT_MS)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS, timeout=60_000)
        yield chromium
        chromium.close()
