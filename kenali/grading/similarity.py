"""Copied work, for the instructor to look at: never a penalty, never a change to any score.

Both graders feed the detector the same typed evidence, one :class:`Trail` per learner (exercise →
:class:`Answer`: the normalized answer key, every recorded answer as a :class:`Step` with its time on each
clock known, the code's source or the wrong code values): ``kenali grade`` builds it from graded rows
(:func:`trail_from_row`), ``kenali class-export`` from the class server's attempts
(:mod:`kenali.classroom.export`). The evidence, computed after scoring (nothing is changed):

* **Identical code** (kind ``kode sama``, hand-ins only). Each code exercise's answer cell is parsed (never
  run); statements that are in the hand-out cell (imports, loading the data, given lines) and the ``cek``
  call are dropped, then comments, blank lines and layout vanish in the syntax tree, and the names
  the cell assigns are renamed in order of appearance (``_v0``, ``_v1``: renaming variables hides
  nothing). Learners whose remaining code is identical and not trivial (at least
  :data:`MIN_NODES` syntax-tree nodes of their own) form a group; groups are joined over
  exercises. Code identical to the published solution (the solutions are public) is its own kind,
  ``sama dengan solusi``; code identical to the hand-out is ignored. Short answers converge by
  nature (``tiket.groupby("divisi_peminta")["jam_selesai"].median()``), which is why they are left
  out, and why a large group is more likely a shared approach than copying.
* **Identical wrong code values** (kind ``nilai salah sama``, class server only). The server stores the
  value a code answer computed, not its source. Identical right values mean nothing (everyone who
  computes the answer gets the same value), so only values the server judged wrong are compared
  (empty values aside); groups are joined over exercises. A common mistake also gives one wrong value,
  so a large group is more likely a shared mistake than copying.
* **Identical answers at the same moments** (kind ``jawaban dan waktu sama``), per pair of learners,
  over the widget exercises both answered (at least :data:`MIN_COMMON`): the share of identical
  answers ``S`` and the share of exercises where the two recorded the same answer within
  :data:`CLOSE_SECONDS` seconds of each other ``T`` (every recorded answer). Score
  ``100 × (S + T) / 2``; flagged when ``S ≥ 0.9`` and ``T ≥ 0.5``. Records copied from a classmate and
  relabelled have the same answers at the same seconds (score 100); two learners who answer alike at
  their own pace are not flagged. Two steps are compared on the class server's clock when both have a
  server time (``waktu server``: the server dated the answer as it was made; learners cannot change
  it), else on the learners' machines' clocks (``waktu perangkat peserta``: self-reported, forgeable);
  each flag names the clock(s) it used. The thresholds are the same on both clocks: the window measures
  how long copying a neighbour's answer takes, which a trustworthy clock does not shorten.

Output: ``similarity.csv`` (kind, learners, exercises, score, clock, evidence) and a section of summary.html.
"""

from __future__ import annotations

import ast
import hashlib
import json
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from itertools import combinations
from pathlib import Path
from typing import Any, Literal

from ..bank import Bank
from ..model import Exercise
from ..present.text import esc
from .source import clean_source

MIN_NODES = 20          # syntax-tree nodes of a learner's own code below which identical code is not evidence
MIN_COMMON = 5          # widget exercises both learners answered, at least
CLOSE_SECONDS = 10.0    # two records this close are "at the same moment"
SAME_SHARE = 0.9        # S: identical answers / exercises both answered
CLOSE_SHARE = 0.5       # T: identical answers recorded within CLOSE_SECONDS / exercises both answered
MAX_CODE_CHARS = 20_000

KIND_CODE = "kode sama"
KIND_SOLUTION = "sama dengan solusi"
KIND_VALUES = "nilai salah sama"
KIND_ANSWERS = "jawaban dan waktu sama"
KINDS = (KIND_CODE, KIND_SOLUTION, KIND_VALUES, KIND_ANSWERS)
HEADER = ["kind", "learners", "exercises", "score", "clock", "evidence"]

Clock = Literal["server", "device"]
CLOCK_WORDS: dict[str, str] = {"server": "waktu server", "device": "waktu perangkat peserta"}
CLOCK_NOTES: dict[str, str] = {
    "server": "times on the class server's clock, which dated each answer as it was made (learners cannot change it)",
    "device": "times written by the learners' machines (self-reported: they can be forged like any record)",
}


