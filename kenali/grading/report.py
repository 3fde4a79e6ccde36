"""Step 6: the instructor's files, made only from graded entries (plain JSON).

* ``gradebook.csv``: one row per learner: ID, name, one score column per exercise, total,
  maximum, percentage, status (``ok`` / ``check`` / ``failed``), notes, and the graded entry;
* ``moodle.csv``: percentages per lesson and the weighted grade, in the shape Moodle's CSV grade
  import accepts (:mod:`.moodle`; learners it cannot identify go to ``moodle_unmatched.csv``);
* ``feedback/<learner>.html``: for the learner, per exercise their answer, the result and the
  explanation, in the course language;
* ``summary.html``: class analytics with plots as inline SVG: score distribution, share correct
  per exercise, the most common wrong answer per exercise, mastery per syllabus concept, problems.

Nothing here depends on the clock or on the order entries were graded in, so a re-run on the same
folder writes byte-identical files.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import statistics
import unicodedata
from collections import Counter
from pathlib import Path
from typing import Any

from ..bank import Bank, Course
from ..i18n import t
from ..model import Exercise
from ..present import feedback as present_feedback
from ..present import numbers as fmt
from ..present.text import esc, filler, md_inline
from . import moodle as moodle_mod
from . import policyreport, svgplot
from .notes import english, learner_text, note
from .weights import LessonWeight, lesson_percents, lesson_weights, weighted_percent

STATUSES = ("ok", "check", "failed")


# -- helpers ------------------------------------------------------------------------------------

def num(x: float) -> str:
    """A score for a CSV cell: at most two decimals, no trailing zeros."""
    value = round(float(x), 2)
    return f"{value:.2f}".rstrip("0").rstrip(".") if value != int(value) else str(int(value))


def safe_name(learner_id: str) -> str:
    """A file name for a learner: ASCII letters, digits, ``._-``; a short hash keeps changed names unique."""
    ascii_ = unicodedata.normalize("NFKD", learner_id).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^A-Za-z0-9._-]+", "_", ascii_).strip("._-")[:60] or "peserta"
    if slug != learner_id:
        slug += "-" + hashlib.sha1(learner_id.encode("utf-8", "surrogatepass")).hexdigest()[:8]
    return slug


def percent(row: dict[str, Any]) -> float:
    return round(100.0 * row["total"] / row["maximum"], 1) if row["maximum"] else 0.0


# -- rows: one per learner ----------------------------------------------------------------------

def merge(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per learner. Of several entries for one ID, the one that counts is decided from facts the
    instructor holds, never from a date the learner wrote: an entry whose name confirms the ID beats
    one that only claims it (an LMS folder's name beats a file name the learner chose), a readable one
    beats an unreadable one, then the later file (its time, then its place in the folder). The others
    are listed in a note and the row is to check."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for res in results:
        groups.setdefault(res["learner_id"].casefold(), []).append(res)
    rows = []
    for group in groups.values():
        group.sort(key=lambda r: (int(r.get("identity", 1 if r.get("identity_ok", True) is not False else 0)),
                                  not r.get("fatal"), int(r.get("mtime") or 0), int(r.get("order") or 0), r["entry"]))
        chosen = dict(group[-1])
        if len(group) > 1:
            others = ", ".join(f"{r['entry']} ({num(r['total'])}/{num(r['maximum'])})" for r in group[:-1])
            chosen["notes"] = [
                *chosen["notes"],
                note("duplicate_entry", n=len(group), used=chosen["entry"],
                     used_score=f"{num(chosen['total'])}/{num(chosen['maximum'])}", others=others),
            ]
            if chosen["status"] == "ok":
                chosen["status"] = "check"
        if safe_name(chosen["learner_id"]) != chosen["learner_id"]:
            chosen["notes"] = [*chosen["notes"], note("name_unsafe", entry=chosen["entry"],
                                                      file=f"feedback/{safe_name(chosen['learner_id'])}.html")]
            if chosen["status"] == "ok":
                chosen["status"] = "check"
        chosen["file"] = safe_name(chosen["learner_id"])
        rows.append(chosen)
    return sorted(rows, key=lambda r: (r["learner_id"].casefold(), r["learner_id"], r["entry"]))


# -- CSV ----------------------------------------------------------------------------------------

_NUMBER = re.compile(r"^-?[0-9]+(\.[0-9]+)?$")  # a plain number is shown as one, never evaluated


def csv_cell(value: str) -> str:
    """A cell a spreadsheet shows as text: IDs, names, notes and entry names come from learners, and a
    leading ``=``, ``+``, ``-`` or ``@`` (``-1-1``, ``=HYPERLINK(...)``) would make Excel or LibreOffice
    evaluate them as a formula."""
    value = value.replace("\0", "")
    if value[:1] in {"=", "+", "-", "@", "\t", "\r", "\n", "|", "%"} and not _NUMBER.match(value):
        return "'" + value
    return value


def _write_csv(path: Path, header: list[str], rows: list[list[str]]) -> None:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    writer.writerows([csv_cell(str(cell)) for cell in row] for row in rows)
    path.write_text(buf.getvalue(), encoding="utf-8")


def write_gradebook(path: Path, rows: list[dict[str, Any]], exercises: list[Exercise],
                    banks: list[Bank] | None = None, table: list[LessonWeight] | None = None) -> None:
    """One row per learner; with ``banks`` and ``table`` (the lesson weights) the weighted grade and each
    lesson's percentage follow the older columns (``weighted_percentage``, ``percentage_01``, ...)."""
    header = ["learner_id", "name", *(ex.id for ex in exercises), "total", "maximum", "percentage", "status",
              "notes", "entry"]
    weighted = banks is not None and table is not None
    if weighted:
        header += ["weighted_percentage", *(f"percentage_{b.lesson}" for b in banks)]
    body = []
    for row in rows:
        scores = [num(row["exercises"][ex.id]["earned"]) if ex.id in row["exercises"] else "" for ex in exercises]
        line = [row["learner_id"], row["name"], *scores, num(row["total"]), num(row["maximum"]),
                f"{percent(row):.1f}", row["status"], "; ".join(english(n) for n in row["notes"]), row["entry"]]
        if weighted:
            percents = lesson_percents(row, banks, table)
            line += [f"{weighted_percent(percents, table):.1f}", *(f"{percents[b.lesson]:.1f}" for b in banks)]
        body.append(line)
    _write_csv(path, header, body)


