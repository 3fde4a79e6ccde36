"""The live figures (kenali.classroom.live) on hand-built rows, and on rows stored in both databases."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from kenali.classroom.db import AttemptRow, ClassDB, LearnerRow
from kenali.classroom.live import LiveState, answer_group, live_summary, projector_summary
from kenali.classroom.wire import msg_to_json
from kenali.model import check
from kenali.present.message import render

T0 = datetime(2026, 12, 7, 1, 0, tzinfo=UTC)
NOW = T0 + timedelta(minutes=30)


class Rows:
    """Attempts as the server would store them: checked with the real ``check``, numbered per learner."""

    def __init__(self, course):
        self.course = course
        self.rows: list[AttemptRow] = []

    def add(self, user: str, exercise: str, answer: Any, minute: float, **more: Any) -> AttemptRow:
        ex = self.course.exercise(exercise) if exercise.startswith("9.") else None
        result = check(ex, answer) if ex is not None else None
        n = sum(r.user == user and r.exercise == exercise for r in self.rows) + 1
        fields = dict(
            id=len(self.rows) + 1, user=user, exercise=exercise, lesson=ex.lesson if ex else "99", seq=n,
            answer=answer, status=result.status if result else "wrong", score=result.score if result else 0.0,
            points=1.0, attempt=n, source="check", server_time=T0 + timedelta(minutes=minute),
            learner_id=f"L-{user}", feedback=[msg_to_json(m) for m in result.messages] if result else [])
        row = AttemptRow(**{**fields, **more})
        self.rows.append(row)
        return row


@pytest.fixture
def rows(fixture_course):
    return Rows(fixture_course)


def stats_of(summary, exercise):
    return next(e for e in summary.exercises if e.exercise == exercise)


def test_share_correct_at_the_first_attempt_and_in_the_end(rows, fixture_course):
    rows.add("ani", "9.1", "c", 1)
    rows.add("ani", "9.1", "b", 2)
    rows.add("budi", "9.1", "b", 1)
    rows.add("cici", "9.1", "c", 1)
    rows.add("cici", "9.1", "a", 3)
    s = stats_of(live_summary(rows.rows, [], fixture_course, NOW), "9.1")
    assert (s.learners, s.attempts, s.correct) == (3, 5, 2)
    assert s.first_correct_share == pytest.approx(1 / 3, abs=1e-4)
    assert s.correct_share == pytest.approx(2 / 3, abs=1e-4)
    nobody = stats_of(live_summary(rows.rows, [], fixture_course, NOW), "9.5")
    assert (nobody.learners, nobody.attempts, nobody.correct_share) == (0, 0, None)


def test_the_first_attempt_is_the_lowest_numbered_even_when_rows_come_out_of_order(rows, fixture_course):
    late = rows.add("ani", "9.1", "b", 5, attempt=2, seq=2)
    early = rows.add("ani", "9.1", "c", 1, attempt=1, seq=1)
    s = stats_of(live_summary([late, early], [], fixture_course, NOW), "9.1")
    assert s.first_correct_share == 0.0 and s.correct_share == 1.0


def test_most_common_wrong_answer_is_described_with_its_label_and_feedback(rows, fixture_course):
    rows.add("ani", "9.1", "c", 1)
    rows.add("cici", "9.1", "c", 2)
    rows.add("cici", "9.1", "a", 3)
    rows.add("cici", "9.1", "a", 4)  # more attempts, but one learner: ranked after "c"
    rows.add("budi", "9.1", "b", 1)
    wrong = stats_of(live_summary(rows.rows, [], fixture_course, NOW), "9.1").wrong
    assert (wrong[0].answer, wrong[0].learners, wrong[0].attempts) == ("Toko aplikasi", 2, 2)
    assert wrong[0].feedback == [render(check(fixture_course.exercise("9.1"), "c").messages[0]), "Toko hanya menjual."]
    assert wrong[1].learners == 1 and wrong[1].attempts == 2
    assert "{" not in wrong[1].answer and "{" not in " ".join(wrong[1].feedback)  # the variant is filled in
    assert all(w.answer != "b" and "Anaknya" not in w.answer for w in wrong)  # the correct answer is not wrong


def test_feedback_shown_is_what_most_learners_got(rows, fixture_course):
    rows.add("dedi", "9.1", "c", 0, feedback=["Umpan balik lama"])  # the first, e.g. under a policy that said less
    for user in ("ani", "budi", "cici"):
        rows.add(user, "9.1", "c", 1)
    [top] = stats_of(live_summary(rows.rows, [], fixture_course, NOW), "9.1").wrong[:1]
    assert top.feedback[-1] == "Toko hanya menjual." and top.learners == 4


def test_equal_answers_written_differently_count_together(rows, fixture_course):
    rows.add("ani", "9.2", ["c"], 1)
    rows.add("budi", "9.2", ["c"], 2)
    rows.add("ani", "9.6", "pengguna", 1)
    rows.add("budi", "9.6", "  Pengguna ", 2)
    rows.add("ani", "9.5", "40", 1)
    rows.add("budi", "9.5", 40, 2)
    rows.add("cici", "9.5", "40,0", 3)
    summary = live_summary(rows.rows, [], fixture_course, NOW)
    assert [w.learners for w in stats_of(summary, "9.6").wrong] == [2]
    assert [w.learners for w in stats_of(summary, "9.5").wrong] == [3]
    ex = fixture_course.exercise("9.2")
    assert answer_group(ex, ["c", "a", "d"]) == answer_group(ex, ["d", "c", "a"])
    assert answer_group(ex, ["c", "a"]) != answer_group(ex, ["c", "d"])


IBU = "Ibu yang membayar langganan untuk anaknya"
RIGHT_93 = {"ibu": "customer", "anak": "konsumen", "guru": "customer_dan_konsumen"}


def role_rows(rows: Rows) -> None:
    """9.3 (peran): most learners' latest answers get "ibu" wrong, mostly as Konsumen."""
    rows.add("ani", "9.3", {**RIGHT_93, "ibu": "konsumen"}, 1)
    rows.add("budi", "9.3", {**RIGHT_93, "ibu": "konsumen", "anak": "customer"}, 2)
    rows.add("cici", "9.3", {**RIGHT_93, "ibu": "konsumen"}, 3)
    rows.add("cici", "9.3", RIGHT_93, 4)  # her latest answer is right: her wrong one no longer counts
    rows.add("dedi", "9.3", {**RIGHT_93, "ibu": "customer_dan_konsumen", "guru": "customer"}, 5)
    rows.add("eka", "9.3", {"ibu": "konsumen"}, 6)  # the other parts left empty: neither right nor wrong