@dataclass(frozen=True)
class Flag:
    """Work to look at: who, which exercises, how strong (0-100), the clock(s) its times come from, and why."""

    kind: str
    learners: tuple[str, ...]
    exercises: tuple[str, ...]
    score: int
    evidence: str
    clock: str = ""  # "waktu server", "waktu perangkat peserta", both joined by " + ", or "" (no times used)


# -- the evidence: one trail per learner ----------------------------------------------------------

@dataclass(frozen=True)
class Step:
    """One recorded answer: its normalized key and when it was made, on each clock that knows it."""

    key: str
    server: datetime | None = None  # the class server's time, only when it dated the answer as it was made
    device: datetime | None = None  # the time the learner's machine wrote

    def gap(self, other: Step) -> tuple[float, Clock] | None:
        """Seconds between two steps on the server's clock when both have it, else on the machines' clocks."""
        if self.server is not None and other.server is not None:
            return abs((self.server - other.server).total_seconds()), "server"
        if self.device is not None and other.device is not None:
            return abs((self.device - other.device).total_seconds()), "device"
        return None


@dataclass(frozen=True)
class WrongValue:
    """A value a code answer computed that was judged wrong (class server: it holds values, not code)."""

    key: str
    shown: str
    step: Step


@dataclass(frozen=True)
class Answer:
    """One learner's answer to one exercise as the detector sees it."""

    key: str | None = None         # widget exercise: normalized key of the graded (latest judged) answer
    status: str = ""               # the grader's or server's verdict of that answer
    steps: tuple[Step, ...] = ()   # widget exercise: every recorded answer, in order
    code: str | None = None        # code exercise: the answer cell's source (hand-ins)
    wrong_values: tuple[WrongValue, ...] = ()  # code exercise: values judged wrong (class server)


@dataclass(frozen=True)
class Trail:
    """Everything one learner answered, by exercise id."""

    learner: str
    answers: Mapping[str, Answer] = field(default_factory=dict)


def parse_time(text: Any) -> datetime | None:
    """An ISO time as a timezone-aware datetime (naive: UTC), or None when it is not one."""
    if not isinstance(text, str) or not text or len(text) > 64:
        return None
    try:
        at = datetime.fromisoformat(text)
    except ValueError:
        return None
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def _steps(res: Mapping[str, Any]) -> tuple[Step, ...]:
    """Every record of an exercise when the row holds them (``trail``), else the latest (device clock)."""
    trail = res.get("trail")
    if isinstance(trail, list) and trail:
        return tuple(Step(str(k), device=parse_time(at))
                     for at, k in (p for p in trail if isinstance(p, list | tuple) and len(p) == 2) if k)
    key = res.get("answer_key")
    return (Step(str(key), device=parse_time(res.get("time"))),) if key else ()


def trail_from_row(row: Mapping[str, Any], exercises: Iterable[Exercise]) -> Trail | None:
    """A graded row of ``kenali grade`` as a trail (None for a row nothing could be graded for): widget
    answers taken from the learner's records, code answers' source."""
    if row.get("fatal"):
        return None
    answers: dict[str, Answer] = {}
    for ex in exercises:
        res = (row.get("exercises") or {}).get(ex.id) or {}
        if ex.is_code:
            if isinstance(res.get("code"), str):
                answers[ex.id] = Answer(status=str(res.get("status")), code=res["code"])
        elif res.get("answer_key") and res.get("source") == "record":
            answers[ex.id] = Answer(key=str(res["answer_key"]), status=str(res.get("status")), steps=_steps(res))
    return Trail(str(row["learner_id"]), answers)


def _trails(items: Sequence[Trail | Mapping[str, Any]], exercises: list[Exercise]) -> list[Trail]:
    out = []
    for item in items:
        trail = item if isinstance(item, Trail) else trail_from_row(item, exercises)
        if trail is not None:
            out.append(trail)
    return out


def _order(learners: Iterable[str]) -> tuple[str, ...]:
    return tuple(sorted(set(learners), key=lambda x: (x.casefold(), x)))


def clock_words(clocks: Iterable[str]) -> str:
    """The clocks used, in words: ``waktu server``, ``waktu perangkat peserta`` or both."""
    used = set(clocks)
    return " + ".join(CLOCK_WORDS[c] for c in ("server", "device") if c in used)


# -- code ------------------------------------------------------------------------------------------

def _is_cek(stmt: ast.stmt) -> bool:
    if not isinstance(stmt, ast.Expr) or not isinstance(stmt.value, ast.Call):
        return False
    func = stmt.value.func
    return (isinstance(func, ast.Name) and func.id == "cek") or (isinstance(func, ast.Attribute) and func.attr == "cek")


