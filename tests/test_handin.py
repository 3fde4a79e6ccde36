"""The learner's hand-in (``kenali submit`` and ``serahkan()``) and the ``kenali grade`` command line."""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import nbformat
import pytest

from kenali import learner as learner_mod
from kenali.bank import load_course
from kenali.grading.cli import ProgressBar
from kenali.grading.handin import HandinError, make_handin
from kenali.session import Session
from kenali.store import Store

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def course_copy(tmp_path):
    """A course folder with the committed exercise notebooks and an empty progress folder."""
    root = tmp_path / "kursus"
    shutil.copytree(ROOT / "exercises", root / "exercises")
    (root / "notebooks").mkdir()
    home = root / ".kenali"
    return root, home


def _answer(home: Path, exercise_id: str, answer=None):
    course = load_course()
    session = Session(course=course, store=Store(home))
    session.learner = learner_mod.load(home)[0]
    ex = session.exercise(exercise_id)
    return session.submit(ex, ex.correct_answer() if answer is None else answer)


def _wrong(exercise_id: str) -> dict[str, str]:
    """A role-assignment answer with its first actor given another role."""
    key = dict(load_course().exercise(exercise_id).correct_answer())
    first = next(iter(key))
    key[first] = "reseller" if key[first] != "reseller" else "pembeli"
    return key


def _sign_in(home: Path, name: str = "Rina Wulandari", learner_id: str = "rina") -> None:
    learner_mod.save(home, learner_mod.validate(name, learner_id))


def test_handin_holds_manifest_notebooks_and_records(course_copy):
    root, home = course_copy
    _sign_in(home)
    _answer(home, "1.1")
    _answer(home, "1.2", answer=_wrong("1.2"))  # a wrong answer is handed in too
    handin = make_handin(root=root, home=home)
    assert handin.path == root / "rina-kenali.zip"
    with zipfile.ZipFile(handin.path) as archive:
        names = archive.namelist()
        manifest = json.loads(archive.read("manifest.json"))
        notebook = archive.read("exercises/05_lab_data.ipynb")
    assert names[0] == "manifest.json"
    assert sorted(n for n in names if n.startswith("exercises/")) == sorted(
        f"exercises/{p.name}" for p in (root / "exercises").glob("*.ipynb"))
    assert len([n for n in names if n.startswith("progress/attempts/")]) == 2 == handin.records
    assert "progress/learner.json" in names
    assert manifest["learner"] == {"id": "rina", "name": "Rina Wulandari"}
    assert manifest["notebooks"]["exercises/05_lab_data.ipynb"] == hashlib.sha256(notebook).hexdigest()
    bank = load_course().bank("01")
    assert manifest["banks"][bank.path.name] == hashlib.sha256(bank.path.read_bytes()).hexdigest()
    assert manifest["kenali_version"] and manifest["created"].endswith("+00:00")


def test_handin_without_identity_is_refused_with_a_message(course_copy):
    root, home = course_copy
    with pytest.raises(HandinError, match="00_mulai"):
        make_handin(root=root, home=home)
    assert not list(root.glob("*.zip"))


def test_handin_warns_about_missing_empty_unsaved_and_unattempted(course_copy):
    root, home = course_copy
    _sign_in(home)
    (root / "exercises" / "02_customer_konsumen.ipynb").unlink()
    (root / "exercises" / "03_klien_customer_konsumen.ipynb").write_text("")
    lab = root / "exercises" / "05_lab_data.ipynb"
    old = time.time() - 3600
    os.utime(lab, (old, old))
    _answer(home, "5.1", answer=7)  # a code check newer than the saved notebook
    handin = make_handin(root=root, home=home)
    text = "\n".join(handin.warnings)
    assert "02_customer_konsumen.ipynb" in text and "tidak ada" in text
    assert "03_klien_customer_konsumen.ipynb kosong" in text
    assert "05_lab_data.ipynb mungkin belum disimpan" in text
    assert "belum dikerjakan" in text and "1.1" in text and "5.1," not in text
    with zipfile.ZipFile(handin.path) as archive:  # made anyway: the instructor sees the rest
        assert "exercises/03_klien_customer_konsumen.ipynb" in archive.namelist()


