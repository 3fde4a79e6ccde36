"""Compute the keys of code (``kode``) exercises by running the instructor's solution code.

The key is never stored in a learner's notebook: it is computed here, in the process that checks
(the learner's kernel for self-study feedback, the grader's own process for grading), from the
bank's ``setup`` and ``solution`` code against the course data, and turned into plain data.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from .bank import Bank, Course, load_course
from .model import Exercise
from .values import Plain, to_plain


class KeyError_(RuntimeError):
    """The solution code of an exercise failed; an authoring error, reported with its exercise."""


def base_namespace() -> dict[str, Any]:
    import numpy as np
    import pandas as pd

    from .data import muat

    return {"pd": pd, "np": np, "muat": muat, "__name__": "__kenali_key__"}


@cache
def _setup_namespace(bank_path: str, setup: str) -> dict[str, Any]:
    ns = base_namespace()
    if setup:
        exec(compile(setup, f"{bank_path}:setup", "exec"), ns)
    return ns


def _fresh(bank: Bank) -> dict[str, Any]:
    import pandas as pd

    ns = dict(_setup_namespace(str(bank.path), bank.setup))
    # solutions must not see each other's in-place edits
    return {k: (v.copy() if isinstance(v, pd.DataFrame | pd.Series) else v) for k, v in ns.items()}


def run_code(bank: Bank, ex: Exercise, code: str) -> Any:
    ns = _fresh(bank)
    try:
        exec(compile(code, f"{bank.path.name}:{ex.id}", "exec"), ns)
        return ns[ex.variable]
    except Exception as exc:  # authoring error: say which exercise
        raise KeyError_(f"{bank.path.name}, exercise {ex.id}: solution code failed: {exc!r}") from exc


def code_key(bank: Bank, ex: Exercise) -> tuple[Plain, tuple[tuple[Plain, str], ...]]:
    """Run the solution code of ``ex`` (of ``bank``) and of its common mistakes: the plain key and mistakes."""
    expected = to_plain(run_code(bank, ex, ex.solution or ""))
    mistakes = tuple((to_plain(run_code(bank, ex, m.solution)), m.feedback) for m in ex.mistakes if m.solution)
    return expected, mistakes


@cache
def _expected(language: str | None, exercise_id: str) -> tuple[Plain, tuple[tuple[Plain, str], ...]]:
    course: Course = load_course(language)
    return code_key(course.bank_of(exercise_id), course.exercise(exercise_id))


def expected_for(ex: Exercise, language: str | None = None) -> tuple[Plain, list[tuple[Plain, str]]]:
    """The plain key of a ``kode`` exercise and the plain values of its common mistakes."""
    expected, mistakes = _expected(language, ex.id)
    return expected, list(mistakes)
