"""The author's cue report (`kenali check --cues`): each cue found in a small bank, and not where it is absent."""

from __future__ import annotations

import textwrap

from kenali.bank import load_bank
from kenali.cues import bank_cues, course_cues

HEADER = """\
lesson: "09"
notebook: 09_uji
title: "Uji"
minutes: 5
exercises:
"""


def pilihan(n: int, choices: str, key: str, question: str = "Siapa yang memakai?") -> str:
    letters = [c.split(":")[0].strip() for c in choices.strip("{}").split(",")]
    feedback = ", ".join(f'{c}: "F"' for c in letters if c != key)
    return f"""\
  - id: "9.{n}"
    type: pilihan
    concepts: [eu.definisi]
    title: "T"
    question: "{question}"
    choices: {choices}
    key: {key}
    feedback: {{{feedback}}}
    hints: ["h1", "h2"]
    explanation: "E"
"""


def cues(tmp_path, body: str, kinds: set[str] | None = None):
    path = tmp_path / "bank.yaml"
    path.write_text(HEADER + textwrap.dedent(body), encoding="utf-8")
    found = bank_cues(load_bank(path))
    return [c for c in found if kinds is None or c.kind in kinds]


def test_key_longest_or_much_longer(tmp_path):
    long_key = pilihan(1, '{a: "Ibu", b: "Anak yang belajar setiap sore", c: "Toko"}', "b")
    found = cues(tmp_path, long_key, {"longest"})
    assert [c.exercise for c in found] == ["9.1"] and "longest" in found[0].message
    even = pilihan(1, '{a: "Ibu yang membayar", b: "Anak yang memakai", c: "Toko yang menjual"}', "b")
    assert cues(tmp_path, even, {"longest"}) == []


def test_multi_select_keys_all_longer(tmp_path):
    body = """\
  - id: "9.1"
    type: pilihan_ganda
    concepts: [eu.metrik]
    title: "T"
    question: "Q"
    choices: {a: "Waktu tugas selesai per pengguna", b: "Unduhan", c: "Error yang menghambat pengguna", d: "Tayangan"}
    key: [a, c]
    feedback: {a: "F", b: "F", c: "F", d: "F"}
    hints: ["h1", "h2"]
    explanation: "E"
"""
    assert [c.kind for c in cues(tmp_path, body, {"longest"})] == ["longest"]


def test_key_position_never_d_and_mostly_b(tmp_path):
    body = "".join(
        pilihan(i, '{a: "Satu", b: "Dua", c: "Tiga", d: "Empat"}', "b" if i < 4 else "a") for i in range(1, 5)
    )
    found = cues(tmp_path, body, {"position"})
    messages = " | ".join(c.message for c in found)
    assert "ever option c, d" in messages and "3 of 4 single-choice keys are option b" in messages
    assert all(c.exercise is None for c in found)
    spread = "".join(pilihan(i, '{a: "Satu", b: "Dua", c: "Tiga", d: "Empat"}', "abcd"[i - 1]) for i in range(1, 5))
    assert cues(tmp_path, spread, {"position"}) == []


def test_words_of_the_question_echoed_in_the_key_only(tmp_path):
    body = pilihan(1, '{a: "Kasir toko", b: "Pelanggan setia yang membeli", c: "Pemasok"}', "b",
                   question="Siapa pelanggan setia kedai ini?")
    found = cues(tmp_path, body, {"echo"})
    assert len(found) == 1 and "pelanggan" in found[0].message and "setia" in found[0].message
    fair = pilihan(1, '{a: "Pelanggan baru", b: "Pelanggan setia", c: "Pemasok setia"}', "b",
                   question="Siapa pelanggan setia kedai ini?")
    assert cues(tmp_path, fair, {"echo"}) == []


ROLE_GRID = """\
  - id: "9.1"
    type: peran
    concepts: [eu.vs-customer]
    title: "T"
    question: "Q"
    roles: [customer, konsumen, customer_dan_konsumen]
    actors:
      - {{id: a, label: "A", key: {0}, why: "w"}}
      - {{id: b, label: "B", key: {1}, why: "w"}}
      - {{id: c, label: "C", key: {2}, why: "w"}}
    hints: ["h1", "h2"]
    explanation: "E"
"""


def test_role_grid_in_role_order_and_by_elimination(tmp_path):
    ordered = ROLE_GRID.format("customer", "konsumen", "customer_dan_konsumen")
    assert {c.kind for c in cues(tmp_path, ordered)} == {"role-order", "elimination"}
    sorted_with_repeat = ROLE_GRID.format("customer", "customer", "konsumen")
    assert {c.kind for c in cues(tmp_path, sorted_with_repeat)} == {"role-order"}
    mixed = ROLE_GRID.format("konsumen", "customer", "konsumen")
    assert cues(tmp_path, mixed) == []


MATCHING = """\
  - id: "9.1"
    type: pasangan
    concepts: [cc.customer]
    title: "T"
    question: "Q"
    options: {{{options}}}
    items:
      - {{id: t1, label: "Customer", key: d1, why: "w"}}
      - {{id: t2, label: "Konsumen", key: d2, why: "w"}}
    hints: ["h1", "h2"]
    explanation: "E"
"""


def test_matching_with_no_more_options_than_terms(tmp_path):
    found = cues(tmp_path, MATCHING.format(options='d1: "Membayar", d2: "Memakai"'))
    assert [c.kind for c in found] == ["elimination"] and "2 options for 2 terms" in found[0].message
    assert cues(tmp_path, MATCHING.format(options='d1: "Membayar", d2: "Memakai", d3: "Menjual"')) == []


def test_cue_lines_name_bank_and_exercise(tmp_path, fixture_course):
    line = str(cues(tmp_path, MATCHING.format(options='d1: "Membayar", d2: "Memakai"'))[0])
    assert line.startswith("bank.yaml, exercise 9.1 [elimination]: ")
    assert all(c.bank == "bank_semua_tipe.yaml" for c in course_cues(fixture_course))


def test_check_lists_cues_only_when_asked(capsys):
    from kenali.cli import main

    assert main(["check", "--cues"]) in {0, 1}  # cues never fail the check; content problems would
    out = capsys.readouterr().out
    assert "author cues" in out or "problem" in out
