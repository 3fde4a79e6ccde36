"""What a learner reads about an exercise and an answer: header and story, status line, feedback,
hints, explanation, solution, the restored-answer line, progress tables.

Every function takes the exercise's texts as they are in the bank and a ``fill`` function (see
:func:`kenali.present.text.filler`) that puts in the learner's variant, so that a ``{nama}`` never
reaches the page. Numbers go through :mod:`.numbers`, dates through :mod:`.dates`, Markdown through
:mod:`.text`. The same functions serve the widgets, ``cek()``, ``petunjuk()``, ``solusi()`` and the
grader's feedback pages.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ..i18n import t
from . import dates, numbers
from .message import render
from .text import esc, md, md_inline, plain

if TYPE_CHECKING:
    from ..model import Exercise, Result

Fill = Callable[[str], str]


def _same(text: str) -> str:
    return text


# -- the exercise's own texts ------------------------------------------------------------------


def scenario_in_notebook(ex: Exercise) -> bool:
    """Whether the exercise notebook shows the scenario in a Markdown cell above the widget.

    The builder writes a graded exercise's scenario into its Markdown cell unless the scenario is
    personalised (a Markdown cell cannot know the learner); quick checks live in the lessons, whose
    Markdown never repeats their story.
    """
    return bool(ex.scenario) and not ex.quick and not ex.uses_variants()


def shows_scenario(ex: Exercise) -> bool:
    """Whether the widget shows the scenario: whenever no Markdown cell does."""
    return bool(ex.scenario) and not scenario_in_notebook(ex)


def title_html(ex: Exercise, fill: Fill = _same) -> str:
    """``<h4>Latihan 1.3 · title</h4>``."""
    return f"<h4>{esc(ex.kind_label)} {esc(ex.id)} · {md_inline(fill(ex.title))}</h4>"


def header_html(ex: Exercise, fill: Fill = _same) -> str:
    """Title, the story (when the notebook does not show it) and the question."""
    out = title_html(ex, fill)
    if shows_scenario(ex):
        out += f"<div class='kenali-scenario'>{md(fill(ex.scenario))}</div>"
    if ex.question:
        out += f"<div class='kenali-question'><b>{md_inline(fill(ex.question))}</b></div>"
    return out


def choice_label(key: str, label: str, fill: Fill = _same) -> str:
    """A radio button's label (text only: radio labels cannot hold HTML)."""
    return f"{key}. {plain(fill(label))}"


def option_label(label: str, fill: Fill = _same) -> str:
    """A dropdown option (text only)."""
    return plain(fill(label))


#: Dropdown options longer than this (in characters) are listed once as a lettered legend instead:
#: a native dropdown cannot wrap, and at 1024 px with the file browser open it has about 60 characters.
LONG_OPTION = 60


def needs_legend(labels: Iterable[str]) -> bool:
    """Whether an assignment's options are too long to read inside a dropdown."""
    return any(len(label) > LONG_OPTION for label in labels)


