"""``kenali open`` / ``kenali app`` command lines, the server extension that keeps saved notebooks readable,
and the saved (static) form of every kenali output. The browser side is in ``tests/e2e/test_learner_path.py``.
"""

from __future__ import annotations

import ast
import base64
import copy
import io
import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import zipfile
from pathlib import Path

import pytest

from kenali import cli, launch, serverext
from kenali.i18n import t
from kenali.launch import START_NOTEBOOK, app_command, lab_command

ROOT = Path(__file__).resolve().parents[1]
WIDGET = serverext.WIDGET_VIEW


def _option(command: list[str], name: str) -> str:
    values = [a.split("=", 1)[1] for a in command if a.startswith(name + "=")]
    assert values, f"{name} not in {command}"
    return values[-1]


# -- the command lines ------------------------------------------------------------------------------


def test_open_serves_the_course_folder_and_opens_the_start_notebook(tmp_path: Path) -> None:
    command = lab_command(tmp_path, as_root=False)
    assert command[:3] == [sys.executable, "-m", "jupyterlab"]
    assert _option(command, "--ServerApp.root_dir") == str(tmp_path)  # not notebooks/: links must resolve
    assert _option(command, "--LabApp.default_url") == f"/lab/tree/{START_NOTEBOOK}"
    assert not any(a.endswith(".ipynb") for a in command if not a.startswith("--")), "a file argument narrows the root"
    assert "kenali.serverext" in ast.literal_eval(_option(command, "--ServerApp.jpserver_extensions"))
    assert "--allow-root" not in command


def test_open_hides_the_developer_folders(tmp_path: Path) -> None:
    hidden = ast.literal_eval(_option(lab_command(tmp_path, as_root=False), "--ContentsManager.hide_globs"))
    assert {"kenali", "tests", "bench", "*.egg-info", "pyproject.toml", "requirements*.txt"} <= set(hidden)
    assert "__pycache__" in hidden  # Jupyter's own defaults are kept
    assert not {"notebooks", "exercises", "solutions", "data", "docs", "README.md"} & set(hidden)


def test_open_turns_off_the_news_prompt(tmp_path: Path) -> None:
    command = lab_command(tmp_path, as_root=False)
    settings = Path(_option(command, "--LabApp.app_settings_dir"))
    overrides = json.loads((settings / "overrides.d" / "kenali.json").read_text(encoding="utf-8"))
    assert overrides["@jupyterlab/apputils-extension:notification"]["fetchNews"] == "false"


def test_open_as_root_allows_root_once(tmp_path: Path) -> None:
    assert lab_command(tmp_path, as_root=True).count("--allow-root") == 1
    assert lab_command(tmp_path, ["--allow-root"], as_root=True).count("--allow-root") == 1
    assert "--allow-root" not in lab_command(tmp_path, ["--ServerApp.allow_root=True"], as_root=True)


def test_options_pass_through_last(tmp_path: Path) -> None:
    command = lab_command(tmp_path, ["--no-browser", "--port", "8890"], as_root=False)
    assert command[-3:] == ["--no-browser", "--port", "8890"]


def test_readme_example_parses(capsys: pytest.CaptureFixture[str]) -> None:
    """`kenali open --no-browser --port 8890` (the README's example) once failed with "unrecognized arguments"."""
    assert cli.main(["open", "--dry-run", "--no-browser", "--port", "8890"]) == 0
    line = capsys.readouterr().out.strip().splitlines()[-1]
    assert line.startswith("$ ") and line.endswith("--no-browser --port 8890")
    assert "-m jupyterlab" in line


