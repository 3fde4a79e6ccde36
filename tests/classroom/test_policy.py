"""The assessment policy: loading and validation, disclosure, redaction of real course feedback, scoring."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from kenali.bank import load_course
from kenali.classroom.policy import (
    PRACTICE,
    Attempt,
    Disclosure,
    Policy,
    PolicyError,
    PolicyFile,
    attempts_left,
    disclosure,
    load_policy,
    parse_policy,
    policy_digest,
    redact,
    score_attempts,
)
from kenali.model import check
from kenali.values import to_plain

WIB = timezone(timedelta(hours=7))
DEADLINE = datetime(2026, 12, 10, 17, 0, tzinfo=WIB)
HIDE_ALL = Disclosure(parts=False, explanation=False, distance=False)
SHOW_ALL = Disclosure(parts=True, explanation=True, distance=True)

QUIZ = """\
default:
  attempts: 5
assignments:
  - id: kuis-1
    title: Kuis pelajaran 1
    exercises: ["1.1?", "1.2*"]
    policy:
      attempts: 2
      credit: first
      show_parts: final
      show_explanation: deadline
      show_distance: false
      deadline: 2026-12-10T17:00:00+07:00
  - id: lab
    title: Lab data
    lessons: [05]
    policy: {credit: decay, decay: [1, 0.6, 0.3]}
weights: {01: 2, "05": 3.5}
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "kebijakan.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def error(tmp_path: Path, text: str) -> str:
    with pytest.raises(PolicyError) as info:
        load_policy(write(tmp_path, text))
    assert "kebijakan.yaml" in str(info.value)
    return str(info.value)


# -- loading -----------------------------------------------------------------------------------


def test_a_quiz_file_loads_with_every_field(tmp_path: Path) -> None:
    pf = load_policy(write(tmp_path, QUIZ))
    assignment, policy = pf.for_exercise("1.13", "01")
    assert assignment is not None and assignment.id == "kuis-1"
    assert policy.attempts == 2 and policy.credit == "first" and policy.show_parts == "final"
    assert policy.deadline == DEADLINE and not policy.show_distance
    assert pf.for_exercise("5.4", "05")[0].id == "lab"  # by lesson (YAML's 05 read as lesson "05")
    assert pf.for_exercise("5.4", "05")[1].decay == (1.0, 0.6, 0.3)
    assert pf.weights == {"01": 2.0, "05": 3.5}
    # no assignment: the file's default; without one, PRACTICE
    assert pf.for_exercise("1.5", "01") == (None, Policy(attempts=5))
    assert PolicyFile().for_exercise("1.5", "01") == (None, PRACTICE)


def test_practice_keeps_the_old_behaviour() -> None:
    assert PRACTICE.attempts is None and PRACTICE.credit == "last" and PRACTICE.deadline is None
    assert disclosure(PRACTICE, attempt=1, correct=False) == SHOW_ALL


@pytest.mark.parametrize(("policy", "field", "words"), [
    ("{atempts: 2}", "assignments[0].policy.atempts", "did you mean 'attempts'"),
    ("{attempts: 0}", "assignments[0].policy.attempts", "at least 1"),
    ("{attempts: 1.5}", "assignments[0].policy.attempts", "whole number"),
    ("{attempts: true}", "assignments[0].policy.attempts", "whole number"),
    ("{credit: worst}", "assignments[0].policy.credit", "'worst' is not one of"),
    ("{decay: [1, 1.5]}", "assignments[0].policy.decay", "between 0 and 1"),
    ("{decay: [1, -0.1]}", "assignments[0].policy.decay", "between 0 and 1"),
    ("{decay: [1, 0.5, 0.7]}", "assignments[0].policy.decay", "must not increase"),
    ("{decay: []}", "assignments[0].policy.decay", "must not be empty"),
    ("{deadline: 2026-12-10 17:00}", "assignments[0].policy.deadline", "no timezone"),
    ("{deadline: '2026-12-10T17:00'}", "assignments[0].policy.deadline", "no timezone"),
    ("{deadline: 2026-12-10}", "assignments[0].policy.deadline", "timezone"),
    ("{deadline: besok}", "assignments[0].policy.deadline", "not a date and time"),
    ("{show_explanation: deadline}", "assignments[0].policy", "needs a deadline"),
    ("{show_parts: later}", "assignments[0].policy.show_parts", "not one of"),
])
def test_a_bad_policy_names_the_file_and_the_field(tmp_path: Path, policy: str, field: str, words: str) -> None:
    text = f"assignments:\n  - {{id: q, title: Kuis, exercises: ['1.*'], policy: {policy}}}\n"
    message = error(tmp_path, text)
    assert f"field '{field}'" in message and words in message, message


