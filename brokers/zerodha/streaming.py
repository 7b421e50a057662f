"""Kite's ticker: binary packet decoding as pure functions, and the connect-subscribe-reconnect loop.

https://kite.trade/docs/connect/v3/websocket/: `wss://ws.kite.trade?api_key=..&access_token=..`.
Requests are JSON (`{"a": "subscribe", "v": [tokens]}`, `{"a": "mode", "v": ["full", [tokens]]}`).
A binary frame is a big-endian uint16 packet count, then per packet a uint16 length and the packet:
LTP 8 bytes, quote 44, full 184 (with five levels of depth each side), index quote 28 and full 32.
A 1-byte frame is a heartbeat. Text frames carry order updates and errors as JSON.
"""

from __future__ import annotations

import asyncio
import json
import logging
import struct
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, Protocol
from urllib.parse import urlencode

log = logging.getLogger(__name__)
TICKER_URL = "wss://ws.kite.trade"
MODES = ("ltp", "quote", "full")
# The low byte of an instrument token is its segment; prices come in paise, except in currency
# segments, which carry more decimals (pykiteconnect's ticker divides CDS by 1e7, BCD by 1e4).
SEGMENT_INDICES = 9
PRICE_DIVISORS = {3: 10_000_000.0, 6: 10_000.0}
DEFAULT_DIVISOR = 100.0
PACKET_MODES = {8: "ltp", 28: "quote", 32: "full", 44: "quote", 184: "full"}


@dataclass(frozen=True, slots=True)
class DepthEntry:
    price: float
    quantity: int
    orders: int


@dataclass(frozen=True, slots=True)
class Tick:
    """One instrument's update as Kite sends it, prices already in rupees."""

    instrument_token: int
    mode: str
    last_price: float
    is_tradable: bool = True
    last_quantity: int = 0
    average_price: float = 0.0
    volume: int = 0
    buy_quantity: int = 0
    sell_quantity: int = 0
    open: float = 0.0
    high: float = 0.0
    low: float = 0.0
    close: float = 0.0
    last_trade_time: datetime | None = None
    oi: int = 0
    oi_day_high: int = 0
    oi_day_low: int = 0
    exchange_timestamp: datetime | None = None
    bids: tuple[DepthEntry, ...] = field(default=())
    asks: tuple[DepthEntry, ...] = field(default=())


def _stamp(seconds: int) -> datetime | None:
    return datetime.fromtimestamp(seconds, UTC) if seconds else None


def decode_one(packet: bytes) -> Tick:
    """One packet (without its length prefix); raises ValueError for a length Kite does not send."""
    mode = PACKET_MODES.get(len(packet))
    if mode is None:
        raise ValueError(f"a kite packet is 8, 28, 32, 44 or 184 bytes long, not {len(packet)}")
    token, last = struct.unpack_from(">II", packet)
    segment = token & 0xFF
    divisor = PRICE_DIVISORS.get(segment, DEFAULT_DIVISOR)
    if len(packet) == 8:
        return Tick(token, mode, last / divisor, is_tradable=segment != SEGMENT_INDICES)
    if len(packet) in (28, 32):
        high, low, open_, close, _change = struct.unpack_from(">IIIIi", packet, 8)
        stamp = struct.unpack_from(">I", packet, 28)[0] if len(packet) == 32 else 0
        return Tick(
            token, mode, last / divisor, is_tradable=False, open=open_ / divisor, high=high / divisor,
            low=low / divisor, close=close / divisor, exchange_timestamp=_stamp(stamp),
        )  # fmt: skip
    quantity, average, volume, buys, sells, open_, high, low, close = struct.unpack_from(">9I", packet, 8)
    tick = Tick(
        token, mode, last / divisor, is_tradable=segment != SEGMENT_INDICES, last_quantity=quantity,
        average_price=average / divisor, volume=volume, buy_quantity=buys, sell_quantity=sells,
        open=open_ / divisor, high=high / divisor, low=low / divisor, close=close / divisor,
    )  # fmt: skip
    if len(packet) == 44:
        return tick
    traded_at, oi, oi_high, oi_low, stamp = struct.unpack_from(">5I", packet, 44)
    # Ten depth entries of 12 bytes from byte 64: quantity, price, orders (uint16), 2 bytes padding.
    levels = [struct.unpack_from(">IIH", packet, 64 + 12 * index) for index in range(10)]
    entries = tuple(DepthEntry(price / divisor, quantity, orders) for quantity, price, orders in levels)
    return replace(
        tick, last_trade_time=_stamp(traded_at), oi=oi, oi_day_high=oi_high, oi_day_low=oi_low,
        exchange_timestamp=_stamp(stamp), bids=entries[:5], asks=entries[5:],
    )  # fmt: skip