def _is_display(stmt: ast.stmt) -> bool:
    """A bare name, constant or ``print(...)``: looking at a value, not computing the answer."""
    if not isinstance(stmt, ast.Expr):
        return False
    value = stmt.value
    if isinstance(value, ast.Name | ast.Constant):
        return True
    return isinstance(value, ast.Call) and isinstance(value.func, ast.Name) and value.func.id in {"print", "display"}


def _parse(source: str) -> list[ast.stmt] | None:
    if not source or len(source) > MAX_CODE_CHARS:
        return None
    try:
        return ast.parse(clean_source(source)).body
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def _dump(node: ast.AST) -> str:
    return ast.dump(node, annotate_fields=False, include_attributes=False)


class _Renamer(ast.NodeTransformer):
    def __init__(self, names: dict[str, str]):
        self.names = names

    def visit_Name(self, node: ast.Name) -> ast.Name:
        return ast.copy_location(ast.Name(id=self.names.get(node.id, node.id), ctx=node.ctx), node)

    def visit_arg(self, node: ast.arg) -> ast.arg:
        node.arg = self.names.get(node.arg, node.arg)
        return node


def _assigned(stmts: list[ast.stmt], keep: set[str]) -> dict[str, str]:
    """Names the statements assign (or take as arguments), in order of appearance, to ``_v0``, ``_v1``..."""
    order: list[str] = []
    for stmt in stmts:
        for node in ast.walk(stmt):
            name = None
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                name = node.id
            elif isinstance(node, ast.arg):
                name = node.arg
            if name and name not in keep and name not in order:
                order.append(name)
    return {name: f"_v{n}" for n, name in enumerate(order)}


@dataclass(frozen=True)
class CodePrint:
    """A code answer reduced to what the learner wrote: a fingerprint with and without its own names."""

    renamed: str      # digest after renaming assigned names
    exact: str        # digest with the names as written
    nodes: int        # syntax-tree nodes of the learner's own statements
    first_line: str


@lru_cache(maxsize=64)
def _given(starter: str) -> frozenset[str]:
    return frozenset(_dump(s) for s in (_parse(starter) or []))


@lru_cache(maxsize=8192)
def fingerprint(source: str, starter: str | None = None, answer_variable: str | None = None) -> CodePrint | None:
    """The learner's own code of an answer cell (hand-out statements, ``cek`` and displays dropped), or None
    when nothing of their own is left or it does not parse."""
    stmts = _parse(source)
    if stmts is None:
        return None
    given = _given(starter or "")
    own = [s for s in stmts if not _is_cek(s) and not _is_display(s) and _dump(s) not in given]
    if not own:
        return None
    module = ast.Module(body=own, type_ignores=[])
    exact = _dump(module)
    names = _assigned(own, {answer_variable} if answer_variable else set())
    renamed = _dump(_Renamer(names).visit(ast.parse(ast.unparse(module))))
    nodes = sum(1 for _ in ast.walk(module))
    shown = next((st for st in own if not isinstance(st, ast.Import | ast.ImportFrom)), own[0])
    try:
        first = ast.unparse(shown).splitlines()[0][:80]
    except Exception:
        first = ""
    return CodePrint(renamed=_digest(renamed), exact=_digest(exact), nodes=nodes, first_line=first)


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:20]


