"""The feed: FeedResponse frames decoded from fixture bytes, subscription frames, and reconnecting through the simulator.

`ltpc.bin` is written byte by byte from the field numbers of MarketDataFeedV3.proto (the builder is
`_documented_ltpc_frame` below), so decoding it also checks the run-time message classes against the
documented schema. The other frames were encoded with those classes from the same schema.
"""

from __future__ import annotations

import asyncio
import json
import struct

import pytest

from brokers.upstox.streaming import FeedResponse, decode_frame, subscription_message, tick_payload
from brokers.upstox.tests.conftest import ws_fixture
from generated.contract import InstrumentRef
from generated.errors import BrokerBadResponse


def _varint(number: int) -> bytes:
    out = b""
    while True:
        low, number = number & 0x7F, number >> 7
        if not number:
            return out + bytes([low])
        out += bytes([low | 0x80])


def _field(number: int, wire: int, payload: bytes) -> bytes:
    if wire == 2:
        payload = _varint(len(payload)) + payload
    return _varint(number << 3 | wire) + payload


def _documented_ltpc_frame() -> bytes:
    # LTPC{ltp=1 double, ltt=2 int64, ltq=3 int64, cp=4 double}; Feed{ltpc=1, requestMode=4};
    # FeedResponse{type=1, feeds=2 (map entry: key=1, value=2), currentTs=3}
    ltpc = (
        _field(1, 1, struct.pack("<d", 570.6))
        + _field(2, 0, _varint(1697699204000))
        + _field(3, 0, _varint(25))
        + _field(4, 1, struct.pack("<d", 570.1))
    )
    feed = _field(1, 2, ltpc) + _field(4, 0, _varint(0))
    entry = _field(1, 2, b"NSE_EQ|INE062A01020") + _field(2, 2, feed)
    return _field(1, 0, _varint(1)) + _field(2, 2, entry) + _field(3, 0, _varint(1697699204123))


def test_the_ltpc_fixture_is_the_documented_layout():
    assert ws_fixture("ltpc") == _documented_ltpc_frame()


def test_an_ltpc_frame():
    (tick,) = decode_frame(ws_fixture("ltpc"))

    assert (tick.instrument_key, tick.mode, tick.last_price, tick.last_quantity, tick.close) == (
        "NSE_EQ|INE062A01020",
        "ltpc",
        570.6,
        25,
        570.1,
    )
    assert tick.last_trade_time.isoformat() == "2023-10-19T07:06:44+00:00"


def test_a_full_frame_with_a_market_and_an_index():
    option, index = decode_frame(ws_fixture("full_mixed"))  # sorted by instrument key

    assert (index.instrument_key, index.mode, index.last_price, index.close) == (
        "NSE_INDEX|Nifty 50",
        "index_full",
        19671.1,
        19624.7,
    )
    assert (index.open, index.high, index.low) == (19650.0, 19700.25, 19600.5)
    assert (option.mode, option.last_price, option.volume, option.oi, option.average_price) == (
        "full",
        118.35,
        1200000,
        5400000.0,
        117.52,
    )
    assert (option.open, option.high, option.low) == (121.0, 125.5, 110.2)  # the 1d candle, not the minute one
    assert len(option.bids) == 5 and (option.bids[0].price, option.bids[0].quantity) == (118.3, 75)
    assert (option.asks[4].quantity, option.total_sell_quantity) == (750, 420000.0)


def test_an_option_greeks_frame_carries_the_first_level():
    (tick,) = decode_frame(ws_fixture("option_greeks"))

    assert (tick.mode, tick.last_price, tick.volume, tick.bids[0].price, tick.asks[0].quantity) == (
        "option_greeks",
        42.5,
        880000,
        42.45,
        225,
    )


def test_a_market_status_frame_has_no_ticks():
    assert decode_frame(ws_fixture("market_info")) == []
    status = FeedResponse.FromString(ws_fixture("market_info")).marketInfo.segmentStatus
    assert dict(status) == {"NSE_EQ": 2, "MCX_FO": 3}


def test_a_frame_that_is_not_protobuf_is_a_bad_response():
    with pytest.raises(BrokerBadResponse):
        decode_frame(b"\xff\xff\xff")


