"""Step 3: find the answers in a parsed submission.

* Widget answers cannot be re-executed: every answer record of an exercise is taken, in the order
  the records were made (:func:`kenali.store.sort_records`), as that exercise's attempts
  (``Plan.history``); the latest is its answer. Only the *answers* (and the hints and time the
  record states) are taken; the status, score and attempt number the learner's kernel wrote are
  ignored (the grader checks every answer again and counts the attempts itself).
* Code answers are re-executed later (:mod:`.sandbox`). Here each exercise is given its answer
  cell: the cell that calls ``cek("5.1", ...)`` or carries the generated cell id ``ex-5-1``, else
  the cell that assigns ``jawaban_5_1``. The Python AST (never execution) tells which names a cell
  assigns and passes to ``cek``, so deleted and duplicated cells and renamed answer variables are
  found and noted.

Nothing here raises on bad input: every problem becomes a note.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import PurePosixPath
from typing import Any

from .. import __version__
from ..bank import Bank, Course
from ..model import Exercise
from ..records import VERDICT_MODE
from ..store import sort_records
from .load import NotebookFile, Submission
from .notes import Note, note
from .similarity import parse_time
from .source import clean_source

MAX_CELL_CHARS = 200_000
_CELL_ID = re.compile(r"^ex-(\d+)-(k?\d+)$")


# -- source analysis ----------------------------------------------------------------------------

@dataclass
class CellInfo:
    """What the AST says about one code cell."""

    cek: list[tuple[str, str | None]] = field(default_factory=list)  # (exercise id, name passed or None)
    assigns: list[str] = field(default_factory=list)  # module-level names assigned, in order
    error: str | None = None


def _is_cek(func: ast.expr) -> bool:
    return (isinstance(func, ast.Name) and func.id == "cek") or (isinstance(func, ast.Attribute) and func.attr == "cek")


class _Visitor(ast.NodeVisitor):
    def __init__(self, info: CellInfo):
        self.info = info

    def visit_FunctionDef(self, node: ast.AST) -> None:  # names inside functions are not the cell's
        return

    visit_AsyncFunctionDef = visit_FunctionDef
    visit_ClassDef = visit_FunctionDef
    visit_Lambda = visit_FunctionDef

    def _target(self, target: ast.AST) -> None:
        if isinstance(target, ast.Name):
            self.info.assigns.append(target.id)
        elif isinstance(target, ast.Tuple | ast.List):
            for elt in target.elts:
                self._target(elt)
        elif isinstance(target, ast.Starred):
            self._target(target.value)

    def visit_Assign(self, node: ast.Assign) -> None:
        for target in node.targets:
            self._target(target)
        self.generic_visit(node)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        self._target(node.target)
        self.generic_visit(node)

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        self._target(node.target)
        self.generic_visit(node)

    def visit_NamedExpr(self, node: ast.NamedExpr) -> None:
        self._target(node.target)
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        if _is_cek(node.func):
            args = list(node.args)
            first = args[0] if args else next((k.value for k in node.keywords if k.arg == "exercise_id"), None)
            second = args[1] if len(args) > 1 else next((k.value for k in node.keywords if k.arg == "jawaban"), None)
            if isinstance(first, ast.Constant) and isinstance(first.value, str | int | float):
                name = second.id if isinstance(second, ast.Name) else None
                self.info.cek.append((str(first.value), name))
        self.generic_visit(node)


_EMPTY = CellInfo()


@lru_cache(maxsize=8192)
def analyze(source: str) -> CellInfo:
    """The ``cek`` calls and assigned names of a cell (``error`` when it does not parse).

    Cached by source: most cells of a class are identical (start, setup, untouched starters)."""
    info = CellInfo()
    if len(source) > MAX_CELL_CHARS:
        info.error = f"cell too long ({len(source)} characters)"
        return info
    try:
        tree = ast.parse(clean_source(source))
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
        info.error = f"{type(exc).__name__}: {getattr(exc, 'msg', None) or exc}"
        return info
    try:
        _Visitor(info).visit(tree)
    except RecursionError:
        info.error = "RecursionError: cell nested too deeply"
    return info


# -- the plan -----------------------------------------------------------------------------------

@dataclass
class CodeJob:
    """One notebook to re-execute: its code cells in order and which cell answers which exercise."""

    bank: str
    notebook: str
    cells: list[str]
    skip: list[bool]
    targets: list[dict[str, Any]]  # {"id", "variable", "cell": index | None, "alt": name | None}

    def to_json(self) -> dict[str, Any]:
        return {"bank": self.bank, "notebook": self.notebook, "cells": self.cells, "skip": self.skip,
                "targets": self.targets}


@dataclass
class Plan:
    """Everything needed to score a submission."""

    widget: dict[str, dict[str, Any]] = field(default_factory=dict)  # exercise id -> {"answer", "attempts", "time"}
    # exercise id -> every record in order: {"answer", "hints", "at" (datetime | None, self-reported), "seq"}
    history: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    jobs: list[CodeJob] = field(default_factory=list)
    code: dict[str, dict[str, Any]] = field(default_factory=dict)  # exercise id -> {"code", "notebook"}
    notes: list[Note] = field(default_factory=list)


def _exercise_ids_in(nb: Any) -> set[str]:
    ids = set()
    for cell in nb.cells:
        m = _CELL_ID.match(str(cell.get("id", "")))
        if m:
            ids.add(f"{m.group(1)}.{m.group(2)}")
        if cell.get("cell_type") == "code" and "cek" in cell.get("source", ""):
            ids.update(i for i, _ in analyze(cell["source"]).cek)
    return ids


def _meta(nbf: NotebookFile) -> dict[str, Any]:
    meta = nbf.metadata.get("kenali")
    return dict(meta) if isinstance(meta, dict) else {}


def _match(nbf: NotebookFile, banks: list[Bank]) -> Bank | None:
    meta = _meta(nbf)
    by_name = {b.path.name: b for b in banks}
    by_lesson = {b.lesson: b for b in banks}
    if str(meta.get("bank")) in by_name:
        return by_name[str(meta["bank"])]
    if meta.get("kind") and str(meta.get("lesson")) in by_lesson:
        return by_lesson[str(meta["lesson"])]
    stem = PurePosixPath(nbf.path).stem
    for b in banks:
        if stem == b.notebook:
            return b
    for b in banks:
        if stem.startswith(f"{b.lesson}_") or stem.startswith(f"{b.lesson}-"):
            return b
    if nbf.error is None and nbf.nb is not None:
        lessons = {i.split(".")[0].zfill(2) for i in _exercise_ids_in(nbf.nb)}
        matches = [by_lesson[lesson] for lesson in sorted(lessons) if lesson in by_lesson]
        if len(matches) == 1:
            return matches[0]
    return None


def _is_lesson_notebook(nbf: NotebookFile) -> bool:
    parts = PurePosixPath(nbf.path).parts[:-1]
    if "notebooks" in parts or "solutions" in parts:
        return True
    meta = _meta(nbf)
    return bool(meta) and "kind" not in meta and "bank" not in meta


def _rank(nbf: NotebookFile, bank: Bank) -> tuple:
    meta = _meta(nbf)
    return (
        nbf.error is None,
        meta.get("kind", "exercises") == "exercises",
        PurePosixPath(nbf.path).stem == bank.notebook,
        "exercises" in PurePosixPath(nbf.path).parts,
        nbf.path,
    )


def _code_job(bank: Bank, nbf: NotebookFile, notes: list[Note], code: dict[str, dict[str, Any]]) -> CodeJob:
    cells: list[str] = []
    skip: list[bool] = []
    ids: list[str] = []
    for cell in nbf.nb.cells:
        if cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        cells.append(source)
        ids.append(str(cell.get("id", "")))
        skip.append(bool(bank.setup) and source.strip() == bank.setup.strip())
    names = [ex.variable for ex in bank.graded if ex.is_code and ex.variable]
    # only cells that may answer an exercise are parsed: a cek call, an answer name, or a generated answer cell id
    infos = [analyze(src) if "cek" in src or _CELL_ID.match(cid) or any(n in src for n in names) else _EMPTY
             for src, cid in zip(cells, ids, strict=True)]
    targets = []
    for ex in bank.graded:
        if not ex.is_code:
            continue
        cell_id = f"ex-{ex.id.replace('.', '-')}"
        primary = [i for i, info in enumerate(infos) if any(eid == ex.id for eid, _ in info.cek) or ids[i] == cell_id]
        fallback = [i for i, info in enumerate(infos) if ex.variable in info.assigns]
        chosen = primary or fallback
        target: dict[str, Any] = {"id": ex.id, "variable": ex.variable, "cell": None, "alt": None}
        if not chosen:
            notes.append(note("cell_missing", id=ex.id))
        else:
            if len(primary) > 1:
                notes.append(note("cell_duplicate", id=ex.id, n=len(primary)))
            index = chosen[-1]
            info = infos[index]
            target["cell"] = index
            passed = [name for eid, name in info.cek if eid == ex.id]
            if passed and passed[-1] and passed[-1] != ex.variable:
                target["alt"] = passed[-1]
            elif not passed and info.error is None and ex.variable not in info.assigns and info.assigns:
                target["alt"] = info.assigns[-1]
            if target["alt"]:
                notes.append(note("variable_renamed", id=ex.id, name=target["alt"]))
            code[ex.id] = {"code": cells[index][:8000], "notebook": nbf.path}
        targets.append(target)
    return CodeJob(bank=bank.path.name, notebook=nbf.path, cells=cells, skip=skip, targets=targets)


def _latest(records: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    by_ex: dict[str, list[dict[str, Any]]] = {}
    for rec in records:
        by_ex.setdefault(rec["exercise"], []).append(rec)
    return {k: sort_records(v) for k, v in by_ex.items()}


def _hints(rec: dict[str, Any]) -> int:
    value = rec.get("hints")
    return min(value, 10_000) if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


def record_time(rec: dict[str, Any]) -> datetime | None:
    """When a record says it was made (its ``ts``, else its ISO ``time``); self-reported, ``None`` if unreadable."""
    ts = rec.get("ts")
    if isinstance(ts, int | float) and not isinstance(ts, bool) and 0 < ts < 1e11:
        return datetime.fromtimestamp(ts, UTC)
    return parse_time(rec.get("time"))


def history(recs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """An exercise's records (already in order) as attempts to re-check: answer, hints, time, sequence.

    A record in :data:`kenali.records.VERDICT_MODE` is the class server's verdict on the ``pending`` answer
    just before it, copied for the learner's view: the same answer, not a new attempt, so it is left out.
    """
    out = []
    for rec in recs:
        if rec.get("mode") == VERDICT_MODE:
            continue
        seq = rec.get("seq")
        out.append({"answer": rec.get("answer"), "hints": _hints(rec), "at": record_time(rec),
                    "seq": seq if isinstance(seq, int) and not isinstance(seq, bool) else 0})
    return out


def plan(sub: Submission, course: Course, banks: list[Bank], bank_hashes: dict[str, str]) -> Plan:
    """Where each answer of ``sub`` comes from, for the banks in scope."""
    out = Plan()
    if sub.fatal:
        return out
    notes = out.notes
    manifest = sub.manifest or {}
    version = manifest.get("kenali_version")
    if isinstance(version, str) and version != __version__:
        notes.append(note("other_version", version=version[:40], current=__version__))
    their_banks = manifest.get("banks") if isinstance(manifest.get("banks"), dict) else {}
    for bank in banks:
        theirs = their_banks.get(bank.path.name)
        if isinstance(theirs, str) and theirs != bank_hashes.get(bank.path.name):
            notes.append(note("bank_changed", bank=bank.path.name))
    listed = manifest.get("notebooks") if isinstance(manifest.get("notebooks"), dict) else {}

    # notebooks -> banks
    in_scope = {b.path.name for b in banks}
    candidates: dict[str, list[NotebookFile]] = {}
    for nbf in sub.notebooks:
        if _is_lesson_notebook(nbf):
            continue
        bank = _match(nbf, list(course.banks))
        if bank is None:  # an empty file says nothing of its lesson: call it empty, not unknown
            notes.append(note("notebook_empty" if nbf.error == "empty" else "notebook_unknown", file=nbf.path))
            continue
        if bank.path.name not in in_scope:  # another lesson's notebook, not graded this time
            continue
        candidates.setdefault(bank.path.name, []).append(nbf)
        expected = listed.get(nbf.path)
        if isinstance(expected, str) and expected != nbf.sha256:
            notes.append(note("notebook_changed", file=nbf.path))

    latest = _latest(sub.records)
    graded_ids = {ex.id for b in banks for ex in b.graded}
    known = {ex.id for ex in course.exercises()}
    unknown = sorted(k for k in latest if k not in known)
    if unknown:
        notes.append(note("records_unknown", ids=", ".join(unknown[:10])))
    others = sorted({str(r.get("learner")) for r in sub.records
                     if r.get("learner") not in (None, "", sub.learner_id) and r["exercise"] in graded_ids})
    if others:
        notes.append(note("records_other_learner", ids=", ".join(others[:5])))

    has_widget = False
    for bank in banks:
        widget = [ex for ex in bank.graded if not ex.is_code]
        coded = [ex for ex in bank.graded if ex.is_code]
        has_widget = has_widget or bool(widget)
        for ex in widget:
            recs = latest.get(ex.id)
            if recs:
                last = recs[-1]
                out.history[ex.id] = steps = history(recs)  # the verdict copies left out: one step per attempt
                out.widget[ex.id] = {"answer": last.get("answer"), "attempts": len(steps),
                                     "time": str(last.get("time", ""))[:40]}
        for ex in coded:  # code answers come from re-execution; their records only tell the hints used
            if latest.get(ex.id):
                out.history[ex.id] = [{"answer": None, "hints": max(_hints(r) for r in latest[ex.id]),
                                       "at": None, "seq": 0}]
        found = sorted(candidates.get(bank.path.name, []), key=lambda n: _rank(n, bank), reverse=True)
        if len(found) > 1:
            notes.append(note("notebook_duplicate", n=len(found), lesson=bank.lesson, used=found[0].path,
                              ignored=", ".join(n.path for n in found[1:])))
        nbf = found[0] if found else None
        if nbf is not None and coded:
            _ = nbf.nb  # convert now: a notebook that nbformat cannot read is reported below
        if nbf is not None and _meta(nbf).get("kind") == "solutions":
            notes.append(note("notebook_solution", file=nbf.path))
        if nbf is None:
            if coded or not any(ex.id in latest for ex in widget):
                notes.append(note("notebook_missing", notebook=bank.notebook, lesson=bank.lesson))
            recorded = [ex.id for ex in coded if ex.id in latest]
            if recorded:
                notes.append(note("records_code_ignored", ids=", ".join(recorded)))
            continue
        if nbf.error == "empty":
            notes.append(note("notebook_empty", file=nbf.path))
        elif nbf.error and nbf.error.startswith("json"):
            notes.append(note("notebook_invalid_json", file=nbf.path, error=nbf.error[6:]))
        elif nbf.error:
            notes.append(note("notebook_invalid", file=nbf.path, error=nbf.error.split(": ", 1)[-1]))
        if not coded or nbf.nb is None:
            continue
        ids_here = _exercise_ids_in(nbf.nb)
        strange = sorted(i for i in ids_here if i.split(".")[0] == str(int(bank.lesson))
                         and i not in {ex.id for ex in bank.exercises})
        if strange:
            notes.append(note("notebook_other_version", file=nbf.path, ids=", ".join(strange[:10])))
        if nbf.error is None:
            out.jobs.append(_code_job(bank, nbf, notes, out.code))
    if has_widget and not sub.records and sub.notebooks:
        notes.append(note("records_missing"))
    return out


def code_exercises(banks: list[Bank]) -> list[Exercise]:
    return [ex for b in banks for ex in b.graded if ex.is_code]
