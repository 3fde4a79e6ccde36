"""moodle.csv: what Moodle's CSV grade import accepts (checked by :func:`check_moodle_csv`, itself tested),
percentages instead of points, readable item names, and an optional roster matched by each key.

The class is graded through the real pipeline from widget lessons only (no code is run), and the
whole course is exercised with rows built from the bank (every exercise earned in full).
"""

from __future__ import annotations

import csv

import pytest

from kenali.grading import moodle, report
from kenali.grading.moodle import check_moodle_csv, read_roster
from kenali.grading.pipeline import GradingError
from kenali.grading.weights import lesson_weights

LESSONS = ["01", "06"]


def _read(path):
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.reader(fh))


def _full_row(course, learner_id="rina", name="Rina Wati", share=1.0):
    exercises = {ex.id: {"earned": ex.points * share, "points": ex.points, "status": "correct"}
                 for ex in course.exercises(graded_only=True)}
    total = sum(e["earned"] for e in exercises.values())
    return {"learner_id": learner_id, "name": name, "entry": f"{learner_id}-kenali.zip", "status": "ok",
            "fatal": False, "exercises": exercises, "total": total, "maximum": total / share if share else 0}


@pytest.fixture(scope="module")
def graded(tmp_path_factory, kit):
    course = kit.course
    base = tmp_path_factory.mktemp("moodle")
    subs = base / "subs"
    subs.mkdir()
    widget = [ex for lesson in LESSONS for ex in course.bank(lesson).graded]
    ts = 1_750_000_000.0
    ani = [kit.record(ex.id, ex.correct_answer(), "ani", ts=ts + 30 * n) for n, ex in enumerate(widget)]
    budi = [kit.record(ex.id, ex.correct_answer(), "budi", ts=ts + 30 * n) for n, ex in enumerate(widget[:5])]
    kit.write_zip(subs / "ani-kenali.zip", kit.handin(base, "ani", "Ani Lestari", nb=None, records=ani))
    kit.write_zip(subs / "budi-kenali.zip", kit.handin(base, "budi", "Budi Santoso", nb=None, records=budi))
    citra = [kit.record(widget[0].id, widget[0].correct_answer(), "Citra01", ts=ts)]
    eka = [kit.record(widget[0].id, widget[0].correct_answer(), "eka", ts=ts)]
    kit.write_zip(subs / "Citra01-kenali.zip", kit.handin(base, "Citra01", "Citra Dewi", nb=None, records=citra))
    kit.write_zip(subs / "eka-kenali.zip", kit.handin(base, "eka", "Eka Putra", nb=None, records=eka))
    (subs / "zed.txt").write_text("no hand-in")
    roster = base / "roster.csv"
    roster.write_text(
        "\ufeffFirst name;Last name;ID number;Username;Email address\n"
        "Ani;Lestari;;ani.l;ani.lestari@kampus.ac.id\n"       # by full name
        "Budi;Santoso;budi;b.santoso;b.santoso@kampus.ac.id\n"  # by ID number
        "Citra;Dewi;;citra01;citra.d@kampus.ac.id\n"           # by username (case-insensitive)
        "Dedi;Kurnia;;dedi;dedi@kampus.ac.id\n",               # nobody: a participant without a hand-in
        encoding="utf-8")
    plain = kit.grade(subs, base / "out", only=LESSONS)
    with_roster = kit.grade(subs, base / "out-roster", only=LESSONS, roster=roster)
    return {"base": base, "out": base / "out", "roster_out": base / "out-roster", "plain": plain,
            "with_roster": with_roster, "widget": widget}


def test_produced_file_passes_moodles_rules(graded):
    assert check_moodle_csv(graded["out"] / "moodle.csv") == []
    assert check_moodle_csv(graded["roster_out"] / "moodle.csv") == []


def test_percentages_and_readable_item_names(kit, graded):
    rows = _read(graded["out"] / "moodle.csv")
    assert rows[0] == ["ID number", "Username", "First name", "Last name", "Kenali: nilai akhir berbobot (%)",
                       "Kenali 01: Pengguna akhir (%)", "Kenali 06: Studi kasus: semua peran dalam satu bisnis (%)"]
    by_id = {r[0]: r for r in rows[1:]}
    assert by_id["ani"][1:] == ["ani", "Ani", "Lestari", "100", "100", "100"]
    # the username column is Moodle's (lower case); the ID number keeps the learner's spelling
    assert by_id["Citra01"][1] == "citra01"
    # budi: 5 exercises of lesson 01 right: that share of lesson 01, nothing of 06, weighted by lesson time
    points01 = sum(ex.points for ex in kit.course.bank("01").graded)
    earned = sum(ex.points for ex in graded["widget"][:5])
    table = {w.lesson: w.weight for w in lesson_weights([kit.course.bank(x) for x in LESSONS], root=kit.root)}
    assert float(by_id["budi"][5]) == pytest.approx(100 * earned / points01, abs=0.005)
    assert float(by_id["budi"][4]) == pytest.approx(table["01"] * earned / points01, abs=0.005)
    assert float(by_id["budi"][6]) == 0


