"""Plain conversion of code answers and the comparison that says what differs."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from kenali.values import CompareOptions, compare, to_plain


def verdict(actual, expected, **opts):
    return compare(to_plain(actual), to_plain(expected), CompareOptions(**opts))


def test_plain_is_json_and_never_code():
    frame = pd.DataFrame({"peran": ["a", "b"], "n": [1, np.nan], "t": pd.to_datetime(["2026-01-02", None])})
    plain = to_plain(frame)
    assert json.loads(json.dumps(plain)) == plain
    assert plain["data"][1][1] is None and plain["data"][0][2].startswith("2026-01-02")
    assert to_plain(np.int64(3)) == {"kind": "number", "value": 3}
    assert to_plain({1, 2})["ordered"] is False
    assert to_plain(object())["kind"] == "other"


def test_numbers():
    assert verdict(0.1 + 0.2, 0.3).ok
    v = verdict(12, 10)
    assert not v.ok and "20%" in v.messages[0]
    assert verdict(np.float64(2.0), 2).ok


def test_series_index_and_values():
    expected = pd.Series({"orang tua": 10, "sekolah": 5})
    assert verdict(expected.sort_values(), expected).ok  # order ignored by default
    assert not verdict(expected.sort_values(), expected, check_order=True).ok
    v = verdict(pd.Series({"orang tua": 10, "siswa": 5}), expected)
    assert not v.ok and any("sekolah" in m for m in v.messages) and any("siswa" in m for m in v.messages)
    v = verdict(pd.Series({"orang tua": 11, "sekolah": 5}), expected)
    assert any("1 dari 2" in m for m in v.messages)
    assert not any("10" in m for m in v.messages)  # the key value is not revealed


def test_dataframe_columns_rows_cells():
    expected = pd.DataFrame({"akun": ["A", "B"], "n": [1, 2]})
    assert verdict(expected[["n", "akun"]], expected).ok
    v = verdict(expected.drop(columns="n"), expected)
    assert any("Kolom yang belum ada: n" in m for m in v.messages)
    v = verdict(expected.assign(x=1), expected)
    assert any("tidak diminta: x" in m for m in v.messages)
    v = verdict(expected.iloc[:1], expected)
    assert any("Jumlah baris" in m for m in v.messages)
    v = verdict(expected.assign(n=[1, 3]), expected)
    assert any("1 dari 4" in m for m in v.messages)
    shuffled = expected.iloc[::-1].reset_index(drop=True)
    assert not verdict(shuffled, expected).ok
    assert verdict(expected.iloc[::-1], expected).ok  # same labels, other order


def test_type_mismatch_names_both_types():
    v = verdict([1, 2], pd.Series([1, 2]))
    assert not v.ok and "list" in v.messages[0] and "Series" in v.messages[0]


def test_lists_dicts_text():
    assert verdict(["a", "b"], ["b", "a"]).ok
    assert not verdict(["a", "b"], ["b", "a"], check_order=True).ok
    assert not verdict(["a"], ["a", "b"]).ok
    assert verdict({"x": 1.0}, {"x": 1}).ok
    v = verdict({"x": 1}, {"x": 1, "y": 2})
    assert any("y" in m for m in v.messages)
    assert verdict("IT Support", "it support").ok
    assert verdict(..., 3).messages[0].startswith("Ganti")
