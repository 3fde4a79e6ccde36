"""The data lab's no-code track (notebooks/05b_lab_tanpa_kode.ipynb): generated from the data, no code to write,
and every interpretation exercise of bank 05 reachable without pandas."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import nbformat

from kenali.bank import load_course

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "notebooks" / "05b_lab_tanpa_kode.ipynb"


def _generator():
    spec = importlib.util.spec_from_file_location("tabel_tanpa_kode", ROOT / "data" / "tabel_tanpa_kode.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_no_code_notebook_matches_its_generator_and_the_data():
    gen = _generator()
    expected = [(cid, kind, source) for cid, kind, source in gen.sel(gen.hitung())]
    cells = nbformat.read(NOTEBOOK, as_version=4).cells
    mine = [c for c in cells if str(c.get("id", "")).startswith("l05b-")]
    assert [(c.get("id"), c.cell_type, c.source) for c in mine] == expected, "run python data/tabel_tanpa_kode.py"


def test_the_no_code_notebook_has_no_code_to_write():
    one_call = re.compile(r"from kenali import (\w+)\n\n\1\((\"[^\"\n]*\")?\)")
    for cell in nbformat.read(NOTEBOOK, as_version=4).cells:
        if cell.cell_type == "code":
            assert one_call.fullmatch(cell.source.strip()), cell.source


def test_every_widget_exercise_of_the_lab_is_in_the_no_code_track():
    shown = set(re.findall(r'tampilkan\("([^"]+)"\)', "\n".join(
        c.source for c in nbformat.read(NOTEBOOK, as_version=4).cells if c.cell_type == "code")))
    bank = load_course().bank("05")
    widgets = {e.id for e in bank.graded if not e.is_code}
    assert len(widgets) >= 6 and widgets <= shown, widgets - shown
    assert {e.id for e in bank.exercises if e.quick and e.type != "refleksi"} <= shown
