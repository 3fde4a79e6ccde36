"""``kenali assignment release``: the learners' copy of a graded assignment carries no key, structurally, for
every assessed exercise; the loader accepts it (KENALI_CONTENT) while ``kenali check`` stays strict."""

from __future__ import annotations

import shutil
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


# -- a private quiz bank: --course, the learners' notebooks -------------------------------------------------

FIXTURE_BANK = Path(__file__).parent.parent / "fixtures" / "bank_semua_tipe.yaml"
QUIZ_POLICY = """
assignments:
  - id: kuis-akhir
    title: Kuis akhir
    lessons: ["90"]
    policy: {attempts: 2, credit: first, show_parts: never, show_explanation: final}
"""
TOKEN = "rhs"  # every secret text of the private bank carries rhsNNN, so any leak is found by a byte search


def _mark_secrets(entry: dict, counter: list[int]) -> None:
    """Append a unique token to every text a keyless copy must not carry (keys that are option ids stay as they
    are: the released entries are checked structurally for them)."""
    options = {str(k) for k in (*(entry.get("choices") or {}), *(entry.get("options") or {}),
                                *(entry.get("roles") or []))}

    def mark(value, code=False):
        if isinstance(value, str) and value not in options:
            counter[0] += 1
            return f"{value.rstrip()}\n# {TOKEN}{counter[0]:03d}\n" if code else f"{value} {TOKEN}{counter[0]:03d}"
        if isinstance(value, dict):
            return {k: mark(v, code or k == "solution") for k, v in value.items()}
        if isinstance(value, list):
            return [mark(v, code) for v in value]
        return value

    for name in (*SECRET_FIELDS.get(entry["type"], ()), "explanation"):
        if name in entry:
            entry[name] = mark(entry[name], code=name == "solution")
    for item in entry.get("actors", entry.get("items", [])) or []:
        for name in ITEM_SECRETS:
            if name in item:
                item[name] = mark(item[name])


def private_course(folder: Path) -> tuple[Path, int]:
    """An instructor's content folder: the course's content plus ``banks/90_kuis.yaml`` (one exercise of every
    type, every secret text marked), notes and a git folder that must never be released; (folder, tokens)."""
    shutil.copytree(content_dir(), folder / "id")
    raw = yaml.safe_load(FIXTURE_BANK.read_text(encoding="utf-8"))
    raw.update(lesson="90", notebook="90_kuis", title="Kuis akhir")
    counter = [0]
    for entry in raw["exercises"]:
        entry["id"] = "90." + entry["id"].split(".", 1)[1]
        if entry["type"] != "refleksi":  # a reflection has no key: its model answer is shown by design
            _mark_secrets(entry, counter)
    (folder / "id" / "banks" / "90_kuis.yaml").write_text(yaml.safe_dump(raw, allow_unicode=True, sort_keys=False),
                                                          encoding="utf-8")
    (folder / "id" / "KUNCI.md").write_text(f"catatan pengajar {TOKEN}999: 90.1 = b\n", encoding="utf-8")
    (folder / "id" / ".git").mkdir()
    (folder / "id" / ".git" / "HEAD").write_text(f"{TOKEN}998\n", encoding="utf-8")
    return folder, counter[0]


def _all_bytes(folder: Path) -> list[tuple[Path, bytes]]:
    """Every file below ``folder`` as bytes, git's loose objects decompressed."""
    import zlib

    out = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        data = path.read_bytes()
        if ".git" in path.parts and "objects" in path.parts:
            try:
                data = zlib.decompress(data)
            except zlib.error:
                pass
        out.append((path, data))
    return out


@pytest.fixture(scope="module")
def quiz(tmp_path_factory):
    base = tmp_path_factory.mktemp("quiz")
    source, tokens = private_course(base / "privat")
    policy = base / "kebijakan.yaml"
    policy.write_text(QUIZ_POLICY, encoding="utf-8")
    return release(policy, base / "rilis", course=source), source, tokens