def write_moodle(path: Path, rows: list[dict[str, Any]], banks: list[Bank], table: list[LessonWeight] | None = None,
                 roster: list[moodle_mod.RosterRow] | None = None) -> moodle_mod.MoodleFile:
    """Moodle's CSV grade import (:mod:`.moodle`): identification columns, then the weighted grade and one
    percentage per lesson; ``moodle_unmatched.csv`` beside it lists who is not in it and why."""
    table = table if table is not None else lesson_weights(banks)
    made = moodle_mod.build(rows, banks, table, roster)
    moodle_mod.write(path, made.header, made.rows)
    # for the instructor's spreadsheet, not for Moodle: learners' IDs and names never run as a formula
    _write_csv(path.with_name("moodle_unmatched.csv"), moodle_mod.UNMATCHED_HEADER, made.unmatched)
    return made


# -- feedback, for the learner -------------------------------------------------------------------

_CSS = """<style>
body {font-family: system-ui, sans-serif; max-width: 920px; margin: 2em auto; padding: 0 1em; line-height: 1.45;
      color: #1f2328;}
h1 {font-size: 1.6em;} h2 {border-bottom: 1px solid #ddd; padding-bottom: .2em; margin-top: 1.6em;}
.ex {border-left: 4px solid #4c7ab8; padding: .2em 1em .6em 1em; margin: 1em 0; background: #fafbfc;}
.ex h3 {margin: .4em 0;} .status {font-weight: 600;}
.correct {color: #1a7f37;} .partial {color: #9a6700;} .wrong, .invalid {color: #b42318;} .unanswered {color: #57606a;}
.notes {background: #fff4e5; border-left: 4px solid #f0a500; padding: .4em 1em;}
pre {background: #f0f2f4; padding: .6em; overflow-x: auto; font-size: .9em;}
table {border-collapse: collapse; margin: .4em 0; font-size: .92em;}
td, th {border: 1px solid #d0d7de; padding: 2px 8px; text-align: right;} th {background: #f0f2f4;}
td.l, th.l {text-align: left;} .muted {color: #57606a; font-size: .9em;}
img {max-width: 100%;}
</style>"""


