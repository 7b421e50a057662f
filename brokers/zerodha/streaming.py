"""Kite's ticker: binary packet decoding as pure functions, and the connect-subscribe-reconnect loop.

https://kite.trade/docs/connect/v3/websocket/: `wss://ws.kite.trade?api_key=..&access_token=..`.
Requests are JSON (`{"a": "subscribe", "v": [tokens]}`, `{"a": "mode", "v": ["full", [tokens]]}`).
A binary frame is a big-endian uint16 packet count, then per packet a uint16 length and the packet:
LTP 8 bytes, quote 44, full 184 (with five levels of depth each side), index quote 28 and full 32.
A 1-byte frame is a heartbeat. Text frames carry order updates and errors as JSON.
"""

from __future__ import annotations

import json
import struct
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from brokers.common.feed import (
    Connection,
    Connector,
    DepthEntry,
    ReconnectingFeed,
    TickHandler,
    depth_payload,
    price_payload,
    websocket_connector,
)

TICKER_URL = "wss://ws.kite.trade"
MODES = ("ltp", "quote", "full")
# The low byte of an instrument token is its segment; prices come in paise, except in currency
# segments, which carry more decimals (pykiteconnect's ticker divides CDS by 1e7, BCD by 1e4).
SEGMENT_INDICES = 9
PRICE_DIVISORS = {3: 10_000_000.0, 6: 10_000.0}
DEFAULT_DIVISOR = 100.0
PACKET_MODES = {8: "ltp", 28: "quote", 32: "full", 44: "quote", 184: "full"}


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


class ZerodhaFeed(ReconnectingFeed):
    """Kite's ticker on the shared loop: JSON subscribe and mode requests, binary frames, JSON text messages."""

    broker = "zerodha"
    modes = MODES

    def __init__(
        self,
        url: str,
        on_ticks: TickHandler,
        *,
        connect: Connector | None = None,
        on_message: Callable[[dict[str, Any]], None] | None = None,
        backoff: tuple[float, float] = (0.5, 30.0),
    ) -> None:
        super().__init__(url, on_ticks, connect=connect or websocket_connector(), backoff=backoff)
        self._on_message = on_message

    async def send_subscriptions(self, connection: Connection, keys: list) -> None:
        await connection.send(subscribe_message(keys))
        for mode in MODES:
            chosen = [token for token in keys if self._modes.get(token) == mode]
            if chosen:
                await connection.send(mode_message(mode, chosen))

    def decode(self, frame: bytes | str) -> list[Tick]:
        if isinstance(frame, str):  # order updates and errors
            if self._on_message is not None:
                self._on_message(json.loads(frame))
            return []
        return decode_packet(frame)


# The gateway's streaming modes as Kite's ticker names them.
STREAM_MODES = {"ltp": "ltp", "quote": "quote", "depth": "full"}


def tick_payload(tick: Tick, instrument: Any) -> dict[str, Any]:
    """The canonical payload of `streaming/payloads.py` for one Kite tick; what the tick lacks is left out."""
    payload = price_payload(
        instrument, tick.last_price, traded_at=tick.last_trade_time, stamped_at=tick.exchange_timestamp,
        prev_close=tick.close,
    )  # fmt: skip
    if tick.mode == "ltp":
        return payload
    payload |= {
        "volume": tick.volume, "last_quantity": tick.last_quantity, "average_price": tick.average_price,
        "total_buy_quantity": tick.buy_quantity, "total_sell_quantity": tick.sell_quantity,
        "open": tick.open, "high": tick.high, "low": tick.low, "oi": tick.oi,
    }  # fmt: skip
    if tick.bids or tick.asks:
        payload |= depth_payload(tick.bids, tick.asks)
    return payload
