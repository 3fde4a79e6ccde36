"""What the reports say about attempts under the assessment policy (``kenali grade --policy``).

* ``attempts.csv``: one row per learner × exercise: the assignment, the credit rule, attempts made,
  counted, late and over the limit, hints, the first attempt's points and the credited points;
* on each learner's feedback page: attempts, first-attempt vs credited points, late and over-limit
  answers, hints (:func:`exercise_lines`, in the course language);
* in ``summary.html``: per exercise, first-attempt correct share vs final correct share, mean
  attempts and hints, late and over-limit answers, and the policy's digest (:func:`summary_section`).

Everything is read from the graded entries (plain JSON, see :mod:`.score`), so a re-run writes the
same files. Offline, the times a deadline is judged by are the ones the learner's records state.
"""

from __future__ import annotations

import statistics
from datetime import datetime
from pathlib import Path
from typing import Any

from ..i18n import t
from ..model import Exercise
from ..present import numbers as fmt
from ..present.text import esc

ATTEMPTS_HEADER = ["learner_id", "name", "exercise", "lesson", "assignment", "credit", "attempts", "counted", "late",
                   "over_limit", "hints", "first_points", "final_points", "points", "source"]


def write_attempts(path: Path, rows: list[dict[str, Any]], exercises: list[Exercise]) -> None:
    """``attempts.csv``: one row per learner × graded exercise (the learner's row order, then the bank's)."""
    from .report import _write_csv, num

    body = []
    for row in rows:
        for ex in exercises:
            res = row["exercises"].get(ex.id)
            if res is None:
                continue
            body.append([
                row["learner_id"], row["name"], ex.id, ex.lesson, res.get("assignment") or "",
                res.get("credit", "last"), res.get("attempts", 0), res.get("counted", 0), res.get("late", 0),
                res.get("over_limit", 0), res.get("hints", 0), num(res.get("first", 0.0) * ex.points),
                num(res["earned"]), num(ex.points), res.get("source") or "",
            ])
    _write_csv(path, ATTEMPTS_HEADER, body)


def _when(deadline: str | None) -> str:
    if not deadline:
        return ""
    try:
        return datetime.fromisoformat(deadline).strftime("%Y-%m-%d %H:%M %z")
    except ValueError:
        return deadline


def exercise_lines(ex: Exercise, res: dict[str, Any]) -> list[str]:
    """The learner's lines about attempts for one exercise of their feedback page (plain text)."""
    n = int(res.get("attempts") or 0)
    if not n:
        return []
    if ex.is_code:
        lines = [t("grading_policy.code_once")]
    else:
        lines = [t("grading.attempts", n=fmt.integer(n))]
        credit = str(res.get("credit", "last"))
        first, final = float(res.get("first", 0.0)), float(res.get("final", res.get("score", 0.0)))
        if credit != "last" or first != final or res.get("late") or res.get("over_limit"):
            lines.append(t("grading_policy.first_final", first=fmt.score(first * ex.points),
                           final=fmt.score(final * ex.points), rule=t(f"grading_policy.credit_{credit}")))
    if res.get("late"):
        lines.append(t("grading_policy.late", n=fmt.integer(res["late"]), deadline=_when(res.get("deadline"))))
    if res.get("over_limit"):
        lines.append(t("grading_policy.over_limit", n=fmt.integer(res["over_limit"]),
                       total=fmt.integer(res.get("limit") or 0)))
    if res.get("hints"):
        lines.append(t("grading_policy.hints", n=fmt.integer(res["hints"])))
    return lines


def _share(results: list[dict[str, Any]], test: Any) -> float:
    return round(100.0 * sum(1 for x in results if test(x)) / len(results), 1) if results else 0.0


def figures(rows: list[dict[str, Any]], exercises: list[Exercise]) -> list[dict[str, Any]]:
    """Per exercise: learners, the share correct at the first attempt and at the latest, the mean credited
    score (%), mean attempts and hints, late and over-limit answers."""
    graded = [r for r in rows if not r["fatal"]]
    out = []
    for ex in exercises:
        results = [r["exercises"][ex.id] for r in graded if ex.id in r["exercises"]]
        tried = [x for x in results if x.get("attempts")]
        out.append({
            "id": ex.id, "learners": len(results), "tried": len(tried),
            "first_correct": _share(tried, lambda x: x.get("first", 0) >= 1),
            "final_correct": _share(tried, lambda x: x["status"] == "correct"),
            "mean_credit": round(100.0 * statistics.fmean(x["score"] for x in results), 1) if results else 0.0,
            "mean_attempts": round(statistics.fmean(x["attempts"] for x in tried), 2) if tried else 0.0,
            "mean_hints": round(statistics.fmean(x.get("hints", 0) for x in tried), 2) if tried else 0.0,
            "late": sum(int(x.get("late", 0)) for x in results),
            "over_limit": sum(int(x.get("over_limit", 0)) for x in results),
            "assignment": next((x.get("assignment") for x in results if x.get("assignment")), "") or "",
            "credit": next((x.get("credit") for x in results), "last"),
        })
    return out


def summary_section(rows: list[dict[str, Any]], exercises: list[Exercise]) -> str:
    """The "Attempts" section of summary.html (English, for the instructor)."""
    digests = sorted({str(r.get("policy") or "") for r in rows} - {""})
    policy = ", ".join(digests) if digests else "none"
    out = ["<h2>Attempts</h2>",
           f"<p class='muted'>Policy digest {esc(policy)}. Correct at first / at last: share of the learners who "
           "tried whose first / latest judged answer is right; mean credit: the score the policy credits (practice: "
           "the latest answer), over all learners. Widget exercises are re-checked from every "
           "answer record; a code exercise is one attempt (its notebook re-executed). Record times are "
           "self-reported by the learner's machine.</p>",
           "<table><tr><th class='l'>Exercise</th><th class='l'>Assignment</th><th class='l'>Credit</th>"
           "<th>Tried</th><th>Correct at first</th><th>Correct at last</th><th>Mean credit</th><th>Mean attempts</th>"
           "<th>Mean hints</th><th>Late</th><th>Over limit</th></tr>"]
    for f in figures(rows, exercises):
        out.append(f"<tr><td class='l'>{esc(f['id'])}</td><td class='l'>{esc(f['assignment'] or '—')}</td>"
                   f"<td class='l'>{esc(f['credit'])}</td><td>{f['tried']}/{f['learners']}</td>"
                   f"<td>{f['first_correct']:.1f}%</td><td>{f['final_correct']:.1f}%</td><td>{f['mean_credit']:.1f}%</td>"
                   f"<td>{f['mean_attempts']:.2f}</td><td>{f['mean_hints']:.2f}</td>"
                   f"<td>{f['late']}</td><td>{f['over_limit']}</td></tr>")
    out.append("</table>")
    return "\n".join(out)