def test_file_level_mistakes(tmp_path: Path) -> None:
    assert "did you mean 'assignments'" in error(tmp_path, "asignments: []\n")
    assert "did you mean 'exercises'" in error(
        tmp_path, "assignments: [{id: q, title: K, exercise: ['1.*'], policy: {}}]")
    assert "field 'assignments[0].policy'" in error(tmp_path, "assignments: [{id: q, title: K, lessons: [01]}]")
    assert "names no exercises and no lessons" in error(tmp_path, "assignments: [{id: q, title: K, policy: {}}]")
    # 1.10 unquoted is the number 1.1: say so instead of matching the wrong exercise
    assert "quote exercise IDs" in error(tmp_path, "assignments: [{id: q, title: K, exercises: [1.10], policy: {}}]")
    assert "'9.*' matches no exercise" in error(
        tmp_path, "assignments: [{id: q, title: K, exercises: ['9.*'], policy: {}}]")
    assert "no lesson '09'" in error(tmp_path, "assignments: [{id: q, title: K, lessons: [9], policy: {}}]")
    assert load_policy(write(tmp_path, "weights: {01: 0, 05_lab_data: 1}")).weights == {"01": 0, "05_lab_data": 1}
    assert "field 'weights': the weight of lesson '01' must be a number of 0 or more" in error(
        tmp_path, "weights: {01: -2}")
    assert "number of 0 or more, found True" in error(tmp_path, "weights: {01: yes}")
    assert "number of 0 or more, found 'dua'" in error(tmp_path, "weights: {01: dua}")
    assert "found nothing" in error(tmp_path, "")
    assert "found list" in error(tmp_path, "- 1\n")
    assert "not valid YAML at line" in error(tmp_path, "assignments:\n  - {id: q\n")


def test_assignment_ids_are_unique(tmp_path: Path) -> None:
    message = error(tmp_path, "assignments:\n"
                              "  - {id: q, title: A, exercises: ['1.1'], policy: {}}\n"
                              "  - {id: q, title: B, exercises: ['1.2'], policy: {}}\n")
    assert "field 'assignments[1].id'" in message and "'q' is already used" in message


def test_an_exercise_in_two_assignments_names_both(tmp_path: Path) -> None:
    message = error(tmp_path, "assignments:\n"
                              "  - {id: kuis, title: A, exercises: ['1.1*'], policy: {}}\n"
                              "  - {id: ujian, title: B, lessons: ['01'], policy: {}}\n")
    assert "'kuis'" in message and "'ujian'" in message and "1.1" in message
    pf = parse_policy({"assignments": [{"id": "a", "title": "A", "exercises": ["x*"], "policy": {}},
                                       {"id": "b", "title": "B", "exercises": ["*1"], "policy": {}}]})
    with pytest.raises(PolicyError, match="'a' and 'b'"):
        pf.for_exercise("x1", None)


def test_a_missing_file_or_folder_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match=r"nope.yaml: file not found"):
        load_policy(tmp_path / "nope.yaml")
    with pytest.raises(PolicyError, match="is a folder"):
        load_policy(tmp_path)


def test_the_digest_follows_the_content(tmp_path: Path) -> None:
    a = load_policy(write(tmp_path, QUIZ))
    b = load_policy(write(tmp_path, QUIZ))
    c = load_policy(write(tmp_path, QUIZ.replace("attempts: 2", "attempts: 3")))
    assert a.digest() == b.digest() != c.digest()
    assert policy_digest(None) != a.digest() and policy_digest(None) == policy_digest(None)


# -- disclosure --------------------------------------------------------------------------------


def test_final_is_a_correct_answer_or_the_last_allowed_attempt() -> None:
    quiz = Policy(attempts=2, show_parts="final", show_explanation="final")
    assert disclosure(quiz, attempt=1, correct=False) == Disclosure(False, False, True)
    assert disclosure(quiz, attempt=1, correct=True) == Disclosure(True, True, True)
    assert disclosure(quiz, attempt=2, correct=False) == Disclosure(True, True, True)
    unlimited = Policy(show_parts="final")
    assert not disclosure(unlimited, attempt=50, correct=False).parts
    never = Policy(show_parts="never", show_explanation="never", show_distance=False)
    assert disclosure(never, attempt=1, correct=True) == HIDE_ALL


