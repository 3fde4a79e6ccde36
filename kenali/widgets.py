"""Thin ipywidgets views over the exercise model.

Each view reads its answer from its inputs as plain data, hands it to the session (which checks
and records it), and writes feedback into ``HTML`` widget values (never into an ``Output``
widget, so that notebooks run without a browser give stable output). A view's ``text/plain``
representation is a one-line status ("Latihan 1.3 · benar · 2/2 poin"), which is what nbval
compares and what a notebook shows before its widgets are rendered.

What a view shows of a result is the session's :class:`~kenali.session.Shown`: with an instructor's
policy, per-actor marks, the explanation and numeric distances appear only when the policy discloses
them, attempts read "Percobaan 1 dari 2", and the check button is disabled, with a line saying why,
when no attempt is left or the deadline passed. Without a policy nothing of this changes the view.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import ipywidgets as w
from ipywidgets.widgets.widget_string import HTMLStyle

from .i18n import t
from .model import Exercise, Result
from .present import feedback as fb
from .present import numbers
from .present.css import STYLE
from .present.static import exercise_static_html, static_html
from .present.text import esc, filler, md_inline
from .session import Session, Shown

__all__ = ["STYLE", "CodeResultView", "ExerciseView", "FormBox", "PlainHTML", "esc", "md_inline", "message_view"]

_FULL = w.Layout(width="100%")
_SHARED: dict[str, w.Widget] = {}


def _shared(kind: str, factory: Callable[[], w.Widget]) -> w.Widget:
    """One style or layout model for every plain HTML part: each ipywidgets widget otherwise brings its own,
    and an exercise notebook had ~760 models for 14 exercises, which the page must all create before it can
    show any (Voilà gives up on the kernel's answer after 4 s on a busy machine). Made again if closed."""
    obj = _SHARED.get(kind)
    if obj is None or getattr(obj, "comm", None) is None:
        obj = _SHARED[kind] = factory()
    return obj


def _html(value: str = "") -> w.HTML:
    """A plain HTML part of a view, sharing one layout and one style model with all the others."""
    return w.HTML(value, layout=_shared("layout", w.Layout), style=_shared("style", HTMLStyle))


def status_line(ex: Exercise, result: Result | None) -> str:
    """The one-line status of an exercise view (see :func:`kenali.present.feedback.status_line`)."""
    return fb.result_status_line(ex, result)


def feedback_html(result: Result, render: Callable[[str], str] = str) -> str:
    """A result's feedback as HTML (see :func:`kenali.present.feedback.feedback_html`)."""
    return fb.feedback_html(result, render)


def mark_html(right: bool) -> str:
    """The mark beside one actor or term: a coloured ✓ or ✗. Plain glyphs, not emoji: emoji need a
    colour-emoji font, which many Linux browsers lack (they show an empty box instead)."""
    css, glyph, status = ("kenali-fb-correct", "✓", "correct") if right else ("kenali-fb-wrong", "✗", "wrong")
    return f'<b class="{css}" title="{esc(t(f"status.{status}"))}">{glyph}</b>'


def warnings_html(messages: list[str]) -> str:
    return "".join(f'<div class="kenali-warn">{esc(m)}</div>' for m in messages)


# -- inputs: one per exercise type, each turning widget state into a plain answer ----------------


class _Input:
    widget: w.Widget

    def get(self) -> Any:
        raise NotImplementedError

    def set(self, answer: Any) -> None:
        raise NotImplementedError

    def observe(self, callback: Callable[[], None]) -> None:
        """Call back when the learner changes the answer (clears stale feedback)."""


class _Choice(_Input):
    def __init__(self, ex: Exercise, render: Callable[[str], str], learner_id: str | None = None):
        # shuffled per learner (Exercise.display_order), lettered by position; the value is the choice key
        order = ex.display_order(learner_id)
        letters = fb.position_letters(len(order))
        options = [
            (fb.choice_label(letter, ex.choices[key], render), key) for letter, key in zip(letters, order, strict=True)
        ]
        self.radio = w.RadioButtons(options=options, index=None, layout=_FULL)
        self.radio.add_class("kenali-options")
        self.widget = self.radio

    def get(self) -> Any:
        return self.radio.value

    def set(self, answer: Any) -> None:
        if answer in {key for _, key in self.radio.options}:
            self.radio.value = answer

    def observe(self, callback: Callable[[], None]) -> None:
        self.radio.observe(lambda _: callback(), names="value")


class _Multi(_Input):
    def __init__(self, ex: Exercise, render: Callable[[str], str], learner_id: str | None = None):
        self.keys = list(ex.choices)  # answers list the keys in the bank's order, whatever the display order
        order = ex.display_order(learner_id)
        self.boxes = {
            key: w.Checkbox(
                value=False,
                description=fb.choice_html(letter, ex.choices[key], render),
                description_allow_html=True,
                indent=False,
                layout=_FULL,
            )
            for letter, key in zip(fb.position_letters(len(order)), order, strict=True)
        }
        self.widget = w.VBox(list(self.boxes.values()), layout=_FULL)
        self.widget.add_class("kenali-options")

    def get(self) -> Any:
        return [key for key in self.keys if self.boxes[key].value]

    def set(self, answer: Any) -> None:
        if isinstance(answer, list):
            for key, box in self.boxes.items():
                box.value = key in answer

    def observe(self, callback: Callable[[], None]) -> None:
        for box in self.boxes.values():
            box.observe(lambda _: callback(), names="value")


class _Assignment(_Input):
    def __init__(self, ex: Exercise, render: Callable[[str], str], learner_id: str | None = None):
        labels = {key: fb.option_label(label, render) for key, label in ex.choices.items()}
        parts: list[w.Widget] = []
        if fb.needs_legend(labels.values()):
            # options too long for a dropdown: list them once, lettered, and choose a letter
            letters = fb.legend_letters(len(labels))
            legend = _html(fb.legend_html(list(ex.choices.values()), render))
            legend.add_class("kenali-legend")
            parts.append(legend)
            labels = dict(zip(labels, letters, strict=True))
        options = [(t("choose"), ""), *((label, key) for key, label in labels.items())]
        self.dropdowns = {item.id: w.Dropdown(options=options, value="") for item in ex.items}
        self.marks = {item.id: _html() for item in ex.items}
        rows = []
        by_id = {item.id: item for item in ex.items}
        for item in (by_id[i] for i in ex.display_order(learner_id)):  # actors/terms shuffled per learner
            label = _html(fb.item_html(item.label, render))
            label.add_class("kenali-row-label")
            self.marks[item.id].add_class("kenali-mark")
            row = w.HBox([label, self.dropdowns[item.id], self.marks[item.id]], layout=_FULL)
            row.add_class("kenali-row")
            rows.append(row)
        self.widget = w.VBox([*parts, *rows], layout=_FULL)
        self.widget.add_class("kenali-options")

    def get(self) -> Any:
        return {item: (dd.value or None) for item, dd in self.dropdowns.items()}

    def set(self, answer: Any) -> None:
        if isinstance(answer, dict):
            for item, dd in self.dropdowns.items():
                value = answer.get(item) or ""
                if value in {v for _, v in dd.options}:
                    dd.value = value

    def show_parts(self, parts: dict[str, bool]) -> None:
        for item, mark in self.marks.items():
            mark.value = "" if item not in parts else mark_html(parts[item])

    def observe(self, callback: Callable[[], None]) -> None:
        for dd in self.dropdowns.values():
            dd.observe(lambda _: callback(), names="value")


class _Typed(_Input):
    def __init__(self, ex: Exercise, placeholder: str):
        self.text = w.Text(placeholder=placeholder, layout=w.Layout(width="320px"))
        parts: list[w.Widget] = [self.text]
        if ex.unit:
            parts.append(_html(esc(ex.unit)))
        self.widget = w.HBox(parts)

    def get(self) -> Any:
        return self.text.value.strip() or None

    def set(self, answer: Any) -> None:
        if answer is not None:
            self.text.value = numbers.number(answer, 6, group=False) if isinstance(answer, float) else str(answer)

    def observe(self, callback: Callable[[], None]) -> None:
        self.text.observe(lambda _: callback(), names="value")


class _Reflection(_Input):
    """A refleksi's multi-line text box (at least four rows, full width); saved, never scored."""

    def __init__(self, ex: Exercise):
        self.text = w.Textarea(placeholder=t("reflection.placeholder"), rows=4, layout=_FULL)
        self.text.add_class("kenali-reflection")
        self.widget = self.text

    def get(self) -> Any:
        return self.text.value.strip() or None

    def set(self, answer: Any) -> None:
        if isinstance(answer, str):
            self.text.value = answer

    def observe(self, callback: Callable[[], None]) -> None:
        self.text.observe(lambda _: callback(), names="value")


def make_input(ex: Exercise, render: Callable[[str], str], learner_id: str | None = None) -> _Input:
    if ex.type == "pilihan":
        return _Choice(ex, render, learner_id)
    if ex.type == "pilihan_ganda":
        return _Multi(ex, render, learner_id)
    if ex.type in {"peran", "pasangan"}:
        return _Assignment(ex, render, learner_id)
    if ex.type == "angka":
        return _Typed(ex, t("placeholder_number"))
    if ex.type == "teks":
        return _Typed(ex, t("placeholder_text"))
    if ex.type == "refleksi":
        return _Reflection(ex)
    raise ValueError(f"exercise {ex.id} ({ex.type}) is answered with code, not a widget")


# -- the views ---------------------------------------------------------------------------------


class _Panel(w.VBox):
    """Feedback, the hint ladder and the explanation; shared by widget and code exercises."""

    def __init__(self, ex: Exercise, session: Session, children: list[w.Widget]):
        self.ex, self.session = ex, session
        self.render: Callable[[str], str] = filler(ex, session.learner_id)
        self.result: Result | None = None
        self._displays: list[Any] = []  # IPython display handles of this view (see _ipython_display_)
        self.attempts = 0
        self.hints_shown = 0
        self.last_check_ms: float | None = None
        self.feedback = _html()
        self.hint_html = _html()
        self.explanation = _html()
        self.warning = _html()
        self.hint_button = w.Button(description=t("button.hint"), icon="lightbulb-o")
        self.hint_button.on_click(self.show_hint)
        self.controls = w.HBox([self.hint_button])
        self.controls.add_class("kenali-controls")
        super().__init__(
            [_html(STYLE), *children, self.controls, self.feedback, self.hint_html, self.explanation, self.warning]
        )
        self.add_class("kenali-ex")

    def show_hint(self, _: Any = None) -> None:
        total = len(self.ex.hints)
        if self.hints_shown < total:
            self.hints_shown += 1
        self.hint_html.value = fb.hints_html(self.ex, self.hints_shown, self.render)
        if self.hints_shown >= total:
            self.hint_button.disabled = True
            self.hint_button.description = t("button.no_more_hints")

    def show_result(self, result: Result, restored_at: Any = None, shown: Shown | None = None) -> None:
        """Show a result's feedback; ``restored_at`` (a stored UTC time) marks an answer loaded back;
        ``shown`` is what the policy lets the learner see of it (default: everything, as in practice)."""
        if shown is None:
            shown = Shown(result, self.ex.explanation if result.attempted else None, self.attempts)
        result = shown.result
        self.result = result
        body = fb.feedback_html(result, self.render)
        if restored_at is not None:
            body = f"<i>{esc(fb.restored_line(restored_at))}</i>" + body
        if shown.allowed is not None and self.attempts:
            line = fb.attempts_of_line(self.attempts, shown.allowed, shown.left, result, self.ex, shown.credit)
            body += f"<small>{esc(line)}</small>"
        elif self.attempts:
            body += f"<small>{esc(fb.attempts_line(self.attempts, result, self.ex))}</small>"
        body += "".join(f"<div><small>{esc(note)}</small></div>" for note in shown.notes)
        if shown.closed:
            body += f'<div class="kenali-warn kenali-closed">{esc(shown.closed)}</div>'
        self.feedback.value = body
        if shown.explanation:  # once shown, an explanation stays
            self.explanation.value = fb.explanation_html(self.ex, self.render, shown.explanation)
        self.warning.value = warnings_html(self.session.take_warnings())

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        bundle = super()._repr_mimebundle_(**kwargs)
        data = bundle[0] if isinstance(bundle, tuple) else bundle
        data["text/plain"] = status_line(self.ex, self.result)
        data["text/html"] = exercise_static_html(fb.title_html(self.ex, self.render), data["text/plain"])
        return bundle

    def _ipython_display_(self) -> None:
        """Display with a display ID, so that :meth:`refresh_saved_form` can bring the output's saved form
        (``text/html``, ``text/plain``) up to date after each check; the notebook file then shows the last
        result the next day, not the state the exercise was first displayed in."""
        from IPython.display import display

        handle = display(self._repr_mimebundle_(), raw=True, display_id=True)
        if handle is not None:
            self._displays.append(handle)

    def refresh_saved_form(self) -> None:
        """Send the current status to every place this view is displayed (the live widget stays the same)."""
        if self._displays:
            bundle = self._repr_mimebundle_()
            for handle in self._displays:
                handle.update(bundle, raw=True)

    def __repr__(self) -> str:
        return status_line(self.ex, self.result)


class ExerciseView(_Panel):
    """A widget exercise: scenario, inputs, check button, feedback, hints and explanation."""

    def __init__(self, ex: Exercise, session: Session, answer: Any = None):
        render = filler(ex, session.learner_id)
        header = fb.header_html(ex, render)
        self.input = make_input(ex, render, session.learner_id)
        self.check_button = w.Button(description=t("button.check"), button_style="primary", icon="check")
        super().__init__(ex, session, [_html(header), self.input.widget])
        self.controls.children = (self.check_button, self.hint_button) if ex.hints else (self.check_button,)
        if ex.is_reflection:
            self.check_button.description, self.check_button.icon = t("button.save"), "save"
        self.check_button.on_click(self.check)
        previous = session.latest(ex)
        if previous is not None and answer is None:
            self.attempts = int(previous.get("attempt", 1))
            self.hints_shown = min(int(previous.get("hints", 0)), len(ex.hints))
            if self.hints_shown:
                self.hints_shown -= 1
                self.show_hint()
            self.input.set(previous.get("answer"))
            result = session.restore_result(ex, previous)
            self._mark(result, previous.get("time") or previous.get("ts") or "", session.shown(ex, result, previous))
        elif answer is not None:
            self.input.set(answer)
            self.check()
        else:
            closed = session.closed_reason(ex)
            if closed:
                self._close(closed)
            self.warning.value = warnings_html(session.take_warnings())
        self.input.observe(self._changed)

    def _close(self, reason: str | None) -> None:
        """Disable checking (no attempt left, the deadline passed) with a line saying why, or enable it."""
        self.check_button.disabled = reason is not None
        if reason and reason not in self.feedback.value:
            self.feedback.value += f'<div class="kenali-warn kenali-closed">{esc(reason)}</div>'

    def _mark(self, result: Result, restored_at: Any = None, shown: Shown | None = None) -> None:
        if shown is not None and shown.attempt:
            self.attempts = shown.attempt
        parts = (shown.result if shown is not None else result).parts
        if isinstance(self.input, _Assignment):
            self.input.show_parts(dict(parts))
        self.show_result(result, restored_at, shown)
        if shown is not None:
            self.check_button.disabled = shown.closed is not None

    def _changed(self) -> None:
        if isinstance(self.input, _Assignment):
            self.input.show_parts({})

    def check(self, _: Any = None) -> Result:
        """Check the current answer (the button's callback); returns the result."""
        started = time.perf_counter()
        closed = self.session.closed_reason(self.ex)
        if closed is not None:
            self._close(closed)
            self.warning.value = warnings_html(self.session.take_warnings())
            return self.result or Result("unanswered", 0.0, (closed,))
        result, record = self.session.submit(self.ex, self.input.get(), self.hints_shown)
        if result.status != "unanswered":
            self.attempts = int(record["attempt"])  # the same answer checked again is not a new attempt
        self._mark(result, shown=self.session.shown(self.ex, result, record if result.status != "unanswered"
                                                    else None))
        self.refresh_saved_form()
        self.last_check_ms = (time.perf_counter() - started) * 1000
        return result


class CodeResultView(_Panel):
    """What ``cek()`` shows for a code exercise: feedback, hint ladder, explanation."""

    def __init__(self, ex: Exercise, session: Session, result: Result, attempt: int,
                 record: dict[str, Any] | None = None):
        header = _html(fb.title_html(ex, filler(ex, session.learner_id)))
        super().__init__(ex, session, [header])
        self.attempts = attempt if result.status != "unanswered" else 0
        shown = session.shown(ex, result, record) if record is not None and result.status != "unanswered" else None
        if shown is not None and shown.attempt:
            self.attempts = shown.attempt
        self.show_result(result, shown=shown)


class PlainHTML(w.HTML):
    """An HTML widget whose ``text/plain`` form is a chosen, stable line (what nbval compares)."""

    def __init__(self, value: str, plain: str, resume: str | None = None):
        super().__init__(value)
        self._plain = plain
        self._resume = resume

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        bundle = super()._repr_mimebundle_(**kwargs)
        data = bundle[0] if isinstance(bundle, tuple) else bundle
        data["text/plain"] = self._plain
        data["text/html"] = static_html(self.value, resume=self._resume)
        return bundle

    def __repr__(self) -> str:
        return self._plain


class FormBox(w.VBox):
    """A box of inputs and buttons (identity, hand-in) whose saved form is its title and how to resume."""

    def __init__(self, children: list[w.Widget], static: str, plain: str):
        super().__init__(children)
        self.add_class("kenali-ex")
        self._static, self._plain = static, plain

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        bundle = super()._repr_mimebundle_(**kwargs)
        data = bundle[0] if isinstance(bundle, tuple) else bundle
        data["text/plain"] = self._plain
        data["text/html"] = static_html(self._static, resume="static.resume_tool")
        return bundle

    def __repr__(self) -> str:
        return self._plain


def message_view(text: str) -> PlainHTML:
    """A plain message box (unknown exercise, wrong call) in place of a traceback."""
    return PlainHTML(f'{STYLE}<div class="kenali-warn">{esc(text)}</div>', text)
