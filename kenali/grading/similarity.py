"""Copied work, for the instructor to look at: never a penalty, never a change to any score.

Two kinds of evidence, computed from graded rows after scoring (the rows are only read):

* **Identical code** (kind ``kode sama``). Each code exercise's answer cell is parsed (never run);
  statements that are in the hand-out cell (imports, loading the data, given lines) and the ``cek``
  call are dropped, then comments, blank lines and layout vanish in the syntax tree, and the names
  the cell assigns are renamed in order of appearance (``_v0``, ``_v1``: renaming variables hides
  nothing). Learners whose remaining code is identical and not trivial (at least
  :data:`MIN_NODES` syntax-tree nodes of their own) form a group; groups are joined over
  exercises. Code identical to the published solution (the solutions are public) is its own kind,
  ``sama dengan solusi``; code identical to the hand-out is ignored. Short answers converge by
  nature (``tiket.groupby("divisi_peminta")["jam_selesai"].median()``), which is why they are left
  out, and why a large group is more likely a shared approach than copying.
* **Identical answers at the same moments** (kind ``jawaban dan waktu sama``), per pair of learners,
  over the widget exercises both answered (at least :data:`MIN_COMMON`): the share of identical
  answers ``S`` and the share of exercises where the two recorded the same answer within
  :data:`CLOSE_SECONDS` seconds of each other ``T`` (using every answer record when the row carries
  them, else the latest). Score ``100 × (S + T) / 2``; flagged when ``S ≥ 0.9`` and ``T ≥ 0.5``.
  Records copied from a classmate and relabelled have the same answers at the same seconds (score
  100); two learners who answer alike at their own pace are not flagged. Record times are
  self-reported by the learners' machines.

Output: ``similarity.csv`` (kind, learners, exercises, score, evidence) and a section of summary.html.
"""

from __future__ import annotations

import ast
import csv
import hashlib
import io
import json
import statistics
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from itertools import combinations
from pathlib import Path
from typing import Any

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
KIND_ANSWERS = "jawaban dan waktu sama"
KINDS = (KIND_CODE, KIND_SOLUTION, KIND_ANSWERS)
HEADER = ["kind", "learners", "exercises", "score", "evidence"]


@dataclass(frozen=True)
class Flag:
    """Work to look at: who, which exercises, how strong (0-100) and why, in words."""

    kind: str
    learners: tuple[str, ...]
    exercises: tuple[str, ...]
    score: int
    evidence: str


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


def code_flags(rows: list[Mapping[str, Any]], exercises: list[Exercise], starters: Mapping[str, str],
               solutions: Mapping[str, str]) -> list[Flag]:
    """Groups of learners with identical non-trivial code, and learners whose code is the solution's."""
    shared: dict[tuple[str, ...], list[tuple[str, CodePrint, bool]]] = {}
    solution_groups: dict[tuple[str, ...], list[str]] = {}
    for ex in exercises:
        if not ex.is_code:
            continue
        starter = starters.get(ex.id)
        solution = fingerprint(solutions[ex.id], starter, ex.variable) if ex.id in solutions else None
        groups: dict[str, list[tuple[str, CodePrint]]] = {}
        for row in rows:
            res = (row.get("exercises") or {}).get(ex.id) or {}
            code = res.get("code")
            if row.get("fatal") or not isinstance(code, str):
                continue
            fp = fingerprint(code, starter, ex.variable)
            if fp is None or fp.nodes < MIN_NODES:
                continue
            groups.setdefault(fp.renamed, []).append((str(row["learner_id"]), fp))
        for digest, members in groups.items():
            learners = tuple(sorted({m[0] for m in members}, key=lambda x: (x.casefold(), x)))
            if solution is not None and digest == solution.renamed:
                solution_groups.setdefault(learners, []).append(ex.id)
            elif len(learners) > 1:
                same_names = len({m[1].exact for m in members}) == 1
                shared.setdefault(learners, []).append((ex.id, members[0][1], same_names))
    flags = []
    for learners, items in shared.items():
        parts = [f"{ex_id}: “{fp.first_line}” ({fp.nodes} nodes, "
                 f"{'same variable names' if same else 'differs only in variable names'})" for ex_id, fp, same in items]
        flags.append(Flag(KIND_CODE, learners, tuple(i[0] for i in items), min(100, 50 + 25 * (len(items) - 1)),
                          f"identical code after dropping comments, layout and hand-out lines in {len(items)} "
                          f"exercise(s): " + "; ".join(parts)))
    for learners, ids in solution_groups.items():
        flags.append(Flag(KIND_SOLUTION, learners, tuple(ids), min(100, 50 + 25 * (len(ids) - 1)),
                          f"code identical to the published solution (variable names aside) in {', '.join(ids)}"))
    return flags


