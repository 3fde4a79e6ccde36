"""The grading pipeline: discover -> load -> extract -> run -> score -> cache -> report.

Each step is a module of its own and can be tested alone; this module only wires them together
and keeps the sandbox busy while the next submissions are read. Every per-entry step is guarded:
an unexpected error in one entry becomes that entry's row, with a note naming the step and the
error, and the batch goes on.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..bank import Bank, Course, load_course
from ..classroom.policy import PolicyFile, policy_digest
from ..keys import expected_for
from ..paths import course_root, data_dir
from . import extract, load, policyreport, report, score, similarity
from .cache import Cache, bank_hashes, fingerprint
from .discover import Entry, discover
from .moodle import RosterError, RosterRow, read_roster
from .notes import note
from .run import Limits, Pool, RunResult
from .weights import LessonWeight, WeightsError, lesson_weights

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
    layers: dict[str, Any] = field(default_factory=dict)  # which confinement layers held (see run.confine)


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


def report_inputs(course: Course, banks: list[Bank], weights: dict[str, float] | None,
                  roster: Path | None, weights_from: str = "policy file",
                  ) -> tuple[list[LessonWeight], list[RosterRow] | None]:
    """The lesson weights and the roster, checked before anything is graded (a mistake is one line naming
    ``weights_from``, the file the weights came from)."""
    try:
        table = lesson_weights(banks, weights, root=course_root(), where=weights_from, course=list(course.banks))
        participants = read_roster(roster) if roster is not None else None
    except (WeightsError, RosterError) as exc:
        raise GradingError(str(exc)) from None
    return table, participants


def look_at(rows: list[dict[str, Any]], banks: list[Bank]) -> tuple[list[similarity.Flag], str]:
    """Copied work to look at (read from the rows, never changing them); if it fails, the summary says so."""
    try:
        flags = similarity.find(rows, banks, root=course_root())
        return flags, similarity.summary_section(flags)
    except Exception as exc:  # the grades are written whatever happens here
        return [], f"<h2>To look at: possibly copied work</h2><p>Not computed ({type(exc).__name__}).</p>"


def compute_keys(banks: list[Bank]) -> None:
    """Compute the code exercises' keys in this (the grader's) process, from the instructor's solutions."""
    for bank in banks:
        for ex in bank.graded:
            if ex.is_code:
                with contextlib.suppress(Exception):  # a key that cannot be computed is reported per answer
                    expected_for(ex)


def known_cells(banks: list[Bank]) -> list[str]:
    """The code cells of the hand-out exercise notebooks: public, in most hand-ins unchanged, so the
    workers compile them once. Never a learner's code, never a solution."""
    cells: list[str] = []
    with contextlib.suppress(Exception):
        root = course_root()
        for bank in banks:
            with contextlib.suppress(OSError, ValueError):
                nb = json.loads((root / "exercises" / f"{bank.notebook}.ipynb").read_text(encoding="utf-8"))
                for cell in nb.get("cells", []):
                    if cell.get("cell_type") == "code":
                        source = cell.get("source", "")
                        cells.append("".join(source) if isinstance(source, list) else str(source))
    return sorted(set(cells))


def failed_result(entry: Entry, digest: str, step: str, exc: BaseException, banks: list[Bank],
                  limits: Limits, policy: PolicyFile | None = None) -> dict[str, Any]:
    """The row of an entry that a step could not handle: nothing graded, a note naming the step and error."""
    try:
        text = str(exc).splitlines()[0][:200] if str(exc) else ""
    except Exception:
        text = ""
    sub = load.Submission(entry=entry.name, kind=entry.kind, digest=digest,
                          learner_id=load.learner_from_name(entry.name), fatal=True)
    sub.notes.append(note("grader_error", step=step, error=f"{type(exc).__name__}: {text}" if text
                          else type(exc).__name__))
    return score.score(sub, extract.Plan(), None, banks, limits, policy)


def _mtime(entry: Entry) -> int:
    try:
        return os.lstat(entry.path).st_mtime_ns
    except OSError:
        return 0


