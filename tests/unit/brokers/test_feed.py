"""The feed in unified terms: subscriptions by symbol, unknown symbols named, canonical payloads built once."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace

from brokers.common.feed import DepthEntry, ReconnectingFeed, UnifiedFeed, depth_payload, price_payload

SBIN = SimpleNamespace(exchange="NSE", symbol="SBIN")


class _RecordingFeed(ReconnectingFeed):
    def __init__(self) -> None:
        super().__init__("ws://broker.test", lambda ticks: None, connect=None)
        self.subscribed: list = []

    async def subscribe(self, keys, mode="quote") -> None:
        self.subscribed.append((keys, mode))


async def test_subscriptions_go_by_symbol_and_unknown_ones_are_named_even_when_repeated():
    feed, heard = _RecordingFeed(), []

    async def resolve(instruments):
        tokens = {"SBIN": 3045}
        return {tokens[item.symbol]: item for item in instruments if item.symbol in tokens}

    unified = UnifiedFeed(
        feed, lambda *quote: heard.append(quote), resolve=resolve, key_of=lambda tick: tick.token,
        payload_of=lambda tick, item: price_payload(item, tick.ltp), modes={"ltp": "l", "quote": "q", "depth": "d"},
    )  # fmt: skip
    unknown = await unified.subscribe([SBIN, SimpleNamespace(exchange="NSE", symbol="SBIN"), SimpleNamespace(exchange="NSE", symbol="NOSUCH")], "depth")
    feed.on_ticks([SimpleNamespace(token=3045, ltp=800.0), SimpleNamespace(token=9, ltp=1.0)])

    assert [item.symbol for item in unknown] == ["NOSUCH"]
    assert feed.subscribed == [([3045], "d")]
    assert heard == [("NSE", "SBIN", {"symbol": "SBIN", "exchange": "NSE", "ltp": 800.0})]


def test_the_price_payload_has_times_in_milliseconds_and_the_change_from_the_previous_close():
    traded = datetime(2024, 12, 2, 3, 45, tzinfo=UTC)

    payload = price_payload(SBIN, 810.0, traded_at=traded, prev_close=800.0)

    assert payload == {"symbol": "SBIN", "exchange": "NSE", "ltp": 810.0, "ltt": 1733111100000,
                       "timestamp": 1733111100000, "close": 800.0, "change": 10.0, "change_percent": 1.25}  # fmt: skip
    assert "close" not in price_payload(SBIN, 810.0)


def test_depth_gives_levels_and_the_best_bid_and_ask():
    payload = depth_payload((DepthEntry(99.5, 10, 2),), ())

    assert payload == {"depth": {"buy": [{"price": 99.5, "quantity": 10, "orders": 2}], "sell": []}, "bid": 99.5, "ask": 0.0}
