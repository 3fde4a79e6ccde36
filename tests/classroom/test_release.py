"""``kenali assignment release``: the learners' copy of a graded assignment carries no key, structurally, for
every assessed exercise; the loader accepts it (KENALI_CONTENT) while ``kenali check`` stays strict."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from kenali import cli
from kenali.bank import BankError, clear_cache, load_bank, load_course
from kenali.classroom.release import ReleaseError, leaks, release, verify
from kenali.i18n import content_dir
from kenali.schema import ITEM_SECRETS, SECRET_FIELDS

POLICY = """
assignments:
  - id: tugas-1
    title: Tugas pelajaran 1
    lessons: ["01"]
    policy: {attempts: 2, credit: first, show_parts: never, show_explanation: final}
  - id: lab-data
    title: Lab data
    exercises: ["5.*"]
    policy: {attempts: 3, show_distance: false}
"""


#: every field of a bank entry that states or hints at the key (kept here apart from kenali.schema.SECRET_FIELDS)
REVEALING = {"key", "feedback", "explanation", "mistakes", "accepted", "solution"}


@pytest.fixture(scope="module")
def released(tmp_path_factory):
    base = tmp_path_factory.mktemp("release")
    policy = base / "kebijakan.yaml"
    policy.write_text(POLICY, encoding="utf-8")
    return release(policy, base / "out"), base


def _entries(folder: Path) -> dict[str, dict]:
    out = {}
    for path in sorted((folder / "banks").glob("*.yaml")):
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        out.update({str(e["id"]): e for e in raw["exercises"]})
    return out


def _secret_texts(entry: dict) -> list[str]:
    """The texts of the fields a keyless copy must not carry (feedback lines, reasons, explanation, ...)."""
    texts: list[str] = []
    options = {str(k) for k in (*(entry.get("choices") or {}), *(entry.get("options") or {}), *(entry.get("roles")
                                                                                                  or []))}

    def walk(value):
        if isinstance(value, str):
            if len(value) > 12 and value not in options:  # option keys ("b", role keys) are checked structurally
                texts.append(value.strip())
        elif isinstance(value, dict):
            for v in value.values():
                walk(v)
        elif isinstance(value, list):
            for v in value:
                walk(v)

    for name in SECRET_FIELDS.get(entry["type"], ()):
        walk(entry.get(name))
    walk(entry.get("explanation"))
    for item in entry.get("actors", entry.get("items", [])) or []:
        for name in ITEM_SECRETS:
            walk(item.get(name))
    return texts


def test_no_key_survives_for_any_assessed_exercise(released):
    done, _ = released
    original = _entries(content_dir())
    copy = _entries(done.content)
    assessed = {i for ids in done.keyless.values() for i in ids}
    assert assessed == {i for i, e in original.items() if e["type"] != "refleksi"
                        and (i.startswith("1.") or i.startswith("5."))}
    for ex_id in assessed:
        entry = copy[ex_id]
        assert entry["assignment"] in {"tugas-1", "lab-data"}
        assert leaks(entry) == [], ex_id  # structurally: no secret field at all, items included
        assert not REVEALING & set(entry), ex_id  # the same, by a list independent of the code's
        for item in entry.get("actors", entry.get("items", [])) or []:
            assert set(item) <= {"id", "label"}, ex_id
        assert set(original[ex_id]) - set(entry) == set(SECRET_FIELDS[entry["type"]]) & set(original[ex_id]) | {
            "explanation"}
        # the hint ladder stays (learners open it by design, and hints are counted): its last rung may name the answer
        text = yaml.safe_dump({k: v for k, v in entry.items() if k != "hints"}, allow_unicode=True)
        for secret in _secret_texts(original[ex_id]):
            assert secret not in text, (ex_id, secret[:40])
    for ex_id, entry in copy.items():  # practice exercises keep their keys, unchanged
        if ex_id not in assessed:
            assert entry == original[ex_id]
    assert verify(done.content) == []


def test_the_released_copy_loads_without_keys(released, monkeypatch):
    done, _ = released
    monkeypatch.setenv("KENALI_CONTENT", str(done.out))
    clear_cache()
    try:
        course = load_course()
        for ex in course.exercises():
            if ex.id.startswith(("1.", "5.")) and not ex.is_reflection:
                assert course.assignment_of(ex.id) in {"tugas-1", "lab-data"}
                assert ex.key is None and not ex.feedback and not ex.explanation and not ex.mistakes
                assert ex.solution is None and all(not (i.key or i.why or i.feedback) for i in ex.items)
                assert ex.choices or ex.items or ex.type in {"angka", "teks", "kode"}
            else:
                assert course.assignment_of(ex.id) is None and (ex.key is not None or ex.items or ex.is_code
                                                                 or ex.is_reflection)
        assert (done.out / "kebijakan.yaml").read_text(encoding="utf-8") == POLICY
    finally:
        monkeypatch.delenv("KENALI_CONTENT")
        clear_cache()
    assert load_course().exercise("1.1").items[0].key  # the package's content is untouched


def test_a_normal_bank_stays_strict(tmp_path):
    raw = yaml.safe_load((Path(__file__).parent.parent / "fixtures" / "bank_semua_tipe.yaml").read_text())
    entry = raw["exercises"][0]
    entry["assignment"] = "tugas-9"  # the mark alone, outside a released bank: unknown field
    path = tmp_path / "bank.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    with pytest.raises(BankError, match="unknown field 'assignment'"):
        load_bank(path)
    del entry["assignment"], entry["key"]  # a key left out of a normal bank is an error
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    with pytest.raises(BankError, match="key"):
        load_bank(path)


def test_a_released_bank_with_a_leftover_key_is_refused(released):
    done, _ = released
    path = sorted((done.content / "banks").glob("01_*.yaml"))[0]
    before = path.read_text(encoding="utf-8")
    raw = yaml.safe_load(before)
    raw["exercises"][0]["explanation"] = "bocoran"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    try:
        problems = verify(done.content)
        assert any("explanation" in p for p in problems)
    finally:
        path.write_text(before, encoding="utf-8")


def test_release_refuses_a_folder_that_is_not_a_release(tmp_path, released):
    _, base = released
    (tmp_path / "notes.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(ReleaseError, match="not empty"):
        release(base / "kebijakan.yaml", tmp_path)
    assert (tmp_path / "notes.txt").read_text() == "mine"


def test_cli_release_and_its_errors(tmp_path, capsys, released):
    _, base = released
    assert cli.main(["assignment", "release", str(base / "kebijakan.yaml"), "--out", str(tmp_path / "rel")]) == 0
    out = capsys.readouterr().out
    assert "tugas-1:" in out and "KENALI_CONTENT=" in out
    assert cli.main(["assignment", "release", str(base / "kebijakan.yaml"), "--out", str(tmp_path / "rel")]) == 0
    bad = tmp_path / "bad.yaml"
    bad.write_text("assignments:\n  - id: x\n    title: X\n    exercises: ['1.*']\n    policy: {attempts: 0}\n")
    assert cli.main(["assignment", "release", str(bad), "--out", str(tmp_path / "rel2")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("kenali: bad.yaml") and "Traceback" not in err and not (tmp_path / "rel2").exists()