def test_role_answers_are_read_per_part_the_part_most_got_wrong_first(rows, fixture_course):
    role_rows(rows)
    s = stats_of(live_summary(rows.rows, [], fixture_course, NOW), "9.3")
    first = s.wrong[0]
    # the actor, the role most often given instead of the key, by how many learners, and what they read for it
    assert first.answer == f"{IBU} → Konsumen"
    assert (first.learners, first.attempts) == (3, 4)  # ani, budi, eka (latest); cici's first attempt too
    assert first.feedback == ["Ibu tidak memakai aplikasinya."]  # the item's feedback for "konsumen"
    # then the parts fewer got wrong, in the bank's order on a tie; a role without feedback gives the item's why
    assert [w.answer for w in s.wrong[1:]] == ["Anak yang belajar setiap sore → Customer (pelanggan)",
                                               "Guru yang membeli dan memakai sendiri → Customer (pelanggan)"]
    assert s.wrong[1].feedback == ["Anak memakai tanpa membayar."] and s.wrong[2].learners == 1
    ibu, anak, guru = s.parts
    assert (ibu.item, ibu.learners, ibu.correct, ibu.wrong, ibu.given, ibu.given_learners) == (
        "ibu", 5, 1, 4, "Konsumen", 3)
    assert ibu.correct_share == pytest.approx(0.2) and ibu.key == "Customer (pelanggan)"
    assert (anak.item, anak.learners, anak.correct, anak.wrong) == ("anak", 5, 3, 1)  # eka left it empty
    assert (guru.item, guru.correct_share, guru.given) == ("guru", pytest.approx(0.6), "Customer (pelanggan)")
    assert all("customer_dan_konsumen" not in w.answer for w in s.wrong)


def test_role_parts_nobody_got_wrong_are_not_wrong_answers(rows, fixture_course):
    rows.add("ani", "9.3", RIGHT_93, 1)
    rows.add("budi", "9.3", {**RIGHT_93, "guru": "konsumen"}, 2)
    s = stats_of(live_summary(rows.rows, [], fixture_course, NOW), "9.3")
    assert [w.answer for w in s.wrong] == ["Guru yang membeli dan memakai sendiri → Konsumen"]
    assert [p.item for p in s.parts] == ["guru", "ibu", "anak"]
    assert [p.correct_share for p in s.parts] == [0.5, 1.0, 1.0]


