"""The setup check (kenali.setupcheck): each check fails when it should and says what to do."""

from __future__ import annotations

import http.server
import importlib.metadata as metadata
import json
import os
import re
import socket
import stat
import sys
import threading
from pathlib import Path

import pytest

from kenali import setupcheck as sc
from kenali.i18n import t


def test_current_python_passes_and_an_old_one_fails_with_a_fix():
    assert sc.check_python().status == "ok"
    old = sc.check_python((3, 10, 12))
    assert old.status == "fail" and "3.10.12" in old.detail and "3.11" in old.fix
    assert sc.check_python((3, 11, 0)).status == "ok"


def test_a_missing_package_fails_and_says_how_to_install():
    def importer(name):
        if name == "pandas":
            raise ModuleNotFoundError("No module named 'pandas'")
        return object()

    results = {r.key: r for r in sc.check_packages([("pandas", "2.1"), ("pyyaml", "6.0")], importer=importer)}
    assert results["package:pandas"].status == "fail"
    assert "pandas" in results["package:pandas"].detail
    assert "pip install -r requirements.txt" in results["package:pandas"].fix
    assert results["package:pyyaml"].status == "ok"


def test_an_old_package_fails_and_a_missing_optional_one_only_warns():
    versions = {"ipywidgets": "7.8.1", "voila": "0.5.0"}

    def importer(name):
        if name == "voila":
            raise ImportError("no voila")
        return object()

    results = sc.check_packages([("ipywidgets", "8.1"), ("voila", "0.5")], importer=importer,
                                version_of=versions.__getitem__)
    assert [r.status for r in results] == ["fail", "warn"]
    assert "7.8.1" in results[0].detail and "8.1" in results[0].detail
    assert "kenali app" in results[1].fix


def test_package_versions_compare_as_numbers_not_text():
    ok = sc.check_packages([("pandas", "2.1")], importer=lambda n: None, version_of=lambda d: "10.0.0rc1")
    assert ok[0].status == "ok"
    old = sc.check_packages([("pandas", "2.10")], importer=lambda n: None, version_of=lambda d: "2.9")
    assert old[0].status == "fail"


def test_requirements_are_the_installed_package_dependencies_without_extras():
    reqs = dict(sc.requirements())
    assert reqs["ipywidgets"] == "8.1" and reqs["pandas"] == "2.1"
    assert "jupyterhub" not in reqs and "pytest" not in reqs  # extras belong to the class server and developers


def test_widget_front_end(tmp_path):
    ext = tmp_path / "labextensions"
    (ext / "@jupyter-widgets" / "jupyterlab-manager").mkdir(parents=True)
    good = {"ipywidgets": "8.1.5", "jupyterlab_widgets": "3.0.13"}
    assert sc.check_widgets(version_of=good.__getitem__, labextension_dirs=[ext]).status == "ok"

    def missing(name):
        raise metadata.PackageNotFoundError(name)

    old = sc.check_widgets(version_of={"ipywidgets": "7.7.2", "jupyterlab_widgets": "1.1"}.__getitem__,
                           labextension_dirs=[ext])
    no_frontend = sc.check_widgets(version_of=lambda n: good[n] if n == "ipywidgets" else missing(n),
                                   labextension_dirs=[ext])
    no_extension = sc.check_widgets(version_of=good.__getitem__, labextension_dirs=[tmp_path / "elsewhere"])
    for result in (old, no_frontend, no_extension):
        assert result.status == "fail" and "kenali open" in result.fix
    assert "7.7.2" in old.detail and "jupyterlab_widgets" in no_frontend.detail
    assert sc.check_widgets(version_of=missing).status == "fail"


def test_widget_front_end_is_found_in_this_environment():
    assert sc.check_widgets().status == "ok"


def test_a_writable_progress_folder_passes_and_leaves_nothing_behind(tmp_path):
    home = tmp_path / "new" / ".kenali"
    result = sc.check_progress_folder(home)
    assert result.status == "ok" and str(home) in result.detail
    assert home.is_dir() and list(home.iterdir()) == []