def _cell(v: Any) -> str:
    if isinstance(v, float):
        return esc(f"{v:,.6g}")
    return "—" if v is None else esc(v)


def plain_html(plain: Any) -> str:
    """A learner's code value as HTML: a number or text, or a (first rows of a) table."""
    if not isinstance(plain, dict):
        return "<i>—</i>"
    kind = plain.get("kind")
    more = plain.get("rows")
    tail = f"<p class='muted'>{esc(t('grading.rows_shown', shown=len(plain.get('index', [])), rows=more))}</p>" \
        if more else ""
    if kind == "series":
        name = plain.get("name")
        head = f"<tr><th class='l'></th><th>{_cell(name) if name is not None else ''}</th></tr>"
        body = "".join(f"<tr><th class='l'>{_cell(i)}</th><td>{_cell(v)}</td></tr>"
                       for i, v in zip(plain["index"], plain["values"], strict=False))
        return f"<table>{head}{body}</table>{tail}"
    if kind == "dataframe":
        head = "<tr><th class='l'></th>" + "".join(f"<th>{_cell(c)}</th>" for c in plain["columns"]) + "</tr>"
        body = "".join("<tr><th class='l'>" + _cell(i) + "</th>" + "".join(f"<td>{_cell(v)}</td>" for v in row)
                       + "</tr>" for i, row in zip(plain["index"], plain["data"], strict=False))
        return f"<table>{head}{body}</table>{tail}"
    from .score import plain_summary

    return f"<code>{esc(plain_summary(plain, 400))}</code>"


def _status_line(ex: Exercise, res: dict[str, Any]) -> str:
    return present_feedback.status_line(ex, res["status"], res["earned"])