def test_a_release_from_a_private_course_holds_no_key_of_its_bank_anywhere(quiz):
    done, source, tokens = quiz
    private = yaml.safe_load((source / "id" / "banks" / "90_kuis.yaml").read_text(encoding="utf-8"))
    assert tokens >= 20 and all(f"{TOKEN}{n:03d}" in yaml.safe_dump(private, allow_unicode=True)
                                for n in range(1, tokens + 1))  # the marking reached every secret text
    assert done.source == (source / "id").resolve()
    assert done.keyless == {"kuis-akhir": [e["id"] for e in private["exercises"] if e["type"] != "refleksi"]}
    # (1) no secret text of the private bank in any byte the release wrote: banks, policy, notebooks, git objects
    files = _all_bytes(done.out)
    assert any(p.suffix == ".ipynb" for p, _ in files) and any("objects" in p.parts for p, _ in files)
    for path, data in files:
        assert TOKEN.encode() not in data, path
    # (2) structurally: every assessed entry lost every secret field, items keep only id and label
    released = yaml.safe_load((done.content / "banks" / "90_kuis.yaml").read_text(encoding="utf-8"))
    assert released["keyless"] == {"policy": policy_digest_of(done)}
    for entry, original in zip(released["exercises"], private["exercises"], strict=True):
        if original["type"] == "refleksi":
            assert entry == original
            continue
        assert entry["assignment"] == "kuis-akhir"
        assert leaks(entry) == [] and not REVEALING & set(entry), entry["id"]
        for item in entry.get("actors", entry.get("items", [])) or []:
            assert set(item) <= {"id", "label"}
    assert verify(done.content) == []
    # (3) only what the loader reads was copied: no instructor's notes, no .git of the source
    assert not (done.content / "KUNCI.md").exists() and not (done.content / ".git").exists()
    # (4) the class server's copy is the source, with its keys: it checks what learners cannot
    from kenali.classroom.service.course import CourseError, ServerCourse

    server = ServerCourse(source)
    assert server.exercise("90.1").key == "b"
    assert server.check(server.exercise("90.1"), "b").status == "correct"
    with pytest.raises(CourseError, match="without keys"):
        ServerCourse(done.out)


def policy_digest_of(done) -> str:
    from kenali.classroom.policy import load_policy, policy_digest

    return policy_digest(load_policy(done.out / "kebijakan.yaml", exercises=[("90.1", "90")]))


def test_the_learners_kernel_loads_the_private_quiz_without_keys(quiz, monkeypatch):
    done, _, _ = quiz
    monkeypatch.setenv("KENALI_CONTENT", str(done.out))
    clear_cache()
    try:
        course = load_course()
        for ex in course.bank("90").exercises:
            if ex.is_reflection:
                continue
            assert course.assignment_of(ex.id) == "kuis-akhir"
            assert ex.key is None and not ex.feedback and not ex.explanation and not ex.mistakes
            assert ex.solution is None and all(not (i.key or i.why or i.feedback) for i in ex.items)
        assert course.assignment_of("1.1") is None and course.exercise("1.1").items[0].key  # public: practice
    finally:
        monkeypatch.delenv("KENALI_CONTENT")
        clear_cache()


def test_the_assignment_notebook_is_one_widget_call_per_exercise(quiz):
    import nbformat

    done, _, _ = quiz
    assert set(done.notebooks) == {"kuis-akhir"}
    path = done.notebooks["kuis-akhir"]
    assert path == done.out / "tugas" / "kuis-akhir.ipynb"
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    assert nb.metadata["kenali"] == {"kind": "assignment", "assignment": "kuis-akhir", "lessons": ["90"]}
    code = [c.source for c in nb.cells if c.cell_type == "code"]
    calls = [s.splitlines()[-1] for s in code]
    assert calls[0] == 'mulai("90")'
    widgets = [f'tampilkan("90.{n}")' for n in range(1, 7)]
    assert [c for c in calls if c.startswith("tampilkan")] == widgets  # graded exercises, in bank order
    assert calls[-1] == 'cek("90.7", jawaban_9_7)'
    assert "jawaban_9_7 = ...\n" in code[-1]  # the starter, never the solution
    assert not any("jawab=" in s or "mode_solusi" in s for s in code)
    text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    assert "# Kuis akhir" in text and "**2 kali**" in text and "jawaban pertamamu" in text  # the rules, in Indonesian
    assert "Latihan 90.1 · Pilihan tunggal" in text


