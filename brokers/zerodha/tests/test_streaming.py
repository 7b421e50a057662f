"""Binary ticker packets decode as Kite documents them; the feed reconnects and resubscribes."""

from __future__ import annotations

import asyncio
import time

import pytest

from brokers.zerodha.streaming import ZerodhaFeed, decode_one, decode_packet, tick_payload, ticker_url
from brokers.zerodha.tests.conftest import ws_fixture
from generated.contract import InstrumentRef

INFY = InstrumentRef(exchange="NSE", symbol="INFY")


def test_an_ltp_packet_has_the_price_in_rupees():
    [tick] = decode_packet(ws_fixture("ltp_mode"))

    assert (tick.instrument_token, tick.mode, tick.last_price) == (408065, "ltp", 1412.95)


def test_a_quote_packet_has_ohlc_and_volume():
    [tick] = decode_packet(ws_fixture("quote_mode"))

    assert (tick.mode, tick.volume, tick.sell_quantity, tick.open, tick.close) == ("quote", 7360198, 5191, 1396.0, 1389.65)
    assert tick.bids == ()


def test_a_full_packet_has_five_levels_each_side_and_timestamps():
    [tick] = decode_packet(ws_fixture("quote_full_mode"))

    assert tick.mode == "full" and len(tick.bids) == len(tick.asks) == 5
    assert (tick.bids[0].price, tick.bids[0].quantity, tick.bids[0].orders) == (1412.9, 40, 2)
    assert tick.asks[4].price == 1413.15
    assert tick.exchange_timestamp.timestamp() == 1623147356


def test_a_full_tick_becomes_the_canonical_payload_with_depth_and_milliseconds():
    [tick] = decode_packet(ws_fixture("quote_full_mode"))

    payload = tick_payload(tick, INFY)

    assert (payload["symbol"], payload["exchange"], payload["ltp"]) == ("INFY", "NSE", tick.last_price)
    assert payload["timestamp"] == 1623147356000 and payload["close"] == tick.close
    assert payload["bid"] == 1412.9 and len(payload["depth"]["sell"]) == 5


def test_an_ltp_tick_carries_only_the_price():
    assert set(tick_payload(decode_packet(ws_fixture("ltp_mode"))[0], INFY)) == {"symbol", "exchange", "ltp"}


def test_index_packets_are_not_tradable_and_carry_ohlc():
    quote, full = decode_packet(ws_fixture("index_modes"))

    assert (quote.mode, full.mode, quote.is_tradable) == ("quote", "full", False)
    assert (quote.last_price, quote.high, quote.close) == (24070.95, 24120.0, 24012.5)
    assert full.exchange_timestamp is not None


def test_currency_prices_use_their_own_divisor_within_a_mixed_frame():
    ticks = decode_packet(ws_fixture("mixed_with_currency"))

    assert [tick.last_price for tick in ticks] == [1412.95, 83.5, 1412.95]


def test_a_heartbeat_has_no_ticks():
    assert decode_packet(ws_fixture("heartbeat")) == []


def test_a_packet_of_an_undocumented_length_is_refused():
    with pytest.raises(ValueError, match="not 12"):
        decode_one(bytes(12))


def test_a_truncated_frame_is_refused():
    with pytest.raises(ValueError, match="ended first"):
        decode_packet(ws_fixture("quote_mode")[:-4])


async def _eventually(condition, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.01)


async def test_the_feed_resubscribes_after_the_connection_drops(simulator):
    plugin, account = simulator.plugin(), simulator.issue_session()
    ticks = []
    feed = await plugin.open_feed(account, [InstrumentRef(exchange="NSE", symbol="SBIN")], ticks.extend,
                                  mode="full", connect=simulator.feed_connector())  # fmt: skip
    task = asyncio.create_task(feed.run())
    await _eventually(lambda: len(ticks) >= 2)

    simulator.drop_feed_connections()
    before = len(ticks)
    await _eventually(lambda: feed.connections == 2 and len(ticks) > before + 1)

    feed.stop()
    task.cancel()
    assert ticks[-1].mode == "full" and len(ticks[-1].bids) == 5
    assert ticks[-1].last_price == simulator.market.quote("NSE", "SBIN").ltp


async def test_a_refused_connection_is_retried_with_backoff(simulator):
    account = simulator.issue_session()
    simulator.expire_sessions()
    feed = ZerodhaFeed(ticker_url(simulator.api_key, account.token.split(":")[1]), lambda ticks: None,
                       connect=simulator.feed_connector(), backoff=(0.01, 0.02))  # fmt: skip
    task = asyncio.create_task(feed.run())

    await asyncio.sleep(0.1)
    feed.stop()
    await asyncio.wait_for(task, 1)

    assert feed.connections == 0