def feedback_html(row: dict[str, Any], banks: list[Bank], table: list[LessonWeight] | None = None) -> str:
    learner = row["learner_id"]
    weights = {w.lesson: w for w in table or []}
    percents = lesson_percents(row, banks, table) if weights else {}
    total = t("grading.total", earned=fmt.score(row["total"]), maximum=fmt.score(row["maximum"]),
              percent=fmt.percent(percent(row), 1))
    parts = [
        "<!DOCTYPE html>", f"<html lang='{esc(_lang())}'><head><meta charset='utf-8'>",
        f"<title>{esc(t('grading.feedback_title'))} · {esc(learner)}</title>{_CSS}</head><body>",
        f"<h1>{esc(t('grading.feedback_title'))}</h1>",
        f"<p>{esc(t('grading.learner_line', name=row['name'] or '—', id=learner))}</p>",
        f"<p><b>{esc(total)}</b></p>",
    ]
    if weights:
        final = fmt.percent(weighted_percent(percents, list(weights.values())), 1).rstrip("%")
        parts.append(f"<p><b>{esc(t('grading.weighted_total', percent=final))}</b> "
                     f"<span class='muted'>{esc(t('grading.weighted_explained'))}</span></p>")
    if row["notes"]:
        items = "".join(f"<li>{esc(learner_text(n))}</li>" for n in row["notes"])
        parts.append(f"<div class='notes'><b>{esc(t('grading.notes_title'))}</b><ul>{items}</ul></div>")
    for bank in banks:
        graded = [ex for ex in bank.graded if ex.id in row["exercises"]]
        earned = sum(row["exercises"][ex.id]["earned"] for ex in graded)
        points = sum(ex.points for ex in graded)
        parts.append(f"<h2>{esc(bank.title)} <span class='muted'>"
                     f"{esc(t('grading.lesson_total', earned=fmt.score(earned), maximum=fmt.score(points)))}"
                     "</span></h2>")
        if bank.lesson in weights:
            line = t("grading.lesson_weight", percent=fmt.percent(percents[bank.lesson], 1),
                     weight=fmt.percent(weights[bank.lesson].weight, 1))
            parts.append(f"<p class='muted'>{esc(line)}</p>")
        for ex in graded:
            res = row["exercises"][ex.id]
            fill = filler(ex, learner)
            title = md_inline(fill(ex.title))
            parts.append(f"<div class='ex'><h3>{esc(ex.kind_label)} {esc(ex.id)} · {title}</h3>")
            if ex.question:
                parts.append(f"<p>{md_inline(fill(ex.question))}</p>")
            parts.append(f"<p class='status {esc(res['status'])}'>{esc(_status_line(ex, res))}</p>")
            parts.append(f"<p><b>{esc(t('grading.your_answer'))}:</b> ")
            if res.get("answer") is None:
                parts.append(f"<i>{esc(t('grading.no_answer'))}</i></p>")
            elif ex.is_code:
                parts.append(f"</p>{plain_html(res['answer'])}")
            else:
                parts.append(f"{esc(res['answer_text'])}</p>")
            if ex.is_code and res.get("code"):
                parts.append(f"<details><summary>{esc(t('grading.your_code'))}</summary>"
                             f"<pre>{esc(res['code'])}</pre></details>")
            parts += [f"<p class='muted'>{esc(line)}</p>" for line in policyreport.exercise_lines(ex, res)]
            if res["messages"]:
                messages = present_feedback.messages_html(res["messages"], fill)
                parts.append("<ul>" + "".join(f"<li>{m}</li>" for m in messages) + "</ul>")
            explanation = md_inline(fill(ex.explanation))
            parts.append(f"<p><b>{esc(t('grading.explanation'))}:</b> {explanation}</p></div>")
    parts.append("</body></html>\n")
    return "\n".join(parts)


def _lang() -> str:
    from ..i18n import lang

    return lang()


# -- summary, for the instructor ------------------------------------------------------------------

def _hist_plot(percents: list[float]) -> str:
    return svgplot.histogram(percents, list(range(0, 101, 10)), "score (%)", "learners", "Score distribution")


def _bar_plot(labels: list[str], values: list[float], xlabel: str, horizontal: bool = False) -> str:
    return svgplot.bars(labels, values, xlabel, xlabel, horizontal=horizontal)