def test_failed_entries_are_left_out_and_listed(graded):
    ids = [r[0] for r in _read(graded["out"] / "moodle.csv")[1:]]
    assert "zed.txt" not in ids
    unmatched = _read(graded["out"] / "moodle_unmatched.csv")
    assert unmatched[0] == moodle.UNMATCHED_HEADER
    assert [(r[0], r[1]) for r in unmatched[1:]] == [("learner", "zed.txt")]
    assert "status failed" in unmatched[1][-1]
    assert "eka" in ids


def test_all_correct_is_100_not_the_point_total(kit, tmp_path):
    course = kit.course
    banks = [b for b in course.banks if b.graded]
    assert sum(ex.points for b in banks for ex in b.graded) > 100  # the old file wrote this total
    table = lesson_weights(banks, root=kit.root)
    made = report.write_moodle(tmp_path / "moodle.csv", [_full_row(course), _full_row(course, "budi", "Budi", 0.5)],
                               banks, table)
    rows = _read(tmp_path / "moodle.csv")
    assert check_moodle_csv(tmp_path / "moodle.csv") == []
    assert rows[1][4:] == ["100"] * (1 + len(banks))
    assert rows[2][4:] == ["50"] * (1 + len(banks))
    assert rows[0][5:] == [f"Kenali {b.lesson}: {b.title.split('·', 1)[1].strip()} (%)" for b in banks]
    assert made.identifiers == ["ID number", "Username"]


def test_roster_matches_by_each_key(graded):
    rows = _read(graded["roster_out"] / "moodle.csv")
    assert rows[0][:5] == ["Username", "Email address", "First name", "Last name", "Kenali: nilai akhir berbobot (%)"]
    by_user = {r[0]: r for r in rows[1:]}
    assert sorted(by_user) == ["ani.l", "b.santoso", "citra01"]
    assert by_user["b.santoso"][1:4] == ["b.santoso@kampus.ac.id", "Budi", "Santoso"]
    assert by_user["ani.l"][4:] == ["100", "100", "100"]
    summary = (graded["roster_out"] / "summary.html").read_text(encoding="utf-8")
    # ID number is empty for two participants: left out of moodle.csv, and the summary says why
    assert "Column ID number left out: empty for 2 learner(s)" in summary
    assert "Matched by full name only (check): ani." in summary
    unmatched = _read(graded["roster_out"] / "moodle_unmatched.csv")
    assert {(r[0], r[1] or r[4]) for r in unmatched[1:]} == {("learner", "eka"), ("learner", "zed.txt"),
                                                             ("roster", "dedi")}
    assert next(r for r in unmatched if r[1] == "eka")[-1].startswith("not in the roster")


def test_match_keys_in_order(tmp_path):
    path = tmp_path / "roster.csv"
    path.write_text("Username,Email address,ID number,First name,Last name\n"
                    "u1,one@x.id,A-7,Ana,Putri\n"      # ID number (case-insensitive)
                    "rudi,rudi.h@x.id,,Rudi,Hartono\n"  # username
                    "sri,sri.w@x.id,,Sri,Wahyuni\n"     # e-mail local part
                    "t9,t9@x.id,,Tóni,Saputra\n"        # full name, accents and case ignored
                    "z1,z@x.id,,Zaki,Ahmad\n"           # a name two learners share: nobody
                    "z2,z2@x.id,,Zaki,Ahmad\n", encoding="utf-8")
    roster = read_roster(path)
    learners = [{"learner_id": "a-7", "name": "X"}, {"learner_id": "RUDI", "name": "Y"},
                {"learner_id": "sri.w", "name": "Z"}, {"learner_id": "p1", "name": "toni  SAPUTRA"},
                {"learner_id": "q1", "name": "Zaki Ahmad"}, {"learner_id": "q2", "name": "Nobody Here"}]
    m = moodle.match_roster(learners, roster)
    assert {k: (row.username, how) for k, (row, how) in m.matched.items()} == {
        "a-7": ("u1", "ID number"), "RUDI": ("rudi", "username"), "sri.w": ("sri", "email"),
        "p1": ("t9", "name")}
    assert "several" in m.learners["q1"] and "not in the roster" in m.learners["q2"]
    assert [r.username for r in m.roster] == ["z1", "z2"]


@pytest.mark.parametrize(("content", "expected"), [
    (b"", "empty"),
    (b"Nama,Kelas\nAni,A\n", "no 'Username', 'Email address' or 'ID number' column"),
    (b"PK\x03\x04rest", "not CSV"),
    ("Username\nañi\n".encode("latin-1"), "not UTF-8"),
])
def test_roster_mistakes_name_the_file(tmp_path, content, expected):
    path = tmp_path / "peserta.csv"
    path.write_bytes(content)
    with pytest.raises(moodle.RosterError) as err:
        read_roster(path)
    assert str(path) in str(err.value) and expected in str(err.value)


