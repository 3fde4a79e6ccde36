"""Helpers for the grading tests: learner hand-ins built from the real lesson 05 notebooks.

Submissions are made from the committed ``exercises/05_lab_data.ipynb`` (the learner's starting
point) with answer cells replaced by the cells of ``solutions/05_lab_data.ipynb`` (or by any code
a test needs), and from answer records written by :class:`kenali.store.Store` itself, in the
shape :meth:`kenali.session.Session.submit` gives them. Everything is written to ``tmp_path``
folders: no notebook lands in ``tests/`` (nbval would collect it).

The helpers are reached through the session-scoped ``kit`` fixture (test modules cannot import
this file by name: the repository has three ``conftest.py``).
"""

from __future__ import annotations

import copy
import hashlib
import io
import json
import time
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[2]
EXERCISE_NB = ROOT / "exercises" / "05_lab_data.ipynb"
SOLUTION_NB = ROOT / "solutions" / "05_lab_data.ipynb"
NB_PATH = "exercises/05_lab_data.ipynb"
CODE_IDS = [f"5.{i}" for i in range(1, 14)]
# the widget (interpretation) exercises of the lab and their keys: 5.16-5.19 are the "Apa artinya?" decisions
WIDGET_KEYS = {"5.14": "b", "5.15": "b", "5.16": "d", "5.17": "b", "5.18": "a", "5.19": ["b", "d"]}
WIDGET_IDS = list(WIDGET_KEYS)
ALL_IDS = [*CODE_IDS, *WIDGET_IDS]


def _cell_id(exercise_id: str) -> str:
    return "ex-" + exercise_id.replace(".", "-")


