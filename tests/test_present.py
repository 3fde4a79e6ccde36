"""The presentation layer (``kenali.present``): what a learner reads, without a browser.

Numbers in the edition's format, stored UTC times in local time, a learner's variant filled into every
text (hints, solutions, feedback, the grader's pages), Markdown rendered and escaped, and the story of
every exercise shown exactly once (in the notebook's Markdown or in the widget).
"""

from __future__ import annotations

import dataclasses
import shutil
import time

import pytest
import yaml

from kenali import api, i18n
from kenali import session as session_mod
from kenali.bank import Course, load_course
from kenali.build import exercise_markdown
from kenali.present import dates, feedback, numbers
from kenali.present.text import fill, md, md_inline, plain
from kenali.session import Session
from kenali.store import MemoryStore, Store
from kenali.values import compare, to_plain
from kenali.widgets import ExerciseView


def plain_text(widget) -> str:
    bundle = widget._repr_mimebundle_()
    data = bundle[0] if isinstance(bundle, tuple) else bundle
    return data["text/plain"]


@pytest.fixture
def tz(monkeypatch):
    """Set the machine's time zone (``TZ``) for one test."""

    def set_zone(zone: str) -> None:
        monkeypatch.setenv("TZ", zone)
        time.tzset()

    yield set_zone
    monkeypatch.undo()
    time.tzset()


@pytest.fixture
def english(tmp_path, monkeypatch):
    """An English edition: the Indonesian catalogue with English number formats."""
    root = tmp_path / "content"
    shutil.copytree(i18n.CONTENT_ROOT / "id", root / "en")
    path = root / "en" / "messages.yaml"
    messages = yaml.safe_load(path.read_text(encoding="utf-8"))
    messages["format"].update(thousands=",", decimal=".")
    path.write_text(yaml.safe_dump(messages, allow_unicode=True), encoding="utf-8")
    monkeypatch.setattr(i18n, "CONTENT_ROOT", root)
    monkeypatch.setenv("KENALI_LANG", "en")
    i18n._catalogue.cache_clear()
    yield root / "en"
    i18n._catalogue.cache_clear()


# -- numbers ----------------------------------------------------------------------------------------


def test_indonesian_numbers():
    assert numbers.number(1234) == "1.234"
    assert numbers.number(1234567.0) == "1.234.567"
    assert numbers.number(1.5) == "1,5"
    assert numbers.number(1234.5) == "1.234,5"
    assert numbers.number(2 / 3) == "0,67"
    assert numbers.number(0.0012345) == "0,0012"  # a small value keeps two significant digits
    assert numbers.number(-0.001, 0) == "-0,001"
    assert numbers.number(-0.0) == "0"
    assert numbers.number(2024, group=False) == "2024"
    assert numbers.number(float("nan")) == numbers.number(None) == "—"
    assert numbers.score(1.5) == "1,5" and numbers.score(3.0) == "3"
    assert numbers.percent(12.5) == "12,5%" and numbers.percent(80.0) == "80%"
    assert numbers.integer(1200) == "1.200"


def test_english_edition_numbers(english):
    assert numbers.number(1234.5) == "1,234.5"
    assert numbers.percent(12.5) == "12.5%"


def test_an_edition_without_formats_falls_back_to_its_language(english):
    path = english / "messages.yaml"
    messages = yaml.safe_load(path.read_text(encoding="utf-8"))
    del messages["format"]
    path.write_text(yaml.safe_dump(messages, allow_unicode=True), encoding="utf-8")
    i18n._catalogue.cache_clear()
    assert numbers.number(1234.5) == "1,234.5"
    assert dates.local_datetime(0.0).endswith(":00")


def test_code_feedback_uses_indonesian_numbers():
    verdict = compare(to_plain(1234.0), to_plain(0))
    assert verdict.messages == ["Nilaimu 1.234, selisih 1.234 dari yang diharapkan."]
    verdict = compare(to_plain(1.5), to_plain(0))
    assert "Nilaimu 1,5" in verdict.messages[0]
    verdict = compare(to_plain(112.6), to_plain(100))
    assert "selisih 13%" in verdict.messages[0]  # not "12.6%", not "13.0%"


