"""One rule for tests that need something a machine may lack (Chromium, JupyterHub's proxy, PostgreSQL, the
``../shared`` folder): they skip and say what is missing, unless the environment variable that CI sets
(``KENALI_*_REQUIRED=1``, see ``.ci/run``) makes the missing tool a failure."""

from __future__ import annotations

import os
from typing import NoReturn

import pytest


def unavailable(what: str, reason: str, required_by: str) -> NoReturn:
    """Skip (or fail, when ``required_by`` is set to 1) a test that needs ``what``, saying ``reason``."""
    if os.environ.get(required_by) == "1":
        pytest.fail(f"{what} required ({required_by}=1): {reason}", pytrace=False)
    pytest.skip(f"{what} not available: {reason}")
