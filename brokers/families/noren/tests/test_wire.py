"""Both wires, both directions: what the client sends the simulator reads back, and the other way round."""

from __future__ import annotations

import json
from pathlib import Path

import httpx

from brokers.families.noren import wire
from brokers.families.noren.profile import NorenProfile

BROKERS = Path(__file__).resolve().parents[3]
SHOONYA = NorenProfile.read(BROKERS / "shoonya")
FIRSTOCK = NorenProfile.read(BROKERS / "firstock")
ORDER = {"uid": "FA12345", "exch": "NSE", "tsym": "SBIN-EQ", "qty": "1", "prd": "C", "trantype": "B", "prctyp": "LMT"}


def _content(profile: NorenProfile, data: dict, key: str | None) -> bytes:
    return httpx.Request("POST", "http://noren/x", **wire.request_body(profile, data, key)).read()


def test_jdata_wire_sends_a_form_of_jdata_and_jkey():
    content = _content(SHOONYA, ORDER, "k3y")

    assert content.startswith(b"jData=") and content.endswith(b"&jKey=k3y")
    assert wire.parse_request(SHOONYA, content) == (ORDER, "k3y")


def test_jdata_login_carries_no_jkey():
    assert wire.parse_request(SHOONYA, _content(SHOONYA, {"uid": "FA12345"}, None)) == ({"uid": "FA12345"}, None)


def test_json_wire_names_fields_firstocks_way_and_reads_them_back():
    content = _content(FIRSTOCK, ORDER, "k3y")

    sent = json.loads(content)
    assert sent["userId"] == "FA12345" and sent["tradingSymbol"] == "SBIN-EQ" and sent["transactionType"] == "B"
    assert sent["jKey"] == "k3y" and "tsym" not in sent
    assert wire.parse_request(FIRSTOCK, content) == (ORDER, "k3y")


def test_json_wire_answers_are_renamed_back_to_noren_fields():
    body = wire.answer_body(FIRSTOCK, [{"norenordno": "1", "tsym": "SBIN-EQ", "status": "OPEN"}])

    assert body["data"][0]["orderNumber"] == "1"
    assert wire.read_answer(FIRSTOCK, body) == ([{"norenordno": "1", "tsym": "SBIN-EQ", "status": "OPEN"}], None)


def test_failures_read_as_their_text_on_both_wires():
    assert wire.read_answer(SHOONYA, wire.failure_body(SHOONYA, "no data")) == (None, "no data")
    assert wire.read_answer(FIRSTOCK, {"status": "Failed", "error": {"message": "Invalid jKey"}}) == (
        None,
        "Invalid jKey",
    )
