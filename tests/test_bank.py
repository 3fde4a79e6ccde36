"""Bank validation: a broken bank file gets an error naming the file, the exercise and the field."""

from __future__ import annotations

import textwrap

import pytest

from kenali.bank import BankError, load_bank

HEADER = """\
lesson: "09"
notebook: 09_uji
title: "Uji"
minutes: 5
exercises:
"""

GOOD = """\
  - id: "9.1"
    type: pilihan
    concepts: [eu.definisi]
    title: "T"
    question: "Q"
    choices: {a: "A", b: "B"}
    key: a
    feedback: {b: "B salah karena ..."}
    hints: ["h1", "h2"]
    explanation: "E"
"""


def write(tmp_path, body: str, name="bank.yaml"):
    path = tmp_path / name
    path.write_text(HEADER + textwrap.dedent(body), encoding="utf-8")
    return path


def error(tmp_path, body) -> BankError:
    with pytest.raises(BankError) as info:
        load_bank(write(tmp_path, body))
    return info.value


def test_good_bank_loads(tmp_path):
    bank = load_bank(write(tmp_path, GOOD))
    assert [e.id for e in bank.exercises] == ["9.1"]


@pytest.mark.parametrize(
    ("change", "fieldname", "words"),
    [
        (('feedback: {b: "B salah karena ..."}', "feedback: {}"), "feedback", "must not be empty"),
        (("key: a", "key: z"), "key", "not one of the choices"),
        (('hints: ["h1", "h2"]', 'hints: ["h1"]'), "hints", "two hints"),
        (("type: pilihan", "type: esai"), "type", "not one of"),
        (("concepts: [eu.definisi]", "concepts: [Definisi]"), "concepts", "concept ID"),
        (('title: "T"', "title: 42"), "title", "must be str"),
        (('explanation: "E"', ""), "explanation", "is required"),
        (('id: "9.1"', 'id: "7.1"'), "id", "lesson number"),
    ],
)
def test_schema_errors_name_file_exercise_field(tmp_path, change, fieldname, words):
    exc = error(tmp_path, GOOD.replace(*change))
    message = str(exc)
    assert "bank.yaml" in message
    assert exc.fieldname == fieldname, message
    assert words in message
    assert exc.exercise in {"9.1", "7.1"}


def test_missing_feedback_for_a_wrong_choice(tmp_path):
    body = GOOD.replace('choices: {a: "A", b: "B"}', 'choices: {a: "A", b: "B", c: "C"}')
    exc = error(tmp_path, body)
    assert exc.fieldname == "feedback.c" and "own explanation" in str(exc)


def test_role_assignment_errors(tmp_path):
    body = """\
      - id: "9.2"
        type: peran
        concepts: [eu.vs-customer]
        title: "T"
        hints: ["h1", "h2"]
        explanation: "E"
        roles: [customer, konsumen]
        actors:
          - {id: a, label: "A", key: customer, why: "w"}
          - {id: b, label: "B", key: pembeli, why: "w"}
    """
    exc = error(tmp_path, body)
    assert exc.exercise == "9.2" and exc.fieldname == "actors[1].key"
    exc = error(tmp_path, body.replace("[customer, konsumen]", "[konsumen, pengguna_akhir]"))
    assert exc.fieldname == "roles" and "near-synonyms" in str(exc)
    exc = error(tmp_path, body.replace("key: pembeli", "key: konsumen").replace('why: "w"}\n', "}\n", 1))
    assert exc.fieldname == "actors[0].why"


def test_duplicate_ids_and_code_errors(tmp_path):
    exc = error(tmp_path, GOOD + GOOD)
    assert "duplicate" in str(exc) and exc.exercise == "9.1"
    code = """\
      - id: "9.3"
        type: kode
        concepts: [eu.metrik]
        title: "T"
        hints: ["h1", "h2"]
        explanation: "E"
        variable: jawaban_9_3
        starter: "jawaban_9_3 = ..."
        solution: "jawaban_9_3 = (1 +"
    """
    exc = error(tmp_path, code)
    assert exc.fieldname == "solution" and "not valid Python" in str(exc)


def test_yaml_syntax_error_names_line(tmp_path):
    path = tmp_path / "rusak.yaml"
    path.write_text('lesson: "09"\nexercises: [\n  - id: "9.1"\n', encoding="utf-8")
    with pytest.raises(BankError) as info:
        load_bank(path)
    assert "rusak.yaml" in str(info.value) and "line" in str(info.value)


def test_missing_file(tmp_path):
    with pytest.raises(BankError, match="file not found"):
        load_bank(tmp_path / "tidak-ada.yaml")


def test_not_a_mapping(tmp_path):
    path = tmp_path / "list.yaml"
    path.write_text("- 1\n- 2\n", encoding="utf-8")
    with pytest.raises(BankError, match="expected a mapping"):
        load_bank(path)


REFLEKSI = """\
  - id: "9.r1"
    type: refleksi
    quick: true
    concepts: [eu.definisi]
    title: "Terapkan di produkmu"
    question: "Q"
    explanation: "E"
"""


def test_reflection_loads_without_hints_or_points(tmp_path):
    bank = load_bank(write(tmp_path, GOOD + REFLEKSI))
    e = bank.exercises[1]
    assert e.type == "refleksi" and e.quick and e.points == 0 and e.hints == ()
    assert bank.graded == (bank.exercises[0],)


@pytest.mark.parametrize(
    ("change", "fieldname"),
    [
        (("quick: true", "quick: false"), "quick"),
        (('question: "Q"', "points: 2"), "points"),
        (('question: "Q"', 'hints: ["h"]'), "question"),
    ],
)
def test_reflection_rules(tmp_path, change, fieldname):
    err = error(tmp_path, GOOD + REFLEKSI.replace(*change))
    assert err.exercise == "9.r1" and err.fieldname == fieldname