def test_widget_answers_do_not_need_a_saved_notebook(course_copy):
    root, home = course_copy
    _sign_in(home)
    old = time.time() - 3600
    os.utime(root / "exercises" / "01_pengguna_akhir.ipynb", (old, old))
    _answer(home, "1.1")
    handin = make_handin(root=root, home=home)
    assert not any("belum disimpan" in w for w in handin.warnings)


def test_submit_command(course_copy, tmp_path):
    root, home = course_copy
    env = {**os.environ, "KENALI_HOME": str(home)}
    run = subprocess.run([sys.executable, "-m", "kenali", "submit", "--course", str(root)],
                         capture_output=True, text=True, env=env)
    assert run.returncode == 1 and "Traceback" not in run.stderr and "00_mulai" in run.stderr
    _sign_in(home)
    out = tmp_path / "serahan"
    out.mkdir()
    run = subprocess.run([sys.executable, "-m", "kenali", "submit", "--course", str(root), "--out", str(out)],
                         capture_output=True, text=True, env=env)
    assert run.returncode == 0, run.stderr
    assert (out / "rina-kenali.zip").is_file()
    assert "Berkas serahan dibuat" in run.stdout and "belum dikerjakan" in run.stdout


def test_serahkan_button_makes_the_handin(course_copy, monkeypatch):
    from kenali import api, session

    root, home = course_copy
    monkeypatch.setenv("KENALI_COURSE", str(root))
    monkeypatch.setenv("KENALI_HOME", str(home))
    session.reset()
    box = api.serahkan()
    box.button.click()
    assert "kenali-warn" in box.message.value and "00_mulai" in box.message.value
    _sign_in(home)
    session.reset()
    box = api.serahkan()
    box.button.click()
    assert "rina-kenali.zip" in box.message.value and str(root) not in box.message.value  # no server path
    assert 'download="rina-kenali.zip"' in box.message.value
    assert "belum dikerjakan" in box.message.value
    assert (root / "rina-kenali.zip").is_file()
    session.reset()


