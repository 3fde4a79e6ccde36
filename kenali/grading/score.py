"""Step 5: score, in the grader's own process, with the instructor's own bank.

Every answer goes through :func:`kenali.session.check_answer`, the one checking function of the
course; code keys are computed here by :mod:`kenali.keys` from the instructor's solution code and
data. From a submission only *answers* are used: widget answers from its records (their recorded
status and score are ignored), code answers as plain JSON values from the sandbox (validated
before they are compared). Nothing else the learner's process says is believed.

The assessment policy (:mod:`kenali.classroom.policy`; :data:`~kenali.classroom.policy.PRACTICE`
without a policy file) decides the credit: every answer record of a widget exercise is checked
again, in order, and :func:`~kenali.classroom.policy.score_attempts` gives the first-attempt score,
the credited (final) score, the attempts counted, late and over the limit, and the hints. The times
it judges a deadline by are the ones the records state (self-reported offline). A code exercise
has one result, from re-executing the notebook: one attempt, never late (the run has no time of
the learner's).
"""

from __future__ import annotations

import hashlib
import json
import math
import signal as signal_mod
from typing import Any

from ..bank import Bank
from ..classroom.policy import PRACTICE, Attempt, ExerciseScore, Policy, PolicyFile, policy_digest, score_attempts
from ..i18n import t
from ..model import Exercise, Result
from ..session import check_answer
from ..textnorm import compact
from .extract import Plan
from .load import Submission
from .notes import Note, note
from .run import Limits, RunResult

_KINDS = {"number", "text", "bool", "none", "ellipsis", "list", "dict", "series", "dataframe", "too_big", "other"}
PREVIEW_ROWS = 12
MAX_STORED_CHARS = 20_000


# -- plain values from the sandbox --------------------------------------------------------------

_BIG = 10**300  # an integer a float can hold: beyond it a comparison would overflow


def _scalar_ok(v: Any) -> bool:
    return (v is None or isinstance(v, bool | str) or (isinstance(v, int) and -_BIG < v < _BIG)
            or (isinstance(v, float) and not math.isnan(v)))


def valid_plain(plain: Any, depth: int = 0) -> bool:
    """Whether ``plain`` has exactly the shape :func:`kenali.values.to_plain` produces."""
    if depth > 30 or not isinstance(plain, dict) or plain.get("kind") not in _KINDS:
        return False
    kind = plain["kind"]
    try:
        if kind == "number":
            v = plain["value"]
            return v is None or (isinstance(v, int | float) and not isinstance(v, bool)
                                 and (not isinstance(v, int) or -_BIG < v < _BIG))
        if kind == "text":
            return isinstance(plain["value"], str)
        if kind == "bool":
            return isinstance(plain["value"], bool)
        if kind == "list":
            return isinstance(plain["items"], list) and all(valid_plain(i, depth + 1) for i in plain["items"])
        if kind == "dict":
            return isinstance(plain["items"], list) and all(
                isinstance(p, list) and len(p) == 2 and isinstance(p[0], str) and valid_plain(p[1], depth + 1)
                for p in plain["items"]
            )
        if kind == "series":
            index, values = plain["index"], plain["values"]
            return (isinstance(index, list) and isinstance(values, list) and len(index) == len(values)
                    and _scalar_ok(plain.get("name")) and all(map(_scalar_ok, index)) and all(map(_scalar_ok, values)))
        if kind == "dataframe":
            cols, index, data = plain["columns"], plain["index"], plain["data"]
            return (isinstance(cols, list) and isinstance(index, list) and isinstance(data, list)
                    and len(data) == len(index) and all(map(_scalar_ok, cols)) and all(map(_scalar_ok, index))
                    and all(isinstance(r, list) and len(r) == len(cols) and all(map(_scalar_ok, r)) for r in data))
    except (KeyError, TypeError):
        return False
    return True


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:,.4g}" if abs(v) < 1e15 else f"{v:.3e}"
    return "—" if v is None else str(v)