def test_the_explanation_can_wait_for_the_deadline() -> None:
    policy = Policy(show_explanation="deadline", deadline=DEADLINE)
    before, after = DEADLINE - timedelta(seconds=1), DEADLINE + timedelta(seconds=1)
    assert not disclosure(policy, attempt=3, correct=True, now=before).explanation
    assert disclosure(policy, attempt=1, correct=False, now=after).explanation
    assert disclosure(policy, attempt=1, correct=False, now=DEADLINE.astimezone(UTC)).explanation


# -- redaction (real exercises of the course) --------------------------------------------------


def exercise(kind: str, quick: bool = False):
    return next(e for e in load_course().exercises() if e.type == kind and e.quick == quick)


def keys(result) -> list[str]:
    return [getattr(m, "key", "<plain>") for m in result.messages]


def test_hidden_parts_drop_the_per_actor_marks() -> None:
    for kind in ("peran", "pasangan"):
        ex = exercise(kind)
        answer = ex.correct_answer()
        first, second = ex.items[0].id, ex.items[1].id
        answer[first] = next(k for k in ex.choices if k != ex.items[0].key)
        answer[second] = None
        result = check(ex, answer)
        assert {"feedback.item_right", "feedback.item_wrong", "feedback.item_empty"} <= set(keys(result))
        hidden = redact(ex, result, Disclosure(parts=False, explanation=True, distance=True))
        assert keys(hidden) == ["feedback.partial"] and hidden.parts == {}
        assert hidden.score == result.score and hidden.status == result.status
        assert redact(ex, result, SHOW_ALL) == result


def test_hidden_parts_drop_the_named_options_of_a_multiple_choice() -> None:
    ex = exercise("pilihan_ganda")
    wrong = next(k for k in ex.choices if k not in ex.key)
    result = check(ex, [ex.key[0], wrong])
    assert {"feedback.multi_missed", "feedback.multi_wrong_pick"} & set(keys(result))
    hidden = redact(ex, result, Disclosure(parts=False, explanation=True, distance=True))
    assert keys(hidden) == keys(result)[:1] and hidden.parts == {}
    assert not any(ex.choices[c].rstrip(".") in text for text in hidden.messages for c in ex.choices)


def test_hidden_distance_leaves_only_the_head_of_a_number_answer() -> None:
    ex = load_course().exercise("1.13")  # key 65, its own below/above texts and known mistakes
    for answer in (10, 99, 50.0):  # below, above, a known mistake value
        result = check(ex, answer)
        assert len(result.messages) == 2
        hidden = redact(ex, result, Disclosure(parts=True, explanation=True, distance=False))
        assert list(hidden.messages) == [result.messages[0]] and hidden.status == "wrong"
        assert redact(ex, result, Disclosure(parts=False, explanation=False, distance=True)) == result
    right = check(ex, 65)
    assert redact(ex, right, HIDE_ALL) == right


def test_hidden_distance_drops_the_percentage_of_a_code_answer() -> None:
    ex = load_course().exercise("5.4")
    result = check(ex, to_plain(100.0), expected=to_plain(120.0))
    assert "%" in " ".join(result.messages)
    hidden = redact(ex, result, Disclosure(parts=True, explanation=True, distance=False))
    assert keys(hidden) == ["feedback.wrong"]
    zero = check(ex, to_plain(3.0), expected=to_plain(0.0))
    assert "value.off_by" in keys(zero) and keys(redact(ex, zero, HIDE_ALL)) == ["feedback.wrong"]
    longer = check(ex, to_plain([1, 2, 3]), expected=to_plain([1, 2]))
    assert "value.length" in keys(longer) and "value.length" not in keys(redact(ex, longer, HIDE_ALL))


def test_single_choice_feedback_is_no_part_mark_and_stays() -> None:
    ex = exercise("pilihan")
    result = check(ex, next(k for k in ex.choices if k != ex.key))
    assert redact(ex, result, HIDE_ALL) == result


def test_practice_hides_nothing() -> None:
    d = disclosure(PRACTICE, attempt=1, correct=False)
    for ex in load_course().exercises():
        if ex.is_code:
            continue
        wrong = {"angka": 1e6, "teks": "zzz", "refleksi": "catatan"}.get(ex.type)
        if ex.type == "pilihan":
            wrong = next(k for k in ex.choices if k != ex.key)
        elif ex.type == "pilihan_ganda":
            wrong = [next(k for k in ex.choices if k not in ex.key)]
        elif ex.type in {"peran", "pasangan"}:
            wrong = {item.id: next(k for k in ex.choices if k != item.key) for item in ex.items[:1]}
        result = check(ex, wrong)
        assert redact(ex, result, d) == result, ex.id


