"""The course content as a whole: valid, complete, generated files in sync, outputs as promised."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import nbformat
import pytest
from needs import unavailable

from kenali.bank import load_course
from kenali.build import course_map_markdown, drift, syllabus_markdown
from kenali.cli import content_problems

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"


@pytest.fixture(scope="module")
def course():
    return load_course()


def test_content_is_valid_and_every_concept_is_practised():
    assert content_problems(ROOT) == []


def test_course_size(course):
    graded = list(course.exercises(graded_only=True))
    types = Counter(e.type for e in graded)
    assert len(graded) >= 60, types
    assert types["peran"] >= 20, types  # lesson 04's near-identical role grids were merged (issue 11)
    lesson1 = course.bank("01").graded
    assert len(lesson1) >= 12
    assert sum(e.type == "peran" for e in lesson1) >= 4
    assert {e.type for e in lesson1} >= {"pilihan", "pilihan_ganda", "peran", "pasangan", "angka", "teks"}
    assert {b.lesson for b in course.banks} == {"01", "02", "03", "04", "05", "06"}
    assert sum(e.type == "kode" for e in course.bank("05").graded) >= 8


def test_every_exercise_teaches(course):
    for e in course.exercises():
        assert len(e.hints) >= 2 or e.is_reflection, e.id  # a refleksi's hints are optional
        assert len(e.explanation) > 40, e.id
        if e.type in {"peran", "pasangan"}:
            assert all(item.why for item in e.items), e.id


def test_generated_notebooks_match_their_banks():
    assert drift() == []


def test_syllabus_map_is_up_to_date(course):
    assert (ROOT / "docs" / "syllabus.md").read_text(encoding="utf-8") == syllabus_markdown(course)


def test_course_map_is_up_to_date_and_links_resolve(course):
    nb = nbformat.read(ROOT / "notebooks" / "00_mulai.ipynb", as_version=4)
    cell = next(c for c in nb.cells if c.get("id") == "course-map")
    assert cell.source == course_map_markdown(course, ROOT)
    links = re.findall(r"\]\(([^)]+\.ipynb)\)", cell.source)
    for link in links:
        assert (ROOT / "notebooks" / link).resolve().is_file(), link
    linked = {Path(link).name for link in links}
    for folder in ("notebooks", "exercises"):
        for path in (ROOT / folder).glob("[0-9][0-9]_*.ipynb"):
            assert path.name in linked or path.name == "00_mulai.ipynb", path


def _statuses(path: Path) -> dict[str, str]:
    nb = nbformat.read(path, as_version=4)
    out = {}
    for cell in nb.cells:
        if cell.cell_type == "code" and cell.get("id", "").startswith("ex-"):
            texts = [o["data"]["text/plain"] for o in cell.outputs if "data" in o and "text/plain" in o["data"]]
            out[cell.id] = texts[-1] if texts else ""
    return out


def test_solution_notebooks_show_every_exercise_correct(course):
    """nbval proves these stored outputs reproduce; this proves what they say."""
    for bank in course.banks:
        statuses = _statuses(ROOT / "solutions" / f"{bank.notebook}.ipynb")
        for e in bank.graded:
            status = statuses.get("ex-" + e.id.replace(".", "-"), "")
            assert status == f"Latihan {e.id} · benar · {e.points:g}/{e.points:g} poin", (bank.notebook, e.id, status)


def test_exercise_notebooks_start_unanswered(course):
    for bank in course.banks:
        statuses = _statuses(ROOT / "exercises" / f"{bank.notebook}.ipynb")
        for e in bank.graded:
            status = statuses.get("ex-" + e.id.replace(".", "-"), "")
            assert status == f"Latihan {e.id} · belum dijawab", (bank.notebook, e.id, status)


def test_exercise_notebooks_do_not_contain_keys(course):
    for bank in course.banks:
        text = (ROOT / "exercises" / f"{bank.notebook}.ipynb").read_text(encoding="utf-8")
        assert "jawab=" not in text and 'mode=\\"solusi\\"' not in text
        for e in bank.graded:
            if e.is_code:
                assert e.solution.strip() not in text, e.id


def test_running_a_solution_notebook_never_writes_learner_progress(tmp_path):
    """Solutions run in 'solusi' mode with an in-memory store, even with no KENALI_HOME set."""
    from nbclient import NotebookClient

    for folder in ("notebooks", "exercises"):
        (tmp_path / folder).mkdir()
    nb = nbformat.read(ROOT / "solutions" / "01_pengguna_akhir.ipynb", as_version=4)
    env_home = os.environ.pop("KENALI_HOME")
    os.environ["KENALI_COURSE"] = str(tmp_path)
    try:
        NotebookClient(
            nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
        ).execute()
    finally:
        os.environ["KENALI_HOME"] = env_home
        os.environ.pop("KENALI_COURSE")
    assert not (tmp_path / ".kenali").exists()
    assert any("benar" in o.get("data", {}).get("text/plain", "") for c in nb.cells for o in c.get("outputs", []))


def test_no_passage_repeats_the_source_articles():
    tool = SHARED / "tools" / "seed_overlap.py"
    if not tool.is_file():
        # A learner's or author's fresh clone has no ../shared; CI has it and sets KENALI_SHARED_REQUIRED=1.
        reason = f"{tool} is missing: the source-overlap check needs the course checkout beside ../shared"
        unavailable("../shared", reason, "KENALI_SHARED_REQUIRED")
    run = subprocess.run([sys.executable, str(tool), str(ROOT)], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout[-3000:]


def test_data_generator_reproduces_the_committed_csv_files(tmp_path):
    import shutil

    shutil.copy(ROOT / "data" / "generate.py", tmp_path / "generate.py")
    subprocess.run([sys.executable, str(tmp_path / "generate.py")], check=True, timeout=120, cwd=tmp_path)
    committed = sorted((ROOT / "data").glob("*.csv"))
    assert committed, "no CSV files in data/"
    for path in committed:
        assert (tmp_path / path.name).read_bytes() == path.read_bytes(), path.name
    assert sorted(p.name for p in tmp_path.glob("*.csv")) == [p.name for p in committed]


# -- every notebook as a learner meets it: cells that run alone, links that open, lessons without code ---------

NOTEBOOK_FOLDERS = ("notebooks", "exercises", "solutions")
KENALI_CALL = re.compile(
    r"\b(mulai|tampilkan|cek|kemajuan|identitas|serahkan|ringkasan|muat|petunjuk|solusi|cek_persiapan)\("
)
MD_LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")


def _all_notebooks() -> list[Path]:
    paths = [p for folder in NOTEBOOK_FOLDERS for p in sorted((ROOT / folder).glob("*.ipynb"))]
    assert len(paths) >= 16, paths
    return paths


def _kenali_cells(path: Path) -> list:
    nb = nbformat.read(path, as_version=4)
    return [c for c in nb.cells if c.cell_type == "code" and KENALI_CALL.search(c.source)]


class _NoIPython:
    """What ``get_ipython()`` gives a magic such as ``%matplotlib inline`` when a cell runs outside a kernel."""

    def run_line_magic(self, *args, **kwargs):
        return None

    run_cell_magic = run_line_magic


@pytest.mark.parametrize("path", _all_notebooks(), ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_every_kenali_cell_runs_alone_in_a_fresh_namespace(path, tmp_path, monkeypatch):
    """Each cell that shows an exercise, a check, progress or loads data runs on its own, as it does
    after a kernel restart or when a learner starts in the middle: no name may come from an earlier cell.
    Solution cells run alone never record anything for the learner."""
    from IPython.core.inputtransformer2 import TransformerManager

    from kenali import session
    from kenali.session import Session

    cells = _kenali_cells(path)
    if path.name == "glosarium.ipynb":  # the course glossary is Markdown only
        assert not cells, path
        return
    assert cells, path
    transform = TransformerManager().transform_cell
    for i, cell in enumerate(cells):
        monkeypatch.setenv("KENALI_HOME", str(tmp_path / f"home-{i}"))  # a fresh kernel on a fresh progress folder
        session.reset()
        namespace = {"__name__": "__main__", "get_ipython": _NoIPython}
        try:
            exec(compile(transform(cell.source), f"{path.name}:{cell.get('id')}", "exec"), namespace)
        except NameError as exc:
            pytest.fail(f"{path.relative_to(ROOT)} cell {cell.get('id')} does not run alone: {exc}\n{cell.source}")
        if path.parent.name == "solutions" and "cek(" not in cell.source:
            session.reset()
            assert Session().store.latest_all() == {}, f"{path.name} cell {cell.get('id')} recorded a learner answer"
    session.reset()


@pytest.mark.parametrize("path", _all_notebooks(), ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_every_link_in_every_notebook_opens_its_target(path):
    """Links are relative to the notebook's own folder (JupyterLab and Voilà serve the course folder as root)."""
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            continue
        for target in MD_LINK.findall(cell.source):
            if re.match(r"^[a-z][a-z0-9+.-]*:", target) or target.startswith("#"):
                continue
            file = (path.parent / target.split("#", 1)[0]).resolve()
            assert file.exists(), f"{path.relative_to(ROOT)}: link {target} -> {file} does not exist"
            assert ROOT in file.parents, f"{path.relative_to(ROOT)}: link {target} leaves the course folder"


