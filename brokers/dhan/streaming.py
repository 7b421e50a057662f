"""Dhan's live market feed v2: binary packet decoding as pure functions, and the reconnecting feed.

https://dhanhq.co/docs/v2/live-market-feed/: connect to
`wss://api-feed.dhan.co?version=2&token=<access token>&clientId=<client id>&authType=2`, then subscribe
with JSON, at most 100 instruments a message:

    {"RequestCode": 15, "InstrumentCount": 1, "InstrumentList": [{"ExchangeSegment": "NSE_EQ", "SecurityId": "1333"}]}

RequestCode 15 is ticker, 17 quote, 21 full (16, 18 and 22 unsubscribe). Answers are binary and
little-endian. Every packet starts with an 8-byte header: response code (uint8), message length
(int16), exchange segment (uint8, the annexure's enum) and security id (int32). Prices are float32 in
rupees, times are epoch seconds.

    code  bytes  after the header
    2     16     ticker: LTP f32, last trade time i32
    4     50     quote: LTP f32, LTQ i16, LTT i32, ATP f32, volume i32, total sell qty i32, total buy qty i32,
                 open f32, close f32, high f32, low f32
    5     12     open interest: OI i32
    6     16     previous close: close f32, previous OI i32
    7      8     market status (header only)
    8     162    full: as quote up to total buy qty, then OI i32, OI day high i32, OI day low i32, open f32,
                 close f32, high f32, low f32, and 5 depth levels of 20 bytes: bid qty i32, ask qty i32,
                 bid orders i16, ask orders i16, bid price f32, ask price f32
    50    10     disconnection: reason code i16 (805: too many connections, 806: data APIs not subscribed, ...)
"""

from __future__ import annotations

import json
import struct
from collections.abc import Hashable
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
from brokers.dhan.mapping import SEGMENT_OF_CODE

FEED_URL = "wss://api-feed.dhan.co"
REQUEST_CODES = {"ltp": 15, "quote": 17, "full": 21}
STREAM_MODES = {"ltp": "ltp", "quote": "quote", "depth": "full"}  # the gateway's modes -> the feed's
UNSUBSCRIBE_CODES = {"ltp": 16, "quote": 18, "full": 22}
MAX_INSTRUMENTS_PER_MESSAGE = 100

TICKER, QUOTE, OPEN_INTEREST, PREV_CLOSE, MARKET_STATUS, FULL, DISCONNECT = 2, 4, 5, 6, 7, 8, 50
PACKET_SIZES = {TICKER: 16, QUOTE: 50, OPEN_INTEREST: 12, PREV_CLOSE: 16, MARKET_STATUS: 8, FULL: 162, DISCONNECT: 10}
HEADER = struct.Struct("<BhBI")
_TICKER = struct.Struct("<fi")
_QUOTE = struct.Struct("<fhifiiiffff")
_FULL = struct.Struct("<fhifiiiiiiffff")
_LEVEL = struct.Struct("<iihhff")
_MODES = {TICKER: "ltp", QUOTE: "quote", FULL: "full"}


@dataclass(frozen=True, slots=True)
class Tick:
    """One instrument's price update; `close` is the previous day's close once the feed has said it."""

    exchange_segment: str
    security_id: int
    mode: str
    last_price: float
    last_trade_time: datetime | None = None
    last_quantity: int = 0
    average_price: float = 0.0
    volume: int = 0
    buy_quantity: int = 0
    sell_quantity: int = 0
    open: float = 0.0
    high: float = 0.0
    low: float = 0.0
    close: float = 0.0
    oi: int = 0
    oi_day_high: int = 0
    oi_day_low: int = 0
    bids: tuple[DepthEntry, ...] = field(default=())
    asks: tuple[DepthEntry, ...] = field(default=())


@dataclass(frozen=True, slots=True)
class PrevClose:
    exchange_segment: str
    security_id: int
    close: float
    oi: int


@dataclass(frozen=True, slots=True)
class OpenInterest:
    exchange_segment: str
    security_id: int
    oi: int


@dataclass(frozen=True, slots=True)
class Disconnected:
    reason: int


Packet = Tick | PrevClose | OpenInterest | Disconnected


def _money(value: float) -> float:
    return round(value, 2)  # float32 carries a rupee price to about four decimals


def _stamp(seconds: int) -> datetime | None:
    return datetime.fromtimestamp(seconds, UTC) if seconds > 0 else None


def decode_one(packet: bytes) -> Packet | None:
    """One packet; None for market status; ValueError for a code or length Dhan does not send."""
    code, _length, segment_code, security_id = HEADER.unpack_from(packet)
    size = PACKET_SIZES.get(code)
    if size is None:
        raise ValueError(f"dhan feed response code {code} is not one the v2 feed sends")
    if len(packet) < size:
        raise ValueError(f"a dhan feed packet with code {code} is {size} bytes, not {len(packet)}")
    segment = SEGMENT_OF_CODE.get(segment_code, str(segment_code))
    if code == TICKER:
        last, traded_at = _TICKER.unpack_from(packet, 8)
        return Tick(segment, security_id, "ltp", _money(last), last_trade_time=_stamp(traded_at))
    if code == PREV_CLOSE:
        close, oi = _TICKER.unpack_from(packet, 8)
        return PrevClose(segment, security_id, _money(close), oi)
    if code == OPEN_INTEREST:
        return OpenInterest(segment, security_id, struct.unpack_from("<i", packet, 8)[0])
    if code == DISCONNECT:
        return Disconnected(struct.unpack_from("<h", packet, 8)[0])
    if code == MARKET_STATUS:
        return None
    if code == QUOTE:
        last, ltq, ltt, atp, volume, sells, buys, open_, close, high, low = _QUOTE.unpack_from(packet, 8)
        oi = oi_high = oi_low = 0
    else:
        last, ltq, ltt, atp, volume, sells, buys, oi, oi_high, oi_low, open_, close, high, low = _FULL.unpack_from(
            packet, 8
        )
    tick = Tick(
        segment, security_id, _MODES[code], _money(last), last_trade_time=_stamp(ltt), last_quantity=ltq,
        average_price=_money(atp), volume=volume, buy_quantity=buys, sell_quantity=sells, open=_money(open_),
        high=_money(high), low=_money(low), close=_money(close), oi=oi, oi_day_high=oi_high, oi_day_low=oi_low,
    )  # fmt: skip
    if code == QUOTE:
        return tick
    levels = [_LEVEL.unpack_from(packet, 62 + _LEVEL.size * index) for index in range(5)]
    bids = tuple(DepthEntry(_money(bid), bid_qty, bid_orders) for bid_qty, _, bid_orders, _, bid, _ in levels)
    asks = tuple(DepthEntry(_money(ask), ask_qty, ask_orders) for _, ask_qty, _, ask_orders, _, ask in levels)
    return replace(tick, bids=bids, asks=asks)


