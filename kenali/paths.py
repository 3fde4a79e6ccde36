"""Where the course lives on disk: the course folder, its data, and the learner's progress folder."""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent


def _is_course(folder: Path) -> bool:
    return (folder / "exercises").is_dir() and (folder / "notebooks").is_dir()


def course_root() -> Path:
    """The course folder: ``KENALI_COURSE``, else the nearest folder up from the working directory
    that holds ``notebooks/`` and ``exercises/``, else the checkout this package was installed from."""
    env = os.environ.get("KENALI_COURSE")
    if env:
        return Path(env).expanduser().resolve()
    here = Path.cwd().resolve()
    for folder in (here, *here.parents):
        if _is_course(folder):
            return folder
    if _is_course(PACKAGE_DIR.parent):
        return PACKAGE_DIR.parent
    return here


def progress_home() -> Path:
    """The learner's own folder for identity and answer records: ``KENALI_HOME``, else
    ``<course>/.kenali`` (ignored by git). Tests and the grader always set ``KENALI_HOME``."""
    env = os.environ.get("KENALI_HOME")
    if env:
        return Path(env).expanduser().resolve()
    return course_root() / ".kenali"


def data_dir() -> Path:
    """The folder of the course's CSV data (``KENALI_DATA``, else ``<course>/data``)."""
    env = os.environ.get("KENALI_DATA")
    if env:
        return Path(env).expanduser().resolve()
    for root in (course_root(), PACKAGE_DIR.parent):
        if (root / "data").is_dir():
            return root / "data"
    return course_root() / "data"