def test_a_subscription_is_binary_json():
    message = json.loads(subscription_message(["NSE_EQ|INE062A01020"], "full"))

    assert message["method"] == "sub"
    assert message["data"] == {"mode": "full", "instrumentKeys": ["NSE_EQ|INE062A01020"]}
    assert len(message["guid"]) == 32


async def test_the_feed_authorizes_each_connection_and_resubscribes_after_a_drop(simulator):
    plugin, account = simulator.plugin(), simulator.issue_session()
    ticks, arrived = [], asyncio.Event()

    def on_ticks(batch):
        ticks.extend(batch)
        arrived.set()

    feed = await plugin.open_feed(
        account, [InstrumentRef(exchange="NSE", symbol="SBIN")], on_ticks, connect=simulator.feed_connector()
    )
    task = asyncio.create_task(feed.run())
    try:
        await asyncio.wait_for(arrived.wait(), 5)
        assert ticks[-1].last_price == simulator.market.quote("NSE", "SBIN").ltp
        assert ticks[-1].mode == "full"
        arrived.clear()
        simulator.drop_feed_connections()
        while feed.connections < 2:
            await asyncio.sleep(0.02)
        arrived.clear()
        await asyncio.wait_for(arrived.wait(), 5)
    finally:
        feed.stop()
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    feed_requests = [request for request in simulator.requests if request.path == "/v3/feed/market-data-feed/authorize"]
    assert len(feed_requests) == feed.connections == 2


def test_a_full_tick_is_the_canonical_payload():
    option, index = decode_frame(ws_fixture("full_mixed"))
    payload = tick_payload(option, InstrumentRef(exchange="NFO", symbol="NIFTY26DEC2426000CE"))

    assert (payload["symbol"], payload["exchange"], payload["ltp"], payload["volume"]) == (
        "NIFTY26DEC2426000CE",
        "NFO",
        118.35,
        1200000,
    )
    assert (payload["open"], payload["average_price"], payload["oi"]) == (121.0, 117.52, 5400000.0)
    assert payload["depth"]["buy"][0] == {"price": 118.3, "quantity": 75, "orders": 0}
    assert (payload["bid"], payload["total_sell_quantity"]) == (118.3, 420000)
    assert payload["ltt"] == payload["timestamp"] == int(option.last_trade_time.timestamp() * 1000)
    index_payload = tick_payload(index, InstrumentRef(exchange="NSE_INDEX", symbol="NIFTY"))
    assert index_payload["change"] == round(19671.1 - 19624.7, 4) and "volume" not in index_payload
    assert "depth" not in index_payload


def test_an_ltpc_tick_leaves_out_what_it_lacks():
    (tick,) = decode_frame(ws_fixture("ltpc"))
    payload = tick_payload(tick, InstrumentRef(exchange="NSE", symbol="SBIN"))

    assert payload == {
        "symbol": "SBIN",
        "exchange": "NSE",
        "ltp": 570.6,
        "ltt": 1697699204000,
        "timestamp": 1697699204000,
        "close": 570.1,
        "change": 0.5,
        "change_percent": round(0.5 * 100 / 570.1, 4),
        "last_quantity": 25,
    }


async def test_the_unified_stream_hears_sbin_and_refuses_an_unknown_symbol(simulator):
    plugin, account = simulator.plugin(), simulator.issue_session()
    heard, arrived = [], asyncio.Event()

    def on_quote(exchange, symbol, payload):
        heard.append((exchange, symbol, payload))
        arrived.set()

    stream = await plugin.stream(account, on_quote, connect=simulator.feed_connector())
    task = asyncio.create_task(stream.run())
    try:
        unknown = await stream.subscribe(
            [InstrumentRef(exchange="NSE", symbol="SBIN"), InstrumentRef(exchange="NSE", symbol="NOSUCH")], "depth"
        )
        assert [item.symbol for item in unknown] == ["NOSUCH"]
        assert set(stream.feed.subscriptions.values()) == {"full"}
        await asyncio.wait_for(arrived.wait(), 5)
    finally:
        stream.stop()
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    exchange, symbol, payload = heard[-1]
    assert (exchange, symbol, payload["ltp"]) == ("NSE", "SBIN", simulator.market.quote("NSE", "SBIN").ltp)
    assert len(payload["depth"]["buy"]) > 0
