"""The one checking function, for every exercise type: correct, wrong, partial, empty, wrong type."""

from __future__ import annotations

import pytest

from kenali.model import check
from kenali.session import check_answer
from kenali.values import to_plain


def ex(bank, exercise_id):
    return next(e for e in bank.exercises if e.id == exercise_id)


def test_single_choice(fixture_bank):
    e = ex(fixture_bank, "9.1")
    assert check(e, "b").status == "correct"
    wrong = check(e, "a")
    assert wrong.status == "wrong" and wrong.score == 0
    assert "{nama} membayar, tidak memakai." in wrong.messages  # the option's own feedback (rendered by the widget)
    assert check(e, None).status == "unanswered"
    assert check(e, "").status == "unanswered"
    assert check(e, 3).status == "invalid"
    assert check(e, "z").status == "invalid"


def test_multiple_select_scores_partially(fixture_bank):
    e = ex(fixture_bank, "9.2")
    assert check(e, ["a", "c"]).status == "correct"
    assert check(e, ["c", "a"]).score == 1.0
    half = check(e, ["a"])
    assert half.status == "partial" and half.score == pytest.approx(0.5)
    assert any("Error yang menghambat dirasakan pengguna." in m for m in half.messages)  # missed c explained
    mixed = check(e, ["a", "b"])  # one right, one wrong pick: (1 - 1) / 2 = 0
    assert mixed.status == "wrong" and mixed.score == 0
    assert any("Unduhan adalah vanity metric." in m for m in mixed.messages)
    assert check(e, []).status == "unanswered"
    assert check(e, "a").status == "invalid"
    assert check(e, ["a", "q"]).status == "invalid"


def test_role_assignment_scores_per_actor(fixture_bank):
    e = ex(fixture_bank, "9.3")
    full = {"ibu": "customer", "anak": "konsumen", "guru": "customer_dan_konsumen"}
    assert check(e, full).status == "correct"
    r = check(e, {**full, "ibu": "konsumen", "guru": None})
    assert r.status == "partial"
    assert r.score == pytest.approx(1 / 3)
    assert dict(r.parts) == {"ibu": False, "anak": True, "guru": False}
    assert any("Ibu tidak memakai aplikasinya." in m for m in r.messages)  # role-specific feedback
    r2 = check(e, {**full, "anak": "customer"})
    assert any("Anak memakai tanpa membayar." in m for m in r2.messages)  # falls back to `why`
    assert check(e, {}).status == "unanswered"
    assert check(e, {"ibu": None, "anak": ""}).status == "unanswered"
    assert check(e, ["customer"]).status == "invalid"
    assert check(e, {"ibu": "reseller"}).status in {"wrong", "partial"}


def test_matching(fixture_bank):
    e = ex(fixture_bank, "9.4")
    assert check(e, {"t1": "d1", "t2": "d2"}).correct
    swapped = check(e, {"t1": "d2", "t2": "d1"})
    assert swapped.status == "wrong" and swapped.score == 0
    assert any("Customer membayar." in m for m in swapped.messages)


def test_numeric_tolerance_mistakes_and_direction(fixture_bank):
    e = ex(fixture_bank, "9.5")
    assert check(e, 42.5).correct
    assert check(e, "42,7").correct  # Indonesian decimal comma, within tolerance
    assert check(e, "42.9 %").correct
    assert not check(e, 43.5).correct
    assert "Kamu menghitung sisanya." in check(e, 57.5).messages
    assert "Terlalu kecil: hitung ulang pembilangnya." in check(e, 10).messages
    assert check(e, "").status == "unanswered"
    assert check(e, "empat puluh").status == "invalid"
    assert check(e, True).status == "invalid"


def test_short_text_normalisation(fixture_bank):
    e = ex(fixture_bank, "9.6")
    for answer in ["pengguna akhir", "  Pengguna   AKHIR ", "End-User", "enduser", "énd user!"]:
        assert check(e, answer).correct, answer
    assert "Customer membayar; istilah yang ditanya adalah yang memakai." in check(e, "Pelanggan").messages
    assert "Istilahnya tentang orang yang memakai." in check(e, "pembeli").messages
    assert check(e, "   ").status == "unanswered"
    assert check(e, 12).status == "invalid"


