"""SmartStream packets decoded from fixtures built by the documented layout, and the feed against the simulator."""

from __future__ import annotations

import asyncio
import json

import pytest

from brokers.angel.streaming import AngelFeed, decode_packet, subscribe_message, unified_payload
from brokers.angel.tests.conftest import ws_fixture
from generated.contract import InstrumentRef


def test_ltp_packet():
    (tick,) = decode_packet(ws_fixture("ltp_mode"))
    assert (tick.exchange_type, tick.token, tick.mode, tick.last_price, tick.sequence) == (1, "3045", "ltp", 571.8, 7)
    assert tick.exchange_timestamp.timestamp() == 1703142837


def test_quote_packet():
    (tick,) = decode_packet(ws_fixture("quote_mode"))
    assert (tick.mode, tick.last_price, tick.last_quantity, tick.average_price, tick.volume) == (
        "quote",
        571.85,
        3,
        570.71,
        7196543,
    )
    assert (tick.open, tick.high, tick.low, tick.close) == (568.75, 573.9, 567.1, 566.6)
    assert (tick.buy_quantity, tick.sell_quantity) == (1100449.0, 1693329.0)


def test_snap_quote_packet():
    (tick,) = decode_packet(ws_fixture("snap_quote_mode"))
    assert (tick.mode, tick.exchange_type, tick.token, tick.last_price, tick.oi) == (
        "full",
        2,
        "35003",
        123.45,
        4500000,
    )
    assert [(level.price, level.quantity, level.orders) for level in tick.bids][:2] == [
        (123.4, 100, 2),
        (123.35, 101, 2),
    ]
    assert [level.price for level in tick.asks] == [123.5, 123.55, 123.6, 123.65, 123.7]
    assert (tick.upper_circuit, tick.lower_circuit) == (200.0, 50.0)


def test_currency_prices_have_seven_decimals():
    (tick,) = decode_packet(ws_fixture("cds_ltp_mode"))
    assert (tick.exchange_type, tick.last_price) == (13, 0.125)


@pytest.mark.parametrize("frame", [b"", ws_fixture("ltp_mode")[:50], ws_fixture("quote_mode") + b"\x00"])
def test_bad_frames_are_refused(frame):
    with pytest.raises(ValueError):
        decode_packet(frame)


def test_subscribe_message_groups_tokens_by_exchange():
    message = json.loads(subscribe_message("full", [(2, "35003"), (1, "3045"), (1, "2885")]))
    assert message["action"] == 1
    assert message["params"] == {"mode": 3, "tokenList": [{"exchangeType": 1, "tokens": ["3045", "2885"]},
                                                          {"exchangeType": 2, "tokens": ["35003"]}]}  # fmt: skip
    assert len(message["correlationID"]) <= 10


def test_feed_ignores_pong_and_text():
    feed = AngelFeed("ws://x", lambda ticks: None, connect=None)
    assert feed.decode("pong") == []
    assert feed.decode('{"errorCode": "E1001"}') == []


async def test_feed_reconnects_and_resubscribes(simulator):
    plugin = simulator.plugin(rate_limits=[])
    account = simulator.issue_session()
    ticks = []
    feed = await plugin.open_feed(account, [InstrumentRef(exchange="NSE", symbol="SBIN")], ticks.extend,
                                  mode="full", connect=simulator.feed_connector())  # fmt: skip
    feed._backoff = (0.01, 0.05)
    task = asyncio.create_task(feed.run())
    try:
        for _ in range(200):
            if ticks:
                break
            await asyncio.sleep(0.01)
        assert ticks and ticks[-1].mode == "full"
        assert abs(ticks[-1].last_price - simulator.market.quote("NSE", "SBIN").ltp) < 0.011
        simulator.drop_feed_connections()
        seen = len(ticks)
        for _ in range(200):
            if feed.connections >= 2 and len(ticks) > seen:
                break
            await asyncio.sleep(0.01)
        assert feed.connections >= 2 and len(ticks) > seen
    finally:
        feed.stop()
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


def test_unified_payload_of_a_quote_tick():
    (tick,) = decode_packet(ws_fixture("quote_mode"))
    payload = unified_payload(tick, InstrumentRef(exchange="NSE", symbol="SBIN"))
    assert (payload["symbol"], payload["exchange"], payload["ltp"]) == ("SBIN", "NSE", 571.85)
    assert payload["ltt"] == payload["timestamp"] == int(tick.exchange_timestamp.timestamp() * 1000)
    assert (payload["volume"], payload["last_quantity"], payload["average_price"]) == (7196543, 3, 570.71)
    assert (payload["total_buy_quantity"], payload["close"], payload["change"]) == (1100449, 566.6, 5.25)
    assert "depth" not in payload and "oi" not in payload  # a Quote packet has neither


def test_unified_payload_of_ltp_and_snap_quote_ticks():
    (ltp,) = decode_packet(ws_fixture("ltp_mode"))
    assert unified_payload(ltp, InstrumentRef(exchange="NSE", symbol="SBIN")) == {
        "symbol": "SBIN", "exchange": "NSE", "ltp": 571.8, "ltt": 1703142837000, "timestamp": 1703142837000,
    }  # fmt: skip
    (snap,) = decode_packet(ws_fixture("snap_quote_mode"))
    payload = unified_payload(snap, InstrumentRef(exchange="NFO", symbol="NIFTY26DEC2426000CE"))
    assert (payload["oi"], payload["bid"], payload["ask"]) == (4500000, 123.4, 123.5)
    assert payload["depth"]["buy"][0] == {"price": 123.4, "quantity": 100, "orders": 2}
    assert len(payload["depth"]["sell"]) == 5


async def test_stream_speaks_unified_instruments(simulator):
    plugin = simulator.plugin(rate_limits=[])
    heard = []
    stream = await plugin.stream(simulator.issue_session(), lambda *quote: heard.append(quote),
                                 connect=simulator.feed_connector())  # fmt: skip
    task = asyncio.create_task(stream.run())
    try:
        unknown = await stream.subscribe(
            [InstrumentRef(exchange="NSE", symbol="SBIN"), InstrumentRef(exchange="NSE", symbol="NOSUCH")], "depth"
        )
        assert [item.symbol for item in unknown] == ["NOSUCH"]
        assert list(stream.feed.subscriptions.values()) == ["full"]  # depth is SnapQuote
        for _ in range(200):
            if heard:
                break
            await asyncio.sleep(0.01)
        exchange, symbol, payload = heard[-1]
        assert (exchange, symbol, payload["symbol"]) == ("NSE", "SBIN", "SBIN") and payload["depth"]["buy"]
        assert abs(payload["ltp"] - simulator.market.quote("NSE", "SBIN").ltp) < 0.011
    finally:
        stream.stop()
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
