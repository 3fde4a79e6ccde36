"""Benchmark of ``kenali grade``: N synthetic hand-ins of the data-lab exercises, graded in one run.

Each synthetic learner starts from the exercise notebook with the solution code filled in, then
gets some answers wrong at random (a row dropped, a number off by one), and a few submissions
are broken on purpose (invalid JSON, a deleted answer cell, a crashing cell, a syntax error). Each
is a hand-in zip as ``kenali submit`` makes it, with answer records for the widget exercises.

    python bench/grade_bench.py 200            # N = 200, workers = CPU count
    python bench/grade_bench.py 200 --workers 1
    python bench/grade_bench.py 200 --without pidns --without netns   # the cost of confinement layers

Prints the figures, and as its last line a JSON object for tools:
``{"submissions": N, "seconds": S, "per_submission_ms": M}``. Timing covers the whole ``grade``
call (sandbox start and pre-warming included, reports included), with the cache off.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kenali import __version__  # noqa: E402
from kenali.bank import load_course  # noqa: E402
from kenali.grading.pipeline import grade  # noqa: E402

LESSON = "05"
SEED = 2026

WRONG = """
try:
    {var} = {var}.iloc[:-1]
except AttributeError:
    {var} = {var} + 1
"""


def filled_notebook(bank) -> nbformat.NotebookNode:
    """The learner's exercise notebook with every code answer cell holding the solution code."""
    nb = nbformat.read(ROOT / "exercises" / f"{bank.notebook}.ipynb", as_version=4)
    solutions = {ex.id: ex.solution for ex in bank.graded if ex.is_code}
    for cell in nb.cells:
        ex_id = cell.get("id", "").removeprefix("ex-").replace("-", ".")
        if cell.cell_type == "code" and ex_id in solutions:
            cell.source = solutions[ex_id].rstrip() + f'\ncek("{ex_id}", jawaban_{ex_id.replace(".", "_")})'
            cell.outputs = []
    return nb