def analytics(rows: list[dict[str, Any]], course: Course, exercises: list[Exercise]) -> dict[str, Any]:
    """The numbers behind summary.html (also handy for tests and scripts)."""
    graded = [r for r in rows if not r["fatal"]]
    per_ex = []
    for ex in exercises:
        results = [r["exercises"][ex.id] for r in graded if ex.id in r["exercises"]]
        answered = [x for x in results if x["status"] not in {"unanswered"}]
        correct = [x for x in results if x["status"] == "correct"]
        wrong = Counter((x["answer_key"], x["answer_text"]) for x in results
                        if x["status"] in {"wrong", "partial", "invalid"} and x.get("answer_key"))
        common = wrong.most_common(1)
        per_ex.append({
            "id": ex.id, "title": ex.title, "type": ex.type, "points": ex.points, "learners": len(results),
            "answered": len(answered), "correct": len(correct),
            "correct_share": round(100.0 * len(correct) / len(results), 1) if results else 0.0,
            "mean_score": round(100.0 * sum(x["score"] for x in results) / len(results), 1) if results else 0.0,
            "common_wrong": common[0][0][1] if common else "", "common_wrong_count": common[0][1] if common else 0,
        })
    titles = {c.id: c.title for c in course.concepts}
    mastery: dict[str, list[float]] = {}
    for ex in exercises:
        for cid in ex.concepts:
            acc = mastery.setdefault(cid, [0.0, 0.0])
            for r in graded:
                if ex.id in r["exercises"]:
                    acc[0] += r["exercises"][ex.id]["earned"]
                    acc[1] += ex.points
    concepts = [{"id": cid, "title": titles.get(cid, cid), "mastery": round(100.0 * e / p, 1) if p else 0.0}
                for cid, (e, p) in sorted(mastery.items())]
    percents = [percent(r) for r in graded]
    note_counts = Counter(n["code"] for r in rows for n in r["notes"])
    return {
        "learners": len(rows), "graded": len(graded),
        "mean": round(statistics.fmean(percents), 1) if percents else 0.0,
        "median": round(statistics.median(percents), 1) if percents else 0.0,
        "status": {s: sum(1 for r in rows if r["status"] == s) for s in STATUSES},
        "percents": percents, "exercises": per_ex, "concepts": concepts,
        "notes": dict(sorted(note_counts.items(), key=lambda kv: (-kv[1], kv[0]))),
    }


def weights_html(table: list[LessonWeight]) -> str:
    """The lesson weights: minutes, points, weight (and what the no-code track can reach)."""
    source = "set in the policy file" if table and table[0].source == "instructor" else \
        "by lesson time: the lesson notebook's estimate plus the exercise notebook's, as the course map shows them"
    out = [f"<h2>Lesson weights</h2><p>Weights {esc(source)}. A learner's grade is the weighted mean of their "
           "percentage in each lesson (gradebook.csv: <code>weighted_percentage</code>).</p>",
           "<table><tr><th class='l'>Lesson</th><th class='l'>Title</th><th>Lesson min</th><th>Exercise min</th>"
           "<th>Minutes</th><th>Points</th><th>Weight</th><th>Points without code</th></tr>"]
    for w in table:
        out.append(f"<tr><td class='l'>{esc(w.lesson)}</td><td class='l'>{esc(w.title)}</td><td>{w.lesson_minutes}</td>"
                   f"<td>{w.exercise_minutes}</td><td>{w.minutes}</td><td>{num(w.points)}</td>"
                   f"<td>{w.weight:.1f}%</td><td>{num(w.points_without_code)}</td></tr>")
    out.append("</table>")
    if table and all(w.lesson_minutes == 0 for w in table) and table[0].source == "minutes":
        out.append("<p>The lesson notebooks were not found: weights use the exercise notebooks' minutes only.</p>")
    for w in table:
        if w.no_code_track:
            out.append(f"<p>Lesson {esc(w.lesson)} has a no-code track (<code>{esc(w.no_code_track)}</code>): it asks "
                       f"the lesson's widget exercises only. A learner who attempted none of its code exercises took "
                       f"that track and is graded on its {num(w.points_without_code)} points instead of the lesson's "
                       f"{num(w.points)}, under the same weight; anyone who attempted code is graded on all of them."
                       "</p>")
    return "\n".join(out)