def test_points_and_status_lines_use_decimal_commas(session, fixture_course):
    ex = dataclasses.replace(fixture_course.exercise("9.3"), points=4.5)
    v = ExerciseView(ex, session)
    v.input.dropdowns["anak"].value = "konsumen"
    v.check()
    assert "Percobaan ke-1 · 1,5/4,5 poin" in v.feedback.value
    assert plain_text(v) == "Latihan 9.3 · sebagian benar · 1,5/4,5 poin"


def test_progress_table_formats_scores():
    rows = [{"title": "Pelajaran 1", "done": 2, "total": 3, "correct": 1, "score": 1.5, "points": 3.0}]
    assert feedback.summary_lines(rows) == "Pelajaran 1: 2/3 dikerjakan, 1 benar, skor 1,5/3."
    assert "<td>1,5/3</td>" in feedback.progress_html(rows)


# -- dates ------------------------------------------------------------------------------------------


def test_stored_utc_times_read_in_local_time(tz):
    tz("Asia/Jakarta")  # UTC+7, no daylight saving
    assert dates.local_datetime("2026-11-29T07:05:00+00:00") == "29 Nov 2026, 14.05"
    assert dates.local_datetime("2026-11-29T07:05:00Z") == "29 Nov 2026, 14.05"
    assert dates.local_datetime("2026-11-29T07:05:00") == "29 Nov 2026, 14.05"  # naive: UTC
    assert dates.local_datetime(1795935900) == "29 Nov 2026, 14.05"  # seconds since the epoch
    tz("Asia/Jayapura")  # UTC+9: past midnight, the date moves on
    assert dates.local_datetime("2026-12-31T16:30:00+00:00") == "1 Jan 2027, 01.30"
    assert dates.local_datetime("kemarin") == dates.local_datetime(None) == ""


def test_restored_answer_shows_local_time_not_utc(session, fixture_course, tz):
    tz("Asia/Makassar")  # UTC+8
    v = ExerciseView(fixture_course.exercise("9.3"), session)
    v.input.dropdowns["ibu"].value = "customer"
    v.check()
    stored = session.store.latest("9.3")["time"]
    new_kernel = Session(course=fixture_course, store=Store(session.store.root))
    again = ExerciseView(fixture_course.exercise("9.3"), new_kernel)
    local = dates.local_datetime(stored)
    assert f"Jawaban terakhirmu dimuat kembali ({local})." in again.feedback.value
    assert stored not in again.feedback.value and "+00:00" not in again.feedback.value
    assert feedback.restored_line("") == "Jawaban terakhirmu dimuat kembali."


# -- variants ---------------------------------------------------------------------------------------


@pytest.fixture
def personal(fixture_course, tmp_path, monkeypatch):
    """A learner with an ID, and exercise 9.1 whose hints and explanation name ``{nama}`` too."""
    from kenali import learner

    bank = fixture_course.banks[0]
    ex = dataclasses.replace(
        fixture_course.exercise("9.1"),
        hints=("Apa yang dilakukan {nama} dengan aplikasinya?", "Bukan {nama}."),
        explanation="{nama} membayar; anaknya yang **memakai**.",
    )
    exercises = tuple(ex if e.id == "9.1" else e for e in bank.exercises)
    course = Course((dataclasses.replace(bank, exercises=exercises),), fixture_course.concepts, fixture_course.roles)
    home = tmp_path / "home-personal"
    learner.save(home, learner.Learner("Rina", "rina-01"))
    s = Session(course=course, store=Store(home))
    monkeypatch.setattr(session_mod, "_current", s)
    return s, ex, ex.variant("rina-01")["nama"]