def test_role_parts_incremental_in_any_order_equal_one_summary(rows, fixture_course):
    role_rows(rows)
    state = LiveState(fixture_course)
    one = stats_of(live_summary(rows.rows, [], fixture_course, NOW), "9.3")
    # cici's right answer read before her wrong one: the later one still counts
    backwards = stats_of(LiveState(fixture_course).add(list(reversed(rows.rows))).summary([], NOW), "9.3")
    assert backwards.parts == one.parts and backwards.wrong == one.wrong
    for row in rows.rows:  # one poll per attempt
        state.add([row])
        assert stats_of(state.summary([], NOW), "9.3").parts == stats_of(
            live_summary(rows.rows[: row.id], [], fixture_course, NOW), "9.3").parts
    assert state.summary([], NOW) == live_summary(rows.rows, [], fixture_course, NOW)


def test_learners_stuck_longest(rows, fixture_course):
    rows.add("ani", "9.2", ["c"], 1)
    rows.add("ani", "9.2", ["b"], 8)
    rows.add("ani", "9.2", ["d"], 20)
    rows.add("budi", "9.3", {"ibu": "konsumen"}, 10)
    rows.add("cici", "9.1", "c", 0)  # solved later: not stuck
    rows.add("cici", "9.1", "b", 5)
    rows.add("dedi", "9.5", "1", 0)  # moved on and got the next one right: not stuck
    rows.add("dedi", "9.6", "pengguna akhir", 2)
    summary = live_summary(rows.rows, [], fixture_course, NOW)
    assert [(s.user, s.exercise, s.attempts, s.since) for s in summary.stuck] == [
        ("ani", "9.2", 3, 29 * 60.0), ("budi", "9.3", 1, 20 * 60.0)]
    assert summary.stuck[0].last_status == rows.rows[2].status != "correct"


def test_who_is_where(rows, fixture_course):
    rows.add("ani", "9.1", "b", 1)
    rows.add("ani", "9.2", ["c"], 2)
    rows.add("budi", "9.1", "c", 3)
    learners = [LearnerRow(user="ani", learner_id="L-ani", last_seen=T0 + timedelta(minutes=25), last_exercise="9.4"),
                LearnerRow(user="eka", learner_id=None, last_seen=T0 + timedelta(minutes=29), last_exercise=None)]
    people = {p.user: p for p in live_summary(rows.rows, learners, fixture_course, NOW).learners}
    assert list(people) == ["ani", "budi", "eka"]
    ani, budi, eka = people["ani"], people["budi"], people["eka"]
    assert (ani.exercise, ani.exercise_title, ani.lesson) == ("9.4", "Pasangan", "09")  # the newer position wins
    assert ani.seen_ago == 5 * 60.0 and (ani.tried, ani.correct, ani.attempts) == (2, 1, 2)
    assert (budi.exercise, budi.seen_ago, budi.tried, budi.correct) == ("9.1", 27 * 60.0, 1, 0)
    assert (eka.exercise, eka.seen_ago, eka.attempts) == (None, 60.0, 0)


def test_one_lesson(rows, fixture_course):
    rows.add("ani", "9.1", "b", 1)
    rows.add("ani", "99.1", "x", 2)  # an exercise this course does not know, lesson 99
    everything = live_summary(rows.rows, [], fixture_course, NOW)
    assert [e.exercise for e in everything.exercises][-1] == "99.1"
    only = live_summary(rows.rows, [], fixture_course, NOW, lesson="09")
    assert "99.1" not in [e.exercise for e in only.exercises]
    assert only.learners[0].tried == 1 and only.learners[0].exercise == "99.1"  # still listed where she is
    assert only.stuck == [] and everything.stuck[0].exercise == "99.1"


def test_reflections_have_no_share_correct(rows, fixture_course):
    rows.add("ani", "9.r1", "Produk saya dipakai guru.", 1)
    s = stats_of(live_summary(rows.rows, [], fixture_course, NOW), "9.r1")
    assert s.learners == 1 and s.correct_share is None and s.first_correct_share is None and s.wrong == []


