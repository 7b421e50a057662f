"""A tiny deterministic market, an API-key table and a polling wait, shared by the streaming tests."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from sandbox.market.types import Depth, DepthLevel, Quote, Tick

INSTRUMENTS = {
    ("NSE", "RELIANCE"): 2900.0,
    ("NSE", "SBIN"): 820.0,
    ("NSE", "INFY"): 1500.0,
    ("NSE", "TCS"): 3900.0,
    ("NSE_INDEX", "NIFTY"): 24000.0,
    ("NFO", "NIFTY28MAR2420800CE"): 150.0,
}
API_KEYS = {"key-alice": 1, "key-bob": 2}
USERNAMES = {1: "alice", 2: "bob"}


class FakeMarket:
    """Prices step by one tick size per advance; enough to tell ticks apart, nothing more."""

    def __init__(self, instruments: dict[tuple[str, str], float] | None = None) -> None:
        self._prices = dict(instruments or INSTRUMENTS)
        self._volume = 0
        self.clock = 1_716_877_200.0
        self.advances = 0

    def advance(self, seconds: float) -> None:
        self.advances += 1
        self.clock += seconds
        self._volume += 10
        for key in self._prices:
            self._prices[key] = round(self._prices[key] + 0.05, 2)

    def tick(self, exchange: str, symbol: str) -> Tick:
        ltp = self._prices[(exchange, symbol)]  # KeyError for an unknown instrument, as the real one
        quote = Quote(
            exchange=exchange,
            symbol=symbol,
            ltp=ltp,
            bid=ltp - 0.05,
            ask=ltp + 0.05,
            open=ltp - 10,
            high=ltp + 5,
            low=ltp - 15,
            prev_close=ltp - 8,
            volume=self._volume,
            oi=0,
            timestamp=self.clock,
            last_quantity=10,
            average_price=ltp - 2,
        )
        bids = tuple(DepthLevel(round(ltp - 0.05 * (level + 1), 2), 100 + level, 3) for level in range(5))
        asks = tuple(DepthLevel(round(ltp + 0.05 * (level + 1), 2), 200 + level, 4) for level in range(5))
        return Tick(quote=quote, depth=Depth(bids=bids, asks=asks))


async def authenticate(api_key: str) -> int | None:
    return API_KEYS.get(api_key)


async def broker_info(user_id: int) -> dict[str, str]:
    return {"broker": "sandbox", "username": USERNAMES[user_id]}


async def supported_brokers() -> list[str]:
    return ["sandbox", "zerodha"]


async def eventually(condition: Callable[[], object], timeout: float = 5.0, interval: float = 0.01) -> None:
    """Poll `condition` until it is truthy; fail with the deadline rather than sleeping a fixed time."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        await asyncio.sleep(interval)
