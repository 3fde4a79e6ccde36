"""Copied work is flagged for the instructor to look at, and never changes a score.

A small lesson-05 class through the real pipeline: ``ani`` and ``budi`` hand in the same own code
for 5.3 (budi with other comments, layout and variable names) and the same widget answers a few
seconds apart; ``citra`` writes 5.3 her own way and answers at her own pace. Everyone's other code
answers are the published solutions.
"""

from __future__ import annotations

import csv

import pytest

from kenali.grading import pipeline, similarity

STARTER = 'from kenali import cek, muat\n\nakun = muat("akun")\npesanan = muat("pesanan")\n\n'
CODE_A = STARTER + ('import pandas as pd\n'
                    'bayar = pesanan.loc[pesanan["status_bayar"].eq("lunas"), ["id_akun", "nilai"]]\n'
                    'gabung = pd.merge(bayar, akun[["id_akun", "segmen"]], on="id_akun", how="inner")\n'
                    'jawaban_5_3 = gabung.groupby("segmen")["nilai"].sum()\n'
                    'cek("5.3", jawaban_5_3)\n')
CODE_A_DISGUISED = STARTER + ('import pandas as pd\n\n# pesanan yang sudah dibayar saja\n'
                              'dibayar = pesanan.loc[pesanan["status_bayar"].eq( "lunas" ), ["id_akun","nilai"]]\n\n'
                              'tabel = pd.merge(dibayar, akun[["id_akun", "segmen"]],\n'
                              '                 on="id_akun", how="inner")   # gabung dengan akun\n'
                              'jawaban_5_3 = tabel.groupby("segmen")["nilai"].sum()\n'
                              'jawaban_5_3\n'
                              'cek("5.3", jawaban_5_3)\n')
CODE_B = STARTER + ('per_akun = pesanan[pesanan.status_bayar == "lunas"].groupby("id_akun")["nilai"].sum()\n'
                    'segmen = akun.set_index("id_akun")["segmen"]\n'
                    'jawaban_5_3 = per_akun.groupby(segmen).sum()\n'
                    'cek("5.3", jawaban_5_3)\n')


def _read(path):
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.reader(fh))


@pytest.fixture(scope="module")
def graded(tmp_path_factory, kit):
    base = tmp_path_factory.mktemp("similarity")
    subs = base / "subs"
    subs.mkdir()
    ts = 1_750_000_000.0
    for learner, code, start in (("ani", CODE_A, ts), ("budi", CODE_A_DISGUISED, ts + 4), ("citra", CODE_B, ts)):
        nb = kit.solved()
        kit.set_answer(nb, "5.3", code)
        gap = 37.0 if learner == "citra" else 100.0
        records = [kit.record(i, kit.widget_keys[i], learner, ts=start + gap * n) for n, i in enumerate(kit.widget_ids)]
        kit.write_zip(subs / f"{learner}-kenali.zip", kit.handin(base, learner, learner.title(), nb=nb,
                                                                 records=records))
    outcome = kit.grade(subs, base / "out")
    return {"base": base, "subs": subs, "out": base / "out", "outcome": outcome}


def _flags(graded):
    rows = _read(graded["out"] / "similarity.csv")
    assert rows[0] == similarity.HEADER
    return [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]


def test_identical_code_is_flagged_different_code_is_not(graded):
    code = [f for f in _flags(graded) if f["kind"] == "kode sama"]
    assert [(f["learners"], f["exercises"]) for f in code] == [("ani;budi", "5.3")]
    assert "differs only in variable names" in code[0]["evidence"]


def test_code_identical_to_the_solution_has_its_own_kind(graded):
    solution = [f for f in _flags(graded) if f["kind"] == "sama dengan solusi"]
    assert len(solution) == 1 and solution[0]["learners"] == "ani;budi;citra"
    ids = solution[0]["exercises"].split(";")
    assert "5.3" not in ids and {"5.5", "5.8", "5.9"} <= set(ids)


def test_same_answers_at_the_same_moments_are_flagged(graded):
    pairs = [f for f in _flags(graded) if f["kind"] == "jawaban dan waktu sama"]
    assert [(f["learners"], f["score"]) for f in pairs] == [("ani;budi", "100")]
    assert "6 of 6 answers identical" in pairs[0]["evidence"] and "4 s apart" in pairs[0]["evidence"]


def test_summary_says_look_at_never_a_verdict(graded):
    page = (graded["out"] / "summary.html").read_text(encoding="utf-8")
    assert "To look at: possibly copied work" in page and "Nothing here changes a score" in page
    assert "ani, budi" in page


