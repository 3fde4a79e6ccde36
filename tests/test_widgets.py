"""Widget behaviour without a browser: set ``.value``, call ``.click()``, read the HTML values."""

from __future__ import annotations

import pandas as pd
import pytest

from kenali import api
from kenali import session as session_mod
from kenali.session import Session
from kenali.store import Store
from kenali.widgets import CodeResultView, ExerciseView, mark_html


@pytest.fixture
def use(session, monkeypatch):
    """Make ``session`` the notebook's current session (what mulai() would do)."""
    monkeypatch.setattr(session_mod, "_current", session)
    return session


def view(session, exercise_id, **kw) -> ExerciseView:
    return ExerciseView(session.exercise(exercise_id), session, **kw)


def plain(widget) -> str:
    bundle = widget._repr_mimebundle_()
    data = bundle[0] if isinstance(bundle, tuple) else bundle
    return data["text/plain"]


def test_single_choice_wrong_then_hint_then_right(session):
    v = view(session, "9.1")
    assert plain(v) == "Latihan 9.1 · belum dijawab"
    assert v.explanation.value == ""  # explanation only after a first attempt
    v.input.radio.value = "a"
    v.check_button.click()
    assert "Belum tepat" in v.feedback.value and "membayar, tidak memakai" in v.feedback.value
    assert "Penjelasan" in v.explanation.value
    v.hint_button.click()
    assert "Petunjuk 1 dari 2" in v.hint_html.value and "Petunjuk 2" not in v.hint_html.value
    v.hint_button.click()
    assert "Petunjuk 2 dari 2" in v.hint_html.value and v.hint_button.disabled
    assert "Percobaan ke-1 · 0/1 poin" in v.feedback.value
    v.input.radio.value = "b"
    v.check_button.click()
    assert "Benar" in v.feedback.value and "Percobaan ke-2 · 1/1 poin" in v.feedback.value
    assert plain(v) == "Latihan 9.1 · benar · 1/1 poin"
    attempts = session.store.attempts("9.1")
    assert [a["status"] for a in attempts] == ["wrong", "correct"]
    assert attempts[-1]["hints"] == 2 and attempts[-1]["attempt"] == 2


def test_empty_check_is_not_recorded(session):
    v = view(session, "9.1")
    v.check_button.click()
    assert "belum memilih" in v.feedback.value
    assert session.store.attempts("9.1") == []


def test_role_assignment_marks_each_actor(session):
    v = view(session, "9.3")
    dd = v.input.dropdowns
    dd["ibu"].value = "konsumen"
    dd["anak"].value = "konsumen"
    v.check_button.click()
    assert "Sebagian benar: 1 dari 3" in v.feedback.value
    assert "Ibu tidak memakai aplikasinya." in v.feedback.value
    assert v.input.marks["ibu"].value == mark_html(False) and v.input.marks["anak"].value == mark_html(True)
    assert plain(v) == "Latihan 9.3 · sebagian benar · 1/3 poin"
    dd["ibu"].value = "customer"  # changing an answer clears the stale marks
    assert v.input.marks["anak"].value == ""
    dd["guru"].value = "customer_dan_konsumen"
    v.check_button.click()
    assert plain(v) == "Latihan 9.3 · benar · 3/3 poin"


def test_every_widget_type_round_trips(session):
    cases = {
        "9.2": lambda v: [setattr(v.input.boxes[k], "value", True) for k in ("a", "c")],
        "9.4": lambda v: [setattr(v.input.dropdowns[k], "value", d) for k, d in (("t1", "d1"), ("t2", "d2"))],
        "9.5": lambda v: setattr(v.input.text, "value", "42,5"),
        "9.6": lambda v: setattr(v.input.text, "value", "End User"),
    }
    for exercise_id, answer in cases.items():
        v = view(session, exercise_id)
        answer(v)
        result = v.check()
        assert result.correct, (exercise_id, v.feedback.value)
        assert v.last_check_ms is not None and v.last_check_ms < 500


def test_answer_and_result_survive_a_kernel_restart(session, fixture_course):
    v = view(session, "9.3")
    v.input.dropdowns["ibu"].value = "customer"
    v.check_button.click()
    # a new kernel: a new session over the same progress folder
    again = Session(course=fixture_course, store=Store(session.store.root))
    restored = view(again, "9.3")
    assert restored.input.dropdowns["ibu"].value == "customer"
    assert "Jawaban terakhirmu dimuat kembali" in restored.feedback.value
    assert "Sebagian benar" in restored.feedback.value
    assert plain(restored) == "Latihan 9.3 · sebagian benar · 1/3 poin"
    assert restored.input.marks["ibu"].value == mark_html(True)


def test_solution_mode_prefills_and_never_writes_the_learner_store(fixture_course, tmp_path):
    s = Session(mode="solusi", course=fixture_course)
    for e in fixture_course.exercises():
        if not e.is_code and not e.is_reflection:  # a refleksi has no answer to prefill
            v = ExerciseView(e, s, answer=e.correct_answer())
            assert plain(v).startswith(f"{e.kind_label} {e.id} · benar"), plain(v)
    assert not (tmp_path / "home").exists()