def hand_out_cells(root: Path | None, banks: list[Bank]) -> tuple[dict[str, str], dict[str, str]]:
    """Each code exercise's hand-out (starter) cell and published solution cell, by exercise id."""
    starters: dict[str, str] = {}
    solutions: dict[str, str] = {}
    if root is None:
        return starters, solutions
    for bank in banks:
        if not any(ex.is_code for ex in bank.graded):
            continue
        for folder, into in (("exercises", starters), ("solutions", solutions)):
            try:
                nb = json.loads((root / folder / f"{bank.notebook}.ipynb").read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
            for cell in nb.get("cells", []):
                cid = str(cell.get("id", ""))
                if cell.get("cell_type") == "code" and cid.startswith("ex-"):
                    source = cell.get("source", "")
                    into[cid[3:].replace("-", ".")] = "".join(source) if isinstance(source, list) else str(source)
    return starters, solutions


def code_flags(learners: Sequence[Trail | Mapping[str, Any]], exercises: list[Exercise],
               starters: Mapping[str, str], solutions: Mapping[str, str]) -> list[Flag]:
    """Groups of learners with identical non-trivial code, and learners whose code is the solution's
    (trails, or graded rows of ``kenali grade``)."""
    trails = _trails(learners, exercises)
    shared: dict[tuple[str, ...], list[tuple[str, CodePrint, bool]]] = {}
    solution_groups: dict[tuple[str, ...], list[str]] = {}
    for ex in exercises:
        if not ex.is_code:
            continue
        starter = starters.get(ex.id)
        solution = fingerprint(solutions[ex.id], starter, ex.variable) if ex.id in solutions else None
        groups: dict[str, list[tuple[str, CodePrint]]] = {}
        for trail in trails:
            code = (answer := trail.answers.get(ex.id)) and answer.code
            if not isinstance(code, str):
                continue
            fp = fingerprint(code, starter, ex.variable)
            if fp is None or fp.nodes < MIN_NODES:
                continue
            groups.setdefault(fp.renamed, []).append((trail.learner, fp))
        for digest, members in groups.items():
            names = _order(m[0] for m in members)
            if solution is not None and digest == solution.renamed:
                solution_groups.setdefault(names, []).append(ex.id)
            elif len(names) > 1:
                same_names = len({m[1].exact for m in members}) == 1
                shared.setdefault(names, []).append((ex.id, members[0][1], same_names))
    flags = []
    for names, items in shared.items():
        parts = [f"{ex_id}: “{fp.first_line}” ({fp.nodes} nodes, "
                 f"{'same variable names' if same else 'differs only in variable names'})" for ex_id, fp, same in items]
        flags.append(Flag(KIND_CODE, names, tuple(i[0] for i in items), min(100, 50 + 25 * (len(items) - 1)),
                          f"identical code after dropping comments, layout and hand-out lines in {len(items)} "
                          f"exercise(s): " + "; ".join(parts)))
    for names, ids in solution_groups.items():
        flags.append(Flag(KIND_SOLUTION, names, tuple(ids), min(100, 50 + 25 * (len(ids) - 1)),
                          f"code identical to the published solution (variable names aside) in {', '.join(ids)}"))
    return flags


def value_flags(trails: Sequence[Trail], exercises: list[Exercise]) -> list[Flag]:
    """Groups of learners whose code answers computed the same wrong value, joined over exercises."""
    shared: dict[tuple[str, ...], dict[str, tuple[str, tuple[float, Clock] | None]]] = {}
    for ex in exercises:
        if not ex.is_code:
            continue
        groups: dict[str, dict[str, WrongValue]] = {}
        for trail in trails:
            answer = trail.answers.get(ex.id)
            for wrong in answer.wrong_values if answer is not None else ():
                groups.setdefault(wrong.key, {}).setdefault(trail.learner, wrong)  # each learner's first time
        for members in groups.values():
            if len(members) < 2:
                continue
            names = _order(members)
            gaps = [g for a, b in combinations(members.values(), 2) if (g := a.step.gap(b.step)) is not None]
            closest = min(gaps, default=None)
            shared.setdefault(names, {}).setdefault(ex.id, (next(iter(members.values())).shown, closest))
    flags = []
    for names, items in shared.items():
        parts = []
        for ex_id, (shown, gap) in items.items():
            when = f", first sent {gap[0]:.0f} s apart ({CLOCK_WORDS[gap[1]]})" if gap is not None else ""
            parts.append(f"{ex_id}: {shown}{when}")
        clocks = clock_words(gap[1] for _, gap in items.values() if gap is not None)
        flags.append(Flag(KIND_VALUES, names, tuple(items), min(100, 50 + 25 * (len(items) - 1)),
                          f"the same wrong value in {len(items)} code exercise(s): " + "; ".join(parts)
                          + ". The class server holds the values code answers computed, not the code: identical "
                          "right values mean nothing (everyone who computes the answer gets them), so only wrong "
                          "values are compared; a common mistake also gives one wrong value, so a large group is "
                          "more likely a shared mistake than copying", clocks))
    return flags


# -- answers and their times ---------------------------------------------------------------------

def answer_flags(learners: Sequence[Trail | Mapping[str, Any]], exercises: list[Exercise]) -> list[Flag]:
    """Pairs of learners with the same widget answers recorded at the same moments (trails, or graded rows of
    ``kenali grade``)."""
    widget = [ex.id for ex in exercises if not ex.is_code]
    trails = []
    for trail in _trails(learners, exercises):
        answers = {e: a for e in widget if (a := trail.answers.get(e)) is not None and a.key}
        if len(answers) >= MIN_COMMON:
            trails.append((trail.learner, answers))
    trails.sort(key=lambda x: (x[0].casefold(), x[0]))
    flags = []
    for (a, ans_a), (b, ans_b) in combinations(trails, 2):
        common = [e for e in widget if e in ans_a and e in ans_b]
        if len(common) < MIN_COMMON:
            continue
        same = [e for e in common if ans_a[e].key == ans_b[e].key]
        if len(same) < SAME_SHARE * len(common):
            continue
        close: list[tuple[str, float, Clock]] = []
        for e in common:
            gaps = [g for sa in ans_a[e].steps for sb in ans_b[e].steps
                    if sa.key == sb.key and (g := sa.gap(sb)) is not None]
            if gaps and (best := min(gaps))[0] <= CLOSE_SECONDS:
                close.append((e, *best))
        s, t = len(same) / len(common), len(close) / len(common)
        if t < CLOSE_SHARE:
            continue
        wrong = [e for e in same if ans_a[e].status != "correct"]
        clocks = sorted({c for _, _, c in close}, key=("server", "device").index)
        example = ", ".join(f"{e} ({gap:.0f} s apart)" for e, gap, _ in close[:5])
        evidence = (f"{len(same)} of {len(common)} answers identical ({len(wrong)} of them not correct"
                    f"{': ' + ', '.join(wrong[:6]) if wrong else ''}); {len(close)} recorded within "
                    f"{CLOSE_SECONDS:g} s of each other (median {statistics.median(g for _, g, _ in close):.0f} s): "
                    f"{example}{', …' if len(close) > 5 else ''}; " + "; ".join(CLOCK_NOTES[c] for c in clocks))
        flags.append(Flag(KIND_ANSWERS, (a, b), tuple(e for e, _, _ in close), round(100 * (s + t) / 2), evidence,
                          clock_words(clocks)))
    return flags


# -- together --------------------------------------------------------------------------------------

def find(rows: list[Mapping[str, Any]], banks: list[Bank], *, root: Path | None = None) -> list[Flag]:
    """Every flag for a class graded by ``kenali grade`` (graded rows; ``root``: the course folder with the
    hand-out and solution notebooks)."""
    exercises = [ex for b in banks for ex in b.graded]
    return find_trails(_trails(rows, exercises), banks, root=root)


def find_trails(trails: Sequence[Trail], banks: list[Bank], *, root: Path | None = None) -> list[Flag]:
    """Every flag for a class, from one trail per learner, in a fixed order (kind, strongest first, learners)."""
    exercises = [ex for b in banks for ex in b.graded]
    has_code = any(a.code for trail in trails for a in trail.answers.values())
    starters, solutions = hand_out_cells(root, banks) if has_code else ({}, {})
    flags = [*code_flags(trails, exercises, starters, solutions), *value_flags(trails, exercises),
             *answer_flags(trails, exercises)]
    return sorted(flags, key=lambda f: (KINDS.index(f.kind), -f.score, [x.casefold() for x in f.learners],
                                        f.exercises))


def write_csv(path: Path, flags: Iterable[Flag]) -> None:
    """``similarity.csv``: one line per group or pair (learners and exercises joined by ``;``)."""
    from .report import _write_csv

    _write_csv(path, HEADER, [[f.kind, ";".join(f.learners), ";".join(f.exercises), f.score, f.clock, f.evidence]
                              for f in flags])


def summary_section(flags: list[Flag]) -> str:
    """The summary's section: worded as work to look at, never as a verdict."""
    out = ["<h2>To look at: possibly copied work</h2>",
           "<p>Nothing here changes a score or is a finding of copying: identical work has innocent causes "
           "(working together as allowed, a shared approach, the public solutions). Talk to the learners "
           "before drawing a conclusion. Also in <code>similarity.csv</code>; how it is computed: "
           "docs/grading.md, section Copied work.</p>"]
    if not flags:
        out.append("<p>Nothing to look at.</p>")
        return "\n".join(out)
    out.append("<table><tr><th class='l'>Kind</th><th class='l'>Learners</th><th class='l'>Exercises</th>"
               "<th>Score</th><th class='l'>Clock</th><th class='l'>Evidence</th></tr>")
    for f in flags:
        out.append(f"<tr><td class='l'>{esc(f.kind)}</td><td class='l'>{esc(', '.join(f.learners))}</td>"
                   f"<td class='l'>{esc(', '.join(f.exercises))}</td><td>{f.score}</td>"
                   f"<td class='l'>{esc(f.clock)}</td><td class='l'>{esc(f.evidence)}</td></tr>")
    out.append("</table>")
    return "\n".join(out)
