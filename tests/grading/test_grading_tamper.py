"""Tamper attempts, graded in one batch: none of them may gain anything.

Each tamperer is compared with ``control``, an honest learner whose only mistake is exercise 5.1.
The learner's code reports what it could reach through its (wrong) answer values, which come back
to the row as plain data. One sandbox worker, so the entries run one after another in name order
(``01-poison`` before ``02-victim``).
"""

from __future__ import annotations

import ctypes
import hashlib

import pytest

WRONG_5_1 = 'jawaban_5_1 = 0\ncek("5.1", jawaban_5_1)'
PROBE = '''import pathlib
def probe(path, mode="a"):
    try:
        with open(path, mode):
            return "writable"
    except OSError as exc:
        return type(exc).__name__
'''


def _digests(paths) -> dict[str, str]:
    return {str(p): hashlib.sha256(p.read_bytes()).hexdigest() for p in paths}


def _write_protection() -> bool:
    """Whether the sandbox can keep a child off the grader's files here (Landlock, or a uid of its own)."""
    from kenali.grading.run import can_drop_privileges

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.syscall.restype = ctypes.c_long
        landlock = libc.syscall(444, None, ctypes.c_size_t(0), ctypes.c_uint32(1)) >= 1
    except (OSError, AttributeError):
        landlock = False
    return landlock or can_drop_privileges()