def test_progress_bar_on_a_log_prints_a_line_per_tenth():
    stream = io.StringIO()
    bar = ProgressBar(stream)
    for done in range(1, 41):
        bar(done, 40, cached=min(done, 4))
    lines = stream.getvalue().splitlines()
    assert 10 <= len(lines) <= 12
    assert lines[-1].startswith("[" + "#" * 28 + "] 40/40") and "(4 cached)" in lines[-1]
    assert "left" in lines[len(lines) // 2] and "left" not in lines[-1]


def test_grade_report_counts_learners_per_problem_and_lists_what_was_not_graded():
    from types import SimpleNamespace

    from kenali.grading.cli import _report
    from kenali.grading.notes import note

    missing = [note("notebook_missing", notebook="01_x", lesson="01"),
               note("notebook_missing", notebook="02_y", lesson="02")]
    rows = [
        {"learner_id": "ani", "entry": "ani-kenali.zip", "status": "check", "notes": missing},
        {"learner_id": "budi", "entry": "budi-kenali.zip", "status": "check", "notes": missing[:1]},
        {"learner_id": "x", "entry": "catatan.txt", "status": "failed",
         "notes": [note("not_handin", entry="catatan.txt")]},
        {"learner_id": "eko", "entry": "eko-kenali.zip", "status": "ok", "notes": []},
    ]
    outcome = SimpleNamespace(rows=rows, entries=4, graded=3, cached=1, seconds=2.0, sandbox_errors=[],
                              out_dir=Path("nilai"))
    stream = io.StringIO()
    _report(outcome, stream)
    text = stream.getvalue()
    assert "Graded 4 entries (3 graded, 1 unchanged from the last run)" in text
    assert "1 ok, 2 to check, 1 failed" in text
    assert "     2  notebook_missing" in text and "     1  not_handin" in text  # learners, not notes
    assert "Not graded:\n  catatan.txt: catatan.txt is neither a hand-in" in text
    assert "ani" not in text.split("Not graded:")[1]


def _lab_notebook(root: Path, answers: dict[str, str]) -> None:
    """Fill code answer cells of the learner's copy of the data-lab notebook."""
    path = root / "exercises" / "05_lab_data.ipynb"
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        for ex_id, code in answers.items():
            if cell.get("id") == f"ex-{ex_id.replace('.', '-')}":
                cell.source = code
    nbformat.write(nb, path)


def test_submit_then_grade_round_trip(course_copy, tmp_path):
    root, home = course_copy
    _sign_in(home)
    course = load_course()
    solution = course.exercise("5.1").solution
    _lab_notebook(root, {"5.1": solution + '\ncek("5.1", jawaban_5_1)',
                         "5.4": 'jawaban_5_4 = 12.5\ncek("5.4", jawaban_5_4)'})
    _answer(home, "1.1")
    _answer(home, "1.2", answer=_wrong("1.2"))
    subs = tmp_path / "kelas"
    make_handin(root=root, home=home, out=subs)
    out = tmp_path / "nilai"
    run = subprocess.run([sys.executable, "-m", "kenali", "grade", str(subs), "--out", str(out),
                          "--only", "01", "--only", "05", "--workers", "1"],
                         capture_output=True, text=True, env={**os.environ})
    assert run.returncode == 0, run.stderr
    assert "Graded 1 entry" in run.stdout and "1/1" in run.stderr
    import csv

    [row] = list(csv.DictReader((out / "gradebook.csv").open(encoding="utf-8")))
    ex11, ex12 = course.exercise("1.1"), course.exercise("1.2")
    assert float(row["1.1"]) == ex11.points
    assert float(row["1.2"]) < ex12.points
    assert float(row["5.1"]) == course.exercise("5.1").points
    assert float(row["5.4"]) == 0 and float(row["5.2"]) == 0
    assert row["learner_id"] == "rina" and row["name"] == "Rina Wulandari"
    feedback = (out / "feedback" / "rina.html").read_text(encoding="utf-8")
    assert "12.5" in feedback and course.exercise("5.4").title in feedback


def test_grade_command_reports_user_mistakes_without_traceback(tmp_path):
    cases = [
        (["grade", str(tmp_path / "nowhere")], "is not a folder of submissions"),
        (["grade", str(tmp_path), "--workers", "0"], "--workers must be at least 1"),
        (["grade", str(tmp_path), "--only", "99"], "unknown lesson '99'"),
    ]
    for args, message in cases:
        run = subprocess.run([sys.executable, "-m", "kenali", *args], capture_output=True, text=True)
        assert run.returncode == 2, (args, run.stderr)
        assert message in run.stderr and "Traceback" not in run.stderr


def test_a_saved_reflection_travels_in_the_handin(course_copy):
    """A refleksi text is a record (status "saved") like any answer: handed in, never scored."""
    reflection = next((e for e in load_course().exercises() if e.is_reflection), None)
    if reflection is None:
        pytest.skip("the course has no refleksi yet")
    root, home = course_copy
    _sign_in(home)
    result, _ = _answer(home, reflection.id, answer="Kasir kami memakai; pemilik toko membayar.")
    assert result.status == "saved"
    handin = make_handin(root=root, home=home)
    with zipfile.ZipFile(handin.path) as archive:
        records = [json.loads(archive.read(n)) for n in archive.namelist() if n.startswith("progress/attempts/")]
    assert [(r["exercise"], r["status"], r["answer"]) for r in records] == [
        (reflection.id, "saved", "Kasir kami memakai; pemilik toko membayar.")]
    assert reflection.id not in {e.id for e in load_course().exercises(graded_only=True)}