# -- answers and their times ---------------------------------------------------------------------

def _time(text: Any) -> datetime | None:
    if not isinstance(text, str) or not text or len(text) > 64:
        return None
    try:
        at = datetime.fromisoformat(text)
    except ValueError:
        return None
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def _records(res: Mapping[str, Any]) -> list[tuple[str, datetime | None]]:
    """(answer key, time) of every record of an exercise when the row holds them (``trail``), else the latest."""
    trail = res.get("trail")
    if isinstance(trail, list) and trail:
        return [(str(k), _time(at)) for at, k in (p for p in trail if isinstance(p, list | tuple) and len(p) == 2)
                if k]
    key = res.get("answer_key")
    return [(str(key), _time(res.get("time")))] if key else []


def answer_flags(rows: list[Mapping[str, Any]], exercises: list[Exercise]) -> list[Flag]:
    """Pairs of learners with the same widget answers recorded at the same moments."""
    widget = [ex.id for ex in exercises if not ex.is_code]
    learners: list[tuple[str, dict[str, tuple[str, str, list[tuple[str, datetime | None]]]]]] = []
    for row in rows:
        if row.get("fatal"):
            continue
        answers = {}
        for ex_id in widget:
            res = (row.get("exercises") or {}).get(ex_id) or {}
            if res.get("answer_key") and res.get("source") == "record":
                answers[ex_id] = (str(res["answer_key"]), str(res.get("status")), _records(res))
        if len(answers) >= MIN_COMMON:
            learners.append((str(row["learner_id"]), answers))
    learners.sort(key=lambda x: (x[0].casefold(), x[0]))
    flags = []
    for (a, ans_a), (b, ans_b) in combinations(learners, 2):
        common = [e for e in widget if e in ans_a and e in ans_b]
        if len(common) < MIN_COMMON:
            continue
        same = [e for e in common if ans_a[e][0] == ans_b[e][0]]
        if len(same) < SAME_SHARE * len(common):
            continue
        close: list[tuple[str, float]] = []
        for e in common:
            gaps = [abs((ta - tb).total_seconds()) for ka, ta in ans_a[e][2] for kb, tb in ans_b[e][2]
                    if ka == kb and ta is not None and tb is not None]
            if gaps and min(gaps) <= CLOSE_SECONDS:
                close.append((e, min(gaps)))
        s, t = len(same) / len(common), len(close) / len(common)
        if t < CLOSE_SHARE:
            continue
        wrong = [e for e in same if ans_a[e][1] != "correct"]
        example = ", ".join(f"{e} ({gap:.0f} s apart)" for e, gap in close[:5])
        evidence = (f"{len(same)} of {len(common)} answers identical ({len(wrong)} of them not correct"
                    f"{': ' + ', '.join(wrong[:6]) if wrong else ''}); {len(close)} recorded within "
                    f"{CLOSE_SECONDS:g} s of each other (median {statistics.median(g for _, g in close):.0f} s): "
                    f"{example}{', …' if len(close) > 5 else ''}; record times come from the learners' machines")
        flags.append(Flag(KIND_ANSWERS, (a, b), tuple(e for e, _ in close), round(100 * (s + t) / 2), evidence))
    return flags


# -- together --------------------------------------------------------------------------------------

def find(rows: list[Mapping[str, Any]], banks: list[Bank], *, root: Path | None = None) -> list[Flag]:
    """Every flag for a graded class, in a fixed order (kind, strongest first, learners)."""
    exercises = [ex for b in banks for ex in b.graded]
    starters, solutions = hand_out_cells(root, banks)
    flags = [*code_flags(rows, exercises, starters, solutions), *answer_flags(rows, exercises)]
    return sorted(flags, key=lambda f: (KINDS.index(f.kind), -f.score, [x.casefold() for x in f.learners],
                                        f.exercises))


def write_csv(path: Path, flags: Iterable[Flag]) -> None:
    """``similarity.csv``: one line per group or pair (learners and exercises joined by ``;``)."""
    from .report import csv_cell

    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(HEADER)
    for f in flags:
        writer.writerow([csv_cell(f.kind), csv_cell(";".join(f.learners)), ";".join(f.exercises), f.score,
                         csv_cell(f.evidence)])
    path.write_text(buf.getvalue(), encoding="utf-8")


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
               "<th>Score</th><th class='l'>Evidence</th></tr>")
    for f in flags:
        out.append(f"<tr><td class='l'>{esc(f.kind)}</td><td class='l'>{esc(', '.join(f.learners))}</td>"
                   f"<td class='l'>{esc(', '.join(f.exercises))}</td><td>{f.score}</td>"
                   f"<td class='l'>{esc(f.evidence)}</td></tr>")
    out.append("</table>")
    return "\n".join(out)
