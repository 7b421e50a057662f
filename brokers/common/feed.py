"""The feed loop every broker's streaming adapter shares: connect, subscribe, decode, reconnect, resubscribe.

A broker's `streaming.py` keeps what is its own, as pure functions (how a subscription is written,
how a frame decodes), and subclasses `ReconnectingFeed` with two methods:

    async def send_subscriptions(self, connection, keys): write the subscribe messages for `keys`
    def decode(self, frame) -> list: the ticks of one received frame (empty for a heartbeat)

A connector opens one connection (`async with connect(url) as connection`); production uses a real
WebSocket, the conformance kit hands in its simulator's connector instead.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Hashable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

log = logging.getLogger(__name__)


class Connection(Protocol):
    async def send(self, message: str | bytes) -> None: ...

    async def recv(self) -> bytes | str: ...


Connector = Callable[[str], AbstractAsyncContextManager[Connection]]
TickHandler = Callable[[list[Any]], Awaitable[None] | None]


def websocket_connector(headers: dict[str, str] | None = None) -> Connector:
    """The production connector: a real WebSocket, with `headers` on the upgrade request (for brokers that
    authenticate there rather than in the URL)."""
    import websockets

    def connect(url: str) -> AbstractAsyncContextManager[Connection]:
        return websockets.connect(url, max_size=2**22, open_timeout=10, additional_headers=headers)

    return connect


class ReconnectingFeed:
    """Keeps one connection up; `subscriptions` survive reconnects and are sent again on each."""

    broker = "broker"
    modes: tuple[str, ...] = ("ltp", "quote", "full")

    def __init__(
        self,
        url: str,
        on_ticks: TickHandler,
        *,
        connect: Connector,
        backoff: tuple[float, float] = (0.5, 30.0),
    ) -> None:
        self._url = url
        self.on_ticks = on_ticks  # the UnifiedFeed wrapping this feed replaces it
        self._connect = connect
        self._backoff = backoff
        self._modes: dict[Hashable, str] = {}
        self._connection: Connection | None = None
        self._is_running = False
        self.connections = 0  # how many times a connection was opened; visible to tests and metrics

    # What a broker's feed says for itself

    async def send_subscriptions(self, connection: Connection, keys: list[Hashable]) -> None:
        raise NotImplementedError

    def decode(self, frame: bytes | str) -> list[Any]:
        raise NotImplementedError

    # The loop

    @property
    def subscriptions(self) -> dict[Hashable, str]:
        return dict(self._modes)

    async def subscribe(self, keys: list[Hashable], mode: str = "quote") -> None:
        if mode not in self.modes:
            raise ValueError(f"mode must be one of {', '.join(self.modes)}, not {mode!r}")
        self._modes.update(dict.fromkeys(keys, mode))
        if self._connection is not None:
            await self.send_subscriptions(self._connection, keys)

    async def run(self) -> None:
        """Connect and read until `stop()`; a failed or dropped connection is retried with backoff."""
        self._is_running = True
        delay = self._backoff[0]
        while self._is_running:
            try:
                async with self._connect(self._url) as connection:
                    self.connections += 1
                    self._connection = connection
                    if self._modes:
                        await self.send_subscriptions(connection, list(self._modes))
                    delay = self._backoff[0]
                    while self._is_running:
                        await self._handle(await connection.recv())
            except asyncio.CancelledError:
                raise
            except Exception as e:  # a feed loop survives any failure, says so, and tries again
                log.warning(
                    "%s feed connection failed (%s: %s); reconnecting in %.1f s",
                    self.broker,
                    type(e).__name__,
                    e,
                    delay,
                )
            finally:
                self._connection = None
            if self._is_running:
                await asyncio.sleep(delay)
                delay = min(delay * 2, self._backoff[1])

    def stop(self) -> None:
        self._is_running = False

    async def _handle(self, frame: bytes | str) -> None:
        ticks = self.decode(frame)
        if ticks:
            outcome = self.on_ticks(ticks)
            if asyncio.iscoroutine(outcome):
                await outcome


@dataclass(frozen=True, slots=True)
class DepthEntry:
    """One level of a broker's market depth, prices in rupees; brokers that send no order count leave 0."""

    price: float
    quantity: int
    orders: int = 0