def plain_summary(plain: Any, limit: int = 160) -> str:
    """A one-line rendering of a plain value (reports, most common wrong answer)."""
    if not isinstance(plain, dict):
        return "—"
    kind = plain.get("kind")
    if kind in {"number", "text", "bool"}:
        text = _fmt(plain.get("value")) if kind != "text" else repr(plain.get("value"))
    elif kind == "none":
        text = "None"
    elif kind == "ellipsis":
        text = "..."
    elif kind == "series":
        pairs = ", ".join(f"{_fmt(i)}: {_fmt(v)}"
                          for i, v in zip(plain["index"][:6], plain["values"][:6], strict=False))
        text = f"Series({len(plain['index'])}) {pairs}{', …' if len(plain['index']) > 6 else ''}"
    elif kind == "dataframe":
        columns = ", ".join(map(_fmt, plain["columns"][:6]))
        text = f"DataFrame({len(plain['index'])}×{len(plain['columns'])}) [{columns}]"
        if plain["data"]:
            text += " " + ", ".join(map(_fmt, plain["data"][0][:6]))
    elif kind == "list":
        text = f"list({len(plain['items'])}) [" + ", ".join(plain_summary(i, 30) for i in plain["items"][:6]) + "]"
    elif kind == "dict":
        text = "{" + ", ".join(f"{k}: {plain_summary(v, 30)}" for k, v in plain["items"][:6]) + "}"
    else:
        text = f"{plain.get('type', kind)}"
    return text if len(text) <= limit else text[: limit - 1] + "…"


def preview(plain: Any) -> Any:
    """What is kept of a plain value for the feedback page: the first rows of a large table."""
    if not isinstance(plain, dict):
        return plain
    if len(json.dumps(plain, default=str)) <= MAX_STORED_CHARS:
        return plain
    kind = plain.get("kind")
    if kind == "series":
        return {**plain, "index": plain["index"][:PREVIEW_ROWS], "values": plain["values"][:PREVIEW_ROWS],
                "rows": len(plain["index"])}
    if kind == "dataframe":
        return {**plain, "columns": plain["columns"][:20], "index": plain["index"][:PREVIEW_ROWS],
                "data": [r[:20] for r in plain["data"][:PREVIEW_ROWS]], "rows": len(plain["index"])}
    return {"kind": "other", "type": plain_summary(plain, 200)}


def answer_key(ex: Exercise, answer: Any) -> str:
    """A canonical key of an answer, so that equal wrong answers are counted together."""
    value = answer
    if ex.type == "pilihan_ganda" and isinstance(answer, list):
        value = sorted(map(str, answer))
    elif ex.type == "teks" and isinstance(answer, str):
        value = compact(answer)
    elif ex.type == "angka" and isinstance(answer, str):
        value = answer.strip().replace(",", ".")
    text = json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def describe_answer(ex: Exercise, answer: Any, learner_id: str) -> str:
    if ex.is_code:
        return plain_summary(answer)
    try:
        text = ex.describe(answer)
        return ex.render(text, ex.variant(learner_id)) if ex.pools else text
    except Exception:
        return str(answer)[:200]


# -- scoring --------------------------------------------------------------------------------

def _check(ex: Exercise, answer: Any) -> Result:
    try:
        return check_answer(ex, answer)
    except Exception:  # a malformed answer must never stop the batch
        return Result("invalid", 0.0, (t("grading.answer.unreadable"),))


def _entry(ex: Exercise, result: Result, *, answer: Any, source: str | None, learner_id: str,
           extra: list[str] | None = None, **more: Any) -> dict[str, Any]:
    score = round(float(result.score), 6)
    return {
        "status": result.status, "score": score, "earned": round(score * ex.points, 4), "points": ex.points,
        "answer": preview(answer) if ex.is_code else answer,
        "answer_text": describe_answer(ex, answer, learner_id) if answer is not None else "",
        "answer_key": answer_key(ex, answer) if answer is not None else "",
        "messages": [*(extra or []), *result.messages], "source": source, **more,
    }


def _crash_reason(run: RunResult) -> str:
    if run.signal:
        try:
            name = signal_mod.Signals(run.signal).name
        except ValueError:
            name = f"signal {run.signal}"
        return f"killed by {name}" + (" (out of memory?)" if name == "SIGKILL" else "")
    if run.exit not in (None, 0):
        return f"exit status {run.exit}"
    return "ended without finishing"