def _check_without_privileges(home: Path) -> dict:
    """``check_progress_folder(home)`` in a child with no capabilities: root then meets the permission bits of
    its own folders (no CAP_DAC_OVERRIDE), as an ordinary learner does."""
    import shutil
    import subprocess

    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.fail("as root this test needs setpriv (util-linux) to drop capabilities")
    code = ("import json, sys; from pathlib import Path; from kenali import setupcheck as sc; "
            "r = sc.check_progress_folder(Path(sys.argv[1])); "
            "print(json.dumps({'status': r.status, 'detail': r.detail, 'fix': r.fix}))")
    out = subprocess.run([setpriv, "--bounding-set=-all", "--inh-caps=-all", sys.executable, "-c", code, str(home)],
                         capture_output=True, text=True, timeout=60, check=True)
    return json.loads(out.stdout)


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX permission bits")
def test_a_read_only_progress_folder_fails_with_the_folder_and_a_fix(tmp_path):
    home = tmp_path / ".kenali"
    home.mkdir()
    home.chmod(stat.S_IRUSR | stat.S_IXUSR)
    try:
        if os.geteuid() == 0:
            result = _check_without_privileges(home)
        else:
            r = sc.check_progress_folder(home)
            result = {"status": r.status, "detail": r.detail, "fix": r.fix}
    finally:
        home.chmod(stat.S_IRWXU)
    assert result["status"] == "fail" and str(home) in result["detail"] and "KENALI_HOME" in result["fix"]
    assert list(home.iterdir()) == []  # no probe file left behind


def test_an_unwritable_progress_folder_fails_even_as_root(tmp_path):
    """Root ignores permission bits: a path through a regular file is unwritable for everyone."""
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    result = sc.check_progress_folder(blocker / ".kenali")
    assert result.status == "fail" and str(blocker / ".kenali") in result.detail
    assert result.fix == t("persiapan.progress.fix", folder=blocker / ".kenali")


def test_disk_space_thresholds(tmp_path):
    def usage_mb(mb):
        return lambda folder: type("U", (), {"free": mb * 2**20})()

    assert sc.check_disk(tmp_path, usage=usage_mb(50)).status == "fail"
    assert sc.check_disk(tmp_path, usage=usage_mb(300)).status == "warn"
    low = sc.check_disk(tmp_path, usage=usage_mb(50))
    assert "50 MB" in low.detail and low.fix
    assert sc.check_disk(tmp_path / "not" / "yet", usage=usage_mb(20_000)).status == "ok"


def _course(tmp_path: Path, skip: str = "") -> Path:
    root = tmp_path / "course"
    (root / "notebooks").mkdir(parents=True)
    (root / "exercises").mkdir()
    (root / "data").mkdir()
    (root / "notebooks" / "00_mulai.ipynb").write_text("{}")
    for name in sc.DATA_FILES:
        if name != skip:
            (root / "data" / f"{name}.csv").write_text("a\n1\n")
    return root


def test_course_files_present_pass_and_a_missing_data_file_is_named(tmp_path):
    root = _course(tmp_path)
    assert sc.check_course_files(root, root / "data").status == "ok"
    root2 = _course(tmp_path / "b", skip="pesanan")
    result = sc.check_course_files(root2, root2 / "data")
    assert result.status == "fail" and "data/pesanan.csv" in result.detail and "folder kursus" in result.fix


def test_the_data_files_checked_are_the_ones_the_lab_loads():
    root = Path(__file__).resolve().parents[1]
    text = (root / "notebooks" / "05_lab_data.ipynb").read_text(encoding="utf-8")
    text += (root / "exercises" / "05_lab_data.ipynb").read_text(encoding="utf-8")
    used = set(re.findall(r'muat\(\\?"([a-z_]+)\\?"\)', text)) - {"nama"}  # muat("nama") explains the call
    assert used == set(sc.DATA_FILES) == {p.stem for p in (root / "data").glob("*.csv")}


class _Health(http.server.BaseHTTPRequestHandler):
    body = b'{"ok": true, "db": "sqlite"}'

    def do_GET(self):
        if self.path.endswith("/api/health"):
            self.send_response(200)
            self.end_headers()
            self.wfile.write(self.body)
        else:
            self.send_response(404)
            self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def health_server():
    server = http.server.HTTPServer(("127.0.0.1", 0), _Health)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/services/kenali/"
    server.shutdown()
    server.server_close()


