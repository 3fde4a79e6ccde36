"""``kenali assignment release``: what learners get for a class with graded assignments, without the keys.

The source is a course content folder: by default the installed course, or with ``--course`` the instructor's
own folder (a copy of the course content plus their private bank(s), e.g. ``banks/90_kuis.yaml``, never handed
out). Every exercise that an assignment of the instructor's policy file covers loses its key and everything
that reveals it (:data:`kenali.schema.SECRET_FIELDS`: the key, the feedback per wrong option, the items' keys,
reasons and feedback, the explanation, common mistakes, the solution code) and is marked with its assignment
(``assignment: <id>``, and the bank with ``keyless:``). The rest of the content (roles, syllabus, practice
exercises with their keys) is copied as it is, so the learner's kernel loads the copy exactly like the
package's content. A release folder ``OUT`` holds:

* ``OUT/<lang>/``: the content; the hub's spawner sets ``KENALI_CONTENT=OUT``;
* ``OUT/kebijakan.yaml``: a copy of the policy (it holds no keys): ``KENALI_POLICY`` of learners' kernels;
* ``OUT/tugas/<assignment id>.ipynb``: the notebook learners open, one per assignment, built like ``kenali
  build`` builds exercise notebooks (:mod:`kenali.build`: the story in Markdown, one short ``tampilkan("…")``
  call per exercise, ``cek(…)`` under the starter code of a code exercise); no keys, no solutions. The folder is
  a git repository (a commit per release, when git is installed), so nbgitpuller hands it to every learner on
  a hub with a link (:func:`assignment_link`) and a later release updates their copy, keeping their edits.

In class, the class server (``kenali serve --course <the same source> --policy <the policy>``) checks those
exercises with the keys only it holds. After writing, the copy is loaded with the course loader and checked
structurally: no keyless exercise may carry a key, a reason, feedback, an explanation, a mistake or solution
code, in the file or loaded, and the notebooks are built from that keyless copy.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import nbformat
import yaml

from ..bank import BankError, Course, _load_course
from ..i18n import content_dir, lang, t
from ..model import Exercise
from ..schema import ASSIGNMENT_FIELD, ITEM_SECRETS, KEYLESS_MARK, SECRET_FIELDS
from .policy import Assignment, Policy, PolicyFile, load_policy, policy_digest

MARKER = ".kenali-release"  # a released folder carries it; only such a folder is replaced by a new release
POLICY_COPY = "kebijakan.yaml"
NOTEBOOKS = "tugas"  # OUT/tugas/<assignment id>.ipynb, cloned by nbgitpuller into the learner's ~/tugas
BRANCH = "main"


class ReleaseError(ValueError):
    """The release cannot be written (a folder that is not an earlier release, a copy that keeps a key)."""


@dataclass
class Released:
    """What a release wrote."""

    out: Path
    content: Path  # out/<lang>: the folder KENALI_CONTENT points at, with the language below it
    keyless: dict[str, list[str]] = field(default_factory=dict)  # assignment id -> exercise ids
    source: Path | None = None  # the content folder released (with keys): the class server's --course
    notebooks: dict[str, Path] = field(default_factory=dict)  # assignment id -> out/tugas/<id>.ipynb
    repository: bool = False  # out/tugas is a git repository holding this release's notebooks


def source_content(course: Path | None, language: str) -> Path:
    """The content folder to release: ``course`` laid out like ``kenali/content/id`` (``banks/``, ``roles.yaml``,
    ``syllabus/``) or holding editions (``course/<lang>/banks``), like ``kenali serve --course``; default: the
    installed course."""
    if course is None:
        return content_dir(language)
    base = Path(course).expanduser().resolve()
    if not (base / "banks").is_dir() and (base / language / "banks").is_dir():
        base = base / language
    if not (base / "banks").is_dir():
        raise ReleaseError(f"{base} is not a course content folder: it has no banks/ folder (expected banks/, "
                           f"syllabus/ and roles.yaml like kenali/content/{language}, or {language}/banks/ below it)")
    return base


def _secrets(entry: Mapping[str, Any]) -> tuple[str, ...]:
    """The fields a keyless entry does not carry, by its type (an unknown type: the explanation alone)."""
    return SECRET_FIELDS.get(str(entry.get("type")), ("explanation",))


def keyless_entry(entry: Mapping[str, Any], assignment: str) -> dict[str, Any]:
    """A bank's exercise entry without its key and what reveals it, marked with its assignment."""
    hidden = set(_secrets(entry))
    out = {k: v for k, v in entry.items() if k not in hidden}
    for name in ("actors", "items"):
        if isinstance(out.get(name), list):
            out[name] = [{k: v for k, v in item.items() if k not in ITEM_SECRETS} if isinstance(item, Mapping)
                         else item for item in out[name]]
    out[ASSIGNMENT_FIELD] = assignment
    return out


