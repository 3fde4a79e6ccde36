"""``moodle.csv``: grades that Moodle's *Import → CSV file* accepts, an optional roster, and a validator.

What Moodle's CSV grade import does (``grade/import/csv/classes/load_data.php``, ``lib/csvlib.class.php``;
the rules :func:`check_moodle_csv` applies):

* The file is decoded with the encoding chosen on the form (UTF-8 by default); a UTF-8 BOM is removed.
  Fields are split with ``fgetcsv`` on the chosen separator (comma by default) with ``"`` quoting; a
  row with another number of fields than the header stops the import ("csvweirdcolumns").
* One column identifies the user: *Map from* (a column) → *Map to* ``userid``, ``username``,
  ``useridnumber`` or ``useremail``. A value that matches no user, or several users (e-mail addresses
  shared by accounts), aborts the **whole** import ("usermappingerror"); so does a first row whose
  value is empty. So moodle.csv holds only learners who can be identified, and lists the others in
  ``moodle_unmatched.csv``.
* Every grade above the site's maximum grade (100, unless *unlimitedgrades* raises it to
  *gradepointmax*) aborts the whole import ("gradevaluetoobig"), whatever the item's own maximum; an
  item created by the import ("New grade item") has Moodle's default maximum 100; an existing item
  clamps a grade above its maximum. Hence every grade here is a percentage from 0 to 100, and items an
  instructor creates first must have the maximum 100.
* A grade is parsed with ``unformat_float``: ``.`` as decimal separator always works; ``-`` or an empty
  value means "no grade" (and clears a grade already there).
* A new item is named after its column header (``grade_items.itemname``: at most 255 characters).
* Two columns mapped to the same item stop the import ("cannotmapfield"); in some Moodle versions
  two columns mapped to "New grade item" do too (MDL-78768), so the documented way is to create the
  items first (docs/grading.md).

Nothing here depends on the clock or the order entries were graded in.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..bank import Bank
from ..i18n import t
from .weights import LessonWeight, lesson_percents, weighted_percent

MAX_GRADE = 100.0            # Moodle's site maximum without "unlimitedgrades", and a new item's default maximum
MAX_ITEM_NAME = 255          # grade_items.itemname
MAX_ROSTER_BYTES = 20 * 1024 * 1024
MAX_ROSTER_ROWS = 100_000

USERNAME, EMAIL, IDNUMBER, FIRST, LAST = "Username", "Email address", "ID number", "First name", "Last name"
IDENTIFIERS = (USERNAME, EMAIL, IDNUMBER)
MAP_TO = {USERNAME: "username", EMAIL: "useremail", IDNUMBER: "useridnumber"}   # Moodle's "Map to" values
NOT_GRADES = {*IDENTIFIERS, FIRST, LAST}

# a roster's column headers (casefolded): Moodle's English and Indonesian field names
_ALIASES = {
    "username": ("username", "user name", "nama pengguna"),
    "email": ("email address", "email", "e-mail", "e-mail address", "alamat email", "alamat surel", "surel"),
    "idnumber": ("id number", "idnumber", "nomor id", "nomor induk"),
    "first": ("first name", "firstname", "given name", "nama depan"),
    "last": ("last name", "lastname", "surname", "family name", "nama belakang"),
    "full": ("full name", "fullname", "name", "nama lengkap", "nama"),
}
_NUMBER = re.compile(r"^[0-9]+(\.[0-9]+)?$")
_FORMULA = ("=", "+", "-", "@", "'", "\t", "\r", "\n", "|", "%")


class RosterError(ValueError):
    """A roster file that cannot be used; the message names the file and what is wrong."""


# -- the roster ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class RosterRow:
    """One participant of the Moodle course, from the roster file (``line``: its line in the file)."""

    line: int
    username: str = ""
    email: str = ""
    idnumber: str = ""
    first: str = ""
    last: str = ""
    full: str = ""

    @property
    def name(self) -> str:
        return self.full or " ".join(p for p in (self.first, self.last) if p)


def _decode(path: Path, data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise RosterError(f"{path}: not UTF-8 text (byte {exc.start + 1}); save the roster as 'CSV UTF-8'") from None


def read_roster(path: Path) -> list[RosterRow]:
    """The participants in a roster CSV (Moodle's participants or grades export, any of ``,``/``;``/tab).

    Columns are found by their header, in English or Indonesian ("Username"/"Nama pengguna", "Email
    address"/"Alamat email", "ID number"/"Nomor ID", "First name", "Last name", "Full name"); at least
    one of username, e-mail address and ID number is required."""
    path = Path(path)
    try:
        with path.open("rb") as fh:
            data = fh.read(MAX_ROSTER_BYTES + 1)
    except FileNotFoundError:
        raise RosterError(f"{path}: roster file not found") from None
    except IsADirectoryError:
        raise RosterError(f"{path}: is a folder, not a roster CSV file") from None
    except OSError as exc:
        raise RosterError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    if len(data) > MAX_ROSTER_BYTES:
        raise RosterError(f"{path}: larger than {MAX_ROSTER_BYTES >> 20} MB; is it a roster?")
    if data[:4] == b"PK\x03\x04":
        raise RosterError(f"{path}: a spreadsheet (.xlsx/.ods), not CSV; save it as 'CSV UTF-8'")
    text = _decode(path, data)
    first_line = text.split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=first_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        rows = list(reader)
    except csv.Error as exc:
        raise RosterError(f"{path}: not a readable CSV file ({exc})") from None
    rows = [r for r in rows if any(cell.strip() for cell in r)]
    if not rows:
        raise RosterError(f"{path}: empty; expected a header row and one row per participant")
    header = [h.strip().casefold() for h in rows[0]]
    columns: dict[str, int] = {}
    for kind, names in _ALIASES.items():
        for name in names:
            if name in header:
                columns[kind] = header.index(name)
                break
    if not {"username", "email", "idnumber"} & set(columns):
        found = ", ".join(repr(h) for h in rows[0][:12])
        raise RosterError(f"{path}: no 'Username', 'Email address' or 'ID number' column (found {found})")
    if len(rows) - 1 > MAX_ROSTER_ROWS:
        raise RosterError(f"{path}: more than {MAX_ROSTER_ROWS} rows")
    out = []
    for n, row in enumerate(rows[1:], start=2):
        values = {kind: (row[i].strip() if i < len(row) else "") for kind, i in columns.items()}
        out.append(RosterRow(line=n, **values))
    return out


def norm_name(name: str) -> str:
    """A full name compared loosely: accents dropped, case folded, spaces collapsed."""
    ascii_ = unicodedata.normalize("NFKD", name)
    ascii_ = "".join(c for c in ascii_ if not unicodedata.combining(c))
    return " ".join(ascii_.casefold().split())


@dataclass
class Matching:
    """Which roster row each learner is, and what is left over on both sides."""

    matched: dict[str, tuple[RosterRow, str]] = field(default_factory=dict)   # learner id -> (row, key used)
    learners: dict[str, str] = field(default_factory=dict)                    # unmatched learner id -> reason
    roster: list[RosterRow] = field(default_factory=list)                     # roster rows nobody matched


KEYS = ("ID number", "username", "email", "name")


def match_roster(rows: Iterable[Mapping[str, Any]], roster: list[RosterRow]) -> Matching:
    """Match learners to roster rows by ID number, then username, then e-mail address (the whole address,
    or its part before ``@`` when only one participant has it), then exact normalised full name. A key
    value shared by several roster rows (or, for names, several learners) matches nobody."""
    learners = sorted(((str(r["learner_id"]), str(r.get("name") or "")) for r in rows),
                      key=lambda x: (x[0].casefold(), x[0]))
    out = Matching()
    taken: set[int] = set()
    ambiguous: dict[str, str] = {}

    def keyed(kind: str, row: RosterRow) -> list[str]:
        if kind == "ID number":
            return [row.idnumber.casefold()] if row.idnumber else []
        if kind == "username":
            return [row.username.casefold()] if row.username else []
        if kind == "email":
            email = row.email.casefold()
            return [email, email.split("@", 1)[0]] if "@" in email else ([email] if email else [])
        return [norm_name(row.name)] if row.name.strip() else []

    for kind in KEYS:
        index: dict[str, list[RosterRow]] = {}
        for row in roster:
            if row.line not in taken:
                for value in dict.fromkeys(keyed(kind, row)):
                    index.setdefault(value, []).append(row)
        wanted: dict[str, list[str]] = {}
        for learner_id, name in learners:
            if learner_id not in out.matched:
                value = norm_name(name) if kind == "name" else learner_id.casefold()
                if value:
                    wanted.setdefault(value, []).append(learner_id)
        for value, ids in wanted.items():
            candidates = index.get(value, [])
            if not candidates:
                continue
            if len(candidates) > 1 or len(ids) > 1:
                for learner_id in ids:
                    lines = ", ".join(str(r.line) for r in candidates)
                    ambiguous.setdefault(learner_id, f"{kind} {value!r} fits several: roster lines {lines}"
                                         + (f", learners {', '.join(ids)}" if len(ids) > 1 else ""))
                continue
            (row,) = candidates
            out.matched[ids[0]] = (row, kind)
            taken.add(row.line)
    for learner_id, _ in learners:
        if learner_id not in out.matched:
            out.learners[learner_id] = ambiguous.get(learner_id, "not in the roster (no ID number, username, "
                                                                 "e-mail address or full name matches)")
    out.roster = [r for r in roster if r.line not in taken]
    return out


# -- moodle.csv ----------------------------------------------------------------------------------

def item_name(w: LessonWeight) -> str:
    """A lesson's grade item, as learners read it in Moodle: "Kenali 01: Pengguna akhir (%)"."""
    return t("grading.moodle.lesson_item", lesson=w.lesson, title=w.title)[:MAX_ITEM_NAME]


def total_name() -> str:
    return t("grading.moodle.total_item")[:MAX_ITEM_NAME]


def grade(value: float) -> str:
    """A grade for Moodle: at most two decimals, ``.`` as decimal separator, within 0..100."""
    value = round(min(MAX_GRADE, max(0.0, float(value))), 2)
    return f"{value:.2f}".rstrip("0").rstrip(".")


@dataclass
class MoodleFile:
    """What goes into moodle.csv and moodle_unmatched.csv, and what the summary says about it."""

    header: list[str]
    rows: list[list[str]]
    unmatched: list[list[str]]
    identifiers: list[str]                  # the identification columns, each usable as "Map from"
    dropped: dict[str, str]                 # identification column left out -> why
    matches: dict[str, str] = field(default_factory=dict)   # learner id -> the roster key that matched
    roster_used: bool = False


UNMATCHED_HEADER = ["side", "learner_id", "name", "entry", USERNAME, EMAIL, IDNUMBER, FIRST, LAST, "roster_line",
                    "reason"]


def _usable(values: list[str]) -> str | None:
    """Why a column cannot identify users in Moodle (None: it can)."""
    if any(not v for v in values):
        return f"empty for {sum(1 for v in values if not v)} learner(s)"
    folded = [v.casefold() for v in values]
    if len(set(folded)) != len(folded):
        return "the same value for two learners"
    if any(v.startswith(_FORMULA) for v in values):
        return "a value starting with a character spreadsheets evaluate (=, +, -, @)"
    return None


def build(rows: list[dict[str, Any]], banks: list[Bank], table: list[LessonWeight],
          roster: list[RosterRow] | None = None) -> MoodleFile:
    """The Moodle import of graded rows: one line per learner Moodle can identify, grades in percent."""
    weights = {w.lesson: w for w in table}
    items = [item_name(weights[b.lesson]) for b in banks]
    unmatched: list[list[str]] = []
    chosen: list[tuple[dict[str, Any], dict[str, str]]] = []
    matching = match_roster([r for r in rows if not r.get("fatal") and r["status"] != "failed"], roster) \
        if roster is not None else None
    for row in rows:
        learner_id, name = str(row["learner_id"]), str(row.get("name") or "")
        base = ["learner", learner_id, name, str(row.get("entry", ""))]
        if row.get("fatal") or row["status"] == "failed":
            unmatched.append([*base, "", "", "", "", "", "", "nothing graded (status failed): no grade is imported"])
            continue
        if matching is not None:
            if learner_id not in matching.matched:
                unmatched.append([*base, "", "", "", "", "", "", matching.learners.get(learner_id, "")])
                continue
            r, _ = matching.matched[learner_id]
            first, last = (_text(r.first), _text(r.last)) if (r.first or r.last) else _split(r.name or name)
            ident = {USERNAME: r.username, EMAIL: r.email, IDNUMBER: r.idnumber, FIRST: first, LAST: last}
        else:
            first, last = _split(name)
            ident = {IDNUMBER: learner_id, USERNAME: learner_id.lower(), FIRST: first, LAST: last}
        chosen.append((row, ident))
    columns = [USERNAME, EMAIL, IDNUMBER] if matching is not None else [IDNUMBER, USERNAME]
    dropped: dict[str, str] = {}
    identifiers = []
    for column in columns:
        reason = _usable([ident[column] for _, ident in chosen]) if chosen else None
        if reason:
            dropped[column] = reason
        else:
            identifiers.append(column)
    if chosen and not identifiers:  # nothing can identify everyone: keep the rows a column does identify
        column = max(columns, key=lambda c: sum(1 for _, i in chosen if i[c]))
        seen: dict[str, int] = {}
        for _, ident in chosen:
            seen[ident[column].casefold()] = seen.get(ident[column].casefold(), 0) + 1
        keep = []
        for row, ident in chosen:
            value = ident[column]
            if not value or seen[value.casefold()] > 1 or value.startswith(_FORMULA):
                unmatched.append(["learner", str(row["learner_id"]), str(row.get("name") or ""),
                                  str(row.get("entry", "")), ident.get(USERNAME, ""), ident.get(EMAIL, ""),
                                  ident.get(IDNUMBER, ""), "", "", "", f"{column}: empty, shared or unsafe"])
            else:
                keep.append((row, ident))
        chosen = keep
        identifiers = [column]
        dropped.pop(column, None)
    header = [*identifiers, FIRST, LAST, total_name(), *items]
    body = []
    for row, ident in chosen:
        percents = lesson_percents(row, banks, table)
        body.append([*(ident[c] for c in identifiers), ident[FIRST], ident[LAST],
                     grade(weighted_percent(percents, table)), *(grade(percents[b.lesson]) for b in banks)])
    if matching is not None:
        unmatched += [["roster", "", "", "", r.username, r.email, r.idnumber, r.first, r.last, str(r.line),
                       "no hand-in matched this participant: no grade is imported"] for r in matching.roster]
    return MoodleFile(header=header, rows=body, unmatched=unmatched, identifiers=identifiers, dropped=dropped,
                      matches={k: v[1] for k, v in (matching.matched.items() if matching else [])},
                      roster_used=matching is not None)


def _split(name: str) -> tuple[str, str]:
    first, _, last = name.strip().partition(" ")
    return _text(first), _text(last.strip())


def _text(value: str) -> str:
    """A name cell (Moodle ignores it) a spreadsheet shows as text, never evaluates as a formula."""
    return "'" + value if value.startswith(_FORMULA) else value


def write(path: Path, header: list[str], rows: list[list[str]]) -> None:
    """A CSV file as Moodle reads it: UTF-8 without BOM, comma, ``"`` quoting, one line per row."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    path.write_text(buf.getvalue(), encoding="utf-8")


# -- the validator -------------------------------------------------------------------------------

def check_moodle_csv(path: Path, *, max_grade: float = MAX_GRADE) -> list[str]:
    """Moodle's CSV grade import rules applied to a file; each problem is one line naming the row and column
    (an empty list: Moodle imports it with any of its identification columns as "Map from")."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        return [f"{path}: cannot be read ({exc.strerror or exc})"]
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return [f"{path}: not UTF-8 (byte {exc.start + 1})"]
    text = text.replace("\r\n", "\n").replace("\r", "\n").strip()
    if not text:
        return [f"{path}: empty (Moodle: csvemptyfile)"]
    try:
        table = [r for r in csv.reader(io.StringIO(text, newline="")) if r != []]
    except csv.Error as exc:
        return [f"{path}: not CSV ({exc})"]
    header = [h.strip() for h in table[0]]
    problems: list[str] = []
    if len(header) < 2:
        problems.append(f"{path}: one column only (not comma-separated?)")
    if any(not h for h in header):
        problems.append(f"{path}: a column without a name (column {header.index('') + 1})")
    dupes = sorted({h for h in header if h and header.count(h) > 1})
    if dupes:
        problems.append(f"{path}: column names used twice: {', '.join(dupes)}")
    for h in header:
        if len(h) > MAX_ITEM_NAME:
            problems.append(f"{path}: column name longer than {MAX_ITEM_NAME} characters: {h[:40]}…")
    rows = table[1:]
    for n, row in enumerate(rows, start=2):
        if len(row) != len(header):
            problems.append(f"{path}: line {n} has {len(row)} fields, the header {len(header)} "
                            "(Moodle: csvweirdcolumns)")
    if not rows:
        problems.append(f"{path}: no learner rows")
    ids = [h for h in header if h in IDENTIFIERS]
    if not ids:
        problems.append(f"{path}: no identification column ({', '.join(IDENTIFIERS)})")
    for column in ids:
        i = header.index(column)
        values = [r[i].strip() if i < len(r) else "" for r in rows]
        reason = _usable(values)
        if reason:
            problems.append(f"{path}: column {column!r} cannot identify users: {reason}")
        if column == EMAIL:
            bad = [v for v in values if v and "@" not in v]
            if bad:
                problems.append(f"{path}: column {column!r}: not an e-mail address: {bad[0]!r}")
    grades = [h for h in header if h and h not in NOT_GRADES]
    if not grades:
        problems.append(f"{path}: no grade column")
    for column in grades:
        i = header.index(column)
        for n, row in enumerate(rows, start=2):
            if i >= len(row):
                continue
            value = row[i].strip()
            if value == "-":
                continue
            if not _NUMBER.match(value):
                problems.append(f"{path}: line {n}, {column!r}: {value!r} is not a grade (digits, '.' for decimals)")
            elif float(value) > max_grade:
                problems.append(f"{path}: line {n}, {column!r}: {value} is above the maximum grade {max_grade:g} "
                                "(Moodle: gradevaluetoobig, the whole import is aborted)")
    return problems
