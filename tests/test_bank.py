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
        (('question: "Q"', 'question: "Q"\n    points: 2'), "points"),
        (('question: "Q"', 'hints: ["h"]'), "question"),
    ],
)
def test_reflection_rules(tmp_path, change, fieldname):
    err = error(tmp_path, GOOD + REFLEKSI.replace(*change))
    assert err.exercise == "9.r1" and err.fieldname == fieldname


# -- content as typed data: unknown fields, the JSON Schema, all problems at once ---------------

ANGKA = """\
  - id: "9.2"
    type: angka
    concepts: [eu.metrik]
    title: "T"
    question: "Q"
    key: 42.5
    tolerance: 0.5
    hints: ["h1", "h2"]
    explanation: "E"
"""


@pytest.mark.parametrize(
    ("body", "change", "fieldname", "suggestion"),
    [
        (ANGKA, ("tolerance: 0.5", "tolerence: 0.5"), "tolerence", "tolerance"),
        (GOOD, ('explanation: "E"', 'explanation: "E"\n    feedbak: {a: "x"}'), "feedbak", "feedback"),
        (GOOD, ("key: a", "key: a\n    scenaro: S"), "scenaro", "scenario"),
    ],
)
def test_a_misspelled_field_is_an_error_naming_file_exercise_field(tmp_path, body, change, fieldname, suggestion):
    exc = error(tmp_path, body.replace(*change))
    assert "bank.yaml" in str(exc) and exc.exercise in {"9.1", "9.2"}
    assert exc.fieldname == fieldname and "unknown field" in str(exc) and suggestion in str(exc)


def test_a_field_of_another_type_is_unknown(tmp_path):
    exc = error(tmp_path, ANGKA.replace('question: "Q"', 'question: "Q"\n    choices: {a: "A", b: "B"}'))
    assert exc.fieldname == "choices" and "unknown field" in str(exc)


def test_unknown_fields_inside_actors_and_at_the_top(tmp_path):
    body = GOOD.replace("  - id:", "  - id:", 1)
    exc = error(tmp_path, body.replace('title: "T"', 'title: "T"\n    pools: {nama: [A, B]}\n    tittle: "x"'))
    assert exc.fieldname == "tittle"
    path = write(tmp_path, GOOD)
    path.write_text("minuts: 3\n" + path.read_text(encoding="utf-8"), encoding="utf-8")
    with pytest.raises(BankError) as info:
        load_bank(path)
    assert info.value.fieldname == "minuts" and info.value.exercise is None


def test_every_problem_of_a_file_is_listed(tmp_path):
    exc = error(tmp_path, GOOD.replace("key: a", "key: z") + ANGKA.replace("tolerance", "tolerence"))
    fields = {(p.exercise, p.fieldname) for p in exc.problems}
    assert ("9.2", "tolerence") in fields  # shape problems come first; the rules run on a well-shaped file
    exc = error(tmp_path, GOOD.replace("key: a", "key: z") + ANGKA.replace('"9.2"', '"8.2"'))
    expected = {("9.1", "key"), ("9.1", "feedback.a"), ("8.2", "id")}
    assert {(p.exercise, p.fieldname) for p in exc.problems} == expected


def test_unknown_type_lists_the_types(tmp_path):
    exc = error(tmp_path, GOOD.replace("type: pilihan", "type: esai"))
    assert exc.fieldname == "type" and "refleksi" in str(exc) and "pilihan_ganda" in str(exc)


def test_json_schema_is_in_sync_with_the_code():
    """docs/bank.schema.json is what `kenali schema` prints (regenerate: `kenali schema > docs/bank.schema.json`)."""
    from pathlib import Path

    from kenali.cli import schema_text

    committed = Path(__file__).resolve().parents[1] / "docs" / "bank.schema.json"
    assert committed.read_text(encoding="utf-8") == schema_text()


def test_json_schema_accepts_the_banks_and_refuses_a_typo():
    import json
    from pathlib import Path

    import yaml

    jsonschema = pytest.importorskip("jsonschema")
    from kenali.cli import schema_text

    validator = jsonschema.Draft202012Validator(json.loads(schema_text()))
    root = Path(__file__).resolve().parents[1]
    banks = sorted((root / "kenali/content/id/banks").glob("*.yaml"))
    for path in [*banks, root / "tests/fixtures/bank_semua_tipe.yaml"]:
        assert not list(validator.iter_errors(yaml.safe_load(path.read_text(encoding="utf-8")))), path.name
    bank = yaml.safe_load(HEADER + GOOD.replace("key: a", "key: a\n    feedbak: x"))
    assert list(validator.iter_errors(bank))
    reflection = yaml.safe_load(HEADER + REFLEKSI.replace("quick: true", "quick: false"))
    assert list(validator.iter_errors(reflection))


def test_validated_course_cache_is_never_stale(tmp_path, monkeypatch):
    from kenali import bank as bank_mod

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("KENALI_NO_CACHE", raising=False)
    content = tmp_path / "content"
    content.mkdir()
    roles = content / "roles.yaml"
    roles.write_text('customer: {label: "C", reminder: "R"}\n', encoding="utf-8")
    path = write(content, GOOD)
    course = bank_mod.Course((load_bank(path),), (), bank_mod.load_roles(roles))
    cached, key = bank_mod._cached_course(content, [roles, path])
    assert cached is None and key
    bank_mod._store_course(key, course)
    again, same_key = bank_mod._cached_course(content, [roles, path])
    assert same_key == key and again == course
    path.write_text(path.read_text(encoding="utf-8").replace('title: "T"', 'title: "T2"'), encoding="utf-8")
    changed, other_key = bank_mod._cached_course(content, [roles, path])
    assert changed is None and other_key != key
    monkeypatch.setenv("KENALI_NO_CACHE", "1")
    assert bank_mod._cached_course(content, [roles, path]) == (None, None)


def test_every_exercise_type_has_its_class_and_answer_shape():
    from kenali.model import TYPES
    from kenali.schema import TYPE_CLASSES

    assert set(TYPE_CLASSES) == set(TYPES)
    assert all(cls.answer and cls.__doc__ for cls in TYPE_CLASSES.values())
    assert [name for name, cls in TYPE_CLASSES.items() if not cls.model_fields["quick"].is_required()
            and "hints" in cls.model_fields and cls.model_fields["hints"].is_required()] == [
        t for t in TYPES if t != "refleksi"]


def test_an_apostrophe_in_solution_code_survives_the_notebook_builder(tmp_path):
    from pathlib import Path

    from kenali.build import build_notebook

    source = (Path(__file__).parent / "fixtures" / "bank_semua_tipe.yaml").read_text(encoding="utf-8")
    line = "jawaban_9_7 = angka_dasar.sort_index() * 10\n"
    quoted = "jawaban_9_7 = angka_dasar.sort_index() * 10  # Rina's \"nilai\"\n"
    path = tmp_path / "bank.yaml"
    path.write_text(source.replace(line, quoted, 1), encoding="utf-8")
    bank = load_bank(path)
    assert next(e for e in bank.exercises if e.id == "9.7").solution == quoted.strip()
    cells = [c.source for c in build_notebook(bank, solved=True).cells if c.cell_type == "code"]
    assert any(quoted.strip() in c and 'cek("9.7", jawaban_9_7)' in c for c in cells)