def leaks(entry: Mapping[str, Any]) -> list[str]:
    """The secret fields a keyless entry still carries (``[]``: none)."""
    found = [k for k in _secrets(entry) if k in entry]
    for name in ("actors", "items"):
        for i, item in enumerate(entry.get(name) or []):
            if isinstance(item, Mapping):
                found += [f"{name}[{i}].{k}" for k in ITEM_SECRETS if k in item]
    return found


def _release_bank(raw: Any, pf: PolicyFile, digest: str, keyless: dict[str, list[str]]) -> Any:
    if not isinstance(raw, Mapping) or not isinstance(raw.get("exercises"), list):
        return raw
    lesson = str(raw.get("lesson", "")).zfill(2)
    entries = []
    for entry in raw["exercises"]:
        if isinstance(entry, Mapping) and entry.get("type") in SECRET_FIELDS and "id" in entry:
            assignment, _ = pf.for_exercise(str(entry["id"]), lesson)
            if assignment is not None:
                keyless.setdefault(assignment.id, []).append(str(entry["id"]))
                entry = keyless_entry(entry, assignment.id)
        entries.append(entry)
    if not any(isinstance(e, Mapping) and ASSIGNMENT_FIELD in e for e in entries):
        return raw
    return {**{k: v for k, v in raw.items() if k != "exercises"}, KEYLESS_MARK: {"policy": digest},
            "exercises": entries}


#: what a content folder holds that the loader reads; nothing else of the source is copied (an instructor's
#: folder may keep notes, a .git history or solution files next to the banks)
CONTENT_FILES = ("roles.yaml", "messages.yaml", "banks/*.yaml", "syllabus/*.yaml")


def _copy_content(source: Path, content: Path) -> None:
    for pattern in CONTENT_FILES:
        for path in sorted(source.glob(pattern)):
            target = content / path.relative_to(source)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)


def _load(content: Path) -> Course:
    _load_course.cache_clear()
    try:
        return _load_course(content.name, content)
    finally:
        _load_course.cache_clear()


def verify(content: Path) -> list[str]:
    """Every key that survives in a released content folder (``[]``: none), in the files and as loaded."""
    problems: list[str] = []
    for path in sorted((content / "banks").glob("*.yaml")):
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        for entry in (raw or {}).get("exercises") or []:
            if isinstance(entry, Mapping) and ASSIGNMENT_FIELD in entry:
                problems += [f"{path.name}, exercise {entry.get('id')}: {k}" for k in leaks(entry)]
    try:
        course = _load(content)
    except BankError as exc:
        return [*problems, f"the released copy does not load: {exc}"]
    for ex in course.exercises():
        if course.assignment_of(ex.id) is None:
            continue
        kept = [name for name, value in (("key", ex.key), ("feedback", ex.feedback), ("explanation", ex.explanation),
                                          ("mistakes", ex.mistakes), ("solution", ex.solution)) if value]
        kept += [f"items.{i.id}" for i in ex.items if i.key or i.why or i.feedback]
        problems += [f"exercise {ex.id} keeps {name}" for name in kept]
    return problems


