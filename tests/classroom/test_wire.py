"""The wire format: messages survive the round trip, untrusted bodies are refused with a readable reason."""

from __future__ import annotations

import json

import pytest

from kenali.classroom import wire
from kenali.classroom.wire import (
    CheckIn,
    CheckOut,
    RecordsBatch,
    RecordsIn,
    WireError,
    msg_from_json,
    msg_to_json,
    parse,
)
from kenali.present.message import Msg, Percent, joined, msg


def test_message_round_trip_keeps_key_params_and_text():
    m = joined(msg("feedback.number_above"), msg("value.number_wrong", pct=Percent(204.3)))
    data = json.loads(json.dumps(msg_to_json(m)))
    back = msg_from_json(data)
    assert isinstance(back, Msg)
    assert back == m and back.key == "" and back.params["parts"][1].key == "value.number_wrong"
    assert isinstance(back.params["parts"][1].params["pct"], Percent)


def test_numbers_stay_numbers_and_plain_text_stays_text():
    m = msg("feedback.partial", right=2, total=4)
    assert msg_to_json(m) == {"key": "feedback.partial", "params": {"right": 2, "total": 4}}
    assert msg_from_json(msg_to_json("Pelanggan membeli.")) == "Pelanggan membeli."


def test_unknown_key_from_another_edition_shows_its_text_not_an_error():
    assert msg_from_json({"key": "tidak.ada", "params": {"a": "halo"}}) == "halo"
    with pytest.raises(WireError):
        msg_from_json({"key": 3})


def test_records_ignore_the_kernels_own_verdict_fields_but_type_the_rest():
    body = {"records": [{"exercise": "1.3", "seq": 2, "answer": "b", "status": "correct", "score": 1,
                         "attempt": 1, "_file": "000000000002.json", "v": 2}]}
    rec = parse(RecordsIn, json.dumps(body)).records[0]
    assert (rec.exercise, rec.seq, rec.answer) == ("1.3", 2, "b")
    (same,), rejected = parse(RecordsBatch, json.dumps(body)).split()
    assert same == rec and rejected == []
    with pytest.raises(WireError, match=r"records\.0\.seq"):
        parse(RecordsIn, json.dumps({"records": [{"exercise": "1.3", "seq": "2"}]}))


def test_a_malformed_record_is_rejected_alone():
    """Bug: one bad record fails the whole batch -> a record the server never takes blocks the learner's sync."""
    body = {"records": [{"exercise": "1.3", "seq": 1, "answer": "a"}, {"exercise": "1.3", "seq": 2, "hints": "x"},
                        {"exercise": "1.4", "seq": "3"}]}
    good, bad = parse(RecordsBatch, json.dumps(body)).split()
    assert [(r.exercise, r.seq) for r in good] == [("1.3", 1)]
    assert [(r.exercise, r.seq) for r in bad] == [("1.3", 2), ("1.4", 0)]
    assert "records.1: hints" in bad[0].reason and "records.2: seq" in bad[1].reason
    with pytest.raises(WireError, match=r"records\.0"):
        parse(RecordsBatch, json.dumps({"records": ["not a record"]}))


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"", "empty"),
        (b"{", "not JSON"),
        (b"[]", "JSON object"),
        (b'{"exercise": "1.3", "extra": 1}', "extra"),
        (b'{"exercise": "<b>x</b>"}', "exercise"),
        (b'{"exercise": "1.3", "hints": -1}', "hints"),
        (b'{"exercise": "1.3", "answer": ' + b"[" * 40 + b"]" * 40 + b"}", "answer"),
        (b'{"exercise": "1.3", "answer": "' + b"x" * (wire.MAX_BODY_BYTES + 1) + b'"}', "bytes"),
    ],
)
def test_malformed_bodies_are_refused_with_a_reason(body, reason):
    with pytest.raises(WireError, match=reason):
        parse(CheckIn, body)


def test_answer_over_the_store_limit_is_refused():
    with pytest.raises(WireError, match="answer"):
        parse(CheckIn, json.dumps({"exercise": "1.3", "answer": "x" * 70_000}))


def test_too_many_records_are_refused():
    records = [{"exercise": "1.3", "seq": i + 1, "answer": "a"} for i in range(wire.MAX_RECORDS + 1)]
    with pytest.raises(WireError, match="records"):
        parse(RecordsIn, json.dumps({"records": records}))


def test_check_out_round_trip():
    out = CheckOut(exercise="1.3", status="wrong", messages=[msg_to_json(msg("feedback.wrong")), "teks"],
                   attempt=2, attempts_left=1)
    back = parse(CheckOut, wire.dump(out))
    assert back == out
    assert back.message_objects()[0].key == "feedback.wrong"