def decode_packet(data: bytes) -> list[Packet]:
    """Every packet of one binary frame (Dhan sends one a frame; several back to back are read in turn)."""
    packets: list[Packet] = []
    offset = 0
    while len(data) - offset >= HEADER.size:
        code = data[offset]
        size = PACKET_SIZES.get(code)
        if size is None:
            raise ValueError(f"dhan feed response code {code} at byte {offset} is not one the v2 feed sends")
        decoded = decode_one(data[offset : offset + size])
        if decoded is not None:
            packets.append(decoded)
        offset += size
    return packets


def subscribe_messages(mode: str, instruments: list[tuple[str, int]], unsubscribe: bool = False) -> list[str]:
    """The JSON subscription messages for `instruments` ((segment, security id) pairs), 100 a message."""
    code = (UNSUBSCRIBE_CODES if unsubscribe else REQUEST_CODES)[mode]
    messages = []
    for start in range(0, len(instruments), MAX_INSTRUMENTS_PER_MESSAGE):
        batch = instruments[start : start + MAX_INSTRUMENTS_PER_MESSAGE]
        listed = [{"ExchangeSegment": segment, "SecurityId": str(security_id)} for segment, security_id in batch]
        messages.append(json.dumps({"RequestCode": code, "InstrumentCount": len(batch), "InstrumentList": listed}))
    return messages


def feed_url(client_id: str, access_token: str, base: str = FEED_URL) -> str:
    return f"{base}?{urlencode({'version': '2', 'token': access_token, 'clientId': client_id, 'authType': '2'})}"


def key_of(tick: Tick) -> tuple[str, int]:
    """A tick's feed key, as `DhanFeed.subscribe` takes it: (exchange segment, security id)."""
    return tick.exchange_segment, tick.security_id


def payload_of(tick: Tick, instrument: Any) -> dict[str, Any]:
    """The canonical payload (streaming/payloads.py) of one tick, in `instrument`'s unified names.

    A ticker carries the price, its time and (once the feed has said it) the previous close; a quote adds
    the day's figures; a full packet adds open interest and five levels of depth. What a packet lacks is
    left out.
    """
    payload = price_payload(instrument, tick.last_price, traded_at=tick.last_trade_time, prev_close=tick.close)
    if tick.mode in ("quote", "full"):
        payload |= {
            "volume": tick.volume, "last_quantity": tick.last_quantity, "average_price": tick.average_price,
            "total_buy_quantity": tick.buy_quantity, "total_sell_quantity": tick.sell_quantity,
            "open": tick.open, "high": tick.high, "low": tick.low,
        }  # fmt: skip
    if tick.mode == "full":
        payload |= {"oi": tick.oi, **depth_payload(tick.bids, tick.asks)}
    return payload


class DhanFeed(ReconnectingFeed):
    """Dhan's market feed: keys are (exchange segment, security id) pairs."""

    broker = "dhan"

    def __init__(
        self, url: str, on_ticks: TickHandler, *, connect: Connector, backoff: tuple[float, float] = (0.5, 30.0)
    ) -> None:
        super().__init__(url, on_ticks, connect=connect, backoff=backoff)
        self._prev_close: dict[tuple[str, int], float] = {}

    async def send_subscriptions(self, connection: Connection, keys: list[Hashable]) -> None:
        modes = self.subscriptions
        for mode in REQUEST_CODES:
            chosen = [key for key in keys if modes.get(key) == mode]
            for message in subscribe_messages(mode, chosen):  # type: ignore[arg-type]
                await connection.send(message)

    def decode(self, frame: bytes | str) -> list[Tick]:
        if isinstance(frame, str):
            return []  # the feed speaks binary; a text frame is not a tick
        ticks = []
        for packet in decode_packet(frame):
            if isinstance(packet, Disconnected):
                raise ConnectionResetError(f"dhan closed the feed with reason {packet.reason}")
            if isinstance(packet, PrevClose):
                self._prev_close[(packet.exchange_segment, packet.security_id)] = packet.close
            elif isinstance(packet, Tick):
                known = self._prev_close.get((packet.exchange_segment, packet.security_id))
                ticks.append(replace(packet, close=known) if known and packet.mode == "ltp" else packet)
        return ticks


__all__ = [
    "STREAM_MODES",
    "DhanFeed",
    "Tick",
    "decode_one",
    "decode_packet",
    "feed_url",
    "key_of",
    "payload_of",
    "subscribe_messages",
    "websocket_connector",
]