def moodle_html(made: moodle_mod.MoodleFile) -> str:
    """What moodle.csv holds, which "Map from" columns work, and who is not in it."""
    maps = ", ".join(f"<b>{esc(c)}</b> → <code>{esc(moodle_mod.MAP_TO[c])}</code>" for c in made.identifiers)
    out = ["<h2>Moodle import</h2>",
           f"<p>moodle.csv: {len(made.rows)} learner(s); grades in percent (0–100, the maximum of a new Moodle grade "
           f"item). Identify users by {maps or 'nothing (see below)'}"
           f"{' (matched through the roster)' if made.roster_used else ''}. "
           "Steps: docs/grading.md, section Moodle.</p>"]
    for column, why in made.dropped.items():
        out.append(f"<p>Column {esc(column)} left out: {esc(why)}.</p>")
    if made.matches:
        counts = Counter(made.matches.values())
        out.append("<p>Roster matches: " + ", ".join(f"{n} by {esc(k)}" for k, n in counts.items()) + ".</p>")
        weak = sorted(k for k, v in made.matches.items() if v == "name")
        if weak:
            out.append(f"<p>Matched by full name only (check): {esc(', '.join(weak))}.</p>")
    if made.unmatched:
        out.append("<p>Not in moodle.csv (also in <code>moodle_unmatched.csv</code>):</p><table><tr>"
                   "<th class='l'>Side</th><th class='l'>Learner / participant</th><th class='l'>Reason</th></tr>")
        for r in made.unmatched:
            who = r[1] if r[0] == "learner" else " / ".join(x for x in (r[4], r[5], r[6], f"{r[7]} {r[8]}".strip())
                                                             if x)
            out.append(f"<tr><td class='l'>{esc(r[0])}</td><td class='l'>{esc(who)}</td>"
                       f"<td class='l'>{esc(r[10])}</td></tr>")
        out.append("</table>")
    return "\n".join(out)


def summary_html(rows: list[dict[str, Any]], course: Course, banks: list[Bank], table: list[LessonWeight] | None = None,
                 made: moodle_mod.MoodleFile | None = None, extra: list[str] | None = None) -> str:
    """The class summary; ``table``, ``made`` and ``extra`` (HTML sections) add the weights, the Moodle
    import and further sections (copied work to look at)."""
    exercises = [ex for b in banks for ex in b.graded]
    a = analytics(rows, course, exercises)
    out = ["<!DOCTYPE html>", "<html lang='en'><head><meta charset='utf-8'><title>Class summary</title>", _CSS,
           "</head><body>", "<h1>Class summary</h1>",
           f"<p>{a['learners']} learner(s), {a['graded']} graded; mean {a['mean']:.1f}%, median {a['median']:.1f}%. "
           f"Status: {a['status']['ok']} ok, {a['status']['check']} to check, {a['status']['failed']} failed. "
           f"Lessons: {esc(', '.join(f'{b.lesson} {b.notebook}' for b in banks))}.</p>"]
    if table and a["percents"]:  # the grade Moodle gets is weighted by lesson: say so beside the points
        grades = [weighted_percent(lesson_percents(r, banks, table), table) for r in rows if not r["fatal"]]
        out.append(f"<p>Grade (<code>weighted_percentage</code>, the total in moodle.csv: each lesson's percentage, "
                   f"weighted by lesson): mean {statistics.fmean(grades):.1f}%, median "
                   f"{statistics.median(grades):.1f}%. The mean and median above and the distribution below "
                   "count points, unweighted.</p>")
    if a["percents"]:
        out += ["<h2>Score distribution</h2>", _hist_plot(a["percents"])]
    if table:
        out.append(weights_html(table))
    out += ["<h2>Exercises</h2>"]
    if a["exercises"]:
        out.append(_bar_plot([e["id"] for e in a["exercises"]], [e["correct_share"] for e in a["exercises"]],
                             "correct (%)"))
    out.append("<table><tr><th class='l'>Exercise</th><th class='l'>Title</th><th class='l'>Type</th><th>Points</th>"
               "<th>Answered</th><th>Correct</th><th>Mean score</th><th class='l'>Most common wrong answer</th></tr>")
    for e in a["exercises"]:
        common = f"{esc(e['common_wrong'])} <span class='muted'>({e['common_wrong_count']}×)</span>" \
            if e["common_wrong_count"] else "—"
        out.append(f"<tr><td class='l'>{esc(e['id'])}</td><td class='l'>{esc(e['title'])}</td>"
                   f"<td class='l'>{esc(e['type'])}</td><td>{num(e['points'])}</td>"
                   f"<td>{e['answered']}/{e['learners']}</td><td>{e['correct_share']:.1f}%</td>"
                   f"<td>{e['mean_score']:.1f}%</td><td class='l'>{common}</td></tr>")
    out.append("</table>")
    out.append(policyreport.summary_section(rows, exercises))
    out.append("<h2>Mastery per syllabus concept</h2>")
    if a["concepts"]:
        out.append(_bar_plot([c["id"] for c in a["concepts"]], [c["mastery"] for c in a["concepts"]],
                             "points earned (%)", horizontal=True))
    out.append("<table><tr><th class='l'>Concept</th><th class='l'>Title</th><th>Mastery</th></tr>")
    out += [f"<tr><td class='l'>{esc(c['id'])}</td><td class='l'>{esc(c['title'])}</td>"
            f"<td>{c['mastery']:.1f}%</td></tr>" for c in a["concepts"]]
    out.append("</table>")
    if made is not None:
        out.append(moodle_html(made))
    out += extra or []
    out.append("<h2>Problems</h2>")
    if a["notes"]:
        out.append("<table><tr><th class='l'>Problem</th><th>Learners</th></tr>")
        out += [f"<tr><td class='l'>{esc(code)}</td><td>{n}</td></tr>" for code, n in a["notes"].items()]
        out.append("</table><table><tr><th class='l'>Learner</th><th class='l'>Status</th>"
                   "<th class='l'>Notes</th></tr>")
        out += [f"<tr><td class='l'>{esc(r['learner_id'])}</td><td class='l'>{esc(r['status'])}</td>"
                f"<td class='l'>{'<br>'.join(esc(english(n)) for n in r['notes'])}</td></tr>"
                for r in rows if r["notes"]]
        out.append("</table>")
    else:
        out.append("<p>None.</p>")
    out.append("</body></html>\n")
    return "\n".join(out)