# -- the learners' notebooks -------------------------------------------------------------------------


def _rules(policy: Policy) -> str:
    """The assignment's rules as the learner reads them (Indonesian, from messages.yaml)."""
    lines = [t("tugas.attempts", n=policy.attempts) if policy.attempts else t("tugas.attempts_unlimited"),
             t(f"tugas.credit_{policy.credit}")]
    if policy.show_parts != "always" or policy.show_explanation != "always" or not policy.show_distance:
        lines.append(t("tugas.feedback_limited"))
    if policy.deadline is not None:
        lines.append(t("tugas.deadline", when=policy.deadline.isoformat(timespec="minutes")))
    return "\n".join(f"* {line}" for line in lines)


def assignment_notebook(course: Course, assignment: Assignment, exercises: list[Exercise]) -> nbformat.NotebookNode:
    """The notebook of one assignment, built from the learners' (keyless) copy of the course, like the exercise
    notebooks of ``kenali build``: an introduction with the rules, then per bank its setup code (when it has
    one) and each exercise's story with its one-line widget call (or a code exercise's starter and ``cek``)."""
    from nbformat.v4 import new_notebook

    from ..build import KERNELSPEC, _code, _exercise_cells, _md

    lessons = sorted({ex.lesson for ex in exercises if ex.lesson})
    lesson = lessons[0] if len(lessons) == 1 else None
    has_code = any(ex.is_code for ex in exercises)
    intro = [f"# {assignment.title}", t("tugas.intro", n=len(exercises)), _rules(assignment.policy),
             t("tugas.how_to") + (" " + t("notebook.how_to_code") if has_code else "")]
    start = f'mulai("{lesson}")' if lesson else "mulai()"
    cells = [_md("intro", "\n\n".join(intro)), _code("start", f"from kenali import mulai\n\n{start}")]
    setups_done: set[str] = set()
    section = None
    for ex in exercises:
        bank = course.bank_of(ex.id)
        if bank.setup and bank.lesson not in setups_done and any(course.bank_of(e.id) is bank and e.is_code
                                                                  for e in exercises):
            setups_done.add(bank.lesson)
            cells.append(_md(f"setup-{bank.lesson}-md", t("notebook.setup_lead")))
            cells.append(_code(f"setup-{bank.lesson}", bank.setup))
        if ex.section and ex.section != section:
            section = ex.section
            cells.append(_md(f"section-{ex.id.replace('.', '-')}", f"## {section}"))
        cells.extend(_exercise_cells(ex, False, bank.setup))
    cells.append(_md("end", t("tugas.end")))
    nb = new_notebook(cells=cells)
    nb.metadata.update({"kernelspec": KERNELSPEC, "language_info": {"name": "python"},
                        "kenali": {"kind": "assignment", "assignment": assignment.id, "lessons": lessons}})
    nbformat.validate(nb)
    return nb


def _write_notebooks(out: Path, course: Course, pf: PolicyFile) -> dict[str, Path]:
    folder = out / NOTEBOOKS
    folder.mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}
    covered: dict[str, list[Exercise]] = {}
    for ex in course.exercises(graded_only=True):
        found, _ = pf.for_exercise(ex.id, ex.lesson)
        if found is not None:
            covered.setdefault(found.id, []).append(ex)
    for assignment in pf.assignments:
        exercises = covered.get(assignment.id, [])
        if not exercises:
            continue
        path = folder / f"{assignment.id}.ipynb"
        nbformat.write(assignment_notebook(course, assignment, exercises), str(path))
        written[assignment.id] = path
    for old in folder.glob("*.ipynb"):  # an assignment dropped from the policy: its notebook goes
        if old not in written.values():
            old.unlink()
    return written