@pytest.fixture(scope="module")
def tamper(tmp_path_factory, kit):
    base = tmp_path_factory.mktemp("tamper")
    subs, tmp = base / "subs", base / "tmp"
    subs.mkdir()
    marker = base / "unpickled"
    package = kit.root / "kenali"
    bank_file = kit.bank.path

    def handin(name: str, learner: str | None = None, **kw) -> None:
        learner = learner or name
        kit.write_zip(subs / f"{name}-kenali.zip", kit.handin(tmp, learner, learner.title(), **kw))

    def solved(*inserted: str, **answers: str):
        nb = kit.solved()
        for ex_id, source in answers.items():
            kit.set_answer(nb, ex_id.replace("_", "."), source)
        for source in inserted:  # the learner's own cells, just before exercise 5.1
            kit.insert_code(nb, kit.index_of(nb, "5.1"), source)
        return nb

    handin("control", nb=solved(**{"5.1": WRONG_5_1}))
    handin("fakecek", nb=solved('def cek(*args, **kwargs):\n    print("100/100")\n__kenali_cek__ = cek\n'
                                'print("100/100")', **{"5.1": WRONG_5_1}))
    printer = kit.blank()
    kit.insert_code(printer, kit.index_of(printer, "5.1"), 'print("100/100")\nprint("Benar!")')
    handin("printer", nb=printer)
    protected = _write_protection()
    # where the sandbox can guard the files, the learner's code really tries to change them (the
    # fixture puts them back if it ever succeeds); elsewhere it only probes (opening to append writes nothing)
    vandal = (f"for target in [pathlib.Path({str(package)!r}) / 'keys.py', pathlib.Path({str(bank_file)!r})]:\n"
              "    try:\n        with open(target, 'a') as fh:\n            fh.write('\\n# pwned\\n')\n"
              "    except OSError:\n        pass\n") if protected else ""
    handin("patch", nb=solved(
        "import kenali, sys\nkenali.cek = lambda *a, **k: print('Benar!')\nsys.modules.pop('kenali', None)\n"
        "import kenali.model as km, kenali.session as ks\n"
        "km.check = lambda *a, **k: km.Result('correct', 1.0, ())\n"
        "ks.check_answer = lambda *a, **k: km.Result('correct', 1.0, ())",
        **{"5.1": WRONG_5_1,
           "5.12": PROBE + vandal + f"jawaban_5_12 = [probe(pathlib.Path({str(package)!r}) / 'keys.py'), "
                           f"probe({str(bank_file)!r}), probe('mine.txt', 'w')]\ncek('5.12', jawaban_5_12)"}))
    edited_bank = bank_file.read_text(encoding="utf-8").replace("    key: b\n", "    key: a\n", 1)
    handin("bank", banks={bank_file.name: hashlib.sha256(edited_bank.encode()).hexdigest()},
           extra={f"kenali/content/id/banks/{bank_file.name}": edited_bank.encode()},
           records=[kit.record("5.14", "a", "bank", status="correct", score=1.0),
                    *kit.widget_records("bank", ids=kit.widget_ids[1:])])
    handin("claims", records=[kit.record("5.14", "a", "claims", status="correct", score=1.0),
                              kit.record("5.15", "c", "claims", status="correct", score=1)])
    handin("objects", nb=solved(**{
        "5.1": "class Sama:\n    def __eq__(self, other):\n        return True\n    __hash__ = object.__hash__\n"
               'jawaban_5_1 = Sama()\ncek("5.1", jawaban_5_1)',
        "5.3": "class S(pd.Series):\n    def __eq__(self, other):\n        return True\n"
               "    def equals(self, other):\n        return True\n"
               'jawaban_5_3 = S({"B2B": 1.0, "B2C": 2.0})\ncek("5.3", jawaban_5_3)',
        "5.4": "import os\nclass Jahat:\n    def __reduce__(self):\n"
               f"        return (os.system, ('touch {marker}',))\n"
               'jawaban_5_4 = Jahat()\ncek("5.4", jawaban_5_4)',
        "5.11": "import os\nclass N(int):\n    def __eq__(self, other):\n        return True\n"
                "    def __repr__(self):\n        return 'key'\n    def __reduce__(self):\n"
                f"        return (os.system, ('touch {marker}',))\n"
                'jawaban_5_11 = N(3)\ncek("5.11", jawaban_5_11)',
    }))
    handin("peek", nb=solved(**{
        "5.1": "import json\ntry:\n    json.load(open('../solutions/05_lab_data.ipynb'))\n    jawaban_5_1 = 'found'\n"
               "except OSError as exc:\n    jawaban_5_1 = type(exc).__name__\ncek('5.1', jawaban_5_1)",
        "5.12": "import os\njawaban_5_12 = sorted(os.listdir('..'))\ncek('5.12', jawaban_5_12)",
    }))
    handin("killer", nb=solved(**{"5.13": "import os, signal\nos.kill(os.getppid(), signal.SIGKILL)"}))
    handin("01-poison", "poison", nb=solved(**{
        "5.1": PROBE + "for name in ('pengguna.csv', 'akun.csv'):\n"
                       "    try:\n        pathlib.Path('../data', name).write_text('id_akun\\n1\\n')\n"
                       "    except OSError:\n        pass\n"
                       "jawaban_5_1 = probe('../data/pengguna.csv')\ncek('5.1', jawaban_5_1)"}))
    handin("02-victim", "victim", nb=solved(**{
        "5.1": "siswa_per_akun = pd.read_csv('../data/pengguna.csv')['id_akun'].value_counts()\n"
               "jawaban_5_1 = int((siswa_per_akun > 1).sum())\ncek('5.1', jawaban_5_1)"}))

    targets = [package / "keys.py", bank_file]  # what the learners' code tries to change
    before, saved = _digests(targets), {p: p.read_bytes() for p in targets}
    try:
        outcome = kit.grade(subs, base / "out", workers=1, limits=kit.limits(cell_timeout=3, timeout=20))
    finally:
        after = _digests(targets)
        for path, data in saved.items():
            if after[str(path)] != before[str(path)]:
                path.write_bytes(data)
    return {"outcome": outcome, "rows": {r["learner_id"]: r for r in outcome.rows}, "marker": marker,
            "package": (before, after), "protected": protected}


@pytest.fixture(scope="module")
def rows(tamper):
    return tamper["rows"]


def test_all_entries_graded(tamper, kit):
    assert tamper["outcome"].entries == len(tamper["rows"]) == 11
    kit.assert_correct(tamper["rows"]["control"], [i for i in kit.all_ids if i != "5.1"])
    assert tamper["rows"]["control"]["total"] == 18 and tamper["rows"]["control"]["status"] == "ok"


