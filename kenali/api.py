"""The calls a notebook makes: ``mulai``, ``tampilkan``, ``cek``, ``petunjuk``, ``solusi``,
``ringkasan``, ``identitas``, ``kemajuan``, ``serahkan``. One short call per exercise; errors a learner can make
(a mistyped ID, a widget exercise answered with code) show a message, never a traceback.
"""

from __future__ import annotations

from typing import Any

import ipywidgets as w

from . import learner as learner_mod
from . import session as session_mod
from .i18n import t
from .present import feedback as fb
from .present.css import STYLE
from .present.links import download_link_html
from .present.text import esc, filler
from .session import Mode
from .values import to_plain
from .widgets import CodeResultView, ExerciseView, FormBox, PlainHTML, message_view, warnings_html


def _find(exercise_id: Any):
    s = session_mod.current()
    try:
        return s, s.exercise(str(exercise_id))
    except KeyError:
        return s, None


def mulai(lesson: str | None = None, mode: Mode = "belajar") -> w.HTML:
    """Start a notebook: pick the lesson, load the learner, show a banner with their progress."""
    s = session_mod.start(lesson, mode)
    parts = [STYLE]
    if s.lesson and s.lesson in {b.lesson for b in s.course.banks}:
        bank = s.course.bank(s.lesson)
        parts.append(f"<h4>{esc(bank.title)}</h4>")
    if mode == "solusi":
        parts.append(f"<p><i>{esc(t('banner.solution_mode'))}</i></p>")
    elif s.learner:
        parts.append(f"<p>{esc(t('learner.hello', name=s.learner.name, id=s.learner.id))}</p>")
    else:
        parts.append(f'<div class="kenali-warn">{esc(t("learner.missing"))}</div>')
    parts.append(warnings_html(s.take_warnings()))
    title = s.course.bank(s.lesson).title if s.lesson in {b.lesson for b in s.course.banks} else "Kenali Penggunamu"
    return PlainHTML("".join(parts), title + (f" · {t('banner.solution_mode')}" if mode == "solusi" else ""))


def tampilkan(exercise_id: str, jawab: Any = None) -> w.Widget:
    """Show the widget of a widget exercise (``jawab`` pre-fills and checks it: solution notebooks)."""
    s, ex = _find(exercise_id)
    if ex is None:
        return message_view(t("errors.unknown_exercise", id=exercise_id))
    if ex.is_code:
        return message_view(t("errors.is_code", id=ex.id, variable=ex.variable))
    return ExerciseView(ex, s, answer=jawab)


def cek(exercise_id: str, jawaban: Any = ...) -> w.Widget:
    """Check a code answer: ``cek("5.1", jawaban_5_1)``."""
    s, ex = _find(exercise_id)
    if ex is None:
        return message_view(t("errors.unknown_exercise", id=exercise_id))
    if not ex.is_code:
        return message_view(t("errors.not_code", id=ex.id))
    closed = s.closed_reason(ex)
    if closed is not None:  # no attempt left, or the deadline passed (an instructor's policy)
        return message_view(closed)
    result, record = s.submit(ex, to_plain(jawaban))
    return CodeResultView(ex, s, result, record["attempt"], record)


def petunjuk(exercise_id: str) -> w.Widget:
    """Show the hint ladder of an exercise, one more hint each call."""
    s, ex = _find(exercise_id)
    if ex is None:
        return message_view(t("errors.unknown_exercise", id=exercise_id))
    shown = getattr(s, "_hints", {})
    shown[ex.id] = min(shown.get(ex.id, 0) + 1, len(ex.hints))
    s._hints = shown  # type: ignore[attr-defined]
    fill = filler(ex, s.learner_id)
    return PlainHTML(f"{STYLE}{fb.hints_html(ex, shown[ex.id], fill)}", fb.hints_plain(ex, shown[ex.id], fill))


def solusi(exercise_id: str) -> w.Widget:
    """Show the worked solution: the key (or solution code) and the explanation."""
    s, ex = _find(exercise_id)
    if ex is None:
        return message_view(t("errors.unknown_exercise", id=exercise_id))
    if s.course.assignment_of(ex.id) is not None:  # a graded assignment's copy holds no key to show
        return message_view(t("kelas_klien.no_solution", id=ex.id))
    return PlainHTML(f"{STYLE}{fb.solution_html(ex, filler(ex, s.learner_id))}", t("solution.title", id=ex.id))