def _git(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0"}
    return subprocess.run(["git", "-c", "user.name=kenali", "-c", "user.email=kenali@localhost",
                           "-c", f"init.defaultBranch={BRANCH}", *args], cwd=folder, env=env,
                          capture_output=True, text=True, check=True)


def _commit(folder: Path) -> bool:
    """Commit the notebooks in ``folder`` (a git repository, made on the first release); False without git."""
    if shutil.which("git") is None:
        return False
    try:
        if not (folder / ".git").exists():
            _git(folder, "init", "-q")
            _git(folder, "checkout", "-q", "-B", BRANCH)
        _git(folder, "add", "-A", ".")
        if _git(folder, "status", "--porcelain").stdout.strip():
            _git(folder, "commit", "-q", "-m", "kenali assignment release")
    except (OSError, subprocess.CalledProcessError) as exc:
        raise ReleaseError(f"{folder}: git could not commit the notebooks: "
                           f"{getattr(exc, 'stderr', '') or exc}".strip()) from None
    return True


def assignment_link(hub: str, release_dir: Path, assignment: str | None = None) -> str:
    """The nbgitpuller link that clones ``release_dir/tugas`` into the learner's ``~/tugas`` (or updates it) and
    opens the assignment's notebook (the folder when ``assignment`` is None). The release folder must be
    readable at the same path by the learners' servers (one machine; a volume mounted at that path)."""
    parts = urlsplit(hub)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        raise ReleaseError(f"the hub address must start with http:// or https://, got {hub!r}")
    base = hub.rstrip("/").removesuffix("/hub")
    target = f"lab/tree/{NOTEBOOKS}" + (f"/{assignment}.ipynb" if assignment else "")
    query = urlencode({"repo": (Path(release_dir).resolve() / NOTEBOOKS).as_uri(), "branch": BRANCH,
                       "targetpath": NOTEBOOKS, "urlpath": target})
    return f"{base}/hub/user-redirect/git-pull?{query}"


# -- the release -------------------------------------------------------------------------------------


def release(policy: Path, out: Path, language: str | None = None, course: Path | None = None) -> Released:
    """Write the learners' copy of the course content under ``out`` (see the module docstring)."""
    language = language or lang()
    source = source_content(course, language)
    try:
        full = _load(source)
    except BankError as exc:
        raise ReleaseError(f"the course in {source} does not load ({exc}); run `kenali check` on it") from None
    if any(bank.keyless for bank in full.banks):
        raise ReleaseError(f"{source} is itself a learners' copy without keys: release from the instructor's "
                           "content (the installed course, or --course with the full content folder)")
    pf = load_policy(policy, exercises=[(ex.id, ex.lesson) for ex in full.exercises()])
    out = Path(out).expanduser().resolve()
    if out == source or source in out.parents or out in source.parents:
        raise ReleaseError(f"{out} overlaps the course folder {source}: write the release somewhere else")
    if out.exists() and any(out.iterdir()) and not (out / MARKER).exists():
        raise ReleaseError(f"{out} is not empty and holds no earlier release; choose an empty or new folder")
    content = out / language
    if content.exists():
        shutil.rmtree(content)
    out.mkdir(parents=True, exist_ok=True)
    (out / MARKER).write_text("written by kenali assignment release\n", encoding="utf-8")
    _copy_content(source, content)
    shutil.copyfile(policy, out / POLICY_COPY)
    result = Released(out=out, content=content, source=source)
    digest = policy_digest(pf)
    for path in sorted((content / "banks").glob("*.yaml")):
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        released = _release_bank(raw, pf, digest, result.keyless)
        if released is not raw:
            path.write_text(yaml.safe_dump(released, allow_unicode=True, sort_keys=False, width=110),
                            encoding="utf-8")
    problems = verify(content)
    if problems:
        shutil.rmtree(content, ignore_errors=True)
        raise ReleaseError("the released copy keeps keys (nothing was written): " + "; ".join(problems[:5]))
    result.notebooks = _write_notebooks(out, _load(content), pf)
    result.repository = _commit(out / NOTEBOOKS)
    return result
