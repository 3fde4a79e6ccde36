"""The workshop guide's plan adds up: its minutes are the course map's, its day tables sum, and every exercise
of every exercise notebook is done exactly once, in the room or as homework."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
GUIDE = ROOT / "docs" / "workshop.md"
ID_OR_RANGE = re.compile(r"(\d)\.(\d+)(?:\s*(?:–|sampai)\s*\d\.(\d+))?")


def _section(text: str, heading: str) -> str:
    start = text.index(heading)
    end = text.find("\n## ", start + len(heading))
    return text[start:end if end != -1 else None]


def _rows(block: str) -> list[list[str]]:
    rows = []
    for line in block.splitlines():
        if line.startswith("|") and not set(line) <= set("|-: "):
            rows.append([c.strip() for c in line.strip().strip("|").split("|")])
    return rows[1:]  # without the header


def _first_int(cell: str) -> int:
    return int(re.search(r"\d+", cell.replace("*", "")).group())


def _course_minutes() -> dict[str, tuple[int, int]]:
    """lesson -> (lesson minutes, exercise minutes), from the lesson notebooks and the exercise notebooks."""
    out = {}
    for path in sorted((ROOT / "exercises").glob("[0-9][0-9]_*.ipynb")):
        lesson = path.name[:2]
        ex = nbformat.read(path, as_version=4).metadata["kenali"]["minutes"]
        lesson_nb = nbformat.read(ROOT / "notebooks" / path.name, as_version=4)
        out[lesson] = (lesson_nb.metadata["kenali"]["minutes"], ex)
    return out


def _exercise_ids(lesson: str) -> list[str]:
    path = next((ROOT / "exercises").glob(f"{lesson}_*.ipynb"))
    text = "\n".join(c.source for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code")
    return re.findall(r'(?:tampilkan|cek)\("([0-9]\.[0-9]+)"', text)


def _expand(text: str, known: set[str]) -> list[str]:
    ids = []
    for lesson, a, b in ID_OR_RANGE.findall(text):
        if b:
            ids += [f"{lesson}.{n}" for n in range(int(a), int(b) + 1) if f"{lesson}.{n}" in known]
        else:
            ids.append(f"{lesson}.{a}")
    return ids


@pytest.fixture(scope="module")
def guide() -> str:
    return GUIDE.read_text(encoding="utf-8")


def test_the_budget_table_uses_the_course_map_minutes_and_adds_up(guide):
    minutes = _course_minutes()
    rows = _rows(_section(guide, "## 1. The time budget"))
    body, total = rows[:-1], rows[-1]
    assert [r[0][:2] for r in body] == sorted(minutes)
    sums = [0, 0, 0, 0, 0]
    for row in body:
        lesson_min, ex_min, course, room, home = (_first_int(c) for c in row[1:6])
        assert (lesson_min, ex_min) == minutes[row[0][:2]], row
        assert course == lesson_min + ex_min and room + home == course, row
        in_room_parts = [int(n) for n in re.findall(r"\d+", row[4])[1:]]
        assert in_room_parts[0] == lesson_min and sum(in_room_parts) == room, row
        sums = [s + v for s, v in zip(sums, (lesson_min, ex_min, course, room, home), strict=True)]
    assert [_first_int(c) for c in total[1:6]] == sums
    assert sums[2] == 455 and "7 jam 35 menit" in (ROOT / "notebooks" / "00_mulai.ipynb").read_text(encoding="utf-8")


@pytest.mark.parametrize(("heading", "stated"), [("## 3. Half-day 1", 235), ("## 4. Half-day 2", 225)])
def test_each_day_table_runs_minute_by_minute_and_sums_to_what_it_says(guide, heading, stated):
    block = _section(guide, heading)
    rows = _rows(block)
    clock = 0
    for start, minutes, *_ in rows:
        h, m = (int(x) for x in start.split(":"))
        assert h * 60 + m == clock, (start, clock)
        if minutes:
            clock += int(minutes)
    assert clock == stated
    assert f"= **{stated} minutes**" in block


def test_every_exercise_is_done_once_in_the_room_or_as_homework(guide):
    room: dict[str, list[str]] = {}
    for line in guide.splitlines():
        m = re.search(r"Exercises (0\d) \(room\): ([^|·]+)", line)
        if m:
            room.setdefault(m.group(1), []).append(m.group(2))
    homework: dict[str, list[str]] = {}
    for line in guide.splitlines():
        m = re.match(r">\s*- Latihan (0\d): (.*?)\(sekitar", line)
        if m:
            homework.setdefault(m.group(1), []).append(m.group(2))
    assert sorted(room) == ["01", "02", "03", "04", "05"]
    for lesson in ["01", "02", "03", "04", "05"]:
        known = set(_exercise_ids(lesson))
        in_room = _expand(" ".join(room[lesson]), known)
        at_home = _expand(" ".join(homework[lesson]), known)
        assert not set(in_room) & set(at_home), lesson
        assert sorted(in_room + at_home) == sorted(known), lesson
    # lesson 06's six exercises are all done in the room
    assert "Lesson 06 and its 6 exercises" in guide and len(_exercise_ids("06")) == 6


def test_the_no_code_track_adds_up(guide):
    minutes = _course_minutes()
    lab = minutes["05"][0] + minutes["05"][1]
    nb05b = nbformat.read(ROOT / "notebooks" / "05b_lab_tanpa_kode.ipynb", as_version=4).metadata["kenali"]["minutes"]
    assert f"455 − {lab} + {nb05b} = **{455 - lab + nb05b} minutes" in guide
    assert "35 + 15 + 5 + 40 = 95" in guide and "55 − 45 = 10" in guide
