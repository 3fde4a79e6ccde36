"""Benchmark of the facilitator's live figures (:mod:`kenali.classroom.live`) and the class database reads.

N synthetic learners work through the course's first E exercises: each exercise takes one to four
attempts (wrong answers drawn from the exercise's own wrong choices, with stored feedback), a few
learners stall. The rows are built in memory (seeded, so every run sees the same data), then

* ``live_summary`` over all rows (what the live view computes on every poll), best and median of R runs;
* ``live_summary`` for one lesson; ``projector_summary`` of one exercise;
* with ``--db URL`` (e.g. ``sqlite:///tmp/live.db``; the file must not exist): the rows are stored with
  ``ClassDB.add_attempt`` first, and reading them all back and an incremental read (``since_id``) are timed.

    python bench/live_bench.py                      # 200 learners x 80 exercises
    python bench/live_bench.py --learners 300 --exercises 80 --db sqlite:////tmp/kelas-bench.db

Prints the figures, and as its last line a JSON object for tools.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from kenali.bank import load_course
from kenali.classroom.db import AttemptRow, ClassDB
from kenali.classroom.live import LiveState, live_summary, projector_summary
from kenali.model import check

START = datetime(2026, 12, 7, 1, 0, tzinfo=UTC)


def wrong_answer(ex, rng: random.Random):
    if ex.type == "pilihan":
        return rng.choice([k for k in ex.choices if k != ex.key] or [ex.key])
    if ex.type == "pilihan_ganda":
        return sorted(rng.sample(list(ex.choices), k=min(2, len(ex.choices))))
    if ex.type in {"peran", "pasangan"}:
        return {item.id: rng.choice(list(ex.choices)) for item in ex.items}
    if ex.type == "angka":
        return (ex.key or 0) * rng.choice([0.5, 2, 10])
    if ex.type == "teks":
        return rng.choice(["tidak tahu", "pengguna", "data"])
    return {"kind": "list", "items": [rng.randint(0, 9) for _ in range(3)]}


def make_rows(learners: int, exercises: int, seed: int = 7) -> list[AttemptRow]:
    from kenali.classroom.wire import msg_to_json

    course = load_course()
    pool = [ex for ex in course.exercises() if not ex.is_reflection][:exercises]
    rng = random.Random(seed)
    rows: list[AttemptRow] = []
    results: dict[tuple[str, str], tuple[str, float, list]] = {}
    for n in range(learners):
        user = f"peserta{n:03d}"
        clock = START + timedelta(seconds=rng.randint(0, 120))
        skill = rng.random()
        reach = len(pool) if rng.random() > 0.1 else rng.randint(1, len(pool))  # a few stall
        for ex in pool[:reach]:
            tries = 1 if rng.random() < skill * 0.5 else rng.randint(2, 6)
            for attempt in range(1, tries + 1):
                clock += timedelta(seconds=rng.randint(5, 60))
                answer = ex.correct_answer() if attempt == tries and rng.random() < 0.85 else wrong_answer(ex, rng)
                memo = (ex.id, json.dumps(answer, sort_keys=True, default=str))
                if memo not in results:
                    result = check(ex, answer) if not ex.is_code else None
                    results[memo] = ((result.status, result.score, [msg_to_json(m) for m in result.messages])
                                     if result else ("wrong", 0.0, ["Nilai berbeda."]))
                status, score, feedback = results[memo]
                rows.append(AttemptRow(
                    id=len(rows) + 1, user=user, exercise=ex.id, lesson=ex.lesson, seq=attempt, answer=answer,
                    status=status, score=score, points=ex.points, attempt=attempt, source="check",
                    server_time=clock, learner_id=f"L-{n}", feedback=feedback))
    return rows


def timed(fn, repeat: int) -> tuple[float, float, float]:
    """Best and median CPU time of ``fn`` in ms: CPU, not wall-clock, so that other work on a shared machine
    weighs less (the wall-clock best is printed too)."""
    times, walls = [], []
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        fn()
        times.append((time.process_time() - c0) * 1000)
        walls.append((time.perf_counter() - t0) * 1000)
    return min(times), statistics.median(times), min(walls)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--learners", type=int, default=200)
    ap.add_argument("--exercises", type=int, default=80)
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--db", help="also store the rows in this class database and time reading them back")
    args = ap.parse_args()

    course = load_course()
    t0 = time.perf_counter()
    rows = make_rows(args.learners, args.exercises)
    print(f"{len(rows)} attempts of {args.learners} learners on {args.exercises} exercises "
          f"(built in {time.perf_counter() - t0:.1f} s)")
    now = max(r.server_time for r in rows) + timedelta(seconds=30)
    gc.collect()  # as a long-running server would have done by then: the rows are old objects
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs; times are CPU ms")
    out: dict[str, float | int] = {"learners": args.learners, "exercises": args.exercises, "attempts": len(rows)}

    best, median, wall = timed(lambda: live_summary(rows, [], course, now), args.repeat)
    print(f"live_summary, whole class:   best {best:6.1f} ms   median {median:6.1f} ms"
          f"   (wall-clock best {wall:6.1f} ms)")
    out |= {"live_ms_best": round(best, 1), "live_ms_median": round(median, 1)}
    summary = live_summary(rows, [], course, now)
    size = len(json.dumps(summary.to_json()))
    print(f"  its JSON: {size / 1024:.0f} KiB; stuck shown: {len(summary.stuck)}")
    out["live_json_kib"] = round(size / 1024)
    polls = []
    for i in range(args.repeat):  # a poll: the 50 rows since the last one, then the figures
        cut = len(rows) - 50 * (i + 1)
        state = LiveState(course).add(rows[:cut])
        state.summary([], now)  # the previous poll
        c0 = time.process_time()
        state.add(rows[cut:cut + 50])
        state.summary([], now)
        polls.append((time.process_time() - c0) * 1000)
    print(f"LiveState poll (50 new rows + summary): best {min(polls):6.1f} ms   "
          f"median {statistics.median(polls):6.1f} ms")
    out |= {"poll_ms_best": round(min(polls), 1), "poll_ms_median": round(statistics.median(polls), 1)}
    lesson = rows[0].lesson
    best, median, wall = timed(lambda: live_summary(rows, [], course, now, lesson=lesson), args.repeat)
    print(f"live_summary, lesson {lesson}:     best {best:6.1f} ms   median {median:6.1f} ms"
          f"   (wall-clock best {wall:6.1f} ms)")
    out |= {"lesson_ms_median": round(median, 1)}
    best, median, wall = timed(lambda: projector_summary(rows[0].exercise, rows, course), args.repeat)
    print(f"projector_summary:           best {best:6.1f} ms   median {median:6.1f} ms"
          f"   (wall-clock best {wall:6.1f} ms)")
    out |= {"projector_ms_median": round(median, 1)}

    if args.db:
        with ClassDB(args.db) as db:
            if db.last_id():
                sys.exit(f"{args.db} already holds attempts: give a new database")
            t0 = time.perf_counter()
            for r in rows:
                db.add_attempt(r)
            write = time.perf_counter() - t0
            print(f"{db.kind}: stored in {write:.1f} s ({write / len(rows) * 1000:.2f} ms per attempt, one writer)")
            best, read_all, _ = timed(lambda: db.attempts(), 3)
            print(f"{db.kind}: read all back: best {best:6.1f} ms   median {read_all:6.1f} ms")
            last = db.last_id()
            best, median, _ = timed(lambda: db.attempts(since_id=last - 50), args.repeat)
            print(f"{db.kind}: read the last 50 (since_id): best {best:6.2f} ms   median {median:6.2f} ms")
            out |= {"db_write_ms_per_attempt": round(write / len(rows) * 1000, 2),
                    "db_read_all_ms": round(read_all, 1),
                    "db_since_id_ms": round(median, 2)}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