def test_json_and_deterministic(rows, fixture_course):
    rows.add("ani", "9.1", "c", 1)
    rows.add("budi", "9.7", {"kind": "list", "items": [1, 2]}, 2)
    one = live_summary(rows.rows, [], fixture_course, NOW).to_json()
    assert json.loads(json.dumps(one)) == one == live_summary(rows.rows, [], fixture_course, NOW).to_json()
    assert one["now"] == NOW.isoformat() and one["last_id"] == 2


def test_incremental_state_equals_one_summary(rows, fixture_course):
    for i, user in enumerate(["ani", "budi", "cici", "dedi"] * 3):
        rows.add(user, f"9.{i % 6 + 1}", ["c"] if i % 6 == 1 else "c", i)
    state = LiveState(fixture_course).add(rows.rows[:5])
    first = state.summary([], NOW)
    state.add(rows.rows[3:])  # overlapping poll: rows 4 and 5 are not counted twice
    assert state.summary([], NOW) == live_summary(rows.rows, [], fixture_course, NOW)
    assert first.last_id == 5 and state.last_id == len(rows.rows)


def test_projector_has_no_user_names(rows, fixture_course):
    rows.add("ani_rahasia", "9.1", "c", 1)
    rows.add("ani_rahasia", "9.1", "b", 2)
    rows.add("budi_rahasia", "9.1", "c", 3)
    rows.add("cici_rahasia", "9.1", "b", 4)
    rows.add("cici_rahasia", "9.2", ["a"], 5)
    p = projector_summary("9.1", rows.rows, fixture_course)
    text = json.dumps(p.to_json(), ensure_ascii=False)
    assert "rahasia" not in text and "L-" not in text
    assert [(x.name, x.status, x.attempts) for x in p.participants] == [
        ("Peserta 1", "correct", 2), ("Peserta 2", "wrong", 1), ("Peserta 3", "correct", 1)]
    assert (p.learners, p.attempts) == (3, 4)
    assert p.correct_share == pytest.approx(2 / 3, abs=1e-4) and p.first_correct_share == pytest.approx(1 / 3, abs=1e-4)
    shares = {a.answer: (a.learners, a.correct) for a in p.answers}
    assert shares["Anaknya"] == (2, True) and shares["Toko aplikasi"] == (1, False)
    assert len(p.answers) == 3 and sum(a.learners for a in p.answers) == 3  # every option, chosen or not


def test_projector_shows_roles_per_actor_without_names(rows, fixture_course):
    for row in [("ani_rahasia", {**RIGHT_93, "ibu": "konsumen"}), ("budi_rahasia", {**RIGHT_93, "ibu": "konsumen"}),
                ("cici_rahasia", RIGHT_93), ("dedi_rahasia", {"ibu": "customer_dan_konsumen"})]:
        rows.add(*row[:1], "9.3", row[1], 1)
    rows.add("ani_rahasia", "9.3", RIGHT_93, 2)  # her latest answer counts
    p = projector_summary("9.3", rows.rows, fixture_course)
    assert "rahasia" not in json.dumps(p.to_json(), ensure_ascii=False)
    assert p.answers == [] and [part.item for part in p.parts] == ["ibu", "anak", "guru"]  # one row per actor
    for part in p.parts:
        assert sum(r.learners for r in part.roles) == p.learners == 4  # every learner once per actor
        assert sum(r.share for r in part.roles) == pytest.approx(1.0)
    ibu, anak, _ = p.parts
    assert ibu.label == IBU and ibu.key == "Customer (pelanggan)" and ibu.correct_share == 0.5
    assert [(r.label, r.learners, r.correct) for r in ibu.roles] == [
        ("Customer (pelanggan)", 2, True), ("Konsumen", 1, False), ("Customer sekaligus konsumen", 1, False)]
    assert [(r.role, r.label, r.learners) for r in anak.roles] == [("konsumen", "Konsumen", 3),
                                                                   ("", "belum diisi", 1)]  # empty: last


