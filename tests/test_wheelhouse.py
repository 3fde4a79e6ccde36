"""The offline wheelhouse's dependency walk (deploy/offline/make_wheelhouse.py): it follows the target's
environment markers, not the building machine's, so a Windows-only dependency is found missing on Linux."""

from __future__ import annotations

import importlib.util
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wh():
    spec = importlib.util.spec_from_file_location("make_wheelhouse", ROOT / "deploy" / "offline" / "make_wheelhouse.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    yield module
    sys.modules.pop(spec.name, None)


def _wheel(folder: Path, name: str, version: str, tag: str = "py3-none-any", requires: tuple[str, ...] = ()) -> None:
    dist = f"{name}-{version}"
    meta = "Metadata-Version: 2.1\nName: {}\nVersion: {}\n{}\n".format(
        name, version, "".join(f"Requires-Dist: {r}\n" for r in requires))
    with zipfile.ZipFile(folder / f"{dist}-{tag}.whl", "w") as zf:
        zf.writestr(f"{dist}.dist-info/METADATA", meta)


@pytest.fixture
def folder(tmp_path):
    _wheel(tmp_path, "kenali", "0.1.0", requires=(
        "jupyter_server>=2", "appnope; platform_system == 'Darwin'", "pytest>=8; extra == 'test'",
        "psycopg[binary]>=3.1; extra == 'class'"))
    _wheel(tmp_path, "jupyter_server", "2.5", requires=("pywinpty>=2.0.1; os_name == 'nt'", "numpy>=2"))
    _wheel(tmp_path, "numpy", "2.1.0", "cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64")
    _wheel(tmp_path, "numpy", "2.1.0", "cp312-cp312-win_amd64")
    _wheel(tmp_path, "numpy", "2.1.0", "cp311-cp311-win_amd64")
    _wheel(tmp_path, "psycopg", "3.2", requires=("psycopg-binary==3.2; extra == 'binary'",))
    return tmp_path


def test_linux_is_complete_and_windows_lacks_its_own_dependency(wh, folder):
    assert wh.missing(folder, ["kenali"], wh.TARGETS["linux"], "3.12") == []
    assert wh.missing(folder, ["kenali"], wh.TARGETS["windows"], "3.12") == ["pywinpty>=2.0.1"]
    assert wh.missing(folder, ["kenali"], wh.TARGETS["macos-arm"], "3.12") == ["appnope", "numpy>=2"]


def test_binary_wheels_count_only_for_their_python_and_platform(wh, folder):
    assert "numpy>=2" in wh.missing(folder, ["kenali"], wh.TARGETS["linux"], "3.13")
    (folder / "numpy-2.1.0-cp311-cp311-win_amd64.whl").unlink()
    assert "numpy>=2" in wh.missing(folder, ["kenali"], wh.TARGETS["windows"], "3.11")


def test_extras_are_followed_only_when_asked_for(wh, folder):
    assert wh.missing(folder, ["kenali[class]"], wh.TARGETS["linux"], "3.12") == ["psycopg-binary==3.2"]
    _wheel(folder, "psycopg_binary", "3.2", "cp312-cp312-manylinux_2_28_x86_64")
    assert wh.missing(folder, ["kenali[class]"], wh.TARGETS["linux"], "3.12") == []


def test_a_wheel_too_old_for_the_specifier_is_missing(wh, folder):
    assert wh.missing(folder, ["kenali", "jupyter_server>=3"], wh.TARGETS["linux"], "3.12") == ["jupyter_server>=3"]


def test_macos_tags_expand_to_older_and_universal2_wheels(wh):
    tags = wh.TARGETS["macos-arm"].platform_tags()
    assert "macosx_11_0_arm64" in tags and "macosx_10_9_universal2" in tags and "macosx_13_0_arm64" not in tags