def test_a_missing_roster_is_one_line_before_grading(kit, tmp_path):
    (tmp_path / "subs").mkdir()
    with pytest.raises(GradingError, match="roster file not found"):
        kit.grade(tmp_path / "subs", tmp_path / "out", only=["01"], roster=tmp_path / "nope.csv")
    assert not (tmp_path / "out").exists()


def test_validator_finds_what_moodle_rejects(tmp_path):
    def problems(text: str) -> list[str]:
        path = tmp_path / "m.csv"
        path.write_text(text, encoding="utf-8")
        return check_moodle_csv(path)

    good = "ID number,First name,Kenali 01 (%)\nani,Ani,100\nbudi,Budi,-\n"
    assert problems(good) == []
    assert any("above the maximum grade 100" in p and "gradevaluetoobig" in p
               for p in problems("ID number,Kenali (%)\nani,100.01\n"))
    assert any("not a grade" in p for p in problems("ID number,Kenali (%)\nani,\"87,5\"\n"))
    assert any("not a grade" in p for p in problems("ID number,Kenali (%)\nani,\n"))
    assert any("cannot identify users: the same value" in p for p in problems("Username,K (%)\nani,1\nANI,2\n"))
    assert any("cannot identify users: empty" in p for p in problems("Username,K (%)\nani,1\n,2\n"))
    assert any("no identification column" in p for p in problems("Name,K (%)\nani,1\n"))
    assert any("used twice" in p for p in problems("ID number,K,K\nani,1,2\n"))
    assert any("csvweirdcolumns" in p for p in problems("ID number,K\nani,1,2\n"))
    assert any("longer than 255" in p for p in problems(f"ID number,{'K' * 256}\nani,1\n"))
    (tmp_path / "latin.csv").write_bytes("ID number,K\nañi,1\n".encode("latin-1"))
    assert any("not UTF-8" in p for p in check_moodle_csv(tmp_path / "latin.csv"))


def test_an_identifier_spreadsheets_would_evaluate_is_never_exported(kit, tmp_path):
    course = kit.course
    banks = [course.bank("01")]
    table = lesson_weights(banks, root=kit.root)
    made = moodle.build([_full_row(course, "-1-1", "=Evil"), _full_row(course, "ani", "Ani")], banks, table)
    assert [r[0] for r in made.rows] == ["ani"] and made.unmatched[0][1] == "-1-1"
    moodle.write(tmp_path / "m.csv", made.header, made.rows)
    assert check_moodle_csv(tmp_path / "m.csv") == []


def test_whole_course_all_right_is_100_through_the_grader(kit, tmp_path):
    """Every lesson graded (the lab's code re-run): the learner with everything right has 100, not 194."""
    course = kit.course
    widget = [ex for ex in course.exercises(graded_only=True) if not ex.is_code]
    records = [kit.record(ex.id, ex.correct_answer(), "rina", ts=1_750_000_000.0 + n) for n, ex in enumerate(widget)]
    kit.write_zip(tmp_path / "subs" / "rina-kenali.zip", kit.handin(tmp_path, "rina", "Rina Wati", records=records))
    outcome = kit.grade(tmp_path / "subs", tmp_path / "out", only=None)
    (row,) = outcome.rows
    assert row["total"] == row["maximum"] == sum(ex.points for ex in course.exercises(graded_only=True)) > 100
    moodle_csv = tmp_path / "out" / "moodle.csv"
    assert check_moodle_csv(moodle_csv) == []
    header, rina = _read(moodle_csv)
    assert rina[:4] == ["rina", "rina", "Rina", "Wati"] and rina[4:] == ["100"] * (len(header) - 4)
    assert len(header) - 5 == len([b for b in course.banks if b.graded])


def test_unmatched_learners_never_run_as_a_formula(kit, tmp_path):
    """A hand-in's ID and name are the learner's text: in moodle_unmatched.csv (opened in a spreadsheet by the
    instructor) a leading '=' is shown as text, as in every other CSV the grader writes."""
    course = kit.course
    banks = [b for b in course.banks if b.graded]
    evil = _full_row(course, "=HYPERLINK(\"http://x\")", "=1+1")
    report.write_moodle(tmp_path / "moodle.csv", [evil], banks, lesson_weights(banks, root=kit.root))
    rows = _read(tmp_path / "moodle_unmatched.csv")
    assert [r[:3] for r in rows[1:]] == [["learner", "'=HYPERLINK(\"http://x\")", "'=1+1"]]
    assert all(not cell.startswith("=") for r in rows for cell in r)
