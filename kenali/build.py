"""Build the course's generated files from its one source of truth, the exercise banks.

* ``exercises/NN_slug.ipynb`` and ``solutions/NN_slug.ipynb`` are both generated from
  ``banks/NN_slug.yaml`` (the solution notebook passes each key to its widget; the exercise
  notebook does not), then executed so that they carry their expected outputs: every exercise
  "belum dijawab" in the one, every exercise "benar" in the other. nbval compares those outputs.
* Lesson notebooks are authored by hand; ``--lessons`` executes them and stores their outputs.
* ``docs/syllabus.md`` is generated from the syllabus files and the banks; the course map in
  ``notebooks/00_mulai.ipynb`` from the lessons and banks (links relative to ``notebooks/``).

Every generated code cell runs alone in a fresh kernel (after a restart, or when a learner starts
in the middle): it imports the kenali call it makes, and a code answer cell first loads the tables
its exercise uses.

Notebooks are executed with a throw-away ``KENALI_HOME``, so a build never touches a learner's
progress. Widget views are stripped from stored outputs (their models would be missing when the
notebook is opened); the one-line ``text/plain`` status stays.
"""

from __future__ import annotations

import ast
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


def _setup_statements(setup: str) -> list[tuple[str, set[str], set[str]]]:
    """Each top-level statement of a bank's setup code: (source, names it binds, names it uses)."""
    tree = ast.parse(setup)
    out = []
    for node in tree.body:
        binds: set[str] = set()
        if isinstance(node, ast.Import | ast.ImportFrom):
            binds = {(a.asname or a.name).split(".")[0] for a in node.names}
        else:
            for target in ast.walk(node):
                if isinstance(target, ast.Name) and isinstance(target.ctx, ast.Store):
                    binds.add(target.id)
        uses = {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
        out.append((ast.get_source_segment(setup, node) or "", binds, uses))
    return out


def _names_used(*sources: str | None) -> set[str]:
    names: set[str] = set()
    for source in sources:
        if source:
            names |= {n.id for n in ast.walk(ast.parse(source)) if isinstance(n, ast.Name)}
    return names


def code_preamble(ex: Exercise, setup: str | None) -> str:
    """The lines that make a code answer cell run alone in a fresh kernel (after a restart, say).

    The imports and the tables of the bank's setup that the exercise's starter or solution uses,
    with ``cek`` added to the ``from kenali import`` line: ``import pandas as pd``,
    ``from kenali import cek, muat``, ``pesanan = muat("pesanan")``.
    """
    statements = _setup_statements(setup) if setup else []
    wanted = _names_used(ex.starter, ex.solution)
    chosen: list[int] = []
    for _ in range(len(statements) + 1):  # pull in what the chosen statements use (muat, pd), to a fixed point
        for i, (_src, binds, uses) in enumerate(statements):
            if i not in chosen and binds & wanted:
                chosen.append(i)
                wanted |= uses
    kenali_names = ["cek"]
    imports, assignments = [], []
    for i in sorted(chosen):
        src, binds, _uses = statements[i]
        if src.startswith("from kenali import"):
            kenali_names += sorted(binds - {"cek"})
        elif src.startswith(("import ", "from ")):
            imports.append(src)
        else:
            assignments.append(src)
    lines = [*imports, f"from kenali import {', '.join(kenali_names)}"]
    if assignments:
        lines += ["", *assignments]
    return "\n".join(lines)


def _exercise_cells(ex: Exercise, solved: bool, setup: str | None = None) -> list:
    """An exercise's Markdown and its code cell; the code cell imports what it calls, so it runs alone."""
    key = ex.id.replace(".", "-")
    cells = [_md(f"ex-{key}-md", exercise_markdown(ex))]
    if ex.is_code:
        body = (ex.solution if solved else ex.starter).strip()
        check = f"cek({ex.id!r}, {ex.variable})".replace("'", '"')
        cells.append(_code(f"ex-{key}", f"{code_preamble(ex, setup)}\n\n{body}\n{check}"))
    elif solved:
        call = f'tampilkan("{ex.id}", jawab={_literal(ex.correct_answer())})'
        cells.append(_code(f"ex-{key}", f"from kenali.mode_solusi import tampilkan\n\n{call}"))
    else:
        cells.append(_code(f"ex-{key}", f'from kenali import tampilkan\n\ntampilkan("{ex.id}")'))
    return cells


def build_notebook(bank: Bank, solved: bool) -> nbformat.NotebookNode:
    """The exercise (``solved=False``) or solution (``solved=True``) notebook of a bank, without outputs.

    Every code cell runs alone in a fresh kernel: each imports the kenali call it makes (solution
    notebooks from :mod:`kenali.mode_solusi`, so nothing is recorded for the learner), and each code
    answer cell loads the tables it uses.
    """
    kind = "solutions" if solved else "exercises"
    has_code = any(ex.is_code for ex in bank.graded)
    title = bank.title + (t("notebook.solution_suffix") if solved else "")
    intro = [f"# {title}", t("notebook.time_line", minutes=bank.minutes, n=len(bank.graded))]
    if solved:
        intro.append(t("notebook.solution_note"))
    if bank.intro:
        intro.append(bank.intro)
    intro.append(t("notebook.how_to") + (" " + t("notebook.how_to_code") if has_code else ""))
    intro.append(t("notebook.lesson_link", lesson=f"../notebooks/{bank.notebook}.ipynb"))
    module = "kenali.mode_solusi" if solved else "kenali"
    cells = [
        _md("intro", "\n\n".join(intro)),
        _code("start", f'from {module} import mulai\n\nmulai("{bank.lesson}")'),
    ]
    if bank.setup:
        cells.append(_md("setup-md", t("notebook.setup_lead")))
        cells.append(_code("setup", bank.setup))
    section = None
    for ex in bank.graded:
        if ex.section and ex.section != section:
            section = ex.section
            cells.append(_md(f"section-{ex.id.replace('.', '-')}", f"## {section}"))
        cells.extend(_exercise_cells(ex, solved, bank.setup))
    cells.append(_md("summary-md", t("notebook.summary")))
    cells.append(_code("summary", f'from {module} import ringkasan\n\nringkasan("{bank.lesson}")'))
    links = {
        "map": "../notebooks/00_mulai.ipynb",
        "exercises": f"../exercises/{bank.notebook}.ipynb",
        "solutions": f"../solutions/{bank.notebook}.ipynb",
    }
    cells.append(_md("next", t("notebook.next_solved" if solved else "notebook.next", **links)))
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
    from .serverext import drop_live_widgets

    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.metadata.pop("execution", None)
    drop_live_widgets(nb, only_kenali=False)  # the same mechanism as the server's pre-save hook
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


#: Notebooks committed without outputs: what they print is about the learner's machine (the setup check's folder
#: paths, versions, free disk), so a stored output would be this machine's and differ on every other one.
MACHINE_NOTEBOOKS = frozenset({"cek_persiapan.ipynb"})


def build_lessons(root: Path | None = None, only: Iterable[str] | None = None, log=print) -> list[Path]:
    """Execute the hand-written lesson notebooks in place and store their outputs (all but
    :data:`MACHINE_NOTEBOOKS`, whose output describes the machine they run on)."""
    root = root or course_root()
    written = []
    for path in sorted((root / "notebooks").glob("*.ipynb")):
        if only and not any(path.name.startswith(o) for o in only):
            continue
        if path.name in MACHINE_NOTEBOOKS:
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


def _lesson_list(lessons: list[str]) -> str:
    """ "01 sampai 04", "01 dan 03", "05": lesson numbers as a learner reads them."""
    numbers = [int(x) for x in lessons]
    if len(lessons) > 2 and numbers == list(range(numbers[0], numbers[0] + len(numbers))):
        return t("notebook.map_range", first=lessons[0], last=lessons[-1])
    if len(lessons) > 1:
        return t("notebook.map_and", first=", ".join(lessons[:-1]), last=lessons[-1])
    return lessons[0] if lessons else ""


def course_map_markdown(course: Course, root: Path) -> str:
    """The course map: every lesson, exercise and solution notebook, linked relative to ``notebooks/``,
    with estimated times, and which lessons need code (pandas) and which need none."""
    banks = {b.lesson: b for b in course.banks}
    rows = [t("notebook.map_title"), "", t("notebook.map_header"), "|---|---|---|---|---|---|"]
    total = 0
    with_code, without_code = [], []
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
            solution = f"[{t('notebook.map_solutions')}](../solutions/{bank.notebook}.ipynb)"
            (with_code if any(e.is_code for e in bank.graded) else without_code).append(lesson)
        else:
            ex, ex_time, solution = "—", "", "—"
        lesson_time = t("notebook.map_minutes", minutes=minutes)
        rows.append(f"| {lesson} | [{title}]({path.name}) | {lesson_time} | {ex} | {ex_time} | {solution} |")
    hours, mins = divmod(total, 60)
    rows += ["", t("notebook.map_total", hours=hours, minutes=mins)]
    if without_code:
        rows += ["", t("notebook.map_no_code", lessons=_lesson_list(without_code))]
    if with_code:
        rows += ["", t("notebook.map_code", lessons=_lesson_list(with_code))]
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
