"""Fyers' v3 data socket (HSM): the binary messages as pure functions, and the reconnecting feed.

The official SDK's `FyersWebsocket/data_ws.py` speaks a length-prefixed binary protocol to
wss://socket.fyers.in/hsm/v1-5/prod, with `Authorization: <app_id>:<access_token>` on the upgrade:

    request   uint16 length (of what follows the two bytes), uint8 type, uint8 field count, then per
              field: uint8 id, uint16 length, value. Type 1 authenticates (1: the `hsm_key` claim of
              the access token, 2: mode "P", 3: 1, 4: source); type 4 subscribes (1: uint16 count and
              per topic uint8 length + ASCII name, 2: channel, 11 by default).
    response  byte 2 is the type: 1 authenticated, 4 subscription ack, 6 data feed. A data feed has
              a uint32 message number at 3..6, a uint16 topic count at 7..8, then per topic a data type
              byte, 'S' (83) for a snapshot or 'U' (85) for an update:
      snapshot  uint16 topic id, uint8 name length, name (`sf|nse_cm|3045`), uint8 field count,
                int32 values; for `sf|` topics then 2 reserved bytes, uint16 multiplier, uint8 precision
                and three uint8-length strings (exchange, exchange token, symbol).
      update    uint16 topic id, uint8 field count, int32 values in the same order; -2^31 means "no
                change".

Symbol-update (`sf|`) fields, in order: ltp, vol_traded_today, last_traded_time, exch_feed_time,
bid_size, ask_size, bid_price, ask_price, last_traded_qty, tot_buy_qty, tot_sell_qty,
avg_trade_price, OI, low_price, high_price, Yhigh, Ylow, lower_ckt, upper_ckt, open_price,
prev_close_price. Index (`if|`) fields: ltp, prev_close_price, exch_feed_time, high_price,
low_price, open_price. Depth (`dp|`) fields: bid_price1-5, ask_price1-5, bid_size1-5, ask_size1-5,
bid_order1-5, ask_order1-5, with the same trailer as a symbol-update snapshot. Prices are integers in
units of 1 / (multiplier * 10^precision) rupees; index topics carry no multiplier or precision and
are in paise. All integers are big-endian.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
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
)

FEED_URL = "wss://socket.fyers.in/hsm/v1-5/prod"
SOURCE = "brokergate"
CHANNEL = 11
NO_VALUE = -(2**31)
AUTH, SUBSCRIBE, DATA_FEED = 1, 4, 6
SNAPSHOT, UPDATE = 83, 85

SCRIP_FIELDS = (
    "ltp", "vol_traded_today", "last_traded_time", "exch_feed_time", "bid_size", "ask_size", "bid_price",
    "ask_price", "last_traded_qty", "tot_buy_qty", "tot_sell_qty", "avg_trade_price", "OI", "low_price",
    "high_price", "Yhigh", "Ylow", "lower_ckt", "upper_ckt", "open_price", "prev_close_price",
)  # fmt: skip
INDEX_FIELDS = ("ltp", "prev_close_price", "exch_feed_time", "high_price", "low_price", "open_price")
DEPTH_FIELDS = tuple(
    f"{side}_{what}{level}" for what in ("price", "size", "order") for side in ("bid", "ask") for level in range(1, 6)
)
PRICE_FIELDS = frozenset(
    {"ltp", "bid_price", "ask_price", "avg_trade_price", "low_price", "high_price", "Yhigh", "Ylow",
     "lower_ckt", "upper_ckt", "open_price", "prev_close_price"}
)  # fmt: skip
INDEX_PRICE_DIVISOR = 100

# The first four digits of a Fytoken (exchange + segment) -> the HSM segment name.
HSM_SEGMENTS = {
    "1010": "nse_cm",
    "1011": "nse_fo",
    "1012": "cde_fo",
    "1210": "bse_cm",
    "1211": "bse_fo",
    "1120": "mcx_fo",
}


@dataclass(frozen=True, slots=True)
class Tick:
    """One instrument's state after a snapshot or an update, prices in rupees."""

    topic: str
    symbol: str  # Fyers' ticker when the snapshot named it, else the topic
    last_price: float
    volume: int = 0
    last_quantity: int = 0
    average_price: float = 0.0
    bid: float = 0.0
    ask: float = 0.0
    bid_quantity: int = 0
    ask_quantity: int = 0
    total_buy_quantity: int = 0
    total_sell_quantity: int = 0
    open: float = 0.0
    high: float = 0.0
    low: float = 0.0
    close: float = 0.0
    oi: int = 0
    last_trade_time: datetime | None = None
    exchange_timestamp: datetime | None = None
    bids: tuple[DepthEntry, ...] = ()
    asks: tuple[DepthEntry, ...] = ()


