"""Build the course's generated files from its one source of truth, the exercise banks.

* ``exercises/NN_slug.ipynb`` and ``solutions/NN_slug.ipynb`` are both generated from
  ``banks/NN_slug.yaml`` (the solution notebook passes each key to its widget; the exercise
  notebook does not), then executed so that they carry their expected outputs: every exercise
  "belum dijawab" in the one, every exercise "benar" in the other. nbval compares those outputs.
* Lesson notebooks are authored by hand; ``--lessons`` executes them and stores their outputs.
* ``docs/syllabus.md`` is generated from the syllabus files and the banks.

Notebooks are executed with a throw-away ``KENALI_HOME``, so a build never touches a learner's
progress. Widget views are stripped from stored outputs (their models would be missing when the
notebook is opened); the one-line ``text/plain`` status stays.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from .bank import Bank, Course, load_course
from .i18n import t
from .model import Exercise
from .paths import course_root

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
def _cell_id(*parts: str) -> str:
    raw = "-".join(parts)
    return "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in raw)[:64]


def _md(cell_id: str, text: str):
    cell = new_markdown_cell(text.strip())
    cell.id = _cell_id(cell_id)
    return cell


def _code(cell_id: str, source: str, **metadata: Any):
    cell = new_code_cell(source.strip())
    cell.id = _cell_id(cell_id)
    cell.metadata.update(metadata)
    return cell


def _literal(value: Any) -> str:
    """A Python literal for a key, formatted for reading (dicts one entry per line)."""
    if isinstance(value, dict):
        inner = "".join(
            f"\n    {json.dumps(k, ensure_ascii=False)}: {json.dumps(v, ensure_ascii=False)}," for k, v in value.items()
        )
        return "{" + inner + "\n}"
    if isinstance(value, float) and value.is_integer():
        return repr(int(value))
    return json.dumps(value, ensure_ascii=False) if not isinstance(value, float) else repr(value)


def exercise_markdown(ex: Exercise) -> str:
    head = f"### {ex.kind_label} {ex.id} · {ex.title}"
    if ex.uses_variants():
        return f"{head}\n\n{t('notebook.variant_lead')}"
    return f"{head}\n\n{ex.scenario}" if ex.scenario else head


def _exercise_cells(ex: Exercise, solved: bool) -> list:
    key = ex.id.replace(".", "-")
    cells = [_md(f"ex-{key}-md", exercise_markdown(ex))]
    if ex.is_code:
        body = ex.solution if solved else ex.starter
        cells.append(_code(f"ex-{key}", f"{body.strip()}\ncek({ex.id!r}, {ex.variable})".replace("'", '"')))
    elif solved:
        cells.append(_code(f"ex-{key}", f'tampilkan("{ex.id}", jawab={_literal(ex.correct_answer())})'))
    else:
        cells.append(_code(f"ex-{key}", f'tampilkan("{ex.id}")'))
    return cells


def build_notebook(bank: Bank, solved: bool) -> nbformat.NotebookNode:
    """The exercise (``solved=False``) or solution (``solved=True``) notebook of a bank, without outputs."""
    kind = "solutions" if solved else "exercises"
    has_code = any(ex.is_code for ex in bank.graded)
    title = bank.title + (t("notebook.solution_suffix") if solved else "")
    intro = [f"# {title}", t("notebook.time_line", minutes=bank.minutes, n=len(bank.graded))]
    if solved:
        intro.append(t("notebook.solution_note"))
    if bank.intro:
        intro.append(bank.intro)
    intro.append(t("notebook.how_to") + (" " + t("notebook.how_to_code") if has_code else ""))
    names = ["mulai", "tampilkan", *(["cek"] if has_code else []), *(["muat"] if bank.setup else []), "ringkasan"]
    start = f'mulai("{bank.lesson}", mode="solusi")' if solved else f'mulai("{bank.lesson}")'
    cells = [
        _md("intro", "\n\n".join(intro)),
        _code("start", f"from kenali import {', '.join(names)}\n\n{start}"),
    ]
    if bank.setup:
        cells.append(_md("setup-md", t("notebook.setup_lead")))
        cells.append(_code("setup", bank.setup))
    section = None
    for ex in bank.graded:
        if ex.section and ex.section != section:
            section = ex.section
            cells.append(_md(f"section-{ex.id.replace('.', '-')}", f"## {section}"))
        cells.extend(_exercise_cells(ex, solved))
    cells.append(_md("summary-md", t("notebook.summary")))
    cells.append(_code("summary", "ringkasan()"))
    nb = new_notebook(cells=cells)
    nb.metadata.update(
        {
            "kernelspec": KERNELSPEC,
            "language_info": {"name": "python"},
            "kenali": {"lesson": bank.lesson, "kind": kind, "minutes": bank.minutes, "bank": bank.path.name},
        }
    )
    return nb


# -- execution ----------------------------------------------------------------------------------


def strip_widget_views(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Keep only the text/plain status of widget outputs, and drop volatile execution metadata."""
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        cell.metadata.pop("execution", None)
        for out in cell.get("outputs", []):
            data = out.get("data")
            if data and WIDGET_VIEW in data:
                data.pop(WIDGET_VIEW)
            out.get("metadata", {}).pop(WIDGET_VIEW, None)
    nb.metadata.pop("widgets", None)
    return nb


