"""The grading pipeline: discover -> load -> extract -> sandbox -> score -> cache -> report.

Each step is a module of its own and can be tested alone; this module only wires them together
and keeps the sandbox busy while the next submissions are read.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..bank import Bank, Course, load_course
from ..keys import expected_for
from ..paths import data_dir
from . import extract, load, report, score
from .cache import Cache, bank_hashes, fingerprint
from .discover import discover
from .sandbox import Limits, Pool, RunResult

Progress = Callable[[int, int, int], None]  # (done, total, from_cache)


class GradingError(Exception):
    """An instructor's mistake (a missing folder, an unknown lesson): one clear line, no traceback."""


@dataclass
class Outcome:
    rows: list[dict[str, Any]]
    entries: int
    graded: int
    cached: int
    seconds: float
    out_dir: Path
    files: list[Path] = field(default_factory=list)
    sandbox_errors: list[str] = field(default_factory=list)


def select_banks(course: Course, only: list[str] | None) -> list[Bank]:
    """The banks to grade: all, or those named by lesson number or notebook name."""
    if not only:
        return [b for b in course.banks if b.graded]
    chosen = []
    for name in only:
        try:
            bank = course.bank(name.zfill(2) if name.isdigit() else name)
        except KeyError:
            known = ", ".join(f"{b.lesson} ({b.notebook})" for b in course.banks)
            raise GradingError(f"unknown lesson {name!r}; the course has {known}") from None
        if bank not in chosen:
            chosen.append(bank)
    return sorted(chosen, key=lambda b: b.lesson)


def compute_keys(banks: list[Bank]) -> None:
    """Compute the code exercises' keys in this (the grader's) process, from the instructor's solutions."""
    for bank in banks:
        for ex in bank.graded:
            if ex.is_code:
                with contextlib.suppress(Exception):  # a key that cannot be computed is reported per answer
                    expected_for(ex)


def grade(submissions: Path, out_dir: Path, *, course: Course | None = None, workers: int | None = None,
          limits: Limits | None = None, only: list[str] | None = None, use_cache: bool = True,
          progress: Progress | None = None) -> Outcome:
    """Grade every entry of ``submissions`` and write the reports to ``out_dir``."""
    started = time.monotonic()
    submissions, out_dir = Path(submissions), Path(out_dir)
    if not submissions.is_dir():
        raise GradingError(f"{submissions} is not a folder of submissions")
    if out_dir.exists() and not out_dir.is_dir():
        raise GradingError(f"{out_dir} exists and is not a folder")
    course = course or load_course()
    banks = select_banks(course, only)
    limits = limits or Limits()
    workers = max(1, workers or os.cpu_count() or 1)
    hashes = bank_hashes(banks)
    options = {"limits": limits.to_json(), "scope": [b.path.name for b in banks]}
    cache = Cache(out_dir / ".cache", fingerprint(banks, options), enabled=use_cache)
    entries = discover(submissions, exclude=[out_dir])
    setups = {b.path.name: b.setup for b in banks if any(ex.is_code for ex in b.graded)}
    warmup = {b.path.name: [ex.solution or "" for ex in b.graded if ex.is_code] for b in banks if b.path.name in setups}

    results: list[dict[str, Any]] = []
    pending: dict[int, tuple[load.Submission, extract.Plan, str]] = {}
    pool: Pool | None = None
    counts = {"done": 0, "cached": 0, "graded": 0}

    def tick(cached: bool) -> None:
        counts["done"] += 1
        counts["cached" if cached else "graded"] += 1
        if progress:
            progress(counts["done"], len(entries), counts["cached"])

    def finish(sub: load.Submission, plan: extract.Plan, run: RunResult | None, digest: str) -> None:
        results.append(cache.put(digest, score.score(sub, plan, run, banks, limits)))
        tick(False)

    def collect(wait: float) -> None:
        if pool is None:
            return
        for key, run in pool.poll(wait):
            sub, plan, digest = pending.pop(key)
            finish(sub, plan, run, digest)

    try:
        for n, entry in enumerate(entries):
            loaded = load.read_entry(entry)
            hit = cache.get(loaded.digest)
            if hit is not None:
                results.append(hit)
                tick(True)
                continue
            sub = load.parse(entry, loaded)
            plan = extract.plan(sub, course, banks, hashes)
            sub.notebooks = []  # parsed notebooks are not needed any more: keep memory flat
            if plan.jobs:
                if pool is None:
                    pool = Pool(workers, setups, data_dir(), limits, warmup=warmup)
                    compute_keys(banks)  # while the workers warm up, not when the first results wait
                pool.submit(n, [job.to_json() for job in plan.jobs])
                pending[n] = (sub, plan, loaded.digest)
                collect(0)
            else:
                finish(sub, plan, None, loaded.digest)
        while pending:
            collect(0.5)
        errors = list(pool.errors) if pool else []
    finally:
        if pool is not None:
            pool.close()
    rows = report.merge(results)
    files = report.write_all(out_dir, rows, course, banks)
    if use_cache:
        cache.prune()
    return Outcome(rows, len(entries), counts["graded"], counts["cached"], time.monotonic() - started, out_dir,
                   files, errors)