def test_class_server_skipped_without_url_and_ok_when_healthy(health_server, monkeypatch):
    monkeypatch.delenv("KENALI_CLASS_URL", raising=False)
    assert sc.check_class_server().status == "skip"
    monkeypatch.setenv("KENALI_CLASS_URL", health_server)
    result = sc.check_class_server()
    assert result.status == "ok" and "sqlite" in result.detail


def test_an_unreachable_class_server_warns_quickly_and_says_answers_are_kept():
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    result = sc.check_class_server(f"http://127.0.0.1:{port}/services/kenali/", timeout=1)
    assert result.status == "warn" and f"{port}" in result.detail
    assert result.fix == t("persiapan.server.fix") and "disimpan di komputermu" in result.fix


def test_a_server_that_answers_something_else_is_not_healthy(health_server, monkeypatch):
    monkeypatch.setattr(_Health, "body", json.dumps({"ok": False}).encode())
    assert sc.check_class_server(health_server).status == "warn"
    assert sc.check_class_server(health_server.replace("/services/kenali/", "/nothing/")).status == "warn"


def test_windows_checks_onedrive_and_long_paths():
    assert sc.check_windows(Path("/x"), platform="linux").status == "skip"
    onedrive = sc.check_windows(Path(r"C:\Users\rina\OneDrive\Documents\kenali"), platform="win32", environ={})
    assert onedrive.status == "warn" and "OneDrive" in onedrive.fix
    synced = sc.check_windows(Path(r"D:\Sync\Kantor\kenali"), platform="win32",
                              environ={"OneDriveCommercial": r"D:\Sync\Kantor"}, long_paths=lambda: False)
    assert synced.status == "warn" and synced.fix == onedrive.fix
    deep = Path("C:\\" + "\\".join(["folder-yang-sangat-panjang"] * 7))
    long = sc.check_windows(deep, platform="win32", environ={}, long_paths=lambda: False)
    assert long.status == "warn" and "260" in long.detail and "C:\\kenali" in long.fix
    assert sc.check_windows(deep, platform="win32", environ={}, long_paths=lambda: True).status == "ok"
    assert sc.check_windows(Path(r"C:\kenali"), platform="win32", environ={}, long_paths=lambda: False).status == "ok"


def test_the_summary_names_what_failed_and_what_to_do():
    ok = sc.CheckResult("python", "ok", "Versi Python", "3.12")
    warn = sc.CheckResult("server", "warn", "Server kelas", "tidak menjawab", "beri tahu fasilitator")
    fail = sc.CheckResult("progress", "fail", "Folder kemajuan", "hanya-baca", "pindahkan folder")
    assert sc.Report((ok,)).summary() == t("persiapan.summary_ok")
    assert sc.Report((ok, warn)).ok and "Server kelas" in sc.Report((ok, warn)).summary()
    report = sc.Report((ok, warn, fail))
    assert not report.ok and report.failures == [fail]
    assert "Folder kemajuan" in report.summary() and "✗" in report.summary()
    text = report.text()
    assert "✗ Folder kemajuan: hanya-baca" in text and "→ pindahkan folder" in text
    page = report._repr_html_()
    assert "pindahkan folder" in page and t("persiapan.what_to_do") in page and "<script" not in page


def test_run_checks_here_passes_and_cek_persiapan_shows_a_report(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("KENALI_HOME", str(tmp_path / ".kenali"))
    monkeypatch.delenv("KENALI_CLASS_URL", raising=False)
    report = sc.run_checks()
    assert report.ok, report.text()
    keys = [r.key for r in report.results]
    assert {"python", "widgets", "progress", "disk", "course", "server", "windows"} <= set(keys)
    assert "package:pandas" in keys
    shown = []
    monkeypatch.setattr("IPython.display.display", lambda obj: shown.append(obj))
    assert sc.cek_persiapan() is None
    assert isinstance(shown[0], sc.Report)
    probe = shown[1]._repr_mimebundle_()
    data = probe[0] if isinstance(probe, tuple) else probe
    assert "application/vnd.jupyter.widget-view+json" in data and "kenali open" in data["text/html"]


def test_the_command_line_exits_1_when_a_check_fails(tmp_path, monkeypatch, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    monkeypatch.setenv("KENALI_HOME", str(blocker / ".kenali"))
    monkeypatch.delenv("KENALI_CLASS_URL", raising=False)
    assert sc.main() == 1
    out = capsys.readouterr().out
    assert "✗ Folder kemajuan" in out and "Belum siap" in out