def execute(nb: nbformat.NotebookNode, cwd: Path, timeout: int = 300) -> nbformat.NotebookNode:
    """Run a notebook in a fresh kernel with a throw-away progress folder."""
    from nbclient import NotebookClient

    with tempfile.TemporaryDirectory(prefix="kenali-build-") as home:
        old = os.environ.get("KENALI_HOME")
        os.environ["KENALI_HOME"] = home
        try:
            NotebookClient(
                nb, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": str(cwd)}}
            ).execute()
        finally:
            if old is None:
                os.environ.pop("KENALI_HOME", None)
            else:
                os.environ["KENALI_HOME"] = old
    return strip_widget_views(nb)


def write(nb: nbformat.NotebookNode, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.validate(nb)
    text = nbformat.writes(nb)
    path.write_text(text if text.endswith("\n") else text + "\n", encoding="utf-8")


def sources(nb: nbformat.NotebookNode) -> list[tuple[str, str, str]]:
    """What the drift check compares: each cell's id, type and source."""
    return [(c.get("id", ""), c.cell_type, c.source) for c in nb.cells]


def generated_paths(bank: Bank, root: Path) -> dict[str, Path]:
    return {kind: root / kind / f"{bank.notebook}.ipynb" for kind in ("exercises", "solutions")}


def build_banks(
    course: Course | None = None,
    root: Path | None = None,
    *,
    run: bool = True,
    only: Iterable[str] | None = None,
    log=print,
) -> list[Path]:
    """Write every bank's exercise and solution notebook (executed, with outputs, unless ``run=False``)."""
    course = course or load_course()
    root = root or course_root()
    written = []
    wanted = set(only) if only else None
    for bank in course.banks:
        if wanted and bank.lesson not in wanted and bank.notebook not in wanted:
            continue
        for kind, path in generated_paths(bank, root).items():
            nb = build_notebook(bank, solved=kind == "solutions")
            if run:
                log(f"executing {path.relative_to(root)}")
                nb = execute(nb, path.parent)
            write(nb, path)
            written.append(path)
    return written


def build_lessons(root: Path | None = None, only: Iterable[str] | None = None, log=print) -> list[Path]:
    """Execute the hand-written lesson notebooks in place and store their outputs."""
    root = root or course_root()
    written = []
    for path in sorted((root / "notebooks").glob("*.ipynb")):
        if only and not any(path.name.startswith(o) for o in only):
            continue
        log(f"executing {path.relative_to(root)}")
        nb = nbformat.read(path, as_version=4)
        nb = execute(nb, path.parent)
        write(nb, path)
        written.append(path)
    return written


def drift(course: Course | None = None, root: Path | None = None) -> list[str]:
    """Generated notebooks whose committed sources differ from what the banks produce."""
    course = course or load_course()
    root = root or course_root()
    problems = []
    for bank in course.banks:
        for kind, path in generated_paths(bank, root).items():
            if not path.exists():
                problems.append(f"{path.relative_to(root)} is missing (run `kenali build`)")
                continue
            committed = nbformat.read(path, as_version=4)
            built = build_notebook(bank, solved=kind == "solutions")
            if sources(committed) != sources(built) or committed.metadata.get("kenali") != built.metadata.get("kenali"):
                problems.append(f"{path.relative_to(root)} differs from {bank.path.name} (run `kenali build`)")
    return problems


# -- course map in the start notebook ------------------------------------------------------------

START_NOTEBOOK = "00_mulai.ipynb"
MAP_CELL_ID = "course-map"


def _lesson_info(path: Path) -> tuple[str, int]:
    nb = nbformat.read(path, as_version=4)
    title = next(
        (
            line.lstrip("# ").strip()
            for c in nb.cells
            if c.cell_type == "markdown"
            for line in c.source.splitlines()
            if line.startswith("# ")
        ),
        path.stem,
    )
    return title, int(nb.metadata.get("kenali", {}).get("minutes", 0))


def course_map_markdown(course: Course, root: Path) -> str:
    """The course map: every lesson and exercise notebook, linked, with estimated times."""
    banks = {b.lesson: b for b in course.banks}
    rows = [t("notebook.map_title"), "", t("notebook.map_header"), "|---|---|---|---|---|"]
    total = 0
    for path in sorted((root / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        if path.name == START_NOTEBOOK:
            continue
        lesson = path.name[:2]
        title, minutes = _lesson_info(path)
        total += minutes
        bank = banks.get(lesson)
        if bank:
            total += bank.minutes
            ex = f"[{t('notebook.map_exercises', n=len(bank.graded))}](../exercises/{bank.notebook}.ipynb)"
            ex_time = t("notebook.map_minutes", minutes=bank.minutes)
        else:
            ex, ex_time = "—", ""
        lesson_time = t("notebook.map_minutes", minutes=minutes)
        rows.append(f"| {lesson} | [{title}]({path.name}) | {lesson_time} | {ex} | {ex_time} |")
    hours, mins = divmod(total, 60)
    rows += [
        "",
        t("notebook.map_total", hours=hours, minutes=mins),
    ]
    return "\n".join(rows)


def update_course_map(course: Course | None = None, root: Path | None = None, *, write_file: bool = True) -> bool:
    """Regenerate the course-map cell of the start notebook; returns whether it changed."""
    course = course or load_course()
    root = root or course_root()
    path = root / "notebooks" / START_NOTEBOOK
    nb = nbformat.read(path, as_version=4)
    cell = next(c for c in nb.cells if c.get("id") == MAP_CELL_ID)
    fresh = course_map_markdown(course, root)
    changed = cell.source != fresh
    if changed and write_file:
        cell.source = fresh
        write(nb, path)
    return changed


# -- syllabus map -------------------------------------------------------------------------------


def syllabus_markdown(course: Course | None = None) -> str:
    course = course or load_course()
    by_concept: dict[str, list[str]] = {c.id: [] for c in course.concepts}
    for ex in course.exercises(graded_only=True):
        for cid in ex.concepts:
            by_concept.setdefault(cid, []).append(ex.id)
    notebooks = {b.lesson: b.notebook for b in course.banks}
    lines = [
        "# Syllabus map",
        "",
        "Generated by `kenali build` from `kenali/content/id/syllabus/*.yaml` and the exercise banks; do not edit.",
        "Every concept the four source articles teach, with a stable ID, the lesson section that teaches it,",
        "and the graded exercises that practise it. The pandas data lab (lesson 05) practises concepts of all four.",
        "",
    ]
    for lesson, title in sorted(course.lesson_titles.items()):
        nb = notebooks.get(lesson, "")
        lines += [
            f"## {lesson} · {title}",
            "",
            f"Lesson: `notebooks/{nb}.ipynb` · exercises: `exercises/{nb}.ipynb`",
            "",
            "| Concept ID | Concept | Section | Exercises |",
            "|---|---|---|---|",
        ]
        for c in course.concepts:
            if c.lesson == lesson:
                exercises = ", ".join(by_concept.get(c.id, [])) or "**none**"
                lines.append(f"| `{c.id}` | {c.title} | {c.section} | {exercises} |")
        lines.append("")
    counts: dict[str, int] = {}
    for ex in course.exercises(graded_only=True):
        counts[ex.type] = counts.get(ex.type, 0) + 1
    lines += [
        "## Totals",
        "",
        f"- Concepts: {len(course.concepts)}",
        f"- Graded exercises: {sum(counts.values())} ("
        + ", ".join(f"{k}: {v}" for k, v in sorted(counts.items()))
        + ")",
        "",
    ]
    return "\n".join(lines)