# -- scoring -----------------------------------------------------------------------------------


def tries(*scores: float, start: datetime | None = None) -> list[Attempt]:
    start = start or DEADLINE - timedelta(hours=1)
    return [Attempt("correct" if s == 1 else "wrong", s, hints=i, at=start + timedelta(minutes=i), seq=i + 1)
            for i, s in enumerate(scores)]


def test_credit_first_best_last_decay() -> None:
    retried = tries(0, 0.5, 1)  # wrong, partial, right on the third attempt
    assert score_attempts(retried, Policy(credit="first")).final == 0
    assert score_attempts(retried, Policy(credit="best")).final == 1
    assert score_attempts(retried, Policy(credit="last")).final == 1
    assert score_attempts(retried, Policy(credit="decay")).final == pytest.approx(0.25)  # 1 × decay[2]
    assert score_attempts(tries(0, 0.8, 0), Policy(credit="decay")).final == pytest.approx(0.4)
    assert score_attempts(tries(0.5, 0), Policy(credit="decay")).final == pytest.approx(0.5)
    assert score_attempts(tries(1, 0), Policy(credit="last")).final == 0
    assert score_attempts(tries(1, 0), Policy(credit="best")).final == 1
    s = score_attempts(retried, PRACTICE)
    assert (s.attempts, s.counted, s.late, s.over_limit, s.hints, s.first) == (3, 3, 0, 0, 2, 0)


def test_decay_repeats_its_last_value() -> None:
    policy = Policy(credit="decay", decay=(1.0, 0.5))
    assert score_attempts(tries(0, 0, 0, 0, 1), policy).final == pytest.approx(0.5)
    assert score_attempts(tries(0, 0, 0, 0, 1), Policy(credit="decay")).final == pytest.approx(0.25)


def test_attempts_beyond_the_limit_are_ignored() -> None:
    s = score_attempts(tries(0, 0, 1), Policy(attempts=2))
    assert (s.attempts, s.counted, s.over_limit, s.final) == (3, 2, 1, 0)
    one = score_attempts(tries(0.5, 1), Policy(attempts=1, credit="best"))
    assert (one.counted, one.over_limit, one.final, one.first) == (1, 1, 0.5, 0.5)


def test_late_attempts_are_never_credited() -> None:
    policy = Policy(deadline=DEADLINE, credit="best")
    s = score_attempts(tries(0, 1, start=DEADLINE - timedelta(seconds=30)), policy)  # the second 30 s late
    assert (s.counted, s.late, s.final) == (1, 1, 0)
    all_late = score_attempts(tries(1, 1, start=DEADLINE + timedelta(days=1)), policy)
    assert (all_late.attempts, all_late.counted, all_late.late, all_late.final, all_late.first) == (2, 0, 2, 0, 1)
    on_the_dot = score_attempts([Attempt("correct", 1, at=DEADLINE)], policy)
    assert on_the_dot.final == 1 and on_the_dot.late == 0


def test_no_attempts_and_entries_that_are_not_attempts() -> None:
    assert score_attempts([], Policy(credit="first")) == score_attempts([], PRACTICE)
    empty = score_attempts([], PRACTICE)
    assert (empty.attempts, empty.counted, empty.first, empty.final, empty.hints) == (0, 0, 0, 0, 0)
    noise = [Attempt(status, 0, hints=3) for status in ("saved", "unanswered", "invalid", "pending")]
    s = score_attempts([*noise, Attempt("correct", 1)], Policy(attempts=1, credit="first"))
    assert (s.attempts, s.counted, s.first, s.final, s.hints) == (1, 1, 1, 1, 3)


def test_attempts_left() -> None:
    assert attempts_left(PRACTICE, 40) is None
    assert attempts_left(Policy(attempts=3), 0) == 3
    assert attempts_left(Policy(attempts=3), 2) == 1
    assert attempts_left(Policy(attempts=3), 5) == 0


def test_the_documented_example_loads() -> None:
    docs = (Path(__file__).resolve().parents[2] / "docs" / "grading.md").read_text(encoding="utf-8")
    section = docs[docs.index("### Assessment policy"):]
    example = section[section.index("```yaml\n") + 8:section.index("\n```", section.index("```yaml"))]
    pf = parse_policy(__import__("yaml").safe_load(example), "grading.md")
    pf.check_overlaps((e.id, e.lesson) for e in load_course().exercises())
    assert pf.for_exercise("1.2", "01")[1].credit == "first" and pf.for_exercise("5.16", "05")[0].id == "lab"
    assert pf.for_exercise("1.2", "01")[1].deadline == DEADLINE
