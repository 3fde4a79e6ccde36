"""Every learner-facing engine string comes from the message catalogue, so an English edition
needs only a sibling content folder."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import yaml

from kenali import i18n

PACKAGE = Path(i18n.__file__).resolve().parent


def _keys(node, prefix=""):
    for k, v in node.items():
        if isinstance(v, dict):
            yield from _keys(v, f"{prefix}{k}.")
        else:
            yield f"{prefix}{k}"


def test_every_key_the_engine_uses_exists():
    catalogue = set(_keys(yaml.safe_load((PACKAGE / "content" / "id" / "messages.yaml").read_text(encoding="utf-8"))))
    used = set()
    for path in PACKAGE.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        used |= set(re.findall(r"""\b(?:t|msg)\(\s*["']([a-z_]+(?:\.[a-z_]+)+)["']""", text))  # msg(): a result's code
    assert used, "the scan found no t() calls"
    assert used - catalogue == set()


def _mark(node):
    if isinstance(node, dict):
        return {k: _mark(v) for k, v in node.items()}
    return f"EN[{node}]" if isinstance(node, str) else node


def test_an_english_edition_changes_text_without_code(tmp_path, monkeypatch, fixture_course):
    root = tmp_path / "content"
    shutil.copytree(PACKAGE / "content" / "id", root / "en")
    messages = yaml.safe_load((root / "en" / "messages.yaml").read_text(encoding="utf-8"))
    (root / "en" / "messages.yaml").write_text(yaml.safe_dump(_mark(messages), allow_unicode=True), encoding="utf-8")
    monkeypatch.setattr(i18n, "CONTENT_ROOT", root)
    monkeypatch.setenv("KENALI_LANG", "en")
    i18n._catalogue.cache_clear()
    try:
        from kenali.session import Session
        from kenali.store import MemoryStore
        from kenali.widgets import ExerciseView

        view = ExerciseView(fixture_course.exercise("9.3"), Session(course=fixture_course, store=MemoryStore()))
        assert view.check_button.description == "EN[Periksa]"
        view.input.dropdowns["ibu"].value = "konsumen"
        view.check()
        assert "EN[Sebagian benar" not in view.feedback.value  # 1 of 3 right is "partial"; marker wraps the sentence
        assert "EN[" in view.feedback.value and "EN[Petunjuk]" == view.hint_button.description
        assert repr(view).startswith("EN[")
    finally:
        i18n._catalogue.cache_clear()