def write_all(out_dir: Path, rows: list[dict[str, Any]], course: Course, banks: list[Bank], *,
              table: list[LessonWeight] | None = None, roster: list[moodle_mod.RosterRow] | None = None,
              extra: list[str] | None = None) -> list[Path]:
    """Write every report; returns the paths written. ``table``: the lesson weights (default: by lesson
    time, see :mod:`.weights`); ``roster``: Moodle participants to match learners to (:mod:`.moodle`);
    ``extra``: further HTML sections of the summary."""
    exercises = [ex for b in banks for ex in b.graded]
    if table is None:
        from ..paths import course_root

        table = lesson_weights(banks, root=course_root(), course=list(course.banks))
    out_dir.mkdir(parents=True, exist_ok=True)
    feedback = out_dir / "feedback"
    feedback.mkdir(exist_ok=True)
    written = [out_dir / "gradebook.csv", out_dir / "moodle.csv", out_dir / "summary.html",
               out_dir / "moodle_unmatched.csv"]
    write_gradebook(written[0], rows, exercises, banks, table)
    made = write_moodle(written[1], rows, banks, table, roster)
    keep = set()
    for row in rows:
        path = feedback / f"{row['file']}.html"
        try:
            page = feedback_html(row, banks, table)
        except Exception as exc:
            page = f"<!doctype html><meta charset='utf-8'><p>{esc(row['learner_id'])}: {esc(type(exc).__name__)}</p>"
        path.write_text(page, encoding="utf-8")
        keep.add(path.name)
        written.append(path)
    for stale in feedback.glob("*.html"):  # learners no longer in the folder
        if stale.name not in keep:
            stale.unlink()
    written[2].write_text(summary_html(rows, course, banks, table, made, extra), encoding="utf-8")
    return written
