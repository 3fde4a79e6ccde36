"""The command line: listing exercises, checking content, opening the course; clear errors."""

from __future__ import annotations

import csv
import io
import subprocess
import sys

from kenali.cli import main


def test_exercises_table_and_csv(capsys):
    assert main(["exercises"]) == 0
    table = capsys.readouterr().out
    assert table.splitlines()[0].split()[:5] == ["ID", "LESSON", "TYPE", "CONCEPTS", "POINTS"]
    assert "1.1" in table and "1.k1" not in table
    assert main(["exercises", "--format", "csv", "--all"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert {"id", "lesson", "type", "concepts", "points", "title"} <= set(rows[0])
    ids = [r["id"] for r in rows]
    assert len(ids) == len(set(ids)) and "1.k1" in ids
    assert all(r["concepts"] for r in rows)


def test_check_reports_ok(capsys):
    assert main(["check"]) == 0
    assert capsys.readouterr().out.startswith("ok:")


def test_open_dry_run_prints_the_jupyter_command(capsys):
    assert main(["open", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "-m jupyterlab" in out and "--LabApp.default_url=/lab/tree/notebooks/00_mulai.ipynb" in out


def test_module_entry_point_and_bad_usage():
    run = subprocess.run([sys.executable, "-m", "kenali", "nonsense"], capture_output=True, text=True)
    assert run.returncode == 2 and "invalid choice" in run.stderr and "Traceback" not in run.stderr


def test_broken_bank_is_reported_without_traceback(tmp_path, monkeypatch):
    import shutil

    from kenali import i18n
    from kenali.bank import clear_cache

    content = tmp_path / "content"
    shutil.copytree(i18n.CONTENT_ROOT / "id", content / "id")
    bank = next((content / "id" / "banks").glob("01_*.yaml"))
    bank.write_text(bank.read_text(encoding="utf-8").replace("type: peran", "type: drama", 1), encoding="utf-8")
    monkeypatch.setattr(i18n, "CONTENT_ROOT", content)
    clear_cache()
    try:
        run = subprocess.run(
            [
                sys.executable,
                "-c",
                f"import kenali.i18n as i; from pathlib import Path; i.CONTENT_ROOT=Path({str(content)!r}); "
                "from kenali.cli import main; raise SystemExit(main(['check']))",
            ],
            capture_output=True,
            text=True,
        )
    finally:
        clear_cache()
    assert run.returncode == 1
    assert bank.name in run.stdout and "field 'type'" in run.stdout and "drama" in run.stdout
    assert "Traceback" not in run.stdout + run.stderr