def _code_results(jobs: list, run: RunResult | None, limits: Limits, learner_id: str,
                  exercises: dict[str, Exercise], notes: list[Note]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    if run is None:
        return out
    if run.error:
        notes.append(note("sandbox_error", error=run.error))
    elif run.fatal:
        notes.append(note("sandbox_error", error=run.fatal))
    not_run: list[str] = []
    for k, job in enumerate(jobs):
        for target in job.targets:
            ex = exercises[target["id"]]
            msg = run.answers.get((k, ex.id))
            if msg is None:
                not_run.append(ex.id)
                result = Result("unanswered", 0.0, (t("grading.answer.not_run"),))
                out[ex.id] = _entry(ex, result, answer=None, source="code", learner_id=learner_id)
                continue
            extra: list[str] = []
            kind, error = msg.get("error_kind"), msg.get("error")
            if kind == "timeout":
                notes.append(note("cell_timeout", id=ex.id, seconds=limits.cell_timeout))
                extra.append(t("grading.answer.timeout", seconds=f"{limits.cell_timeout:g}"))
            elif kind == "memory":
                notes.append(note("memory", id=ex.id, mb=limits.memory_mb))
                extra.append(t("grading.answer.memory"))
            elif error:
                extra.append(t("grading.answer.error", error=str(error)[:300]))
            plain = msg.get("plain")
            if plain is None:
                result = Result("unanswered", 0.0, (t("grading.answer.missing", variable=ex.variable),))
                if kind in {"timeout", "memory", "error", "syntax"}:
                    result = Result("wrong", 0.0, ())
            elif not valid_plain(plain):
                result = Result("invalid", 0.0, (t("grading.answer.unreadable"),))
                plain = None
            elif plain.get("kind") == "too_big":
                result = Result("invalid", 0.0, (t("grading.answer.too_big", type=str(plain.get("type"))[:80]),))
            elif plain.get("kind") == "other":
                result = Result("invalid", 0.0, (t("grading.answer.unconvertible", type=str(plain.get("type"))[:200]),))
            else:
                result = _check(ex, plain)
            out[ex.id] = _entry(ex, result, answer=plain, source="code", learner_id=learner_id, extra=extra,
                                via=msg.get("via"), error=error)
    if not_run and not run.error and not run.fatal:
        ids = ", ".join(not_run)
        if run.timed_out:
            notes.append(note("timeout", seconds=limits.timeout, ids=ids))
        else:
            notes.append(note("crashed", reason=_crash_reason(run), ids=ids))
    elif run.done is None and not run.error and not run.fatal and jobs:  # every answer came, but no clean end
        notes.append(note("timeout", seconds=limits.timeout, ids="none") if run.timed_out
                     else note("run_incomplete", reason=_crash_reason(run)))
    elif run.done is not None and not run.error and len(run.cells) != (ran := sum(not s for j in jobs for s in j.skip)):
        # the real child reports every cell it runs before it says done: a short stream was written by the code
        notes.append(note("run_incomplete", reason=f"{len(run.cells)} of {ran} cells reported before the end "
                                                   "(results forged by the code?)"))
    if run.repeated:
        notes.append(note("answer_repeated", ids=", ".join(sorted(run.repeated)[:10])))
    if run.truncated:
        notes.append(note("output_truncated", size=f"more than {limits.result_bytes >> 20} MB of results",
                          cap=f"{limits.result_bytes >> 20} MB"))
    done = run.done or {}
    chars = done.get("output_chars")
    if isinstance(chars, int) and chars > limits.output_bytes:
        notes.append(note("output_truncated", size=f"{chars:,} characters", cap=f"{limits.output_bytes:,}"))
    return out


def _credit(ex: Exercise, entry: dict[str, Any], es: ExerciseScore, assignment: str | None, pol: Policy) -> None:
    """Put the policy's verdict into an exercise's entry: ``score``/``earned`` become the credited score."""
    final = round(float(es.final), 6)
    entry.update({
        "score": final, "earned": round(final * ex.points, 4), "first": round(float(es.first), 6), "final": final,
        "attempts": es.attempts, "counted": es.counted, "late": es.late, "over_limit": es.over_limit,
        "hints": es.hints, "assignment": assignment, "credit": pol.credit, "limit": pol.attempts,
        "deadline": pol.deadline.isoformat() if pol.deadline is not None else None,
    })


def _widget_entry(ex: Exercise, history: list[dict[str, Any]], given: dict[str, Any], learner_id: str,
                  policy: PolicyFile | None) -> dict[str, Any]:
    """Every record of a widget exercise checked again, in order; the policy credits them."""
    assignment, pol = policy.for_exercise(ex.id, ex.lesson) if policy is not None else (None, PRACTICE)
    history = history or [{"answer": given["answer"], "hints": 0, "at": None, "seq": 0}]
    results = [_check(ex, h["answer"]) for h in history]
    attempts = [Attempt(r.status, float(r.score), h["hints"], h["at"], h["seq"])
                for r, h in zip(results, history, strict=True)]
    es = score_attempts(attempts, pol)
    judged = [i for i, r in enumerate(results) if r.attempted and r.status != "saved"]
    shown = judged[-1] if judged else len(results) - 1  # the latest answer the grader could judge
    answer = history[shown]["answer"]
    entry = _entry(ex, results[shown], answer=answer, source="record", learner_id=learner_id,
                   attempts=given["attempts"], time=given["time"])
    _credit(ex, entry, es, assignment.id if assignment else None, pol)
    return entry


def score(sub: Submission, plan: Plan, run: RunResult | None, banks: list[Bank], limits: Limits,
          policy: PolicyFile | None = None) -> dict[str, Any]:
    """The graded entry: one result per graded exercise in scope, notes, totals (plain JSON).

    ``policy``: the instructor's assessment policy (``None``: practice, the latest answer counts)."""
    notes: list[Note] = [*sub.notes, *plan.notes]
    exercises = {ex.id: ex for b in banks for ex in b.graded}
    code = _code_results(plan.jobs, run, limits, sub.learner_id, exercises, notes)
    results: dict[str, dict[str, Any]] = {}
    for bank in banks:
        for ex in bank.graded:
            if ex.is_code:
                if ex.id in code:
                    entry = code[ex.id]
                    entry.update(plan.code.get(ex.id, {}))
                else:
                    message = t("grading.answer.no_notebook") if not sub.fatal else t("grading.answer.not_run")
                    entry = _entry(ex, Result("unanswered", 0.0, (message,)), answer=None, source=None,
                                   learner_id=sub.learner_id)
            elif ex.id in plan.widget:
                entry = _widget_entry(ex, plan.history.get(ex.id, []), plan.widget[ex.id], sub.learner_id, policy)
                results[ex.id] = entry
                continue
            else:
                entry = _entry(ex, Result("unanswered", 0.0, (t("grading.answer.no_record"),)), answer=None,
                               source=None, learner_id=sub.learner_id)
            if ex.is_code:  # one result from re-execution: one attempt, credited under the policy
                assignment, pol = policy.for_exercise(ex.id, ex.lesson) if policy is not None else (None, PRACTICE)
                hints = max((h["hints"] for h in plan.history.get(ex.id, [])), default=0)
                es = score_attempts([Attempt(entry["status"], entry["score"], hints)], pol)
                _credit(ex, entry, es, assignment.id if assignment else None, pol)
            else:
                _credit(ex, entry, score_attempts([], PRACTICE), None, PRACTICE)
            results[ex.id] = entry
    for ex_id, steps in plan.history.items():  # for similarity.py: each record's time and answer
        if ex_id in results and results[ex_id].get("source") == "record" and ex_id in exercises:
            results[ex_id]["trail"] = [[h["at"].isoformat() if h.get("at") is not None else None,
                                        answer_key(exercises[ex_id], h.get("answer"))] for h in steps[:200]]
    seen: set[str] = set()
    unique = []
    for n in notes:
        k = json.dumps(n, sort_keys=True)
        if k not in seen:
            seen.add(k)
            unique.append(n)
    earned = round(sum(r["earned"] for r in results.values()), 4)
    maximum = round(sum(ex.points for ex in exercises.values()), 4)
    empty = any(n["code"] == "empty_entry" for n in unique)
    return {
        "entry": sub.entry, "kind": sub.kind, "digest": sub.digest, "learner_id": sub.learner_id, "name": sub.name,
        "created": sub.created, "fatal": sub.fatal, "notes": unique, "exercises": results,
        "identity_ok": sub.identity_ok, "identity": sub.identity,
        "total": earned, "maximum": maximum, "policy": policy_digest(policy),
        "status": "failed" if sub.fatal or empty else ("check" if unique else "ok"),
    }