def test_flags_change_no_score(kit, graded, monkeypatch, tmp_path):
    rows = {r["learner_id"]: r for r in graded["outcome"].rows}
    kit.assert_correct(rows["ani"], kit.all_ids)
    kit.assert_correct(rows["budi"], kit.all_ids)
    assert all(r["status"] == "ok" and r["notes"] == [] for r in rows.values())
    # the same class graded with the detector switched off writes the same grades, byte for byte
    monkeypatch.setattr(pipeline.similarity, "find", lambda *a, **k: [])
    out = tmp_path / "out"
    import shutil

    shutil.copytree(graded["out"], out)
    kit.grade(graded["subs"], out)
    for name in ("gradebook.csv", "moodle.csv"):
        assert (out / name).read_bytes() == (graded["out"] / name).read_bytes(), name
    assert _read(out / "similarity.csv") == [similarity.HEADER]


# -- units ----------------------------------------------------------------------------------------

def test_fingerprint_ignores_comments_layout_names_and_hand_out_lines():
    a = similarity.fingerprint(CODE_A, STARTER, "jawaban_5_3")
    b = similarity.fingerprint(CODE_A_DISGUISED, STARTER, "jawaban_5_3")
    c = similarity.fingerprint(CODE_B, STARTER, "jawaban_5_3")
    assert a.renamed == b.renamed and a.exact != b.exact and a.renamed != c.renamed
    assert a.nodes >= similarity.MIN_NODES
    assert similarity.fingerprint(STARTER + 'cek("5.3", jawaban_5_3)\n', STARTER, "jawaban_5_3") is None
    # the answer variable keeps its name: an answer stored elsewhere is different code
    d = similarity.fingerprint(CODE_A.replace("jawaban_5_3 =", "hasil =").replace('cek("5.3", jawaban_5_3)',
                                                                                   'cek("5.3", hasil)'),
                               STARTER, "jawaban_5_3")
    assert d.renamed != a.renamed


def _row(learner, answers, fatal=False):
    return {"learner_id": learner, "fatal": fatal,
            "exercises": {e: {"answer_key": k, "time": t, "status": s, "source": "record"}
                          for e, (k, t, s) in answers.items()}}


def test_answer_pairs_need_both_same_answers_and_same_moments(kit):
    exercises = [ex for ex in kit.bank.graded]
    ids = kit.widget_ids

    def at(second):
        return f"2025-06-15T10:{second // 60:02d}:{second % 60:02d}+00:00"

    base = {e: (f"k{n}", at(60 * n), "correct") for n, e in enumerate(ids)}
    near = {e: (k, at(60 * n + 3), s) for n, (e, (k, _, s)) in enumerate(base.items())}
    own_pace = {e: (k, at(60 * n + 30), s) for n, (e, (k, _, s)) in enumerate(base.items())}
    other = {e: (f"x{n}" if n < 2 else k, at(60 * n + 3), s) for n, (e, (k, _, s)) in enumerate(base.items())}
    rows = [_row("a", base), _row("b", near), _row("c", own_pace), _row("d", other), _row("e", near, fatal=True)]
    flags = similarity.answer_flags(rows, exercises)
    assert [(f.learners, f.score) for f in flags] == [(("a", "b"), 100)]
    assert similarity.answer_flags([_row("a", base), _row("b", dict(list(near.items())[:4]))], exercises) == []


def test_every_record_counts_when_the_row_holds_them(kit):
    """Two learners who answered together and re-checked later apart: the records made together show it."""
    exercises = list(kit.bank.graded)
    ids = kit.widget_ids

    def row(learner, latest_offset, early_offset):
        return {"learner_id": learner, "fatal": False, "exercises": {
            e: {"answer_key": f"k{n}", "status": "correct", "source": "record",
                "time": f"2025-06-15T12:{n:02d}:{latest_offset:02d}+00:00",
                "trail": [[f"2025-06-15T10:{n:02d}:{early_offset:02d}+00:00", "wrong"],
                          [f"2025-06-15T11:{n:02d}:{early_offset:02d}+00:00", f"k{n}"],
                          [f"2025-06-15T12:{n:02d}:{latest_offset:02d}+00:00", f"k{n}"]]}
            for n, e in enumerate(ids)}}

    flags = similarity.answer_flags([row("a", 0, 5), row("b", 40, 7)], exercises)
    assert [(f.learners, f.score) for f in flags] == [(("a", "b"), 100)]
    assert "2 s apart" in flags[0].evidence
    # the latest records alone (no trail) are 40 s apart: nothing to look at
    for r in (rows := [row("a", 0, 5), row("b", 40, 7)]):
        for res in r["exercises"].values():
            del res["trail"]
    assert similarity.answer_flags(rows, exercises) == []