def grade(submissions: Path, out_dir: Path, *, course: Course | None = None, workers: int | None = None,
          limits: Limits | None = None, only: list[str] | None = None, use_cache: bool = True,
          progress: Progress | None = None, layers: dict[str, bool] | None = None,
          policy: PolicyFile | None = None,
          weights: dict[str, float] | None = None, weights_from: str = "policy file",
          roster: Path | None = None) -> Outcome:
    """Grade every entry of ``submissions`` and write the reports to ``out_dir``.

    ``policy``: the instructor's assessment policy (:func:`kenali.classroom.policy.load_policy`); without
    one, practice rules apply (the latest answer counts). Its digest is part of the cache key.

    ``weights``: the instructor's lesson weights (the policy file's ``weights``; default: by lesson time), from
    the file ``weights_from`` (named in their errors);
    ``roster``: a CSV of the Moodle course's participants, to match learners to for moodle.csv.
    ``layers`` switches confinement layers off (``{"netns": False}``): for measuring their cost only."""
    started = time.monotonic()
    submissions, out_dir = Path(submissions), Path(out_dir)
    if not submissions.is_dir():
        raise GradingError(f"{submissions} is not a folder of submissions")
    if out_dir.exists() and not out_dir.is_dir():
        raise GradingError(f"{out_dir} exists and is not a folder")
    course = course or load_course()
    banks = select_banks(course, only)
    table, participants = report_inputs(course, banks, weights, roster, weights_from)
    limits = limits or Limits()
    workers = max(1, workers or os.cpu_count() or 1)
    hashes = bank_hashes(banks)
    options = {"limits": limits.to_json(), "scope": [b.path.name for b in banks], "policy": policy_digest(policy)}
    cache = Cache(out_dir / ".cache", fingerprint(banks, options), enabled=use_cache)
    entries = discover(submissions, exclude=[out_dir])
    setups = {b.path.name: b.setup for b in banks if any(ex.is_code for ex in b.graded)}
    cells = known_cells([b for b in banks if b.path.name in setups])

    results: list[dict[str, Any]] = []
    pending: dict[int, tuple[Entry, load.Submission, extract.Plan, str]] = {}
    pool: Pool | None = None
    counts = {"done": 0, "cached": 0, "graded": 0}

    def tick(cached: bool) -> None:
        counts["done"] += 1
        counts["cached" if cached else "graded"] += 1
        if progress:
            progress(counts["done"], len(entries), counts["cached"])

    order = {entry.name: (n, _mtime(entry)) for n, entry in enumerate(entries)}

    def add(result: dict[str, Any], entry_name: str) -> None:
        n, mtime = order.get(entry_name, (0, 0))
        results.append({**result, "order": n, "mtime": mtime})  # facts the instructor holds, never cached

    def finish(entry: Entry, sub: load.Submission, plan: extract.Plan, run: RunResult | None, digest: str) -> None:
        try:
            result = score.score(sub, plan, run, banks, limits, policy)
        except Exception as exc:
            result = failed_result(entry, digest, "score", exc, banks, limits, policy)
        try:
            result = cache.put(digest, result)
        except Exception as exc:
            result = failed_result(entry, digest, "cache", exc, banks, limits, policy)
        add(result, entry.name)
        tick(False)

    def collect(wait: float) -> None:
        if pool is None:
            return
        for key, run in pool.poll(wait):
            entry, sub, plan, digest = pending.pop(key)
            finish(entry, sub, plan, run, digest)

    try:
        for n, entry in enumerate(entries):
            step, digest = "read", ""
            try:
                loaded = load.read_entry(entry)
                digest = loaded.digest
                hit = cache.get(loaded.digest)
                if hit is not None:
                    add(hit, entry.name)
                    tick(True)
                    continue
                step = "parse"
                sub = load.parse(entry, loaded)
                step = "plan"
                plan = extract.plan(sub, course, banks, hashes)
                sub.notebooks = []  # parsed notebooks are not needed any more: keep memory flat
                step = "run"
                if plan.jobs:
                    if pool is None:
                        pool = Pool(workers, setups, data_dir(), limits, known_cells=cells, layers=layers)
                        compute_keys(banks)  # while the workers warm up, not when the first results wait
                    pool.submit(n, [job.to_json() for job in plan.jobs])
                    pending[n] = (entry, sub, plan, loaded.digest)
                else:
                    finish(entry, sub, plan, None, loaded.digest)
            except Exception as exc:
                add(failed_result(entry, digest, step, exc, banks, limits, policy), entry.name)
                tick(False)
            collect(0)
        while pending:
            collect(0.5)
        errors = list(pool.errors) if pool else []
        layers = dict(pool.layers) if pool else {}
    finally:
        if pool is not None:
            pool.close()
    rows = report.merge(results)
    flags, section = look_at(rows, banks)
    files = report.write_all(out_dir, rows, course, banks, table=table, roster=participants, extra=[section])
    similarity.write_csv(out_dir / "similarity.csv", flags)
    files.append(out_dir / "similarity.csv")
    attempts_csv = out_dir / "attempts.csv"
    policyreport.write_attempts(attempts_csv, rows, [ex for b in banks for ex in b.graded])
    files.append(attempts_csv)
    if use_cache:
        cache.prune()
    return Outcome(rows, len(entries), counts["graded"], counts["cached"], time.monotonic() - started, out_dir,
                   files, errors, layers)
