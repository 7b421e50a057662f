"""The data socket's binary messages, decoded from frames written by hand from the documented layout."""

from __future__ import annotations

import asyncio
import struct

import pytest

from brokers.fyers.streaming import (
    FeedDecoder,
    auth_message,
    decode_packet,
    subscribe_message,
    tick_payload,
    topic_name,
)
from brokers.fyers.tests.conftest import ws_fixture
from generated.contract import InstrumentRef
from generated.errors import NotSupported


def test_a_snapshot_decodes_to_rupees_with_its_multiplier_and_precision():
    [tick] = decode_packet(ws_fixture("snapshot_sbin"))
    assert (tick.topic, tick.symbol) == ("sf|nse_cm|3045", "NSE:SBIN-EQ")
    assert (tick.last_price, tick.bid, tick.ask, tick.open, tick.high, tick.low, tick.close) == (
        586.3, 586.25, 586.3, 580.1, 588.0, 579.5, 581.2,
    )  # fmt: skip
    assert (tick.volume, tick.last_quantity, tick.total_buy_quantity, tick.total_sell_quantity) == (
        1234567,
        5,
        2396,
        4380,
    )
    assert tick.last_trade_time is not None and tick.last_trade_time.timestamp() == 1691020800


def test_an_update_changes_only_what_it_carries():
    decoder = FeedDecoder()
    decoder.decode(ws_fixture("snapshot_sbin"))
    [tick] = decoder.decode(ws_fixture("update_sbin"))
    assert (tick.last_price, tick.volume, tick.bid, tick.close) == (586.55, 1234600, 586.25, 581.2)


def test_an_update_for_a_topic_never_snapshotted_is_skipped():
    assert FeedDecoder().decode(ws_fixture("update_sbin")) == []


def test_an_index_snapshot_is_in_paise():
    [tick] = decode_packet(ws_fixture("index_snapshot"))
    assert (tick.topic, tick.last_price, tick.close, tick.high, tick.low, tick.open) == (
        "if|nse_cm|26000", 24310.55, 24200.1, 24350.0, 24150.0, 24210.0,
    )  # fmt: skip


def test_answers_that_are_not_data_feeds_have_no_ticks():
    assert decode_packet(ws_fixture("auth_ok")) == []
    assert decode_packet(b"\x00") == []


def test_an_unknown_topic_data_type_is_refused():
    frame = struct.pack(">HBIH", 0, 6, 1, 1) + b"X"
    with pytest.raises(ValueError, match="data type"):
        decode_packet(frame)


def test_the_auth_message_layout():
    message = auth_message("abc", source="src")
    assert struct.unpack_from(">H", message)[0] == len(message) - 2
    assert message[2:4] == bytes([1, 4])
    assert message[4:10] == b"\x01\x00\x03abc"
    assert message.endswith(b"\x04\x00\x03src")


def test_the_subscribe_message_layout():
    message = subscribe_message(["sf|nse_cm|3045"])
    assert message[2:4] == bytes([4, 2])
    assert message[4:7] == b"\x01\x00\x11"  # field 1, 17 bytes: a count of 2 bytes and one 15-byte name
    assert message[7:9] == b"\x00\x01" and message[9] == 14 and message[10:24] == b"sf|nse_cm|3045"
    assert message[-4:] == b"\x02\x00\x01\x0b"  # channel 11


def test_topic_names_come_from_the_fytoken():
    assert topic_name("10100000003045") == "sf|nse_cm|3045"
    assert topic_name("101124122635003") == "sf|nse_fo|35003"
    assert topic_name("101000000026000", is_index=True) == "if|nse_cm|26000"
    with pytest.raises(ValueError):
        topic_name("99990000001")


def test_a_depth_snapshot_joins_its_instruments_quote():
    ticks = decode_packet(ws_fixture("depth_snapshot_sbin"))
    tick = ticks[-1]
    assert tick.last_price == 586.3
    assert [level.price for level in tick.bids] == [586.25, 586.2, 586.15, 586.1, 586.05]
    assert [(level.price, level.quantity, level.orders) for level in tick.asks[:2]] == [(586.3, 40, 2), (586.35, 12, 1)]