def legend_letters(n: int) -> list[str]:
    """``A``, ``B``, … for ``n`` options (``AA``… after ``Z``)."""
    letters = [chr(ord("A") + i % 26) * (1 + i // 26) for i in range(n)]
    return letters


def legend_html(labels: Sequence[str], fill: Fill = _same) -> str:
    """The lettered list of an assignment's long options."""
    items = "".join(f"<li>{md_inline(fill(label))}</li>" for label in labels)
    return f'<ol type="A">{items}</ol>'


def position_letters(n: int) -> list[str]:
    """``a``, ``b``, … : the letters of options shown in a learner's (shuffled) order."""
    return [letter.lower() for letter in legend_letters(n)]


def choice_html(key: str, label: str, fill: Fill = _same) -> str:
    """A checkbox's label, with its Markdown rendered."""
    return f"{esc(key)}. {md_inline(fill(label))}"


def item_html(label: str, fill: Fill = _same) -> str:
    """The label of an actor or term in an assignment row."""
    return md_inline(fill(label))


# -- results -----------------------------------------------------------------------------------


def points(score: float, total: float) -> str:
    """``1,5/3 poin``: ``score`` is points earned, ``total`` the exercise's points."""
    return t("points", score=numbers.score(score), points=numbers.score(total))


def status_line(ex: Exercise, status: str | None, earned: float | None = None) -> str:
    """The one-line status ("Latihan 1.3 · benar · 2/2 poin"); ``earned`` is points, not a fraction.

    An ungraded reflection says only whether its text is saved ("Terapkan di produkmu 1.k9 · tersimpan").
    """
    if ex.is_reflection:
        word = t("reflection.status_saved" if status == "saved" else "reflection.status_not_saved")
        return t("status_line", kind=ex.kind_label, id=ex.id, status=word)
    if status == "pending":  # recorded, waiting for the class server's verdict
        return t("status_line", kind=ex.kind_label, id=ex.id, status=t("kelas_klien.status_pending"))
    if status is None or status in {"unanswered", "invalid"} or earned is None:
        return t("status_line", kind=ex.kind_label, id=ex.id, status=t(f"status.{status or 'unanswered'}"))
    return t(
        "status_line_scored",
        kind=ex.kind_label,
        id=ex.id,
        status=t(f"status.{status}"),
        score=numbers.score(earned),
        points=numbers.score(ex.points),
    )


def result_status_line(ex: Exercise, result: Result | None) -> str:
    """The status line of a check's result (``None``: not answered yet)."""
    if result is None:
        return status_line(ex, None)
    return status_line(ex, result.status, result.score * ex.points)


def messages_html(messages: Sequence[str], fill: Fill = _same) -> list[str]:
    """Feedback messages as HTML: rendered from their codes at this edge (a :class:`~.message.Msg`) or
    taken as text (from a grader's JSON), variants filled, Markdown rendered."""
    return [md_inline(render(m, fill)) for m in messages]


def feedback_html(result: Result, fill: Fill = _same) -> str:
    """The feedback of a result: a coloured first line, the rest as a list."""
    css = {"correct": "kenali-fb-correct", "saved": "kenali-fb-correct", "partial": "kenali-fb-partial",
           "pending": "kenali-fb-partial"}.get(result.status, "kenali-fb-wrong")
    head, *rest = messages_html(result.messages, fill) or [""]
    items = "".join(f"<li>{m}</li>" for m in rest)
    return f'<div class="{css}"><b>{head}</b>{f"<ul>{items}</ul>" if items else ""}</div>'


def attempts_line(attempt: int, result: Result, ex: Exercise) -> str:
    """"Percobaan ke-2 · 1,5/3 poin" (no points for an answer that was not scored); an answer the class server
    has not checked yet: "Percobaan ke-1 · menunggu diperiksa"."""
    line = t("attempts", n=numbers.integer(attempt))
    if result.status == "pending":
        return line + " · " + t("kelas_klien.status_pending")
    if result.scored and not ex.is_reflection:
        line += " · " + points(result.score * ex.points, ex.points)
    return line


def attempts_of_line(attempt: int, allowed: int, left: int | None, result: Result, ex: Exercise,
                     credit: float | None = None) -> str:
    """"Percobaan 1 dari 2 · 0/1 poin · sisa 1 percobaan" under a policy that limits attempts. ``credit`` (0..1,
    the class server's credited score) is added when it differs from this answer's score, e.g. the second try
    under first-attempt credit: "Percobaan 2 dari 2 · 3/3 poin · nilai yang dihitung: 1/3 poin"."""
    line = t("kelas_klien.attempts_of", n=numbers.integer(attempt), total=numbers.integer(allowed))
    if result.scored and not ex.is_reflection and result.status != "pending":
        line += " · " + points(result.score * ex.points, ex.points)
        if credit is not None and abs(credit - result.score) > 1e-9:
            line += " · " + t("kelas_klien.credited", points=points(credit * ex.points, ex.points))
    if left:
        line += " · " + t("kelas_klien.attempts_left", n=numbers.integer(left))
    return line


def restored_line(when: Any) -> str:
    """"Jawaban terakhirmu dimuat kembali (29 Nov 2026, 14.05)." from a stored UTC time."""
    local = dates.local_datetime(when)
    return t("restored", when=local) if local else t("restored_undated")


# -- hints, explanation, solution --------------------------------------------------------------


def hint_items(ex: Exercise, shown: int, fill: Fill = _same) -> list[tuple[str, str]]:
    """The first ``shown`` hints as (label, text) pairs, variants filled."""
    total = len(ex.hints)
    return [
        (t("label_hint", n=i + 1, total=total), fill(h)) for i, h in enumerate(ex.hints[: max(0, shown)])
    ]


def hints_html(ex: Exercise, shown: int, fill: Fill = _same) -> str:
    items = "".join(f"<li><b>{esc(label)}:</b> {md_inline(text)}</li>" for label, text in hint_items(ex, shown, fill))
    return f"<ul>{items}</ul>"


def hints_plain(ex: Exercise, shown: int, fill: Fill = _same) -> str:
    return "\n".join(f"{label}: {text}" for label, text in hint_items(ex, shown, fill))


def explanation_html(ex: Exercise, fill: Fill = _same, text: str | None = None) -> str:
    """The explanation (``text``, default the exercise's: the class server sends a keyless one's), folded."""
    body = ex.explanation if text is None else text
    return f"<details><summary>{esc(t('label_explanation'))}</summary>{md(fill(body))}</details>"


def solution_html(ex: Exercise, fill: Fill = _same) -> str:
    """The worked solution: the key (or solution code) and the explanation, variants filled."""
    if ex.is_code:
        body = f"<pre>{esc(ex.solution or '')}</pre>"
    elif ex.is_reflection:
        body = f"<p><b>{esc(t('reflection.good_answer'))}</b></p>"
    else:
        # without the bank's choice keys: the learner sees the options shuffled, lettered by position
        key = ex.describe(ex.correct_answer(), keys=False)
        body = f"<p>{md_inline(fill(t('solution.key', key=key)))}</p>"
    return (
        f"<div class='kenali-ex'><h4>{esc(t('solution.title', id=ex.id))}</h4>{body}"
        f"{md(fill(ex.explanation))}</div>"
    )


# -- progress ----------------------------------------------------------------------------------


def summary_lines(rows: Iterable[Mapping[str, Any]]) -> str:
    """One line per lesson: done, correct, score (the plain text of the progress views)."""
    return "\n".join(
        t(
            "progress.summary",
            title=r["title"],
            done=numbers.integer(r["done"]),
            total=numbers.integer(r["total"]),
            correct=numbers.integer(r["correct"]),
            score=numbers.score(r["score"]),
            points=numbers.score(r["points"]),
        )
        for r in rows
    )


def summary_html(rows: Iterable[Mapping[str, Any]]) -> str:
    """The summary lines as HTML, one line each."""
    return "<br>".join(esc(line) for line in summary_lines(rows).splitlines())


def progress_html(rows: Sequence[Mapping[str, Any]]) -> str:
    """The progress table: per lesson done, correct and score, and a total row."""
    head = "".join(f"<th>{esc(t(f'progress.{k}'))}</th>" for k in ("lesson", "done", "correct", "score"))

    def row(title: str, r: Mapping[str, Any], bold: bool = False) -> str:
        style = " style='font-weight:bold'" if bold else ""
        return (
            f"<tr{style}><td>{esc(title)}</td><td>{numbers.integer(r['done'])}/{numbers.integer(r['total'])}</td>"
            f"<td>{numbers.integer(r['correct'])}</td>"
            f"<td>{numbers.score(r['score'])}/{numbers.score(r['points'])}</td></tr>"
        )

    body = "".join(row(r["title"], r) for r in rows)
    total = {k: sum(r[k] for r in rows) for k in ("done", "total", "correct", "score", "points")}
    body += row(t("progress.total"), total, bold=True)
    note = "" if total["done"] else f"<p>{esc(t('progress.empty'))}</p>"
    return (
        f"<h4>{esc(t('progress.title'))}</h4><table class='kenali-progress'><tr>{head}</tr>{body}</table>{note}"
    )