def learner_notebook(base: nbformat.NotebookNode, bank, rng: random.Random, broken: str | None) -> bytes:
    nb = nbformat.from_dict(json.loads(json.dumps(base)))
    code_cells = [c for c in nb.cells if c.cell_type == "code" and "jawaban_" in c.source]
    for cell in code_cells:
        if rng.random() < 0.3:  # a wrong answer: the value is changed just before it is checked
            var = "jawaban_" + cell.id.removeprefix("ex-").replace("-", "_")
            lines = cell.source.splitlines()
            cell.source = "\n".join([*lines[:-1], WRONG.format(var=var).strip(), lines[-1]])
    if broken == "deleted_cell":
        nb.cells.remove(rng.choice(code_cells))
    elif broken == "crash":
        rng.choice(code_cells).source += "\nraise RuntimeError('oops')"
    elif broken == "syntax":
        rng.choice(code_cells).source += "\njawaban = (("
    text = nbformat.writes(nb)
    if broken == "invalid_json":
        text = text[: len(text) // 2]
    return text.encode()


def records(bank, learner_id: str, rng: random.Random) -> dict[str, bytes]:
    out = {}
    for n, ex in enumerate(ex for ex in bank.graded if not ex.is_code):
        wrong = [c for c in ex.choices if c != ex.correct_answer()]
        answer = ex.correct_answer() if rng.random() < 0.7 or not wrong else rng.choice(wrong)
        rec = {"v": 1, "exercise": ex.id, "lesson": ex.lesson, "learner": learner_id, "answer": answer,
               "status": "correct", "score": 1.0, "points": ex.points, "attempt": 1, "hints": 0,
               "ts": 1_790_000_000 + n, "time": "2026-11-20T10:00:00+00:00", "mode": "belajar"}
        out[f"progress/attempts/{ex.id}/{1_790_000_000 + n:020d}-1-{n:08x}.json"] = json.dumps(rec).encode()
    return out


def make_submissions(folder: Path, n: int) -> dict[str, int]:
    course = load_course()
    bank = course.bank(LESSON)
    base = filled_notebook(bank)
    rng = random.Random(SEED)
    kinds = ["invalid_json", "deleted_cell", "crash", "syntax"]
    counts: dict[str, int] = {}
    bank_hashes = {b.path.name: hashlib.sha256(b.path.read_bytes()).hexdigest() for b in course.banks}
    for i in range(n):
        learner_id = f"peserta{i:04d}"
        broken = kinds[(i // 25) % len(kinds)] if i % 25 == 7 else None  # 4 in 100
        counts[broken or "ok"] = counts.get(broken or "ok", 0) + 1
        notebook = learner_notebook(base, bank, rng, broken)
        arc = f"exercises/{bank.notebook}.ipynb"
        manifest = {"format": 1, "learner": {"id": learner_id, "name": f"Peserta {i}"},
                    "created": "2026-11-20T10:00:00+00:00", "kenali_version": __version__, "banks": bank_hashes,
                    "notebooks": {arc: hashlib.sha256(notebook).hexdigest()}}
        with zipfile.ZipFile(folder / f"{learner_id}-kenali.zip", "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("manifest.json", json.dumps(manifest))
            archive.writestr(arc, notebook)
            for name, data in records(bank, learner_id, rng).items():
                archive.writestr(name, data)
    return counts


def _cpu() -> float:
    """CPU seconds of this process and every process it has waited for (workers, and through them children)."""
    import resource

    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("n", type=int, nargs="?", default=200, help="number of submissions (default 200)")
    parser.add_argument("--workers", type=int, default=None, help="sandbox workers (default: CPU count)")
    parser.add_argument("--without", action="append", default=[], metavar="LAYER",
                        choices=["pidns", "netns", "cgroup", "tmpfs", "landlock", "read_roots", "caps", "userns",
                                 "seccomp"],
                        help="switch a confinement layer off, to measure its cost (repeatable)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="kenali-bench-") as tmp:
        subs, out = Path(tmp) / "submissions", Path(tmp) / "graded"
        subs.mkdir()
        counts = make_submissions(subs, args.n)
        started = time.perf_counter()
        cpu_before = _cpu()
        layers = {name: False for name in args.without}
        outcome = grade(subs, out, workers=args.workers, only=[LESSON], use_cache=False, layers=layers)
        seconds = time.perf_counter() - started
        cpu = _cpu() - cpu_before
        started = time.perf_counter()
        again = grade(subs, out, workers=args.workers, only=[LESSON], use_cache=True)
        regrade = time.perf_counter() - started
    statuses = {s: sum(1 for r in outcome.rows if r["status"] == s) for s in ("ok", "check", "failed")}
    mean = sum(r["total"] for r in outcome.rows) / max(1, len(outcome.rows))
    kinds = ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
    print(f"submissions: {args.n} hand-ins of lesson {LESSON} ({kinds})")
    print(f"workers: {args.workers or os.cpu_count()} on {os.cpu_count()} CPU(s)")
    print(f"graded: {len(outcome.rows)} rows ({statuses['ok']} ok, {statuses['check']} check, "
          f"{statuses['failed']} failed), mean score {mean:.2f}/{outcome.rows[0]['maximum'] if outcome.rows else 0:g}")
    print(f"seconds: {seconds:.2f} in all, {seconds / args.n * 1000:.1f} ms per submission")
    per_core = cpu / args.n * 1000 / (os.cpu_count() or 1)
    print(f"CPU: {cpu:.2f} s in all (grader, workers and children), {cpu / args.n * 1000:.1f} ms per submission "
          f"(on a busy machine CPU time / cores is the fairer figure: {per_core:.1f} ms)")
    print(f"re-grade of the unchanged folder: {regrade:.2f} s ({again.cached} of {again.entries} from the cache)")
    print(f"layers: {outcome.layers}")
    if outcome.sandbox_errors:
        print(f"sandbox errors: {outcome.sandbox_errors}")
    print(json.dumps({"submissions": args.n, "seconds": round(seconds, 3), "without": args.without,
                      "per_submission_ms": round(seconds / args.n * 1000, 2),
                      "cpu_ms_per_submission": round(cpu / args.n * 1000, 2)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
