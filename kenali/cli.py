"""The ``kenali`` command line: open the course (JupyterLab or Voilà), check and build its content, list exercises,
hand in work (``submit``), grade a class (``grade``), and run a class on JupyterHub (``serve``, ``hub-link``,
``assignment release``, ``class-export``).

User mistakes (a missing folder, a broken bank) print one clear line and exit non-zero; they never
print a traceback.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import shlex
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from .bank import BankError, clear_cache, load_course, validate_course
from .paths import course_root


def _err(message: str) -> int:
    print(f"kenali: {message}", file=sys.stderr)
    return 2


def lesson_headings(root: Path) -> dict[str, set[str]]:
    """The ## and ### headings of every lesson notebook, by lesson number."""
    import nbformat

    out: dict[str, set[str]] = {}
    for path in sorted((root / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        try:
            nb = nbformat.read(path, as_version=4)
        except Exception:  # a broken notebook is reported by the checks that read it
            continue
        heads = set()
        for cell in nb.cells:
            if cell.cell_type == "markdown":
                for line in cell.source.splitlines():
                    if line.startswith("## ") or line.startswith("### "):
                        heads.add(line.lstrip("#").strip())
        out[path.name[:2]] = heads
    return out


def content_problems(root: Path | None = None) -> list[str]:
    """Everything ``kenali check`` reports: schema, cross-file, code keys, syllabus sections."""
    from .keys import KeyError_, expected_for

    root = root or course_root()
    clear_cache()
    try:
        course = load_course()
    except BankError as exc:
        return [str(p) for p in exc.problems]
    problems = validate_course(course)
    for ex in course.exercises():
        if ex.is_code:
            try:
                expected_for(ex)
            except KeyError_ as exc:
                problems.append(str(exc))
    headings = lesson_headings(root)
    for c in course.concepts:
        if c.lesson in headings and c.section not in headings[c.lesson]:
            problems.append(
                f"syllabus/{c.lesson}.yaml, concept {c.id}: section {c.section!r} is not a heading of the lesson"
            )
    return problems


def cmd_check(args: argparse.Namespace) -> int:
    problems = content_problems()
    if problems:
        for p in problems:
            print(f"problem: {p}")
        print(f"{len(problems)} problem(s)")
        return 1
    course = load_course()
    n = sum(1 for _ in course.exercises(graded_only=True))
    print(f"ok: {len(course.banks)} banks, {n} graded exercises, {len(course.concepts)} concepts")
    from .cues import course_cues

    cues = course_cues(course)
    if args.cues:
        print(f"\nauthor cues (where a test-wise learner could guess; see docs/authoring.md): {len(cues)}")
        for cue in cues:
            print(f"cue: {cue}")
    elif cues:
        print(f"{len(cues)} author cue(s): `kenali check --cues` lists them")
    return 0


def schema_text() -> str:
    """The JSON Schema of a bank file as written to ``docs/bank.schema.json``."""
    import json

    from .schema import json_schema

    return json.dumps(json_schema(), ensure_ascii=False, indent=2) + "\n"


def cmd_schema(args: argparse.Namespace) -> int:
    sys.stdout.write(schema_text())
    return 0


def cmd_build(args: argparse.Namespace) -> int:
    from .build import build_banks, build_lessons, syllabus_markdown, update_course_map

    root = course_root()
    try:
        course = load_course()
    except BankError as exc:
        return _err(str(exc))
    if not args.lessons_only:
        build_banks(course, root, run=not args.no_run, only=args.only or None)
        (root / "docs").mkdir(exist_ok=True)
        (root / "docs" / "syllabus.md").write_text(syllabus_markdown(course), encoding="utf-8")
        print("wrote docs/syllabus.md")
        if update_course_map(course, root):
            print("updated the course map in notebooks/00_mulai.ipynb")
    if args.lessons or args.lessons_only:
        build_lessons(root, only=args.only or None)
    return 0


def exercise_rows() -> list[dict[str, str]]:
    course = load_course()
    rows = []
    for bank in course.banks:
        for ex in bank.exercises:
            rows.append(
                {
                    "id": ex.id,
                    "lesson": bank.lesson,
                    "notebook": bank.notebook,
                    "type": ex.type,
                    "quick_check": "yes" if ex.quick else "no",
                    "concepts": " ".join(ex.concepts),
                    "points": f"{ex.points:g}",
                    "title": ex.title,
                }
            )
    return rows


def cmd_exercises(args: argparse.Namespace) -> int:
    try:
        rows = exercise_rows()
    except BankError as exc:
        return _err(str(exc))
    if not args.all:
        rows = [r for r in rows if r["quick_check"] == "no"]
    columns = ["id", "lesson", "type", "concepts", "points", "title"]
    if args.format == "csv":
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=[*columns, "notebook", "quick_check"], lineterminator="\n")
        writer.writeheader()
        for r in rows:
            writer.writerow({k: r[k] for k in writer.fieldnames})
        sys.stdout.write(buf.getvalue())
        return 0
    widths = {c: max(len(c), *(len(r[c]) for r in rows)) if rows else len(c) for c in columns}
    widths["title"] = min(widths["title"], 48)
    print("  ".join(c.upper().ljust(widths[c]) for c in columns))
    for r in rows:
        print(
            "  ".join(
                (r[c] if len(r[c]) <= widths[c] else r[c][: widths[c] - 1] + "…").ljust(widths[c]) for c in columns
            )
        )
    total = sum(float(r["points"]) for r in rows)
    print(f"\n{len(rows)} exercises, {total:g} points")
    return 0


def _launch(command: list[str], root: Path, dry_run: bool) -> int:
    """Run the server command from the course folder. On POSIX this process *becomes* the server (exec), so
    a signal that stops ``kenali open`` (Ctrl+C, a container's SIGTERM, a test's terminate) stops the server
    and its kernels instead of leaving them running. Windows has no such exec: there a child is waited for."""
    print("$ " + shlex.join(command), flush=True)
    if dry_run:
        return 0
    if os.name == "posix":
        os.chdir(root)
        os.execv(command[0], command)  # does not return
    try:
        return subprocess.call(command, cwd=root, env={**os.environ})
    except KeyboardInterrupt:  # Ctrl+C stops the server: the server's own shutdown message is enough
        return 0


def _start_notebook(root: Path) -> Path | None:
    from .launch import START_NOTEBOOK

    start = root / START_NOTEBOOK
    return start if start.exists() else None


def cmd_open(args: argparse.Namespace) -> int:
    from .launch import lab_command

    root = course_root()
    if _start_notebook(root) is None:
        return _err(f"{root / 'notebooks' / '00_mulai.ipynb'} not found: run this from the course folder")
    return _launch(lab_command(root, args.jupyter_args), root, args.dry_run)


def cmd_app(args: argparse.Namespace) -> int:
    import importlib.util

    from .launch import app_command

    root = course_root()
    if _start_notebook(root) is None:
        return _err(f"{root / 'notebooks' / '00_mulai.ipynb'} not found: run this from the course folder")
    if importlib.util.find_spec("voila") is None:
        return _err("Voilà is not installed: pip install -r requirements.txt")
    return _launch(app_command(root, args.jupyter_args), root, args.dry_run)


def cmd_serve(args: argparse.Namespace) -> int:
    """Run the class server (a JupyterHub service): the kernels' API and the facilitator's live pages."""
    try:
        from .classroom.service.app import Options, ServeError, serve
    except ImportError as exc:
        return _err(f"the class server needs the class extras ({exc.name} is missing): pip install 'kenali[class]'")
    opts = Options(db=args.db, policy=args.policy, course=args.course, tokens=args.tokens, ip=args.ip,
                   port=args.port, prefix=args.prefix, rate=args.rate)
    try:
        return serve(opts)
    except ServeError as exc:
        return _err(str(exc))


def cmd_class_export(args: argparse.Namespace) -> int:
    """Write the class's grade files (gradebook, attempts, Moodle) from the class server's database."""
    try:
        from .classroom.db import ClassDBError
        from .classroom.export import ExportError, export
        from .classroom.policy import PolicyError
        from .classroom.service.app import db_url, policy_file
        from .classroom.service.course import CourseError
    except ImportError as exc:
        return _err(f"the class export needs the class extras ({exc.name} is missing): pip install 'kenali[class]'")
    policy = policy_file(args.policy)
    try:
        done = export(db_url(args.db), args.out, course=args.course, policy=policy, roster=args.roster,
                      lessons=args.lesson)
    except (ExportError, PolicyError, CourseError, ClassDBError) as exc:
        return _err(str(exc))
    except OSError as exc:
        return _err(f"{exc.filename or args.out}: {exc.strerror or exc}")
    print(f"{len(done.learners)} learner(s), lessons {', '.join(done.lessons) or '(none answered)'}; "
          f"policy: {policy or 'none (practice: the latest answer counts)'}")
    if done.unknown:
        print(f"not in the course given, left out: {', '.join(done.unknown)} (was the server run with --course?)")
    print(f"written to {done.out}: " + ", ".join(p.name for p in done.files if p.parent == done.out))
    print(f"copied work to look at (never a penalty): {len(done.flags)} in similarity.csv and the summary")
    return 0


def cmd_hub_link(args: argparse.Namespace) -> int:
    """Print the nbgitpuller link that hands the course to every learner of a JupyterHub."""
    from .classroom.hublink import LinkError, hub_link

    try:
        print(hub_link(args.hub, args.repo, args.branch, args.folder))
    except LinkError as exc:
        return _err(str(exc))
    return 0


def cmd_assignment_release(args: argparse.Namespace) -> int:
    """Write what learners get for graded assignments: the content without the assessed keys, the notebooks."""
    from .classroom.policy import PolicyError
    from .classroom.release import POLICY_COPY, ReleaseError, assignment_link, release

    try:
        done = release(args.policy, args.out, course=args.course)
        links = {a: assignment_link(args.hub, done.out, a) for a in done.notebooks} if args.hub else {}
    except (PolicyError, ReleaseError, BankError) as exc:
        return _err(str(exc))
    except OSError as exc:
        return _err(f"{exc.filename or args.out}: {exc.strerror or exc}")
    for assignment, ids in sorted(done.keyless.items()):
        print(f"{assignment}: {len(ids)} exercise(s) without keys ({', '.join(ids)})")
    if not done.keyless:
        print("no assignment of the policy covers an exercise: the copy keeps every key")
    for assignment, path in sorted(done.notebooks.items()):
        print(f"{assignment}: notebook {path}" + (f"\n  link: {links[assignment]}" if assignment in links else ""))
    if done.notebooks and not done.repository:
        print("git is not installed: the notebooks folder is no git repository, so nbgitpuller cannot hand it out")
    policy = (done.out / POLICY_COPY).resolve()
    print(f"written to {done.out}; in the learners' kernels set KENALI_CONTENT={done.out} KENALI_POLICY={policy}")
    course = f" --course {done.source}" if args.course else ""
    print(f"the class server checks with the keys: kenali serve{course} --policy {policy}")
    return 0


#: Commands whose unknown options are passed on to the server they start.
PASS_THROUGH = {"open", "app"}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kenali", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)

    servers = (
        ("open", cmd_open, "open the course in JupyterLab at the start notebook",
         "Start JupyterLab over the course folder with notebooks/00_mulai.ipynb open. Any other option is passed "
         "on to JupyterLab, e.g. `kenali open --no-browser --port 8890`."),
        ("app", cmd_app, "open the course as a no-code app in Voilà (widgets live, code hidden)",
         "Start Voilà over the course folder at notebooks/00_mulai.ipynb. Any other option is passed on to the "
         "Jupyter server, e.g. `kenali app --no-browser --port 8866`."),
    )
    for name, func, summary, description in servers:  # their unknown options go to the server (PASS_THROUGH)
        p = sub.add_parser(name, help=summary, description=description, allow_abbrev=False)
        p.add_argument("--dry-run", action="store_true", help="print the command instead of running it")
        p.set_defaults(func=func, jupyter_args=[])

    p = sub.add_parser("check", help="validate banks, syllabus and code keys")
    p.add_argument("--cues", action="store_true",
                   help="also list the author's cues: keys that stand out by length, position or echoed words, "
                   "role grids in role order, matching solvable by elimination (warnings, never a failure)")
    p.set_defaults(func=cmd_check)

    p = sub.add_parser(
        "schema",
        help="print the JSON Schema of a bank file (for the editor: kenali schema > bank.schema.json)",
    )
    p.set_defaults(func=cmd_schema)

    p = sub.add_parser("build", help="generate exercise/solution notebooks and docs/syllabus.md from the banks")
    p.add_argument("--no-run", action="store_true", help="write notebooks without executing them (no outputs)")
    p.add_argument("--lessons", action="store_true", help="also execute lesson notebooks and store their outputs")
    p.add_argument("--lessons-only", action="store_true", help="only execute the lesson notebooks")
    p.add_argument("--only", action="append", help="lesson number or notebook name (repeatable)")
    p.set_defaults(func=cmd_build)

    p = sub.add_parser("exercises", help="list every exercise (ID, lesson, type, concepts, points)")
    p.add_argument("--format", choices=["table", "csv"], default="table")
    p.add_argument("--all", action="store_true", help="include the lessons' quick checks")
    p.set_defaults(func=cmd_exercises)

    p = sub.add_parser(
        "serve",
        help="run the class server (a JupyterHub service): kernels report answers, facilitators watch live",
        description="Run the class server. Under JupyterHub the hub starts it as a service and sets where it "
        "listens and how it authenticates (JUPYTERHUB_*); for a test or a benchmark without a hub give --tokens.",
    )
    p.add_argument("--db", help="database URL: sqlite:///path.db or postgresql+psycopg://user@host/db "
                   "(default: $KENALI_CLASS_DB, else kenali-class.db in the working folder)")
    p.add_argument("--policy", type=Path, help="the instructor's policy file (default: $KENALI_POLICY; none: practice)")
    p.add_argument("--course", type=Path,
                   help="a course content folder with the keys (banks/, syllabus/, roles.yaml; default: the installed "
                   "course)")
    p.add_argument("--ip", help="address to listen on (default: from JUPYTERHUB_SERVICE_URL, else 127.0.0.1)")
    p.add_argument("--port", type=int, help="port (default: from JUPYTERHUB_SERVICE_URL, else 10101)")
    p.add_argument("--prefix", help="URL prefix (default: $JUPYTERHUB_SERVICE_PREFIX, else /services/kenali/)")
    p.add_argument("--tokens", type=Path,
                   help="TESTS AND BENCHMARKS ONLY: authenticate from a token file (token: {name, admin, groups}) "
                   "instead of the hub")
    p.add_argument("--rate", type=float, default=5.0,
                   help="requests per second a learner may make on average (bursts of 30; 0: no limit)")
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser(
        "class-export",
        help="write the grade files (gradebook, attempts, Moodle) from the class server's database",
        description="Read every attempt the class server stored (its own verdicts, attempt numbers and clock), "
        "credit them under the policy and write what `kenali grade` writes: gradebook.csv, attempts.csv, "
        "moodle.csv, summary.html, feedback/. Learners are named by their hub user names.",
    )
    p.add_argument("--db", help="the class server's database URL (default: $KENALI_CLASS_DB, else kenali-class.db "
                   "in the working folder)")
    p.add_argument("--policy", type=Path, help="the policy the server enforced (default: $KENALI_POLICY; none: "
                   "practice, the latest answer counts)")
    p.add_argument("--course", type=Path, help="the content the server checked with (its --course; default: the "
                   "installed course)")
    p.add_argument("--roster", type=Path, help="Moodle participants export (CSV) to match learners to")
    p.add_argument("--lesson", action="append", help="only this lesson (repeatable; default: every lesson answered)")
    p.add_argument("--out", type=Path, required=True, help="the folder to write the files to")
    p.set_defaults(func=cmd_class_export)

    p = sub.add_parser(
        "hub-link",
        help="print the JupyterHub link that gives every learner the course (nbgitpuller)",
        description="Print the link to hand out in a class on JupyterHub: it clones the course repository into "
        "the learner's home (or updates it, keeping their edits) and opens notebooks/00_mulai.ipynb.",
    )
    p.add_argument("--hub", required=True, help="the hub's public address, e.g. https://kelas.example.org")
    p.add_argument("--repo", required=True, help="the course's git repository, e.g. https://github.com/org/kursus")
    p.add_argument("--branch", default="main", help="the branch to hand out (default: main)")
    p.add_argument("--folder", help="the folder in the learner's home (default: the repository's name)")
    p.set_defaults(func=cmd_hub_link)

    p = sub.add_parser("assignment", help="graded assignments in a class (release: the learners' copy without keys)")
    assignment = p.add_subparsers(dest="assignment_command", required=True)
    p = assignment.add_parser(
        "release",
        help="write the course content with the keys of the policy's assignments removed, and their notebooks",
        description="Copy the course content (the installed course, or --course: the instructor's content folder "
        "with their private banks) to OUT, removing from every exercise an assignment of POLICY covers its key and "
        "everything that reveals it (feedback per option, reasons, explanation, mistakes, solution), and write "
        "OUT/tugas/<assignment>.ipynb, the notebook learners open (a git repository nbgitpuller hands out). "
        "Point the learners' kernels at it with KENALI_CONTENT=OUT; the class server (kenali serve --course "
        "<the same content> --policy POLICY) checks those exercises.",
    )
    p.add_argument("policy", type=Path, help="the instructor's policy file (YAML)")
    p.add_argument("--out", type=Path, required=True, help="the folder to write (new, empty or an earlier release)")
    p.add_argument("--course", type=Path,
                   help="the content folder to release, with keys (banks/, syllabus/, roles.yaml, or <lang>/ below "
                   "it), e.g. a copy of the course plus a private quiz bank; default: the installed course")
    p.add_argument("--hub", help="the hub's public address: also print each notebook's nbgitpuller link")
    p.set_defaults(func=cmd_assignment_release)

    try:
        from .grading import cli as grading_cli
    except ImportError:  # grading is optional until installed
        grading_cli = None
    if grading_cli is not None:
        grading_cli.add_commands(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if extra:
        if args.command not in PASS_THROUGH:
            parser.error(f"unrecognized arguments: {' '.join(extra)}")
        args.jupyter_args = extra
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `kenali grade ... | head`: the reader left, which is no error of ours
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141
