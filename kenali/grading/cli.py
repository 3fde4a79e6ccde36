"""``kenali submit`` (learner: make the hand-in) and ``kenali grade`` (instructor: grade a class).

Both print one clear line for a user's mistake and exit non-zero, never a traceback. ``grade``
shows a progress bar with an estimate of the time left on stderr and a short report on stdout.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any, TextIO

from ..i18n import t


def _err(message: str, code: int = 2) -> int:
    print(f"kenali: error: {message}", file=sys.stderr)
    return code


# -- submit ---------------------------------------------------------------------------------------

def cmd_submit(args: argparse.Namespace) -> int:
    from ..bank import BankError
    from .handin import HandinError, make_handin

    try:
        handin = make_handin(root=args.course, home=args.home, out=args.out)
    except HandinError as exc:
        return _err(str(exc), 1)
    except BankError as exc:
        return _err(str(exc), 1)
    except OSError as exc:
        return _err(t("submit.failed", error=f"{exc.filename or ''} {exc.strerror or exc}".strip()), 1)
    print(t("submit.done", path=handin.path))
    if handin.warnings:
        print(t("submit.warnings_title"))
        for warning in handin.warnings:
            print(f"  - {warning}")
    print(t("submit.send"))
    return 0


# -- grade ----------------------------------------------------------------------------------------

def _clock(seconds: float) -> str:
    seconds = max(0, round(seconds))
    return f"{seconds // 60}:{seconds % 60:02d}"


class ProgressBar:
    """``[########------------]  40/200  0:03 elapsed  ~0:05 left  (12 cached)`` on a terminal;
    a line every tenth of the way when stderr is a file or a CI log."""

    def __init__(self, stream: TextIO = sys.stderr, width: int = 28):
        self.stream, self.width = stream, width
        self.started = time.monotonic()
        self.tty = hasattr(stream, "isatty") and stream.isatty()
        self.last_decile = -1
        self.shown = False

    def __call__(self, done: int, total: int, cached: int) -> None:
        elapsed = time.monotonic() - self.started
        graded = done - cached
        # cached entries cost nothing: estimate from the entries actually graded
        rate = elapsed / graded if graded else 0.0
        left = rate * (total - done)
        filled = int(self.width * done / total) if total else self.width
        bar = "#" * filled + "-" * (self.width - filled)
        line = f"[{bar}] {done:>{len(str(total))}}/{total}  {_clock(elapsed)} elapsed"
        line += f"  ~{_clock(left)} left" if done < total and graded else ""
        line += f"  ({cached} cached)" if cached else ""
        if self.tty:
            self.stream.write("\r" + line)
            if done == total:
                self.stream.write("\n")
            self.stream.flush()
            self.shown = True
        else:
            decile = int(10 * done / total) if total else 10
            if decile != self.last_decile or done == total:
                self.last_decile = decile
                self.stream.write(line + "\n")
                self.stream.flush()
                self.shown = True


def cmd_grade(args: argparse.Namespace) -> int:
    from ..bank import BankError
    from .pipeline import GradingError, grade
    from .run import Limits

    submissions = Path(args.submissions)
    out = Path(args.out) if args.out else submissions.parent / f"{submissions.name}-graded"
    if args.workers is not None and args.workers < 1:
        return _err("--workers must be at least 1")
    limits = Limits(timeout=args.timeout, cell_timeout=min(args.cell_timeout, args.timeout), memory_mb=args.memory_mb,
                    disk_mb=args.disk_mb, processes=args.processes)
    policy_options, policy_line = _policy(args.policy)
    if policy_line is None:
        return 2
    bar = None if args.quiet else ProgressBar(sys.stderr)
    try:
        outcome = grade(submissions, out, workers=args.workers, limits=limits, only=args.only,
                        use_cache=not args.no_cache, progress=bar, roster=args.roster,
                        **policy_options)
    except GradingError as exc:
        return _err(str(exc))
    except BankError as exc:
        return _err(str(exc))
    except OSError as exc:
        return _err(f"{exc.filename or out}: {exc.strerror or exc}")
    _report(outcome, sys.stdout)
    print(f"{out / 'attempts.csv'}: first-attempt and credited points, attempts and hints per learner and "
          f"exercise. {policy_line}", file=sys.stdout)
    return 0


def _policy(path: Path | None) -> tuple[dict[str, Any], str | None]:
    """``grade()``'s policy options and the report's policy line; ``(…, None)`` after printing a bad file's error."""
    if path is None:
        return {}, "No --policy: practice rules (the latest answer counts, unlimited attempts)."
    from ..classroom.policy import PolicyError, load_policy

    try:
        policy = load_policy(path)
    except PolicyError as exc:
        _err(str(exc))
        return {}, None
    line = (f"Policy {path.name} (digest {policy.digest()}, {len(policy.assignments)} assignment(s)): record times "
            "are self-reported by the learners' machines; a code exercise counts as one attempt.")
    return {"policy": policy, "weights": policy.weights, "weights_from": str(path)}, line


def describe_layers(layers: dict[str, Any]) -> str:
    """One line: which confinement layers held in this run (see docs/grading.md, threat model)."""
    abi = int(layers.get("landlock") or 0)
    parts = [
        f"PID namespace {'on' if layers.get('pidns') else 'OFF'}",
        f"network namespace {'on' if layers.get('netns') else 'OFF'}",
        f"cgroup {layers['cgroup']}" if layers.get("cgroup") else "cgroup OFF (memory per process, processes uncapped)",
        f"job folder tmpfs {'on' if layers.get('tmpfs') else 'OFF (file size capped per file)'}",
        f"Landlock ABI {abi}" + (" (reads limited)" if layers.get("read_limited") else "") if abi else "Landlock OFF",
        "capabilities dropped" if layers.get("caps") else "capabilities kept",
        "Unix sockets refused" if layers.get("seccomp") else "Unix sockets allowed",
        "separate uid" if layers.get("uid") else "same uid as the grader",
    ]
    return ", ".join(parts)


def _report(outcome: Any, stream: TextIO) -> None:
    rows = outcome.rows
    statuses = {s: sum(1 for r in rows if r["status"] == s) for s in ("ok", "check", "failed")}
    n = outcome.entries
    per = outcome.seconds / n * 1000 if n else 0.0
    print(f"Graded {n} entr{'y' if n == 1 else 'ies'} ({outcome.graded} graded, {outcome.cached} unchanged "
          f"from the last run) in {outcome.seconds:.1f} s ({per:.0f} ms each): {len(rows)} learner(s), "
          f"{statuses['ok']} ok, {statuses['check']} to check, {statuses['failed']} failed.", file=stream)
    for error in outcome.sandbox_errors:
        print(f"warning: {error}", file=stream)
    layers = getattr(outcome, "layers", None)
    if layers:
        print(f"sandbox: {describe_layers(layers)}", file=stream)
    counts = Counter(code for r in rows for code in {n["code"] for n in r["notes"]})
    if counts:
        print("\nProblems (learners affected; each row's notes column says more):", file=stream)
        for code, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
            print(f"  {n:>4}  {code}", file=stream)
    failed = [r for r in rows if r["status"] == "failed"]
    if failed:
        from .notes import english

        print("\nNot graded:", file=stream)
        for row in failed[:20]:
            print(f"  {row['entry']}: {english(row['notes'][0]) if row['notes'] else 'nothing to grade'}", file=stream)
        if len(failed) > 20:
            print(f"  ... and {len(failed) - 20} more", file=stream)
    out_dir = outcome.out_dir
    print(f"\nWrote {out_dir / 'gradebook.csv'}, {out_dir / 'moodle.csv'} (and moodle_unmatched.csv), "
          f"{out_dir / 'summary.html'} "
          f"and {len(rows)} feedback page(s) in {out_dir / 'feedback'}", file=stream)


def add_commands(sub: Any) -> None:
    """Register ``submit`` and ``grade`` on the ``kenali`` command line."""
    p = sub.add_parser("submit", help="make the file to hand in: your exercise notebooks and answer records")
    p.add_argument("--out", type=Path, help="where to write the hand-in (default: <course>/<learner id>-kenali.zip)")
    p.add_argument("--course", type=Path, help="the course folder (default: found from the working directory)")
    p.add_argument("--home", type=Path, help="the progress folder (default: KENALI_HOME or <course>/.kenali)")
    p.set_defaults(func=cmd_submit)

    p = sub.add_parser("grade", help="grade a folder of hand-ins and notebooks; write gradebook, feedback and summary",
                       description="Grade every entry of SUBMISSIONS (hand-in zips, or folders of a learner's "
                                   "notebooks) and write DIR/gradebook.csv, DIR/moodle.csv, "
                                   "DIR/feedback/<learner>.html and DIR/summary.html. Running it again re-grades only "
                                   "what changed.")
    p.add_argument("submissions", help="folder with one entry per learner")
    p.add_argument("--out", metavar="DIR", help="output folder (default: SUBMISSIONS-graded beside it)")
    p.add_argument("--workers", type=int, default=None,
                   help=f"sandbox processes running learners' code (default: the CPU count, {os.cpu_count()})")
    p.add_argument("--only", action="append", metavar="LESSON",
                   help="grade only this lesson, by number or notebook name (repeatable; default: all)")
    p.add_argument("--timeout", type=float, default=60.0, help="seconds of wall clock per submission (default 60)")
    p.add_argument("--cell-timeout", type=float, default=10.0, help="seconds per notebook cell (default 10)")
    p.add_argument("--memory-mb", type=int, default=1024,
                   help="memory all of a submission's processes may use together (default 1024)")
    p.add_argument("--disk-mb", type=int, default=64, help="bytes a submission may write, in MB (default 64)")
    p.add_argument("--processes", type=int, default=64, help="processes a submission may run at once (default 64)")
    p.add_argument("--roster", type=Path, metavar="CSV",
                   help="the Moodle course's participants (a CSV with Username, Email address and/or ID number): "
                        "moodle.csv then identifies learners as Moodle does; see docs/grading.md")
    p.add_argument("--policy", type=Path, metavar="YAML",
                   help="the assessment policy: attempts allowed, credit (first/best/last/decay), deadlines and lesson "
                        "weights per assignment (see docs/grading.md); default: practice, the latest answer counts")
    p.add_argument("--no-cache", action="store_true", help="re-grade every entry, even unchanged ones")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_grade)
