"""SmartStream v2: binary packet decoding as pure functions, and the feed on the shared reconnecting loop.

https://smartapi.angelbroking.com/docs/WebSocket2 and smartapi-python's SmartApi/smartWebSocketV2.py:
the client connects to `wss://smartapisocket.angelone.in/smart-stream` with the headers
`Authorization` (`Bearer <jwtToken>`), `x-api-key`, `x-client-code` and `x-feed-token`, and subscribes with

    {"correlationID": "bg00000001", "action": 1,
     "params": {"mode": 1, "tokenList": [{"exchangeType": 1, "tokens": ["3045"]}]}}

(action 1 subscribe, 0 unsubscribe; mode 1 LTP, 2 Quote, 3 SnapQuote). Each binary frame is one
little-endian packet: LTP 51 bytes, Quote 123, SnapQuote 379. Prices are in paise, currency
derivatives (exchange type 13) in units of 10^-7 rupee. The client sends the text "ping" every
30 s and the server answers "pong"; errors arrive as JSON text.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import struct
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

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

__all__ = [
    "EXCHANGE_TYPES",
    "FEED_URL",
    "AngelFeed",
    "Connector",
    "DepthEntry",
    "Tick",
    "decode_packet",
    "subscribe_message",
    "unified_payload",
    "websocket_connector",
]

log = logging.getLogger(__name__)
FEED_URL = "wss://smartapisocket.angelone.in/smart-stream"
HEARTBEAT_SECONDS = 30.0
SUBSCRIBE = 1
MODE_TO_UPSTREAM = {"ltp": 1, "quote": 2, "full": 3}
MODE_FROM_UPSTREAM = {upstream: unified for unified, upstream in MODE_TO_UPSTREAM.items()}
# The gateway's streaming modes (brokers/common/feed.py STREAM_MODES) -> the feed's: depth is SnapQuote.
STREAM_MODES = {"ltp": "ltp", "quote": "quote", "depth": "full"}
# Angel's exchange (exch_seg) -> SmartStream's exchangeType.
EXCHANGE_TYPES = {"NSE": 1, "NFO": 2, "BSE": 3, "BFO": 4, "MCX": 5, "NCDEX": 7, "CDS": 13}
PRICE_DIVISORS = {13: 10_000_000.0}
DEFAULT_DIVISOR = 100.0
PACKET_SIZES = {1: 51, 2: 123, 3: 379}
TOKEN_BYTES = slice(2, 27)


@dataclass(frozen=True, slots=True)
class Tick:
    """One instrument's update as SmartStream sends it, prices already in rupees."""

    exchange_type: int
    token: str
    mode: str
    last_price: float
    sequence: int = 0
    exchange_timestamp: datetime | None = None
    last_quantity: int = 0
    average_price: float = 0.0
    volume: int = 0
    buy_quantity: float = 0.0
    sell_quantity: float = 0.0
    open: float = 0.0
    high: float = 0.0
    low: float = 0.0
    close: float = 0.0
    last_trade_time: datetime | None = None
    oi: int = 0
    upper_circuit: float = 0.0
    lower_circuit: float = 0.0
    bids: tuple[DepthEntry, ...] = field(default=())
    asks: tuple[DepthEntry, ...] = field(default=())


def _stamp(milliseconds: int) -> datetime | None:
    return datetime.fromtimestamp(milliseconds / 1000, UTC) if milliseconds > 0 else None


def decode_packet(data: bytes) -> list[Tick]:
    """The tick of one binary frame; raises ValueError for a frame SmartStream does not send."""
    if len(data) < 2:
        raise ValueError(f"a smartstream packet is at least 51 bytes, not {len(data)}")
    mode, exchange_type = data[0], data[1]
    if PACKET_SIZES.get(mode) != len(data):
        raise ValueError(f"a smartstream mode {mode} packet is {PACKET_SIZES.get(mode, '?')} bytes, not {len(data)}")
    divisor = PRICE_DIVISORS.get(exchange_type, DEFAULT_DIVISOR)
    token = data[TOKEN_BYTES].split(b"\x00", 1)[0].decode("ascii")
    sequence, stamp, last = struct.unpack_from("<qqq", data, 27)
    tick = Tick(exchange_type, token, MODE_FROM_UPSTREAM[mode], last / divisor, sequence, _stamp(stamp))
    if mode == 1:
        return [tick]
    quantity, average, volume = struct.unpack_from("<qqq", data, 51)
    buys, sells = struct.unpack_from("<dd", data, 75)
    open_, high, low, close = struct.unpack_from("<qqqq", data, 91)
    fields = {
        "last_quantity": quantity, "average_price": average / divisor, "volume": volume, "buy_quantity": buys,
        "sell_quantity": sells, "open": open_ / divisor, "high": high / divisor, "low": low / divisor,
        "close": close / divisor,
    }  # fmt: skip
    if mode == 3:
        traded_at, oi, _oi_change = struct.unpack_from("<qqq", data, 123)
        # Ten 20-byte levels from byte 147: flag, quantity, price, orders. smartapi-python files a level
        # with flag 0 under buy and any other flag under sell; the decoder follows the official SDK.
        levels = [struct.unpack_from("<HqqH", data, 147 + 20 * index) for index in range(10)]
        entries = [
            (flag, DepthEntry(level_price / divisor, level_quantity, orders))
            for flag, level_quantity, level_price, orders in levels
            if level_quantity or level_price or orders  # an all-zero level is padding
        ]
        upper, lower = struct.unpack_from("<qq", data, 347)
        fields |= {
            "last_trade_time": datetime.fromtimestamp(traded_at, UTC) if traded_at > 0 else None, "oi": oi,
            "upper_circuit": upper / divisor, "lower_circuit": lower / divisor,
            "bids": tuple(entry for flag, entry in entries if flag == 0),
            "asks": tuple(entry for flag, entry in entries if flag != 0),
        }  # fmt: skip
    return [replace(tick, **fields)]