def test_projector_parts_use_the_neutral_names():
    from kenali.bank import load_course
    from kenali.present.text import filler

    ex = load_course().exercise("1.1")
    row = AttemptRow(id=1, user="ani", exercise="1.1", status="correct", answer=ex.correct_answer(), attempt=1,
                     server_time=T0)
    p = projector_summary("1.1", [row], load_course())
    labels = [part.label for part in p.parts]
    assert labels == [filler(ex, None)(item.label) for item in ex.items] and not any("{" in x for x in labels)
    assert all(part.correct_share == 1.0 and part.roles[0].correct for part in p.parts)
    wrong = {**ex.correct_answer(), ex.items[0].id: next(k for k in ex.choices if k != ex.items[0].key)}
    live = LiveState(load_course()).add([AttemptRow(id=1, user="ani", exercise="1.1", status="partial", answer=wrong,
                                                    attempt=1, server_time=T0)]).summary([], NOW)
    [w] = stats_of(live, "1.1").wrong
    assert "{" not in w.answer + " ".join(w.feedback) and w.answer.startswith(labels[0] + " → ")


def test_projector_groups_other_answers(rows, fixture_course):
    for i in range(12):
        rows.add(f"u{i}", "9.6", f"jawaban {i % 10}", i)
    p = projector_summary("9.6", rows.rows, fixture_course)
    # ten different answers: the eight most given, then one line for the other two
    assert len(p.answers) == 9 and p.answers[-1].learners == 2 and p.answers[-1].correct is None
    assert p.answers[0].learners == 2  # "jawaban 0" and "jawaban 1" were given twice


def test_figures_from_rows_stored_in_the_database(db_url, rows, fixture_course):
    rows.add("ani", "9.1", "c", 1)
    rows.add("ani", "9.1", "b", 2)
    rows.add("budi", "9.1", "c", 3)
    rows.add("budi", "9.2", ["c"], 4)
    with ClassDB(db_url) as db:
        for r in rows.rows:
            db.add_attempt(r)
        stored, learners = db.attempts(), db.learners()
    assert live_summary(stored, learners, fixture_course, NOW) == live_summary(rows.rows, learners, fixture_course, NOW)
    assert projector_summary("9.1", stored, fixture_course) == projector_summary("9.1", rows.rows, fixture_course)


def test_polling_the_database_with_since_id(db_url, rows, fixture_course):
    for i, user in enumerate(["ani", "budi", "cici"] * 4):
        rows.add(user, f"9.{i % 3 + 1}", "c" if i % 3 != 1 else ["c"], i)
    with ClassDB(db_url) as db:
        state = LiveState(fixture_course)
        for chunk in (rows.rows[:4], rows.rows[4:5], rows.rows[5:]):
            for r in chunk:
                db.add_attempt(r)
            state.add(db.attempts(since_id=state.last_id))
            assert state.last_id == db.last_id()
        learners = db.learners()
        assert state.summary(learners, NOW) == live_summary(db.attempts(), learners, fixture_course, NOW)
        assert stats_of(state.summary(learners, NOW), "9.1").attempts == 4


def test_code_answers_are_summarised_without_loading_the_grader(rows, fixture_course):
    import subprocess
    import sys

    value = {"kind": "list", "items": [{"kind": "number", "value": 1.5}, {"kind": "text", "value": "a"}]}
    rows.add("budi", "9.7", value, 1)
    [wrong] = stats_of(live_summary(rows.rows, [], fixture_course, NOW), "9.7").wrong
    assert wrong.answer == "list(2) [1.5, 'a']"
    code = ("import sys; from kenali.classroom.live import describe; from kenali.bank import load_course; "
            "ex = next(e for e in load_course().exercises() if e.is_code); "
            "describe(ex, {'kind': 'number', 'value': 2}); print('kenali.grading.score' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"


def test_a_large_batch_leaves_the_garbage_collector_as_it_was(fixture_course):
    import gc

    many = [AttemptRow(id=i + 1, user=f"u{i % 50}", exercise="9.1", status="wrong", answer="c", attempt=i // 50 + 1,
                       server_time=T0) for i in range(6000)]
    assert gc.isenabled()
    state = LiveState(fixture_course).add(many)
    assert gc.isenabled() and state.last_id == 6000
    with pytest.raises(AttributeError):
        LiveState(fixture_course).add([*many, object()])  # a failure half-way
    assert gc.isenabled()


def test_a_long_answer_is_cut_visibly():
    """4.14's answer reads 1 000+ characters: the live view and the projector show 300 of them, ending in "…",
    so a facilitator never takes a cut answer for the whole one."""
    from kenali.bank import load_course
    from kenali.classroom.live import describe

    ex = load_course().exercise("4.14")
    text = describe(ex, ex.correct_answer())
    assert len(text) <= 300 and text.endswith("…")
    short = load_course().exercise("1.12")
    assert not describe(short, short.correct_answer()).endswith("…")