def test_lessons_and_exercise_notebooks_link_onward():
    """Every lesson links to its exercises, every exercise notebook to its lesson and its solution."""

    def markdown(path: Path) -> str:
        return "\n".join(c.source for c in nbformat.read(path, as_version=4).cells if c.cell_type == "markdown")

    for path in sorted((ROOT / "exercises").glob("*.ipynb")):
        text = markdown(path)
        assert f"](../notebooks/{path.name})" in text and f"](../solutions/{path.name})" in text, path.name
        assert f"](../exercises/{path.name})" in markdown(ROOT / "notebooks" / path.name), path.name


def test_concept_lessons_show_no_code_but_the_one_line_kenali_call():
    """Lessons 00-04 and the capstone 06 are for learners who do not program: tables are Markdown, sums are
    worked in text."""
    one_call = re.compile(r"from kenali import (\w+)\n\n\1\((\"[^\"\n]*\")?\)")
    for path in sorted((ROOT / "notebooks").glob("0[0-46]_*.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            if cell.cell_type == "code":
                assert one_call.fullmatch(cell.source.strip()), f"{path.name} cell {cell.get('id')}:\n{cell.source}"
                for out in cell.get("outputs", []):
                    assert "text/html" not in out.get("data", {}) or "dataframe" not in out["data"]["text/html"]


def test_notebook_text_does_not_depend_on_a_keyboard_shortcut():
    """Voilà runs every cell itself and has no Shift+Enter: no notebook may give it as the way to proceed."""
    for path in _all_notebooks():
        for cell in nbformat.read(path, as_version=4).cells:
            if cell.cell_type == "markdown":
                assert "shift+enter" not in cell.source.lower(), f"{path.relative_to(ROOT)} cell {cell.get('id')}"


@pytest.mark.parametrize(
    ("notebook", "cell_id"),
    [
        ("notebooks/00_mulai.ipynb", "progress"),
        ("notebooks/05_lab_data.ipynb", "l05-04"),
        ("exercises/01_pengguna_akhir.ipynb", "ex-1-5"),
        ("solutions/05_lab_data.ipynb", "ex-5-9"),
    ],
)
def test_a_cell_runs_alone_in_a_fresh_kernel(notebook, cell_id, tmp_path):
    """The same promise in a real kernel, for a sample: one cell, nothing run before it."""
    from nbclient import NotebookClient

    path = ROOT / notebook
    source = next(c.source for c in nbformat.read(path, as_version=4).cells if c.get("id") == cell_id)
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source)])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    old = os.environ["KENALI_HOME"]
    os.environ["KENALI_HOME"] = str(tmp_path / "home")
    try:
        where = {"metadata": {"path": str(path.parent)}}
        client = NotebookClient(nb, timeout=120, kernel_name="python3", resources=where)
        client.execute()  # a NameError (or any error) in the cell raises here
    finally:
        os.environ["KENALI_HOME"] = old
    outputs = nb.cells[0].outputs
    assert not [o for o in outputs if o.output_type == "error"], outputs
    assert any(o.output_type in {"execute_result", "display_data"} for o in outputs), outputs


def test_the_setup_check_is_committed_and_built_without_machine_output(tmp_path):
    """The setup check prints this machine's paths, versions and free disk: `kenali build --lessons` never
    stores that output, and the committed notebook carries none."""
    import shutil

    import nbformat

    from kenali.build import build_lessons

    source = ROOT / "notebooks" / "cek_persiapan.ipynb"
    committed = nbformat.read(source, as_version=4)
    assert all(not c.get("outputs") for c in committed.cells if c.cell_type == "code")
    (tmp_path / "notebooks").mkdir()
    copy = tmp_path / "notebooks" / "cek_persiapan.ipynb"
    shutil.copy(source, copy)
    assert build_lessons(tmp_path, only=["cek"], log=lambda _: None) == []
    assert copy.read_bytes() == source.read_bytes()