def test_other_commands_still_refuse_unknown_options(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        cli.main(["check", "--port", "8890"])
    assert exc.value.code == 2
    assert "unrecognized arguments: --port 8890" in capsys.readouterr().err


def test_app_runs_voila_over_the_course_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    command = app_command(tmp_path, ["--port", "8866"], as_root=False)
    assert command[:4] == [sys.executable, "-m", "jupyter", "server"]
    assert _option(command, "--ServerApp.root_dir") == str(tmp_path)
    assert _option(command, "--ServerApp.default_url") == f"/voila/render/{START_NOTEBOOK}"
    assert ast.literal_eval(_option(command, "--ServerApp.jpserver_extensions")) == {
        "voila": True,
        "kenali.serverext": True,
    }
    assert command[-2:] == ["--port", "8866"]
    assert _option(command, "--MappingKernelManager.cull_idle_timeout") == "600"  # pages left behind
    own = app_command(tmp_path, ["--MappingKernelManager.cull_idle_timeout=900"], as_root=False)
    assert [a for a in own if a.startswith("--MappingKernelManager.cull_idle_timeout")] == [
        "--MappingKernelManager.cull_idle_timeout=900"
    ]  # traitlets refuses an option given twice
    assert cli.main(["app", "--dry-run", "--port", "8866"]) == 0
    assert "voila" in capsys.readouterr().out


def test_open_outside_a_course_says_where_to_run_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("KENALI_COURSE", str(tmp_path))
    assert cli.main(["open", "--dry-run"]) == 2
    err = capsys.readouterr().err
    assert "00_mulai.ipynb not found" in err and "Traceback" not in err


def test_running_as_root_follows_the_effective_user(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "geteuid", lambda: 0, raising=False)
    assert launch.running_as_root()
    monkeypatch.setattr(os, "geteuid", lambda: 1000, raising=False)
    assert not launch.running_as_root()


# -- the server extension ------------------------------------------------------------------------


def _output(html: str | None, *, widget: bool = True) -> dict:
    data: dict = {"text/plain": "Latihan 1.2 · benar"}
    if widget:
        data[WIDGET] = {"version_major": 2, "version_minor": 0, "model_id": "abc"}
    if html is not None:
        data["text/html"] = html
    return {"output_type": "display_data", "data": data, "metadata": {}}


def _notebook(*outputs: dict) -> dict:
    return {"cells": [{"cell_type": "code", "source": "", "outputs": list(outputs), "metadata": {}}]}


def test_pre_save_drops_only_kenali_live_widgets() -> None:
    kenali_out = _output(f'<div class="{serverext.STATIC_MARK}">Latihan 1.2</div>')
    foreign = _output("<b>someone else's widget</b>")
    bare = _output(None)
    model = {"type": "notebook", "content": _notebook(kenali_out, foreign, bare)}
    serverext.pre_save(model)
    outs = model["content"]["cells"][0]["outputs"]
    assert WIDGET not in outs[0]["data"] and "text/html" in outs[0]["data"]  # the readable form stays
    assert WIDGET in outs[1]["data"]  # not ours: untouched
    assert WIDGET in outs[2]["data"]  # no static form: nothing would be left to show


def test_pre_save_ignores_other_files_and_odd_shapes() -> None:
    text = {"type": "file", "content": "x"}
    before = copy.deepcopy(text)
    serverext.pre_save(text)
    assert text == before
    for content in (None, {}, {"cells": "x"}, {"cells": [1, None, {"cell_type": "code", "outputs": [None, 3]}]}):
        serverext.pre_save({"type": "notebook", "content": content})  # no exception
    listed = _output([f'<div class="{serverext.STATIC_MARK}">', "</div>"])  # nbformat may split text in lines
    model = {"type": "notebook", "content": _notebook(listed)}
    serverext.pre_save(model)
    assert WIDGET not in model["content"]["cells"][0]["outputs"][0]["data"]


# -- the saved (static) form of kenali outputs -----------------------------------------------------


def _bundle(view) -> dict:
    bundle = view._repr_mimebundle_()
    return bundle[0] if isinstance(bundle, tuple) else bundle


def test_every_kenali_output_has_a_static_form(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from kenali import api, session

    monkeypatch.setenv("KENALI_HOME", str(tmp_path))
    session.reset()
    api.mulai("01")
    views = [api.tampilkan("1.8"), api.petunjuk("1.8"), api.solusi("1.8"), api.kemajuan(), api.identitas(),
             api.serahkan(), api.tampilkan("no-such-exercise")]
    for view in views:
        data = _bundle(view)
        assert WIDGET in data, type(view)
        assert serverext.STATIC_MARK in data["text/html"], type(view)
        assert data["text/plain"], type(view)


def test_static_form_follows_each_check(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from kenali import api, session

    monkeypatch.setenv("KENALI_HOME", str(tmp_path))
    session.reset()
    view = api.tampilkan("1.8")
    assert t("status.unanswered") in _bundle(view)["text/html"]
    sent: list[dict] = []

    class Handle:
        def update(self, obj: dict, raw: bool = False) -> None:
            assert raw
            sent.append(obj)

    view._displays.append(Handle())
    wrong = next(k for k in view.ex.choices if k != view.ex.key)
    view.input.set(wrong)
    view.check()
    assert sent and t("status.wrong") in sent[-1]["text/html"] and WIDGET in sent[-1]
    view.input.set(view.ex.key)
    view.check()
    assert t("status.correct") in sent[-1]["text/html"]
    assert t("static.resume") in sent[-1]["text/html"]


def test_hand_in_button_offers_a_download(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import shutil

    from kenali import api, learner, session

    course = tmp_path / "course"
    for part in ("notebooks", "exercises"):
        shutil.copytree(ROOT / part, course / part)
    monkeypatch.setenv("KENALI_COURSE", str(course))
    monkeypatch.setenv("KENALI_HOME", str(tmp_path / "home"))
    learner.save(tmp_path / "home", learner.Learner("Sari", "sari-7"))
    session.reset()
    box = api.serahkan()
    box.make()
    html = box.message.value
    assert str(course) not in html, "a server path the learner may not be able to reach"
    match = re.search(r'download="([^"]+)" href="data:application/zip;base64,([^"]+)"', html)
    assert match, html
    assert match.group(1) == "sari-7-kenali.zip"
    data = base64.b64decode(match.group(2))
    assert data == (course / "sari-7-kenali.zip").read_bytes()
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert "manifest.json" in archive.namelist()


# -- the real command, as the README runs it (no browser) ------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _get(url: str) -> tuple[int, bytes]:
    """Status and body; 0 while nothing listens yet."""
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, b""
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return 0, b""


def test_kenali_open_serves_the_course_and_strips_live_widgets_on_save(tmp_path: Path) -> None:
    import shutil

    course = tmp_path / "course"
    for part in ("notebooks", "exercises"):
        shutil.copytree(ROOT / part, course / part)
    for name in ("kenali/__init__.py", "tests/t.py", "pyproject.toml"):
        (course / name).parent.mkdir(parents=True, exist_ok=True)
        (course / name).write_text("#\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("KENALI_")}
    env.update(JUPYTER_CONFIG_DIR=str(tmp_path / "cfg"), JUPYTER_DATA_DIR=str(tmp_path / "data"),
               JUPYTER_RUNTIME_DIR=str(tmp_path / "rt"))
    port, token = _free_port(), "t0ken"
    process = subprocess.Popen(
        [sys.executable, "-m", "kenali", "open", "--no-browser", "--port", str(port), "--ServerApp.ip=127.0.0.1",
         "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}"],
        cwd=course, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while _get(f"{base}/api/status?token={token}")[0] != 200:
            assert process.poll() is None, "kenali open exited (as root it must allow root itself)"
            assert time.monotonic() < deadline, "kenali open did not answer"
            time.sleep(0.3)
        _status, body = _get(f"{base}/api/contents?token={token}")
        names = {item["name"] for item in json.loads(body)["content"]}
        assert {"notebooks", "exercises"} <= names and not {"kenali", "tests", "pyproject.toml"} & names
        # a save through the contents API: the server extension keeps only the readable form
        nb = {"cells": [{"cell_type": "code", "source": "tampilkan('1.2')", "metadata": {}, "execution_count": 1,
                         "outputs": [_output(f'<div class="{serverext.STATIC_MARK}">x</div>')]}],
              "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
        request = urllib.request.Request(
            f"{base}/api/contents/exercises/saved.ipynb?token={token}", method="PUT",
            data=json.dumps({"type": "notebook", "format": "json", "content": nb}).encode(),
            headers={"Content-Type": "application/json"},
        )
        urllib.request.urlopen(request, timeout=10).close()
        saved = json.loads((course / "exercises" / "saved.ipynb").read_text(encoding="utf-8"))
        data = saved["cells"][0]["outputs"][0]["data"]
        assert WIDGET not in data and serverext.STATIC_MARK in "".join(data["text/html"])
        # `kenali open` is the server itself (exec), so stopping it stops the server: nothing is left behind
        process.terminate()
        process.wait(timeout=30)
        assert _get(f"{base}/api/status?token={token}")[0] == 0, "the server outlived kenali open"
    finally:
        if process.poll() is None:
            os.killpg(process.pid, 9)


# -- a solution cell run alone never records the key ------------------------------------------------------


def test_a_solution_code_cell_run_alone_records_nothing(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """``cek("5.1", ...)`` from solutions/ in a fresh kernel: the key is checked, nothing lands in .kenali/."""
    import shutil

    from kenali import api, session
    from kenali.store import Store

    course = tmp_path / "course"
    for part in ("notebooks", "exercises", "solutions", "data"):
        shutil.copytree(ROOT / part, course / part)
    monkeypatch.setenv("KENALI_COURSE", str(course))
    monkeypatch.setenv("KENALI_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("JPY_SESSION_NAME", raising=False)
    ex = next(e for b in api.session_mod.current().course.banks for e in b.graded if e.is_code)
    for folder, recorded in (("solutions", 0), ("exercises", 1)):
        monkeypatch.chdir(course / folder)
        session.reset()
        api.cek(ex.id, 1)
        assert len(Store(tmp_path / "home").attempts(ex.id)) == recorded, folder
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("JPY_SESSION_NAME", str(course / "solutions" / "05_lab_data.ipynb"))
    session.reset()
    assert session.current().mode == "solusi"
    session.reset()