def test_redefining_cek_gains_nothing(kit, rows):
    control, row = rows["control"], rows["fakecek"]
    assert kit.statuses(row) == kit.statuses(control)
    assert row["total"] == control["total"] == 18
    assert row["exercises"]["5.1"]["status"] == "wrong"
    assert row["exercises"]["5.1"]["answer"] == {"kind": "number", "value": 0}


def test_printing_100_of_100_gains_nothing(kit, rows):
    row = rows["printer"]
    assert row["total"] == len(kit.widget_ids)  # the widget answers of its records, nothing else
    assert all(row["exercises"][i]["status"] == "unanswered" for i in kit.code_ids)


def test_patching_the_engine_gains_nothing(kit, rows):
    row = rows["patch"]
    assert row["exercises"]["5.1"]["status"] == "wrong"
    assert row["exercises"]["5.12"]["status"] == "wrong"
    assert row["total"] == 17
    kit.assert_correct(row, [i for i in kit.all_ids if i not in {"5.1", "5.12"}])


def test_package_and_bank_files_untouched(tamper, rows):
    before, after = tamper["package"]
    assert before == after
    probes = [item["value"] for item in rows["patch"]["exercises"]["5.12"]["answer"]["items"]]
    assert probes[2] == "writable"  # the child's own working copy is writable
    if not tamper["protected"]:
        pytest.skip("neither Landlock nor a separate uid available: the sandbox cannot guard the grader's files")
    assert probes[:2] == ["PermissionError", "PermissionError"]


def test_edited_bank_copy_is_ignored(kit, rows):
    row = rows["bank"]
    assert row["notes"] == [{"code": "bank_changed", "bank": "05_lab_data.yaml"}]
    assert row["exercises"]["5.14"]["status"] == "wrong" and row["exercises"]["5.14"]["earned"] == 0
    kit.assert_correct(row, [i for i in kit.all_ids if i != "5.14"])


def test_recorded_status_and_score_are_ignored(kit, rows):
    row = rows["claims"]
    for ex_id, answer in (("5.14", "a"), ("5.15", "c")):
        res = row["exercises"][ex_id]
        assert (res["status"], res["score"], res["earned"], res["answer"]) == ("wrong", 0, 0, answer)
    assert row["total"] == 13


def test_value_objects_are_scored_as_plain_data(tamper, kit, rows):
    row = rows["objects"]
    ex = row["exercises"]
    assert ex["5.1"]["answer"] == {"kind": "other", "type": "Sama"}
    assert ex["5.4"]["answer"] == {"kind": "other", "type": "Jahat"}
    assert ex["5.11"]["answer"] == {"kind": "number", "value": 3}
    assert ex["5.3"]["answer"]["kind"] == "series" and ex["5.3"]["answer"]["values"] == [1.0, 2.0]
    for ex_id in ("5.1", "5.3", "5.4", "5.11"):
        assert ex[ex_id]["status"] in {"wrong", "invalid"} and ex[ex_id]["earned"] == 0, ex_id
    assert row["total"] == 15
    assert not tamper["marker"].exists()  # never unpickled, anywhere


def test_solutions_are_not_in_the_sandbox(rows):
    ex = rows["peek"]["exercises"]
    assert ex["5.1"]["answer"] == {"kind": "text", "value": "FileNotFoundError"}
    listing = [item["value"] for item in ex["5.12"]["answer"]["items"]]
    assert "exercises" in listing and "data" in listing and "solutions" not in listing
    assert rows["peek"]["total"] == 17


def test_killing_the_worker_gains_nothing(kit, rows):
    row = rows["killer"]
    assert row["exercises"]["5.13"]["status"] != "correct"
    assert row["total"] <= 18
    for learner, other in rows.items():  # the batch goes on: every other entry ran its code
        assert learner == "killer" or not kit.notes_of(other, "sandbox_error"), learner
    assert rows["victim"]["total"] == 19


def test_poisoned_data_does_not_reach_the_next_learner(kit, rows):
    kit.assert_correct(rows["victim"], kit.all_ids)
    assert rows["poison"]["exercises"]["5.1"]["status"] == "wrong"