@dataclass
class Topic:
    """What a connection has been told about one topic id: its name, scale and latest raw values."""

    name: str
    fields: tuple[str, ...]
    divisor: int
    symbol: str = ""
    values: dict[str, int] = field(default_factory=dict)

    @property
    def instrument(self) -> str:
        """The topic without its kind: `nse_cm|3045` for both `sf|nse_cm|3045` and `dp|nse_cm|3045`."""
        return self.name.partition("|")[2]

    @property
    def is_depth(self) -> bool:
        return self.name.startswith("dp|")


def topic_name(fytoken: str, is_index: bool = False) -> str:
    """The HSM topic of an instrument, from its Fytoken: `sf|nse_cm|3045` (segment + exchange token)."""
    segment = HSM_SEGMENTS.get(fytoken[:4])
    if segment is None:
        raise ValueError(f"fytoken {fytoken!r} is in no segment the data socket serves")
    return f"{'if' if is_index else 'sf'}|{segment}|{int(fytoken[10:])}"


def _message(kind: int, fields: list[tuple[int, bytes]]) -> bytes:
    body = bytes([kind, len(fields)]) + b"".join(struct.pack(">BH", key, len(value)) + value for key, value in fields)
    return struct.pack(">H", len(body)) + body


def auth_message(hsm_key: str, source: str = SOURCE) -> bytes:
    return _message(AUTH, [(1, hsm_key.encode()), (2, b"P"), (3, b"\x01"), (4, source.encode())])


def subscribe_message(topics: list[str], channel: int = CHANNEL) -> bytes:
    names = struct.pack(">H", len(topics)) + b"".join(bytes([len(name)]) + name.encode("ascii") for name in topics)
    return _message(SUBSCRIBE, [(1, names), (2, bytes([channel]))])


def message_type(frame: bytes) -> int | None:
    return frame[2] if len(frame) > 2 else None


class FeedDecoder:
    """Decodes one connection's data-feed frames; updates need the snapshot that named their topic id."""

    def __init__(self) -> None:
        self.topics: dict[int, Topic] = {}
        self._quotes: dict[str, Topic] = {}  # instrument -> its symbol-update or index topic
        self._depths: dict[str, Topic] = {}  # instrument -> its depth topic

    def decode(self, frame: bytes) -> list[Tick]:
        if message_type(frame) != DATA_FEED or len(frame) < 9:
            return []
        (count,) = struct.unpack_from(">H", frame, 7)
        offset, ticks = 9, []
        for _ in range(count):
            kind = frame[offset]
            if kind == SNAPSHOT:
                topic, offset = self._snapshot(frame, offset + 1)
            elif kind == UPDATE:
                topic, offset = self._update(frame, offset + 1)
            else:
                raise ValueError(f"a fyers data feed has topic data type {kind} at byte {offset}; only 83 and 85 exist")
            if topic is None:
                continue
            quote = self._quotes.get(topic.instrument)
            if quote is not None and "ltp" in quote.values:
                ticks.append(tick_of(quote, self._depths.get(topic.instrument)))
        return ticks

    def _snapshot(self, frame: bytes, offset: int) -> tuple[Topic, int]:
        topic_id, length = struct.unpack_from(">HB", frame, offset)
        offset += 3
        name = frame[offset : offset + length].decode("ascii")
        offset += length
        is_index = name.startswith("if|")
        fields = INDEX_FIELDS if is_index else DEPTH_FIELDS if name.startswith("dp|") else SCRIP_FIELDS
        values, offset = _values(frame, offset + 1, frame[offset], fields)
        topic = Topic(name, fields, INDEX_PRICE_DIVISOR, values=values)
        if not is_index:
            multiplier, precision = struct.unpack_from(">HB", frame, offset + 2)
            topic.divisor = max(1, multiplier) * 10**precision
            offset += 5
            strings = []
            for _ in range(3):
                size = frame[offset]
                strings.append(frame[offset + 1 : offset + 1 + size].decode("utf-8", "replace"))
                offset += 1 + size
            topic.symbol = strings[2]
        self.topics[topic_id] = topic
        (self._depths if topic.is_depth else self._quotes)[topic.instrument] = topic
        return topic, offset

    def _update(self, frame: bytes, offset: int) -> tuple[Topic | None, int]:
        topic_id, count = struct.unpack_from(">HB", frame, offset)
        topic = self.topics.get(topic_id)
        fields = topic.fields if topic else SCRIP_FIELDS
        values, offset = _values(frame, offset + 3, count, fields)
        if topic is None:
            return None, offset  # an update for a topic this connection never saw a snapshot of
        topic.values.update(values)
        return topic, offset


def _values(frame: bytes, offset: int, count: int, fields: tuple[str, ...]) -> tuple[dict[str, int], int]:
    raw = struct.unpack_from(f">{count}i", frame, offset)
    values = {name: value for name, value in zip(fields, raw, strict=False) if value != NO_VALUE}
    return values, offset + 4 * count