def test_the_notebooks_are_a_git_repository_nbgitpuller_can_pull(quiz, tmp_path):
    import subprocess

    from kenali.classroom.release import assignment_link

    done, _, _ = quiz
    assert done.repository
    clone = tmp_path / "tugas"
    subprocess.run(["git", "clone", "-q", "--branch", "main", (done.out / "tugas").as_uri(), str(clone)], check=True)
    assert (clone / "kuis-akhir.ipynb").read_bytes() == done.notebooks["kuis-akhir"].read_bytes()
    link = assignment_link("https://kelas.example.org/hub/", done.out, "kuis-akhir")
    assert link.startswith("https://kelas.example.org/hub/user-redirect/git-pull?repo=file%3A%2F%2F%2F")
    assert "targetpath=tugas" in link and "urlpath=lab%2Ftree%2Ftugas%2Fkuis-akhir.ipynb" in link
    with pytest.raises(ReleaseError, match="http"):
        assignment_link("kelas.example.org", done.out)


def test_a_second_release_updates_the_notebooks_and_drops_old_ones(tmp_path):
    source, _ = private_course(tmp_path / "privat")
    policy = tmp_path / "p.yaml"
    policy.write_text(QUIZ_POLICY, encoding="utf-8")
    first = release(policy, tmp_path / "rilis", course=source / "id")  # the edition folder itself works too
    policy.write_text(QUIZ_POLICY.replace("kuis-akhir", "kuis-2"), encoding="utf-8")
    second = release(policy, tmp_path / "rilis", course=source)
    assert set(second.notebooks) == {"kuis-2"} and not first.notebooks["kuis-akhir"].exists()
    import subprocess

    log = subprocess.run(["git", "log", "--format=%s"], cwd=second.out / "tugas", capture_output=True, text=True,
                         check=True).stdout.splitlines()
    assert len(log) == 2


def test_release_refuses_a_keyless_source_an_overlap_and_a_folder_without_banks(quiz, tmp_path):
    done, source, _ = quiz
    policy = done.out / "kebijakan.yaml"
    with pytest.raises(ReleaseError, match="learners' copy"):
        release(policy, tmp_path / "again", course=done.out)
    with pytest.raises(ReleaseError, match="overlaps"):
        release(policy, source / "id" / "rilis", course=source)
    with pytest.raises(ReleaseError, match="no banks/"):
        release(policy, tmp_path / "x", course=tmp_path)
    assert not (source / "id" / "rilis").exists()


def test_cli_release_with_a_private_course(quiz, tmp_path, capsys):
    done, source, _ = quiz
    args = ["assignment", "release", str(done.out / "kebijakan.yaml"), "--course", str(source), "--out",
            str(tmp_path / "rel"), "--hub", "https://kelas.example.org"]
    assert cli.main(args) == 0
    out = capsys.readouterr().out
    assert "kuis-akhir: 8 exercise(s) without keys" in out
    assert "link: https://kelas.example.org/hub/user-redirect/git-pull?" in out
    assert f"kenali serve --course {(source / 'id').resolve()} --policy" in out
    # the policy is checked against the private course: without --course, lesson 90 does not exist
    assert cli.main(["assignment", "release", str(done.out / "kebijakan.yaml"), "--out", str(tmp_path / "r2")]) == 2
    assert "90" in capsys.readouterr().err and not (tmp_path / "r2").exists()
