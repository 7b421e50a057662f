"""Feed packets decoded from bytes built by the documented layout (fixtures/ws/build.py), and the feed's messages."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest

from brokers.dhan.streaming import (
    DhanFeed,
    Disconnected,
    OpenInterest,
    PrevClose,
    Tick,
    decode_one,
    decode_packet,
    feed_url,
    key_of,
    payload_of,
    subscribe_messages,
)
from brokers.dhan.tests.conftest import ws_fixture


def test_ticker():
    tick = decode_one(ws_fixture("ticker"))
    assert tick == Tick("NSE_EQ", 3045, "ltp", 790.35, last_trade_time=datetime(2024, 12, 2, 9, 15, 3, tzinfo=UTC))


def test_quote():
    tick = decode_one(ws_fixture("quote"))
    assert (tick.mode, tick.last_price, tick.last_quantity, tick.average_price, tick.volume) == (
        "quote",
        790.35,
        10,
        789.9,
        120000,
    )
    assert (tick.sell_quantity, tick.buy_quantity) == (900, 1825)
    assert (tick.open, tick.close, tick.high, tick.low) == (786.0, 788.2, 792.0, 784.5)


def test_full_with_depth():
    tick = decode_one(ws_fixture("full"))
    assert (tick.exchange_segment, tick.security_id, tick.mode, tick.last_price) == ("NSE_FNO", 56046, "full", 109.35)
    assert (tick.oi, tick.oi_day_high, tick.oi_day_low) == (1520000, 1600000, 1400000)
    assert (tick.open, tick.close, tick.high, tick.low) == (101.0, 98.6, 112.4, 99.9)
    assert (tick.bids[0].price, tick.bids[0].quantity, tick.bids[0].orders) == (790.3, 1800, 3)
    assert (tick.asks[0].price, tick.asks[0].quantity, tick.asks[0].orders) == (790.4, 900, 2)
    assert len(tick.bids) == len(tick.asks) == 5


def test_prev_close_open_interest_and_disconnect():
    assert decode_one(ws_fixture("prev_close")) == PrevClose("NSE_EQ", 3045, 788.2, 0)
    assert decode_one(ws_fixture("open_interest")) == OpenInterest("NSE_FNO", 56046, 1520000)
    assert decode_one(ws_fixture("disconnect")) == Disconnected(805)


def test_packets_back_to_back_are_read_in_turn():
    packets = decode_packet(ws_fixture("prev_close") + ws_fixture("ticker") + ws_fixture("full"))
    assert [type(packet).__name__ for packet in packets] == ["PrevClose", "Tick", "Tick"]


def test_an_unknown_code_or_short_packet_is_refused():
    with pytest.raises(ValueError, match="code 99"):
        decode_packet(bytes([99]) + bytes(15))
    with pytest.raises(ValueError, match="162 bytes"):
        decode_one(ws_fixture("full")[:100])


def test_subscriptions_are_json_in_batches_of_100():
    messages = [json.loads(text) for text in subscribe_messages("quote", [("NSE_EQ", n) for n in range(1, 151)])]
    assert [message["InstrumentCount"] for message in messages] == [100, 50]
    assert messages[0]["RequestCode"] == 17
    assert messages[0]["InstrumentList"][0] == {"ExchangeSegment": "NSE_EQ", "SecurityId": "1"}
    assert json.loads(subscribe_messages("full", [("IDX_I", 13)])[0])["RequestCode"] == 21
    assert json.loads(subscribe_messages("ltp", [("IDX_I", 13)], unsubscribe=True)[0])["RequestCode"] == 16


def test_feed_url_carries_token_and_client_id():
    assert feed_url("1000000009", "tok") == "wss://api-feed.dhan.co?version=2&token=tok&clientId=1000000009&authType=2"


def _feed() -> DhanFeed:
    return DhanFeed("ws://x", lambda ticks: None, connect=lambda url: None)


def test_the_feed_fills_a_tickers_close_from_the_previous_close_packet():
    feed = _feed()
    (tick,) = feed.decode(ws_fixture("prev_close") + ws_fixture("ticker"))
    assert (tick.last_price, tick.close) == (790.35, 788.2)


def test_the_feed_treats_a_disconnection_packet_as_a_dropped_connection():
    with pytest.raises(ConnectionResetError, match="805"):
        _feed().decode(ws_fixture("disconnect"))


async def test_the_feed_subscribes_each_mode_with_its_request_code():
    sent = []

    class Connection:
        async def send(self, message):
            sent.append(json.loads(message))

    feed = _feed()
    await feed.subscribe([("NSE_EQ", 3045)], "ltp")
    await feed.subscribe([("NSE_FNO", 56046)], "full")
    await feed.send_subscriptions(Connection(), list(feed.subscriptions))
    assert [(m["RequestCode"], m["InstrumentList"][0]["SecurityId"]) for m in sent] == [(15, "3045"), (21, "56046")]


NIFTY_CE = SimpleNamespace(exchange="NFO", symbol="NIFTY26DEC2426000CE")


def test_a_tickers_payload_has_the_price_its_time_and_the_previous_close():
    (tick,) = _feed().decode(ws_fixture("prev_close") + ws_fixture("ticker"))
    assert key_of(tick) == ("NSE_EQ", 3045)
    stamp = int(datetime(2024, 12, 2, 9, 15, 3, tzinfo=UTC).timestamp() * 1000)
    assert payload_of(tick, SimpleNamespace(exchange="NSE", symbol="SBIN")) == {
        "symbol": "SBIN", "exchange": "NSE", "ltp": 790.35, "ltt": stamp, "timestamp": stamp,
        "close": 788.2, "change": 2.15, "change_percent": 0.2728,  # four places, as every feed rounds
    }  # fmt: skip


def test_a_quotes_payload_adds_the_days_figures_but_no_depth():
    payload = payload_of(decode_one(ws_fixture("quote")), SimpleNamespace(exchange="NSE", symbol="SBIN"))
    assert (payload["volume"], payload["last_quantity"], payload["average_price"]) == (120000, 10, 789.9)
    assert (payload["total_buy_quantity"], payload["total_sell_quantity"]) == (1825, 900)
    assert (payload["open"], payload["high"], payload["low"], payload["close"]) == (786.0, 792.0, 784.5, 788.2)
    assert "depth" not in payload and "oi" not in payload


def test_a_full_packets_payload_adds_open_interest_and_depth():
    payload = payload_of(decode_one(ws_fixture("full")), NIFTY_CE)
    assert (payload["symbol"], payload["exchange"], payload["ltp"], payload["oi"]) == (
        "NIFTY26DEC2426000CE", "NFO", 109.35, 1520000,
    )  # fmt: skip
    assert payload["depth"]["buy"][0] == {"price": 790.3, "quantity": 1800, "orders": 3}
    assert payload["depth"]["sell"][0] == {"price": 790.4, "quantity": 900, "orders": 2}
    assert (payload["bid"], payload["ask"]) == (790.3, 790.4)
    assert len(payload["depth"]["buy"]) == len(payload["depth"]["sell"]) == 5