def _stamp(seconds: int) -> datetime | None:
    return datetime.fromtimestamp(seconds, UTC) if seconds > 0 else None


def depth_of(topic: Topic | None) -> tuple[tuple[DepthEntry, ...], tuple[DepthEntry, ...]]:
    """Five levels a side from a depth topic's values; empty sides when there is none."""
    if topic is None:
        return (), ()
    values = topic.values

    def side(name: str) -> tuple[DepthEntry, ...]:
        return tuple(
            DepthEntry(
                round(values.get(f"{name}_price{level}", 0) / topic.divisor, 6),
                values.get(f"{name}_size{level}", 0),
                values.get(f"{name}_order{level}", 0),
            )
            for level in range(1, 6)
        )

    return side("bid"), side("ask")


def tick_of(topic: Topic, depth: Topic | None = None) -> Tick:
    values = topic.values
    bids, asks = depth_of(depth)

    def money(name: str) -> float:
        return round(values.get(name, 0) / topic.divisor, 6)

    return Tick(
        topic=topic.name, symbol=topic.symbol or topic.name, last_price=money("ltp"),
        volume=values.get("vol_traded_today", 0), last_quantity=values.get("last_traded_qty", 0),
        average_price=money("avg_trade_price"), bid=money("bid_price"), ask=money("ask_price"),
        bid_quantity=values.get("bid_size", 0), ask_quantity=values.get("ask_size", 0),
        total_buy_quantity=values.get("tot_buy_qty", 0), total_sell_quantity=values.get("tot_sell_qty", 0),
        open=money("open_price"), high=money("high_price"), low=money("low_price"), close=money("prev_close_price"),
        oi=values.get("OI", 0), last_trade_time=_stamp(values.get("last_traded_time", 0)),
        exchange_timestamp=_stamp(values.get("exch_feed_time", 0)), bids=bids, asks=asks,
    )  # fmt: skip


def decode_packet(frame: bytes) -> list[Tick]:
    """The ticks of one self-contained frame (snapshots); updates need `FeedDecoder`'s memory of the connection."""
    return FeedDecoder().decode(frame)


# The gateway's streaming modes -> the feed's own.
FEED_MODES = {"ltp": "ltp", "quote": "quote", "depth": "full"}


def tick_payload(tick: Tick, instrument: Any) -> dict[str, Any]:
    """The canonical payload (`streaming.payloads`) of one tick, named as the unified `instrument`.

    Index topics carry only prices and a feed time, so their quantities, bid/ask and OI are left out;
    a tick's depth is there only when its depth topic is subscribed (mode `full`).
    """
    payload = price_payload(
        instrument, tick.last_price, traded_at=tick.last_trade_time, stamped_at=tick.exchange_timestamp,
        prev_close=tick.close,
    )  # fmt: skip
    payload.update(open=tick.open, high=tick.high, low=tick.low)
    if not tick.topic.startswith("if|"):
        payload.update(
            volume=tick.volume, last_quantity=tick.last_quantity, average_price=tick.average_price,
            total_buy_quantity=tick.total_buy_quantity, total_sell_quantity=tick.total_sell_quantity,
            oi=tick.oi, bid=tick.bid, ask=tick.ask,
        )  # fmt: skip
    if tick.bids or tick.asks:
        payload["depth"] = depth_payload(tick.bids, tick.asks)["depth"]
    return payload


class FyersFeed(ReconnectingFeed):
    """One data-socket connection kept up: authenticates, subscribes topics, decodes, reconnects."""

    broker = "fyers"
    modes = ("ltp", "quote", "full")  # all ride on symbol-update topics; `full` adds the depth (`dp|`) topic

    def __init__(self, url: str, on_ticks: TickHandler, *, connect: Connector, hsm_key: str, **options) -> None:
        super().__init__(url, on_ticks, connect=connect, **options)
        self._hsm_key = hsm_key
        self._authenticated: Connection | None = None
        self._decoder = FeedDecoder()

    async def send_subscriptions(self, connection: Connection, keys: list) -> None:
        if self._authenticated is not connection:
            # Topic ids belong to one connection: a new one starts with a fresh decoder.
            self._decoder = FeedDecoder()
            await connection.send(auth_message(self._hsm_key))
            self._authenticated = connection
        topics = [str(key) for key in keys]
        topics += [f"dp|{key[3:]}" for key in topics if key.startswith("sf|") and self.subscriptions.get(key) == "full"]
        await connection.send(subscribe_message(topics))

    def decode(self, frame: bytes | str) -> list[Tick]:
        return self._decoder.decode(frame) if isinstance(frame, bytes | bytearray) else []