def test_hints_and_solutions_fill_the_learners_variant(personal):
    _session, _ex, name = personal
    hint = api.petunjuk("9.1")
    assert f"Apa yang dilakukan {name} dengan" in hint.value and "{nama}" not in hint.value
    assert f"Apa yang dilakukan {name} dengan" in plain_text(hint)
    hint = api.petunjuk("9.1")
    assert f"Bukan {name}." in hint.value
    solution = api.solusi("9.1")
    assert f"{name} membayar; anaknya yang <strong>memakai</strong>." in solution.value
    assert "{nama}" not in solution.value


def test_widget_fills_the_variant_in_hints_explanation_and_feedback(personal):
    s, ex, name = personal
    v = ExerciseView(ex, s)
    assert any(label.endswith(f". {name}") and key == "a" for label, key in v.input.radio.options)
    v.input.radio.value = "a"
    v.check()
    v.show_hint()
    v.show_hint()
    for html in (v.feedback.value, v.hint_html.value, v.explanation.value):
        assert "{nama}" not in html
    assert f"{name} membayar, tidak memakai." in v.feedback.value
    assert f"Bukan {name}." in v.hint_html.value and f"{name} membayar;" in v.explanation.value


def test_grader_feedback_page_fills_variants_and_formats_numbers(fixture_course):
    from kenali.grading import report

    ex = fixture_course.exercise("9.1")
    name = ex.variant("rina-01")["nama"]
    result = {"status": "wrong", "earned": 0.0, "score": 0.0, "answer": "a", "answer_text": f"a. {name}",
              "messages": ["Belum tepat.", "{nama} membayar, tidak memakai."], "attempts": 2}
    row = {"learner_id": "rina-01", "name": "Rina", "total": 1234.5, "maximum": 2000.0, "notes": [],
           "exercises": {"9.1": result}}
    page = report.feedback_html(row, list(fixture_course.banks))
    assert f"{name} membayar, tidak memakai." in page and "{nama}" not in page
    assert "Skor total: 1.234,5 dari 2.000 poin (61,7%)" in page
    assert "Latihan 9.1 · salah · 0/1 poin" in page


def test_fill_leaves_other_braces():
    assert fill("{nama} dan {bukan}", {"nama": "Sari"}) == "Sari dan {bukan}"
    assert fill("{nama}", None) == "{nama}"


# -- Markdown ---------------------------------------------------------------------------------------


def test_markdown_blocks_render_and_html_is_escaped():
    html = md("Ada dua:\n\n- **satu**\n- *dua* dan `kode`\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n<script>x</script>")
    assert "<ul>" in html and "<li><strong>satu</strong></li>" in html and "<em>dua</em>" in html
    assert "<code>kode</code>" in html
    assert "<table>" in html and "<td>1</td>" in html and "|---|" not in html
    assert "<script>" not in html and "&lt;script&gt;" in html


def test_inline_markdown_is_never_a_list_or_heading():
    assert md_inline("2026. Tahun yang baik") == "2026. Tahun yang baik"
    assert md_inline("- bukan daftar") == "- bukan daftar"
    assert md_inline("# bukan judul") == "# bukan judul"
    assert md_inline("**tebal** <b>") == "<strong>tebal</strong> &lt;b&gt;"
    assert plain("Label *miring* dan **tebal**") == "Label miring dan tebal"


def test_a_table_in_a_personalised_scenario_is_a_table_in_the_widget():
    course = load_course()
    ex = course.exercise("5.15")
    assert ex.uses_variants() and "|---|" in ex.scenario
    v = ExerciseView(ex, Session(course=course, store=MemoryStore()))
    header = v.children[1].value
    assert "<table>" in header and "<td>IT Support</td>" in header
    assert "|---|" not in header and "{nama}" not in header


def test_a_list_in_a_personalised_scenario_is_a_list_in_the_widget():
    course = load_course()
    listed = [e for e in course.exercises() if e.uses_variants() and "\n- " in e.scenario and not e.is_code]
    assert listed, "no personalised scenario with a bullet list any more: pick another case"
    v = ExerciseView(listed[0], Session(course=course, store=MemoryStore()))
    assert "<ul>" in v.children[1].value and "\n- " not in v.children[1].value


