"""A feed adapter over the offline market simulator, so streaming works with no broker and no network.

It plays the part of a broker connection: "connecting" attaches to the market, and while
connected it advances the market clock every `interval` seconds and publishes a tick for each
subscribed instrument. `break_connection()` and the `available` flag let tests and demos kill the
feed and bring it back, to exercise the reconnect and resubscribe path of the adapter base.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import Any, Protocol

from sandbox.market.types import Tick
from streaming.adapter import StreamingAdapter
from streaming.bus import BusPublisher
from streaming.payloads import tick_payload
from streaming.protocol import InstrumentKey, Mode

__all__ = ["MarketSource", "OfflineAdapter"]


class MarketSource(Protocol):
    """The part of `sandbox.market.OfflineMarket` this adapter uses."""

    def advance(self, seconds: float) -> Any: ...

    def tick(self, exchange: str, symbol: str) -> Tick: ...


class OfflineAdapter(StreamingAdapter):
    name = "offline"

    def __init__(
        self, publisher: BusPublisher, market: MarketSource, *, interval: float = 0.25, **options: Any
    ) -> None:
        options.setdefault("stall_timeout", max(10 * interval, 2.0))
        super().__init__(publisher, **options)
        self._market = market
        self._interval = interval
        self._upstream: set[InstrumentKey] = set()
        self._broken: asyncio.Event = asyncio.Event()
        self.available = True  # False makes every connect attempt fail, like an unreachable broker

    def break_connection(self) -> None:
        """Drop the current connection, as a broker socket reset would."""
        self._broken.set()

    async def _connect(self, credentials: Any) -> None:
        if not self.available:
            raise ConnectionError("offline market is unavailable")
        self._broken.clear()
        self._upstream.clear()

    async def _disconnect(self) -> None:
        self._upstream.clear()

    async def _subscribe_upstream(self, batch: list[tuple[InstrumentKey, Mode]]) -> None:
        # The simulator always has depth, so the mode only matters to brokers that charge for it.
        self._upstream.update(instrument for instrument, _ in batch)

    async def _unsubscribe_upstream(self, batch: list[InstrumentKey]) -> None:
        self._upstream.difference_update(batch)

    async def _check_instrument(self, instrument: InstrumentKey) -> str | None:
        try:
            self._market.tick(instrument.exchange, instrument.symbol)
        except (KeyError, LookupError, ValueError):
            return f"Symbol {instrument.symbol} not found for exchange {instrument.exchange}"
        return None

    async def _receive(self) -> None:
        last = time.monotonic()
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._broken.wait(), self._interval)
            if self._broken.is_set():
                raise ConnectionResetError("offline feed connection was broken")
            now = time.monotonic()
            # Advance by the time really elapsed, so a late wake-up does not slow the market clock.
            self._market.advance(now - last)
            last = now
            for instrument in list(self._upstream):
                self.publish_tick(
                    instrument, tick_payload(self._market.tick(instrument.exchange, instrument.symbol))
                )
