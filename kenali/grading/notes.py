"""What went wrong with a submission, as data: a code and its parameters.

Every problem the grader meets becomes a :class:`Note`, never an exception that stops the batch.
A note is rendered twice: in English for the instructor (the gradebook's ``notes`` column, the
class summary) from :data:`INSTRUCTOR`, and in the course language for the learner (their
feedback page) from ``grading.notes.<code>`` in ``messages.yaml``.
"""

from __future__ import annotations

from typing import Any

from ..i18n import t

Note = dict[str, Any]  # {"code": str, **params}; plain JSON so that it can be cached

#: English text for the instructor, one per note code.
INSTRUCTOR: dict[str, str] = {
    "not_handin": "{entry} is neither a hand-in (.zip), a folder nor a notebook; nothing graded",
    "bad_zip": "{entry} is not a readable zip file ({error}); nothing graded",
    "too_big": "hand-in exceeds the size limits ({detail}); the rest was ignored",
    "unsafe_path": "ignored {n} file(s) with unsafe paths in the hand-in",
    "unreadable": "{path} could not be read ({error})",
    "empty_entry": "the hand-in holds no notebooks and no answer records",
    "manifest_missing": "no manifest.json: learner identified from the entry name",
    "manifest_invalid": "manifest.json is not valid ({error}); learner identified from the entry name",
    "learner_id_invalid": "learner ID {id!r} from the hand-in is not a valid ID; used {used!r}",
    "name_unsafe": "entry name {entry!r} has spaces or non-Latin letters; feedback file is {file}",
    "other_version": "handed in with kenali {version}; the grader runs {current}",
    "bank_changed": "the learner's copy of {bank} differs from the grader's (another course version)",
    "notebook_changed": "{file} was changed after the hand-in was made",
    "notebook_invalid_json": "{file} is not valid JSON ({error}); its code exercises score 0",
    "notebook_invalid": "{file} is not a valid notebook ({error}); its code exercises score 0",
    "notebook_empty": "{file} is empty",
    "notebook_missing": "notebook {notebook}.ipynb (lesson {lesson}) is missing",
    "notebook_unknown": "{file} belongs to no exercise bank of this course; ignored",
    "notebook_duplicate": "{n} notebooks for lesson {lesson}: graded {used}, ignored {ignored}",
    "notebook_solution": "{file} is a solution notebook, not an exercise notebook",
    "notebook_other_version": "{file} has exercises unknown to this course version ({ids}): another course version?",
    "cell_missing": "exercise {id}: its answer cell was deleted",
    "cell_duplicate": "exercise {id}: {n} answer cells (duplicated); graded the last one",
    "variable_renamed": "exercise {id}: answer variable renamed to {name}",
    "cell_timeout": "exercise {id}: stopped after {seconds:g} s (endless loop?)",
    "timeout": "code stopped after {seconds:g} s; {ids} not graded",
    "crashed": "code process died ({reason}); {ids} not graded",
    "memory": "exercise {id}: out of memory (limit {mb} MB)",
    "output_truncated": "huge output ({size}) cut to {cap}",
    "sandbox_error": "the grading sandbox failed ({error}); code exercises not graded",
    "records_invalid": "{n} answer record(s) unreadable",
    "records_missing": "no answer records: widget exercises could not be graded",
    "records_other_learner": "answer records of another learner ({ids})",
    "records_unknown": "answer records for exercises unknown to this course version ignored ({ids})",
    "records_code_ignored": "recorded code answers are never trusted; {ids} not graded without the notebook",
    "grader_error": "the grader failed on this entry at step {step} ({error}); nothing graded, please report",
    "special_file": "{entry} is not a regular file (a link, FIFO, socket or device); skipped, never opened",
    "zip_method": "{path} is compressed with method {method} (only stored and deflate are read); skipped",
    "identity_mismatch": "the hand-in says learner {id!r} but its entry {entry!r} names {named!r}: "
                         "check who handed it in (it never outranks an entry whose name confirms the ID)",
    "run_incomplete": "the code ended without finishing ({reason}); answers sent before that were graded",
    "answer_repeated": "exercise(s) {ids}: more than one answer came back (forged by the code?); the last was used",
    "duplicate_entry": "{n} entries for this learner: graded {used} ({used_score}); also handed in {others}",
}


def note(code: str, **params: Any) -> Note:
    """A note; parameters must be plain JSON (they are cached)."""
    if code not in INSTRUCTOR:
        raise KeyError(code)
    return {"code": code, **params}


def _params(n: Note) -> dict[str, Any]:
    return {k: v for k, v in n.items() if k != "code"}


def english(n: Note) -> str:
    """The instructor's line for a note."""
    try:
        return INSTRUCTOR[n["code"]].format(**_params(n))
    except (KeyError, IndexError, ValueError):
        return f"{n.get('code')}: {_params(n)}"


def learner_text(n: Note) -> str:
    """The learner's line for a note, in the course language."""
    try:
        return t(f"grading.notes.{n['code']}", **_params(n))
    except (KeyError, IndexError, ValueError):
        return english(n)