async def test_a_full_feed_on_the_simulator_authenticates_subscribes_and_streams_depth(simulator):
    plugin = simulator.plugin()
    account = simulator.issue_session()
    arrived = asyncio.Event()
    ticks = []

    def on_ticks(batch):
        ticks.extend(batch)
        if any(tick.bids for tick in batch):
            arrived.set()

    feed = await plugin.open_feed(
        account,
        [InstrumentRef(exchange="NSE", symbol="SBIN")],
        on_ticks,
        mode="full",
        connect=simulator.feed_connector(),
    )
    task = asyncio.create_task(feed.run())
    try:
        await asyncio.wait_for(arrived.wait(), 10)
    finally:
        feed.stop()
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    truth = simulator.market.quote("NSE", "SBIN")
    assert ticks[-1].symbol == "NSE:SBIN-EQ"
    assert abs(ticks[-1].last_price - truth.ltp) < 0.011
    assert ticks[-1].bids[0].price > 0 and ticks[-1].asks[0].price >= ticks[-1].bids[0].price


async def test_an_unknown_feed_mode_is_not_supported(simulator):
    with pytest.raises(NotSupported):
        await simulator.plugin().open_feed(
            simulator.issue_session(), [InstrumentRef(exchange="NSE", symbol="SBIN")], print, mode="tbt"
        )


def test_a_tick_becomes_the_canonical_payload_under_its_unified_name():
    [tick] = decode_packet(ws_fixture("snapshot_sbin"))
    payload = tick_payload(tick, InstrumentRef(exchange="NSE", symbol="SBIN"))
    assert (payload["symbol"], payload["exchange"], payload["ltp"], payload["close"]) == ("SBIN", "NSE", 586.3, 581.2)
    assert (payload["bid"], payload["ask"], payload["volume"], payload["last_quantity"]) == (586.25, 586.3, 1234567, 5)
    assert (payload["total_buy_quantity"], payload["total_sell_quantity"]) == (2396, 4380)
    assert payload["ltt"] == 1691020800000 and payload["timestamp"] >= payload["ltt"]
    assert (payload["change"], payload["change_percent"]) == (5.1, round(5.1 * 100 / 581.2, 4))
    assert "depth" not in payload


def test_an_index_payload_leaves_out_what_an_index_topic_lacks():
    [tick] = decode_packet(ws_fixture("index_snapshot"))
    payload = tick_payload(tick, InstrumentRef(exchange="NSE_INDEX", symbol="NIFTY"))
    assert (payload["symbol"], payload["ltp"], payload["open"]) == ("NIFTY", 24310.55, 24210.0)
    assert not {"volume", "bid", "ask", "oi", "depth"} & payload.keys()


def test_a_depth_tick_carries_five_levels_a_side():
    tick = decode_packet(ws_fixture("depth_snapshot_sbin"))[-1]
    depth = tick_payload(tick, InstrumentRef(exchange="NSE", symbol="SBIN"))["depth"]
    assert [level["price"] for level in depth["buy"]] == [586.25, 586.2, 586.15, 586.1, 586.05]
    assert depth["sell"][0] == {"price": 586.3, "quantity": 40, "orders": 2}


async def test_the_unified_stream_answers_unknown_symbols_and_quotes_by_name(simulator):
    heard, arrived = [], asyncio.Event()

    def on_quote(exchange, symbol, payload):
        heard.append((exchange, symbol, payload))
        if payload.get("depth"):
            arrived.set()

    stream = await simulator.plugin().stream(simulator.issue_session(), on_quote, connect=simulator.feed_connector())
    task = asyncio.create_task(stream.run())
    try:
        sbin, nosuch = InstrumentRef(exchange="NSE", symbol="SBIN"), InstrumentRef(exchange="NSE", symbol="NOSUCH")
        assert await stream.subscribe([sbin, nosuch], "depth") == [nosuch]
        assert list(stream.feed.subscriptions.values()) == ["full"]
        await asyncio.wait_for(arrived.wait(), 10)
    finally:
        stream.stop()
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    exchange, symbol, payload = heard[-1]
    assert (exchange, symbol, payload["symbol"]) == ("NSE", "SBIN", "SBIN")
    assert abs(payload["ltp"] - simulator.market.quote("NSE", "SBIN").ltp) < 0.011