def unified_payload(tick: Tick, instrument: Any) -> dict[str, Any]:
    """The canonical payload (streaming/payloads.py) of one tick: only the fields its packet mode carries."""
    is_ltp = tick.mode == "ltp"
    payload = price_payload(
        instrument, tick.last_price, stamped_at=tick.exchange_timestamp,
        traded_at=tick.last_trade_time if tick.mode == "full" else None,
        prev_close=0.0 if is_ltp else tick.close,  # the previous session's close
    )  # fmt: skip
    if is_ltp:
        return payload
    payload |= {
        "volume": tick.volume, "last_quantity": tick.last_quantity, "average_price": tick.average_price,
        "total_buy_quantity": int(tick.buy_quantity), "total_sell_quantity": int(tick.sell_quantity),
        "open": tick.open, "high": tick.high, "low": tick.low,
    }  # fmt: skip
    if tick.mode == "full":
        payload |= {"oi": tick.oi, **depth_payload(tick.bids, tick.asks)}
    return payload


def subscribe_message(mode: str, keys: list[tuple[int, str]], correlation_id: str = "brokergate") -> str:
    """One subscribe request for `keys` ((exchangeType, token) pairs), tokens grouped by exchange type."""
    grouped: dict[int, list[str]] = {}
    for exchange_type, token in keys:
        grouped.setdefault(exchange_type, []).append(token)
    token_list = [
        {"exchangeType": exchange_type, "tokens": tokens} for exchange_type, tokens in sorted(grouped.items())
    ]
    return json.dumps(
        {
            "correlationID": correlation_id[:10],
            "action": SUBSCRIBE,
            "params": {"mode": MODE_TO_UPSTREAM[mode], "tokenList": token_list},
        }
    )


def feed_headers(api_key: str, client_code: str, jwt_token: str, feed_token: str) -> dict[str, str]:
    """The upgrade request's headers; smartapi-python's example passes the login's `Bearer `-prefixed token."""
    return {
        "Authorization": f"Bearer {jwt_token}",
        "x-api-key": api_key,
        "x-client-code": client_code,
        "x-feed-token": feed_token,
    }


class AngelFeed(ReconnectingFeed):
    """SmartStream on the shared loop: subscribe per mode, decode binary frames, keep the heartbeat."""

    broker = "angel"

    def __init__(
        self, url: str, on_ticks: TickHandler, *, connect: Connector, heartbeat: float = HEARTBEAT_SECONDS
    ) -> None:
        super().__init__(url, on_ticks, connect=connect)
        self._heartbeat_seconds = heartbeat
        self._heartbeat: asyncio.Task | None = None
        self._beating_on: Connection | None = None

    async def send_subscriptions(self, connection: Connection, keys: list) -> None:
        self._keep_alive(connection)
        modes = self.subscriptions
        for mode in MODE_TO_UPSTREAM:
            chosen = [key for key in keys if modes.get(key) == mode]
            if chosen:
                await connection.send(subscribe_message(mode, chosen))

    def decode(self, frame: bytes | str) -> list[Tick]:
        if isinstance(frame, str):
            if frame != "pong":
                log.warning("smartstream said: %s", frame[:200])
            return []
        return decode_packet(frame)

    def stop(self) -> None:
        super().stop()
        if self._heartbeat is not None:
            self._heartbeat.cancel()

    def _keep_alive(self, connection: Connection) -> None:
        """One "ping" task per connection; a new connection replaces the last one's."""
        if self._beating_on is connection:
            return
        if self._heartbeat is not None:
            self._heartbeat.cancel()
        self._beating_on = connection
        self._heartbeat = asyncio.create_task(self._beat(connection))

    async def _beat(self, connection: Connection) -> None:
        with contextlib.suppress(Exception):  # a dead connection ends its heartbeat; the loop reconnects
            while True:
                await asyncio.sleep(self._heartbeat_seconds)
                await connection.send("ping")