# -- the story is shown once -------------------------------------------------------------------------


def test_every_quick_check_shows_its_story_in_the_widget():
    course = load_course()
    quick = [e for e in course.exercises() if e.quick and e.scenario]
    assert len(quick) >= 17
    for ex in quick:
        v = ExerciseView(ex, Session(course=course, store=MemoryStore()))
        story = md(fill(ex.scenario, ex.variant(None) if ex.pools else None))
        assert f"<div class='kenali-scenario'>{story}</div>" in v.children[1].value, ex.id


def test_every_story_is_shown_exactly_once_in_an_exercise_notebook():
    """The builder's Markdown cell and the widget never both show a scenario, and never neither."""
    course = load_course()
    for ex in course.exercises(graded_only=True):
        if not ex.scenario or ex.is_code:
            continue
        in_markdown = ex.scenario in exercise_markdown(ex)
        in_widget = "kenali-scenario" in feedback.header_html(ex)
        assert in_markdown != in_widget, ex.id


def test_long_matching_options_are_a_lettered_legend_not_cut_dropdown_labels():
    course = load_course()
    ex = course.exercise("3.1")
    assert feedback.needs_legend(ex.choices.values()), "3.1 no longer has long options: pick another case"
    v = ExerciseView(ex, Session(course=course, store=MemoryStore()))
    legend = v.input.widget.children[0].value
    assert legend.startswith('<ol type="A">') and legend.count("<li>") == len(ex.choices)
    labels = [label for label, _ in next(iter(v.input.dropdowns.values())).options]
    assert labels[1:] == feedback.legend_letters(len(ex.choices))
    short = course.exercise("1.2")
    assert not feedback.needs_legend(short.choices.values())
    v = ExerciseView(short, Session(course=course, store=MemoryStore()))
    assert [label for label, _ in v.input.dropdowns[short.items[0].id].options][1:] == list(short.choices.values())


# -- results carry codes; words and formats are chosen at the edge ------------------------------------


def test_a_checks_messages_keep_their_code_and_render_again_at_the_edge(tmp_path, monkeypatch):
    import json
    import pickle

    from kenali.present.message import Msg, render

    message = compare(to_plain(1234.5), to_plain(0)).messages[0]  # checked in the Indonesian edition
    assert message == "Nilaimu 1.234,5, selisih 1.234,5 dari yang diharapkan."
    assert isinstance(message, Msg) and message.key == "value.off_by"
    assert message.params == {"actual": 1234.5, "diff": 1234.5}  # numbers stay numbers in the result
    assert json.loads(json.dumps(message)) == message  # still plain text for JSON and the grader
    assert pickle.loads(pickle.dumps(message)).render() == message
    # the same result read in an English edition: its words and its number format
    root = tmp_path / "content"
    shutil.copytree(i18n.CONTENT_ROOT / "id", root / "en")
    path = root / "en" / "messages.yaml"
    messages = yaml.safe_load(path.read_text(encoding="utf-8"))
    messages["format"].update(thousands=",", decimal=".")
    messages["value"]["off_by"] = "Your value is {actual}, {diff} off."
    path.write_text(yaml.safe_dump(messages, allow_unicode=True), encoding="utf-8")
    monkeypatch.setattr(i18n, "CONTENT_ROOT", root)
    monkeypatch.setenv("KENALI_LANG", "en")
    i18n._catalogue.cache_clear()
    try:
        assert render(message) == "Your value is 1,234.5, 1,234.5 off."
        assert feedback.messages_html([message]) == ["Your value is 1,234.5, 1,234.5 off."]
    finally:
        i18n._catalogue.cache_clear()
    assert render("{nama} membayar.", lambda text: fill(text, {"nama": "Sari"})) == "Sari membayar."