def price_payload(
    instrument: Any,
    ltp: float,
    *,
    traded_at: datetime | None = None,
    stamped_at: datetime | None = None,
    prev_close: float = 0.0,
) -> dict[str, Any]:
    """The start of every canonical payload (`streaming/payloads.py`): the unified names, the price, its times in
    epoch milliseconds, and the previous close with the change from it, each only when the broker sent it."""
    payload: dict[str, Any] = {"symbol": instrument.symbol, "exchange": instrument.exchange, "ltp": ltp}
    traded_at = traded_at or stamped_at
    if traded_at is not None:
        payload["ltt"] = int(traded_at.timestamp() * 1000)
        payload["timestamp"] = int((stamped_at or traded_at).timestamp() * 1000)
    if prev_close:
        change = ltp - prev_close
        payload |= {
            "close": prev_close,
            "change": round(change, 4),
            "change_percent": round(change * 100 / prev_close, 4),
        }
    return payload


def depth_payload(bids: Sequence[DepthEntry], asks: Sequence[DepthEntry]) -> dict[str, Any]:
    """The canonical payload's depth and best bid and ask, from a tick's levels."""

    def levels(side: Sequence[DepthEntry]) -> list[dict[str, Any]]:
        return [{"price": level.price, "quantity": level.quantity, "orders": level.orders} for level in side]

    return {
        "depth": {"buy": levels(bids), "sell": levels(asks)},
        "bid": bids[0].price if bids else 0.0,
        "ask": asks[0].price if asks else 0.0,
    }


# The gateway's three streaming modes, as each plugin's feed maps them to its broker's own.
STREAM_MODES = ("ltp", "quote", "depth")
QuoteHandler = Callable[[str, str, dict[str, Any]], None]  # exchange, symbol, canonical payload


class UnifiedFeed:
    """A broker feed spoken in unified instruments: subscribe by (exchange, symbol), hear canonical payloads.

    A plugin's `stream(account, on_quote)` builds one from its own feed and three functions of its
    broker: `resolve` (unified instruments -> the feed's keys), `key_of` (a tick -> its key) and
    `payload_of` (a tick and its instrument -> the canonical payload of `streaming.payloads`). The
    gateway's WebSocket feed runs it when a live broker session is there to stream from.
    """

    def __init__(
        self,
        feed: ReconnectingFeed,
        on_quote: QuoteHandler,
        *,
        resolve: Callable[[list[Any]], Awaitable[dict[Hashable, Any]]],
        key_of: Callable[[Any], Hashable],
        payload_of: Callable[[Any, Any], dict[str, Any]],
        modes: dict[str, str],
    ) -> None:
        self.feed = feed
        self._on_quote = on_quote
        self._resolve = resolve
        self._key_of = key_of
        self._payload_of = payload_of
        self._modes = modes
        self._instruments: dict[Hashable, Any] = {}
        feed.on_ticks = self._hear

    @property
    def connections(self) -> int:
        return self.feed.connections

    async def subscribe(self, instruments: list[Any], mode: str = "quote") -> list[Any]:
        """Subscribe unified instruments; answer those the broker has no feed key for."""
        if mode not in STREAM_MODES:
            raise ValueError(f"mode must be one of {', '.join(STREAM_MODES)}, not {mode!r}")
        keys = await self._resolve(instruments)
        self._instruments.update(keys)
        if keys:
            await self.feed.subscribe(list(keys), self._modes[mode])
        found = {(item.exchange, item.symbol) for item in keys.values()}
        return [item for item in instruments if (item.exchange, item.symbol) not in found]

    async def run(self) -> None:
        await self.feed.run()

    def stop(self) -> None:
        self.feed.stop()

    def _hear(self, ticks: list[Any]) -> None:
        for tick in ticks:
            instrument = self._instruments.get(self._key_of(tick))
            if instrument is not None:
                self._on_quote(instrument.exchange, instrument.symbol, self._payload_of(tick, instrument))
