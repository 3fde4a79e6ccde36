"""The ``class`` extra's JupyterHub floor must hold what deploy/jupyterhub_config.py uses."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]


def _floor(requirements: list[str], name: str) -> Version:
    for req in requirements:
        m = re.fullmatch(rf"{name}\s*>=\s*([\w.]+)", req.strip())
        if m:
            return Version(m.group(1))
    raise AssertionError(f"no {name}>= in {requirements}")


def test_the_hub_floor_has_the_shared_password_authenticator():
    """A hub of the extra's lowest allowed version must know the authenticator the configuration names
    ("shared-password"); JupyterHub states the version that added it in the class's docstring."""
    shared = pytest.importorskip("jupyterhub.authenticators.shared")
    assert '"shared-password"' in (ROOT / "deploy" / "jupyterhub_config.py").read_text(encoding="utf-8")
    added = re.search(r"versionadded::\s*([\d.]+)", shared.SharedPasswordAuthenticator.__doc__ or "")
    assert added, "JupyterHub no longer says when SharedPasswordAuthenticator was added"
    extra = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["optional-dependencies"]
    assert _floor(extra["class"], "jupyterhub") >= Version(added.group(1))


def test_the_learners_image_keeps_the_hubs_major_version():
    """deploy/Dockerfile (the learners' image) must not take a newer JupyterHub major than the hub image runs:
    its pip install names a jupyterhub requirement with an upper bound, at least the class extra's floor."""
    from packaging.requirements import Requirement

    text = (ROOT / "deploy" / "Dockerfile").read_text(encoding="utf-8")
    arg = re.search(r'^ARG JUPYTERHUB="([^"]+)"', text, re.M)
    assert arg, "no ARG JUPYTERHUB in deploy/Dockerfile"
    install = next(line for line in text.splitlines() if "pip install" in line)
    assert '"${JUPYTERHUB}"' in install, install
    spec = Requirement(arg.group(1)).specifier
    assert any(s.operator in {"<", "==", "~="} for s in spec), spec
    assert Version("5.3") in spec and Version("6.0") not in spec
