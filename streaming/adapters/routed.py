"""The gateway's feed adapter: the live broker's own feed while a live session is there, else the offline market.

Before every connect it asks where ticks should come from (the `credentials` hook of the adapter
base answers a `FeedSource`, or None for the offline market). A live source opens the plugin's
`UnifiedFeed` (the broker's binary or protobuf feed, decoded by its plugin into canonical payloads)
and subscriptions go to it by (exchange, symbol). On every heartbeat the adapter asks again, so a
broker login, logout, session end or analyzer switch moves the feed within one heartbeat, and the
base resubscribes everything on the new source.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass
from typing import Any

from streaming.adapters.offline import MarketSource, OfflineAdapter
from streaming.bus import BusPublisher
from streaming.protocol import InstrumentKey, Mode

__all__ = ["FeedSource", "RoutedAdapter"]

log = logging.getLogger(__name__)
_MODES = {Mode.LTP: "ltp", Mode.QUOTE: "quote", Mode.DEPTH: "depth"}


class SourceChanged(ConnectionResetError):
    """The place ticks should come from is no longer the one connected."""


@dataclass(frozen=True)
class FeedSource:
    key: Hashable  # what identifies the source: the user, broker and session token
    broker: str
    open: Callable[[Callable[[str, str, dict[str, Any]], None]], Awaitable[Any]]  # on_quote -> UnifiedFeed


class RoutedAdapter(OfflineAdapter):
    name = "routed"

    def __init__(
        self,
        publisher: BusPublisher,
        market: MarketSource,
        *,
        source: Callable[[], Awaitable[FeedSource | None]],
        interval: float = 0.25,
        **options: Any,
    ) -> None:
        # A real market is quiet when it is closed: silence is not a dead connection there.
        options.setdefault("stall_timeout", 3600.0)
        options.setdefault("heartbeat_interval", 5.0)
        super().__init__(publisher, market, interval=interval, credentials=source, **options)
        self._source_of = source
        self._connected_key: Hashable = None
        self._stream: Any = None
        self._stream_task: asyncio.Task | None = None
        self.broker: str | None = None  # the live broker streaming now, None on the offline market

    async def _connect(self, credentials: FeedSource | None) -> None:
        self._connected_key = credentials.key if credentials else None
        if credentials is None:
            self.broker = None
            await super()._connect(None)
            return
        self._stream = await credentials.open(self._hear)
        self._stream_task = asyncio.create_task(self._stream.run(), name=f"{credentials.broker}-stream")
        self.broker = credentials.broker
        log.info("the WebSocket feed streams from %s", credentials.broker)

    async def _disconnect(self) -> None:
        if self._stream is not None:
            self._stream.stop()
            self._stream = None
        if self._stream_task is not None:
            self._stream_task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._stream_task
            self._stream_task = None
        await super()._disconnect()

    async def _subscribe_upstream(self, batch: list[tuple[InstrumentKey, Mode]]) -> None:
        if self._stream is None:
            await super()._subscribe_upstream(batch)
            return
        for mode, name in _MODES.items():
            instruments = [instrument for instrument, wanted in batch if wanted is mode]
            if instruments:
                unknown = await self._stream.subscribe(instruments, name)
                for instrument in unknown:
                    log.info("%s has no feed for %s:%s", self.broker, instrument.exchange, instrument.symbol)

    async def _receive(self) -> None:
        if self._stream_task is None:
            await super()._receive()
            return
        await asyncio.shield(self._stream_task)  # the plugin's feed reconnects by itself; it ends only on stop

    async def _heartbeat(self) -> None:
        current = await self._source_of()
        if (current.key if current else None) != self._connected_key:
            raise SourceChanged("the feed's source changed (a broker login, logout, or analyzer switch)")

    async def _check_instrument(self, instrument: InstrumentKey) -> str | None:
        if self._stream is not None:
            return None  # the broker's symbol book answers at subscribe time
        return await super()._check_instrument(instrument)

    def _hear(self, exchange: str, symbol: str, payload: dict[str, Any]) -> None:
        self.publish_tick(InstrumentKey(exchange, symbol), payload)