def decode_packet(data: bytes) -> list[Tick]:
    """Every tick of one binary frame; a heartbeat (shorter than two bytes) has none."""
    if len(data) < 2:
        return []
    (count,) = struct.unpack_from(">H", data)
    ticks, offset = [], 2
    for _ in range(count):
        (length,) = struct.unpack_from(">H", data, offset)
        packet = data[offset + 2 : offset + 2 + length]
        if len(packet) != length:
            raise ValueError(f"a kite frame promised a {length}-byte packet at byte {offset}, but ended first")
        ticks.append(decode_one(packet))
        offset += 2 + length
    return ticks


def subscribe_message(tokens: list[int]) -> str:
    return json.dumps({"a": "subscribe", "v": tokens})


def mode_message(mode: str, tokens: list[int]) -> str:
    return json.dumps({"a": "mode", "v": [mode, tokens]})


def ticker_url(api_key: str, access_token: str, base: str = TICKER_URL) -> str:
    return f"{base}?{urlencode({'api_key': api_key, 'access_token': access_token})}"


class Connection(Protocol):
    async def send(self, message: str) -> None: ...

    async def recv(self) -> bytes | str: ...


Connector = Callable[[str], AbstractAsyncContextManager[Connection]]


def websocket_connector(url: str) -> AbstractAsyncContextManager[Connection]:
    """The production connector: a real WebSocket."""
    import websockets

    return websockets.connect(url, max_size=2**22, open_timeout=10)


class ZerodhaFeed:
    """Keeps one ticker connection up: connects, subscribes, decodes, and after a drop reconnects and resubscribes."""

    def __init__(
        self,
        url: str,
        on_ticks: Callable[[list[Tick]], Awaitable[None] | None],
        *,
        connect: Connector = websocket_connector,
        on_message: Callable[[dict[str, Any]], None] | None = None,
        backoff: tuple[float, float] = (0.5, 30.0),
    ) -> None:
        self._url = url
        self._on_ticks = on_ticks
        self._on_message = on_message
        self._connect = connect
        self._backoff = backoff
        self._modes: dict[int, str] = {}
        self._connection: Connection | None = None
        self._is_running = False
        self.connections = 0  # how many times a connection was opened; visible to tests and metrics

    @property
    def subscriptions(self) -> dict[int, str]:
        return dict(self._modes)

    async def subscribe(self, tokens: list[int], mode: str = "quote") -> None:
        if mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}, not {mode!r}")
        self._modes.update(dict.fromkeys(tokens, mode))
        if self._connection is not None:
            await self._send_subscriptions(self._connection, tokens)

    async def _send_subscriptions(self, connection: Connection, tokens: list[int]) -> None:
        await connection.send(subscribe_message(tokens))
        for mode in MODES:
            chosen = [token for token in tokens if self._modes.get(token) == mode]
            if chosen:
                await connection.send(mode_message(mode, chosen))

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
                        await self._send_subscriptions(connection, list(self._modes))
                    delay = self._backoff[0]
                    async for frame in _frames(connection):
                        await self._handle(frame)
            except asyncio.CancelledError:
                raise
            except Exception as e:  # a feed loop survives any failure, says so, and tries again
                log.warning("zerodha ticker connection failed (%s: %s); reconnecting in %.1f s", type(e).__name__, e, delay)
            finally:
                self._connection = None
            if self._is_running:
                await asyncio.sleep(delay)
                delay = min(delay * 2, self._backoff[1])

    def stop(self) -> None:
        self._is_running = False

    async def _handle(self, frame: bytes | str) -> None:
        if isinstance(frame, str):
            if self._on_message is not None:
                self._on_message(json.loads(frame))
            return
        ticks = decode_packet(frame)
        if ticks:
            outcome = self._on_ticks(ticks)
            if asyncio.iscoroutine(outcome):
                await outcome


async def _frames(connection: Connection) -> AsyncIterator[bytes | str]:
    while True:
        yield await connection.recv()