class Kit:
    """Builders for notebooks, answer records and hand-ins, and a grading call with fast limits."""

    root = ROOT
    nb_path = NB_PATH
    code_ids = CODE_IDS
    widget_ids = WIDGET_IDS
    widget_keys = WIDGET_KEYS
    all_ids = ALL_IDS

    def __init__(self) -> None:
        self._exercises = nbformat.read(EXERCISE_NB, as_version=4)
        self._solutions = nbformat.read(SOLUTION_NB, as_version=4)
        self._solved = copy.deepcopy(self._exercises)
        solution_cells = {c.get("id"): c for c in self._solutions.cells}
        for cell in self._solved.cells:
            if str(cell.get("id", "")).startswith("ex-5-") and cell.cell_type == "code":
                source = solution_cells[cell["id"]].source
                if "cek(" in source:  # code exercises only; widget cells (tampilkan) stay as handed out
                    cell.source = source

    # -- the course -------------------------------------------------------------------------------
    @property
    def course(self):
        from kenali.bank import load_course

        return load_course()

    @property
    def bank(self):
        return self.course.bank("05")

    def bank_sha(self) -> str:
        return hashlib.sha256(self.bank.path.read_bytes()).hexdigest()

    def limits(self, **changes: Any):
        """Limits small enough for tests: an endless loop costs one second."""
        from kenali.grading.run import Limits

        return Limits(**{"cell_timeout": 1, "timeout": 8, "memory_mb": 256, **changes})

    def grade(self, folder: Path, out: Path, **kwargs: Any):
        from kenali.grading.pipeline import grade

        options: dict[str, Any] = {"workers": 2, "limits": self.limits(), "only": ["05"]}
        options.update(kwargs)
        return grade(folder, out, **options)

    # -- notebooks --------------------------------------------------------------------------------
    def blank(self):
        """The exercise notebook as handed out (every answer ``...``)."""
        return copy.deepcopy(self._exercises)

    def solved(self):
        """The exercise notebook with every code answer cell taken from the solution notebook."""
        return copy.deepcopy(self._solved)

    def solution_notebook(self):
        return copy.deepcopy(self._solutions)

    @staticmethod
    def cell(nb, exercise_id: str):
        """The answer cell of an exercise (by its generated cell id)."""
        for cell in nb.cells:
            if cell.get("id") == _cell_id(exercise_id):
                return cell
        raise KeyError(exercise_id)

    def set_answer(self, nb, exercise_id: str, source: str):
        self.cell(nb, exercise_id).source = source
        return nb

    def delete_cell(self, nb, exercise_id: str):
        nb.cells.remove(self.cell(nb, exercise_id))
        return nb

    @staticmethod
    def insert_code(nb, index: int, source: str, cell_id: str | None = None):
        """Insert a new code cell at ``index`` of ``nb.cells`` (a learner's own cell)."""
        cell = nbformat.v4.new_code_cell(source)
        if cell_id:
            cell["id"] = cell_id
        nb.cells.insert(index, cell)
        return nb

    def index_of(self, nb, exercise_id: str) -> int:
        return nb.cells.index(self.cell(nb, exercise_id))

    @staticmethod
    def nb_bytes(nb) -> bytes:
        return nbformat.writes(nb).encode("utf-8")

    # -- answer records ---------------------------------------------------------------------------
    def record(self, exercise_id: str, answer: Any, learner: str | None, *, ts: float | None = None,
               status: str | None = None, score: float | None = None, attempt: int = 1) -> dict[str, Any]:
        """A record as :meth:`Session.submit` makes it; ``status``/``score`` default to the real check."""
        from kenali.session import check_answer

        ex = self.course.exercise(exercise_id)
        if status is None or score is None:  # (for a code exercise this computes the key: slow the first time)
            result = check_answer(ex, answer)
            status = result.status if status is None else status
            score = round(result.score, 6) if score is None else score
        ts = time.time() if ts is None else ts
        return {
            "exercise": ex.id, "lesson": ex.lesson, "learner": learner, "answer": answer,
            "status": status, "score": score,
            "points": ex.points, "attempt": attempt, "hints": 0, "ts": ts,
            "time": datetime.fromtimestamp(ts, UTC).isoformat(timespec="seconds"), "mode": "belajar",
        }

    def widget_records(self, learner: str | None, *, ts: float = 1_750_000_000.0,
                       ids: list[str] | None = None) -> list[dict[str, Any]]:
        """Correct answers of the lab's widget exercises (all of them, or ``ids``), 100 seconds apart."""
        ids = self.widget_ids if ids is None else ids
        return [self.record(i, self.widget_keys[i], learner, ts=ts + 100.0 * n) for n, i in enumerate(ids)]

    def progress_files(self, tmp: Path, learner_id: str | None, name: str | None,
                       records: list[dict[str, Any]]) -> dict[str, bytes]:
        """``progress/learner.json`` and ``progress/attempts/<id>/*.json``, written by kenali's own store."""
        from kenali import learner as learner_mod
        from kenali.store import Store

        home = Path(tmp)
        home.mkdir(parents=True, exist_ok=True)
        if learner_id is not None:
            learner_mod.save(home, learner_mod.Learner(name or learner_id, learner_id))
        store = Store(home)
        for rec in records:
            store.record(rec)
        return {f"progress/{p.relative_to(home).as_posix()}": p.read_bytes()
                for p in sorted(home.rglob("*.json")) if p.is_file()}

    # -- hand-ins ---------------------------------------------------------------------------------
    def manifest(self, learner_id: str, name: str, notebooks: dict[str, bytes], *,
                 created: str = "2025-06-01T10:00:00+00:00", **changes: Any) -> dict[str, Any]:
        from kenali import __version__

        data = {
            "learner": {"id": learner_id, "name": name},
            "created": created,
            "kenali_version": __version__,
            "banks": {self.bank.path.name: self.bank_sha()},
            "notebooks": {path: hashlib.sha256(data).hexdigest() for path, data in notebooks.items()},
        }
        data.update(changes)
        return data

    def handin(self, tmp: Path, learner_id: str = "rina", name: str = "Rina Wati", *, nb: Any = "solved",
               records: list[dict[str, Any]] | None = None, manifest: bool | dict[str, Any] = True,
               learner_json: bool = True, extra: dict[str, bytes] | None = None,
               **manifest_changes: Any) -> dict[str, bytes]:
        """The files of a ``kenali submit`` hand-in, as ``{path in the zip: bytes}``.

        ``nb`` is a notebook, raw bytes, ``"solved"`` (default), ``"blank"`` or None (no notebook);
        ``records`` defaults to correct answers of every widget exercise."""
        if isinstance(nb, str):
            nb = self.solved() if nb == "solved" else self.blank()
        notebooks: dict[str, bytes] = {}
        if nb is not None:
            notebooks[NB_PATH] = nb if isinstance(nb, bytes) else self.nb_bytes(nb)
        if records is None:
            records = self.widget_records(learner_id)
        files = dict(notebooks)
        files.update(self.progress_files(Path(tmp) / f"home-{learner_id}-{time.time_ns()}",
                                         learner_id if learner_json else None, name, records))
        if manifest is True:
            files["manifest.json"] = json.dumps(self.manifest(learner_id, name, notebooks, **manifest_changes),
                                                ensure_ascii=False, indent=1).encode()
        elif isinstance(manifest, dict):
            files["manifest.json"] = json.dumps(manifest, ensure_ascii=False).encode()
        files.update(extra or {})
        return files

    @staticmethod
    def zip_bytes(files: dict[str, bytes]) -> bytes:
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, data in files.items():
                archive.writestr(zipfile.ZipInfo(name, date_time=(2025, 6, 1, 10, 0, 0)), data)
        return buf.getvalue()

    def write_zip(self, path: Path, files: dict[str, bytes]) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(self.zip_bytes(files))
        return path

    @staticmethod
    def write_folder(path: Path, files: dict[str, bytes]) -> Path:
        for name, data in files.items():
            target = path / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        return path

    # -- reading results --------------------------------------------------------------------------
    @staticmethod
    def row(outcome, learner_id: str) -> dict[str, Any]:
        rows = [r for r in outcome.rows if r["learner_id"] == learner_id]
        assert len(rows) == 1, f"{len(rows)} rows for {learner_id}: {[r['learner_id'] for r in outcome.rows]}"
        return rows[0]

    @staticmethod
    def codes(row: dict[str, Any]) -> list[str]:
        return [n["code"] for n in row["notes"]]

    @staticmethod
    def notes_of(row: dict[str, Any], code: str) -> list[dict[str, Any]]:
        return [n for n in row["notes"] if n["code"] == code]

    @staticmethod
    def statuses(row: dict[str, Any], ids: list[str] | None = None) -> dict[str, str]:
        return {i: row["exercises"][i]["status"] for i in (ids or list(row["exercises"]))}

    def assert_correct(self, row: dict[str, Any], ids: list[str]) -> None:
        wrong = {i: (row["exercises"][i]["status"], row["exercises"][i]["messages"][:2])
                 for i in ids if row["exercises"][i]["status"] != "correct"}
        assert not wrong, f"{row['learner_id']}: not correct: {wrong}"
        assert all(row["exercises"][i]["earned"] == row["exercises"][i]["points"] for i in ids)


@pytest.fixture(scope="session")
def kit() -> Kit:
    return Kit()