def test_code_check_via_cek(use):
    bad = api.cek("9.7", pd.Series([1, 3, 2], index=list("abc")))
    assert isinstance(bad, CodeResultView)
    assert "Kamu lupa mengalikan dengan 10" in bad.feedback.value
    assert plain(bad) == "Latihan 9.7 · salah · 0/1 poin"
    good = api.cek("9.7", pd.Series([10, 30, 20], index=list("abc")))
    assert plain(good) == "Latihan 9.7 · benar · 1/1 poin"
    unanswered = api.cek("9.7", ...)
    assert plain(unanswered) == "Latihan 9.7 · belum dijawab"
    assert [r["status"] for r in use.store.attempts("9.7")] == ["wrong", "correct"]


def test_learner_mistakes_show_messages_not_tracebacks(use):
    assert "tidak ditemukan" in plain(api.tampilkan("99.9"))
    assert "dijawab dengan kode" in plain(api.tampilkan("9.7"))
    assert "lewat widget" in plain(api.cek("9.1", "b"))
    assert "tidak ditemukan" in plain(api.cek("nope", 1))


def test_hints_and_solution_calls(use):
    assert plain(api.petunjuk("9.1")).count("Petunjuk") == 1
    assert plain(api.petunjuk("9.1")).count("Petunjuk") == 2
    assert plain(api.petunjuk("9.1")).count("Petunjuk") == 2  # the ladder ends
    assert "Solusi latihan 9.3" in plain(api.solusi("9.3"))
    assert "Anaknya" in api.solusi("9.1").value or "b." in api.solusi("9.1").value


def test_variant_scenario_is_personalised_in_the_widget(fixture_course, tmp_path):
    from kenali import learner

    home = tmp_path / "h"
    learner.save(home, learner.Learner("Rina", "rina-01"))
    s = Session(course=fixture_course, store=Store(home))
    v = view(s, "9.1")
    header = v.children[1].value
    name = fixture_course.exercise("9.1").variant("rina-01")["nama"]
    assert f"{name} membeli aplikasi" in header and "{nama}" not in header


def test_progress_and_identity(use, tmp_path):
    box = api.identitas()
    box.name_input.value = "Rina Sari"
    box.id_input.value = "bad id with spaces"
    box.save()
    assert "hanya boleh" in box.message.value
    box.id_input.value = "rina-01"
    box.save()
    assert "Tersimpan" in box.message.value
    assert use.learner.id == "rina-01"
    v = view(use, "9.1")
    v.input.radio.value = "b"
    v.check_button.click()
    summary = plain(api.kemajuan())
    assert "Bank uji: 1/7 dikerjakan, 1 benar" in summary


def test_variant_names_fill_feedback_too(fixture_course, tmp_path):
    from kenali import learner

    home = tmp_path / "h2"
    learner.save(home, learner.Learner("Dimas", "dimas-7"))
    s = Session(course=fixture_course, store=Store(home))
    v = view(s, "9.1")
    v.input.radio.value = "a"
    v.check_button.click()
    name = fixture_course.exercise("9.1").variant("dimas-7")["nama"]
    assert f"{name} membayar, tidak memakai." in v.feedback.value and "{nama}" not in v.feedback.value


# -- shuffled display order: per (learner, exercise), answers by key --------------------------


def test_display_order_is_a_stable_per_learner_permutation(fixture_bank):
    from collections import Counter

    e = next(x for x in fixture_bank.exercises if x.id == "9.1")
    assert sorted(e.display_order("rina")) == sorted(e.choices)
    assert e.display_order("rina") == e.display_order("rina")
    assert len({e.display_order(f"l{i}") for i in range(30)}) > 1
    positions = Counter(e.display_order(f"l{i}").index(e.key) for i in range(600))
    assert set(positions) == {0, 1, 2} and min(positions.values()) > 150  # the key is anywhere, evenly
    grids = [x for x in fixture_bank.exercises if x.type in {"peran", "pasangan"}]
    assert all(sorted(g.display_order(None)) == sorted(i.id for i in g.items) for g in grids)
    assert next(x for x in fixture_bank.exercises if x.type == "angka").display_order("rina") == ()


def test_solution_mode_order_is_shuffled_too_not_the_bank_order(fixture_course):
    from kenali.bank import load_course

    orders = [(e.display_order(None), tuple(e.choices) if e.type.startswith("pilihan") else
               tuple(i.id for i in e.items)) for e in load_course().exercises() if e.display_order(None)]
    assert sum(shown != bank for shown, bank in orders) > len(orders) / 2


def test_widgets_show_the_learners_order_and_record_keys(session):
    e = session.exercise("9.1")
    v = ExerciseView(e, session)
    order = e.display_order(session.learner_id)
    assert [key for _, key in v.input.radio.options] == list(order)
    assert [label.split(".")[0] for label, _ in v.input.radio.options] == ["a", "b", "c"]  # lettered by position
    v.input.radio.value = e.key
    assert v.check().status == "correct"
    assert session.store.latest("9.1")["answer"] == e.key  # the key, never a position

    multi = ExerciseView(session.exercise("9.2"), session)
    assert list(multi.input.boxes) == list(session.exercise("9.2").display_order(session.learner_id))
    for key in ("c", "a"):
        multi.input.boxes[key].value = True
    assert multi.input.get() == ["a", "c"]  # bank order, whatever the display order

    grid = session.exercise("9.3")
    g = ExerciseView(grid, session)
    labels = [row.children[0].value for row in g.input.widget.children if hasattr(row, "children")]
    expected = [next(i.label for i in grid.items if i.id == k) for k in grid.display_order(session.learner_id)]
    assert [label for label in labels if label] == [fb_item(x) for x in expected]


def fb_item(label: str) -> str:
    from kenali.present import feedback

    return feedback.item_html(label)