def _summary_lines(rows: list[dict[str, Any]]) -> str:
    """One line per lesson: done, correct, score (the plain text of the progress views)."""
    return fb.summary_lines(rows)


def kemajuan() -> w.Widget:
    """The progress overview: per lesson, exercises done, correct and score."""
    s = session_mod.current()
    rows = s.progress()
    html = f"{STYLE}<div class='kenali-ex'>{fb.progress_html(rows)}{warnings_html(s.take_warnings())}</div>"
    return PlainHTML(html, _summary_lines(rows))


def ringkasan(lesson: str | None = None) -> w.Widget:
    """The score summary of one lesson (default: the lesson given to ``mulai``)."""
    s = session_mod.current()
    lesson = lesson or s.lesson
    rows = [r for r in s.progress() if lesson in (None, r["lesson"])]
    return PlainHTML(f"{STYLE}<div class='kenali-ex'>{fb.summary_html(rows)}</div>", _summary_lines(rows))


def identitas() -> w.Widget:
    """Ask for the learner's name and ID once; remember them in the progress folder."""
    s = session_mod.current()
    home = s.store.root
    saved, warning = learner_mod.load(home)
    name = w.Text(value=saved.name if saved else "", description=t("learner.name"), layout=w.Layout(width="420px"))
    lid = w.Text(value=saved.id if saved else "", description=t("learner.id"), layout=w.Layout(width="420px"))
    button = w.Button(description=t("button.save"), button_style="primary", icon="save")
    message = w.HTML(
        esc(t("learner.hello", name=saved.name, id=saved.id))
        if saved
        else f"<small>{esc(t('learner.id_help'))}</small>"
    )
    if warning:
        message.value += warnings_html([warning])

    def save(_: Any = None) -> None:
        try:
            who = learner_mod.validate(name.value, lid.value)
            learner_mod.save(home, who)
        except learner_mod.LearnerError as exc:
            message.value = f'<div class="kenali-warn">{esc(exc)}</div>'
            return
        except OSError as exc:
            message.value = warnings_html([t("store.unwritable", path=home, error=exc.strerror or exc)])
            return
        s.learner = who
        message.value = f"<b>{esc(t('learner.saved', name=who.name, id=who.id))}</b>"

    button.on_click(save)
    title = f"<h4>{esc(t('learner.title'))}</h4>"
    box = FormBox([w.HTML(STYLE + title), name, lid, button, message], static=title, plain=t("learner.title"))
    box.save = save  # type: ignore[attr-defined]  # for tests and scripts
    box.name_input, box.id_input, box.message = name, lid, message  # type: ignore[attr-defined]
    return box


def serahkan() -> w.Widget:
    """A button that makes the file to hand in (``kenali submit``): exercise notebooks and answer records."""
    from .grading.handin import HandinError, make_handin

    s = session_mod.current()
    button = w.Button(description=t("button.submit"), button_style="primary", icon="paper-plane",
                      layout=w.Layout(width="auto"))
    message = w.HTML("")

    def make(_: Any = None) -> None:
        try:
            handin = make_handin(home=s.store.root, course=s.course)
        except HandinError as exc:
            message.value = f'<div class="kenali-warn">{esc(exc)}</div>'
            return
        except OSError as exc:
            error = f"{exc.filename or ''} {exc.strerror or exc}".strip()
            message.value = f'<div class="kenali-warn">{esc(t("submit.failed", error=error))}</div>'
            return
        parts = [f"<p><b>{esc(t('submit.done', path=handin.path.name))}</b></p>", download_link_html(handin.path)]
        if handin.warnings:
            items = "".join(f"<li>{esc(x)}</li>" for x in handin.warnings)
            parts.append(f'<div class="kenali-warn">{esc(t("submit.warnings_title"))}<ul>{items}</ul></div>')
        parts.append(f"<p>{esc(t('submit.send'))}</p>")
        message.value = "".join(parts)

    button.on_click(make)
    head = f"<h4>{esc(t('submit.title'))}</h4><p>{esc(t('submit.lead'))}</p>"
    box = FormBox([w.HTML(STYLE + head), button, message], static=head, plain=t("submit.title"))
    box.make = make  # type: ignore[attr-defined]  # for tests and scripts
    box.button, box.message = button, message  # type: ignore[attr-defined]
    return box