def test_code_answers_and_common_mistakes(fixture_course):
    import pandas as pd

    e = fixture_course.exercise("9.7")
    right = pd.Series([10, 30, 20], index=["a", "b", "c"], name="nilai")
    assert check_answer(e, to_plain(right)).correct
    unsorted = check_answer(e, to_plain(right.sort_values(ascending=False)))
    assert unsorted.status == "wrong"  # check_order: true
    forgot = check_answer(e, to_plain(pd.Series([1, 3, 2], index=["a", "b", "c"])))
    assert any("Kamu lupa mengalikan dengan 10." in m for m in forgot.messages)
    assert check_answer(e, to_plain(...)).status == "unanswered"
    assert check_answer(e, "not plain").status == "invalid"
    frame = check_answer(e, to_plain(right.to_frame()))
    assert any("DataFrame" in m for m in frame.messages)
    # the key itself is never printed in feedback
    assert not any("30" in m for m in forgot.messages + unsorted.messages)


def test_correct_answer_scores_full_for_every_type(fixture_course):
    for e in fixture_course.exercises():
        if e.is_code or e.is_reflection:  # a reflection has no right answer (see its own test)
            continue
        assert check(e, e.correct_answer()).correct, e.id


def test_variants_are_stable_per_learner_and_vary_across_learners(fixture_bank):
    e = ex(fixture_bank, "9.1")
    assert e.uses_variants()
    assert e.variant("rina-01") == e.variant("rina-01")
    names = {e.variant(f"peserta-{i}")["nama"] for i in range(30)}
    assert len(names) >= 4
    rendered = e.render(e.scenario, e.variant("x"))
    assert "{nama}" not in rendered
    assert e.render("{bukan_pool} tetap", e.variant("x")) == "{bukan_pool} tetap"
    assert check(e, "b").correct  # the key does not depend on the variant


def test_reflection_is_saved_never_scored(fixture_bank):
    e = ex(fixture_bank, "9.r1")
    assert e.is_reflection and e.quick and e.points == 0
    saved = check(e, "Pengguna akhir kami adalah kasir; pemilik toko membayar.")
    assert saved.status == "saved" and saved.score == 0 and not saved.scored and saved.attempted
    assert check(e, "   ").status == "unanswered"
    assert check(e, None).status == "unanswered"
    assert check(e, ["a"]).status == "invalid"
    assert e.correct_answer() is None
    assert e not in fixture_bank.graded  # never counted in points


def test_reflection_is_recorded_restored_and_not_in_progress(session):
    from kenali.records import answer_fits, validate
    from kenali.widgets import ExerciseView

    e = session.exercise("9.r1")
    view = ExerciseView(e, session)
    assert repr(view).endswith("belum disimpan")
    assert view.check_button.description == "Simpan"
    assert view.input.text.rows >= 4 and view.input.text.layout.width == "100%"
    view.input.text.value = "Kasir memakai; pemilik membayar."
    assert view.check().status == "saved"
    assert repr(view).endswith("tersimpan")
    record = session.store.latest("9.r1")
    assert record["status"] == "saved" and record["answer"] == "Kasir memakai; pemilik membayar."
    validate(dict(record))
    assert answer_fits("refleksi", record["answer"])
    again = ExerciseView(e, session)
    assert again.input.text.value == "Kasir memakai; pemilik membayar."
    assert repr(again).endswith("tersimpan")
    assert all(row["done"] == 0 for row in session.progress())  # ungraded: not in the points


@pytest.mark.parametrize(
    "answer",
    ["pengguna akhir (end user)", "yaitu pengguna akhir", "End-User (pengguna akhir)", "pihak pengguna akhir",
     "Pengguna akhir."],
)
def test_text_accepts_a_form_with_a_gloss(fixture_bank, answer):
    assert check(ex(fixture_bank, "9.6"), answer).status == "correct"


@pytest.mark.parametrize(
    "answer",
    ["pengguna akhir bukan customer", "pengguna akhir yang kaya raya", "customer pengguna akhir", "pengguna",
     "bukan pengguna akhir", "pengguna akhirnya"],
)
def test_text_refuses_a_form_with_unrelated_words(fixture_bank, answer):
    assert check(ex(fixture_bank, "9.6"), answer).status == "wrong"


def test_a_glossed_mistake_gets_its_own_feedback(fixture_bank):
    result = check(ex(fixture_bank, "9.6"), "tahap customer")
    assert result.status == "wrong" and "Customer membayar" in result.messages[1]


@pytest.mark.parametrize(
    ("answer", "ok"),
    [
        ("UAT (User Acceptance Testing)", True),
        ("User Acceptance Testing (UAT)", True),
        ("tahap UAT", True),
        ("UAT: user acceptance testing", True),
        ("uat", True),
        ("UAT gagal total", False),
        ("ujian UAT", False),
        ("UATX", False),
        ("UAT (User Interface Testing)", False),
    ],
)
def test_contains_form_with_acronym_expansion(answer, ok):
    from kenali.textnorm import contains_form

    assert contains_form(answer, "UAT") is ok
