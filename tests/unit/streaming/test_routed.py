"""The gateway's feed adapter streams from a live broker's own feed while a session is there, else the offline
market, and moves between them when the source changes."""

from __future__ import annotations

from functools import partial

import pytest

from brokers.zerodha.simulator import KiteSimulator
from streaming.adapters.routed import FeedSource, RoutedAdapter
from streaming.protocol import InstrumentKey, Mode
from tests.unit.streaming.fakes import FakeMarket, eventually
from tests.unit.streaming.test_adapter import Bus

pytestmark = pytest.mark.websocket

SBIN = InstrumentKey("NSE", "SBIN")
FAST = {"backoff_initial": 0.02, "backoff_max": 0.1, "heartbeat_interval": 0.05}


@pytest.fixture
async def bus():
    bus = Bus()
    assert await bus.publisher.wait_for_subscriber()
    yield bus
    await bus.close()


@pytest.fixture
async def kite():
    simulator = KiteSimulator(feed_interval=0.01)
    yield simulator
    await simulator.close()


async def test_ticks_come_from_the_live_broker_then_the_offline_market_after_logout(bus, kite):
    plugin, account = kite.plugin(), kite.issue_session()
    live = FeedSource(("user 1", "zerodha"), "zerodha", partial(plugin.stream, account, connect=kite.feed_connector()))
    current = {"source": live}

    async def source():
        return current["source"]

    offline_market = FakeMarket({("NSE", "SBIN"): 1.0})
    adapter = RoutedAdapter(bus.publisher, offline_market, source=source, interval=0.01, **FAST)
    await adapter.start()
    try:
        await adapter.subscribe({SBIN: Mode.QUOTE})
        await eventually(lambda: len(bus.ticks(SBIN)) >= 2)
        broker_tick = bus.ticks(SBIN)[-1].json()
        assert adapter.broker == "zerodha"
        assert abs(broker_tick["ltp"] - kite.market.quote("NSE", "SBIN").ltp) < 5  # the simulated exchange, not 1.0

        current["source"] = None  # the user logged out of the broker
        await eventually(lambda: adapter.broker is None and bus.ticks(SBIN)[-1].json()["ltp"] < 2)
        assert adapter.connects >= 2
    finally:
        await adapter.stop()
