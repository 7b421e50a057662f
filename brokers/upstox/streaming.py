"""Upstox's market data feed (v3): the protobuf schema, frame decoding as pure functions, and the feed.

https://upstox.com/developer/api-documentation/v3/get-market-data-feed: GET
/v3/feed/market-data-feed/authorize answers a one-time `wss://` URL; a connection to it receives
binary frames, each one `FeedResponse` protobuf message (schema: MarketDataFeedV3.proto in
upstox-python-sdk). Subscriptions are sent as binary frames holding JSON:
`{"guid": "...", "method": "sub", "data": {"mode": "full", "instrumentKeys": ["NSE_EQ|INE062A01020"]}}`
with mode `ltpc`, `option_greeks`, `full` or `full_d30`.

There is no protoc here and no generated file is kept: the message classes are built when this
module loads, from a FileDescriptorProto written below field by field from the documented schema.
The simulator encodes its frames with the same classes.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
from google.protobuf.message import DecodeError

from brokers.common.feed import Connection, Connector, DepthEntry, ReconnectingFeed, depth_payload, price_payload
from generated.errors import BrokerBadResponse

PACKAGE = "com.upstox.marketdatafeederv3udapi.rpc.proto"

# The documented schema, as (name, number, type); a type is a scalar, a message or enum of this
# file, `repeated X` or `map<string, X>`; a fourth item names the field's oneof.
ENUMS = {
    "Type": ["initial_feed", "live_feed", "market_info"],
    "RequestMode": ["ltpc", "full_d5", "option_greeks", "full_d30"],
    "MarketStatus": ["PRE_OPEN_START", "PRE_OPEN_END", "NORMAL_OPEN", "NORMAL_CLOSE", "CLOSING_START", "CLOSING_END"],
}
MESSAGES: dict[str, list[tuple]] = {
    "LTPC": [("ltp", 1, "double"), ("ltt", 2, "int64"), ("ltq", 3, "int64"), ("cp", 4, "double")],
    "MarketLevel": [("bidAskQuote", 1, "repeated Quote")],
    "MarketOHLC": [("ohlc", 1, "repeated OHLC")],
    "Quote": [("bidQ", 1, "int64"), ("bidP", 2, "double"), ("askQ", 3, "int64"), ("askP", 4, "double")],
    "OptionGreeks": [
        ("delta", 1, "double"),
        ("theta", 2, "double"),
        ("gamma", 3, "double"),
        ("vega", 4, "double"),
        ("rho", 5, "double"),
    ],
    "OHLC": [
        ("interval", 1, "string"),
        ("open", 2, "double"),
        ("high", 3, "double"),
        ("low", 4, "double"),
        ("close", 5, "double"),
        ("vol", 6, "int64"),
        ("ts", 7, "int64"),
    ],
    "MarketFullFeed": [
        ("ltpc", 1, "LTPC"),
        ("marketLevel", 2, "MarketLevel"),
        ("optionGreeks", 3, "OptionGreeks"),
        ("marketOHLC", 4, "MarketOHLC"),
        ("atp", 5, "double"),
        ("vtt", 6, "int64"),
        ("oi", 7, "double"),
        ("iv", 8, "double"),
        ("tbq", 9, "double"),
        ("tsq", 10, "double"),
    ],
    "IndexFullFeed": [("ltpc", 1, "LTPC"), ("marketOHLC", 2, "MarketOHLC")],
    "FullFeed": [("marketFF", 1, "MarketFullFeed", "FullFeedUnion"), ("indexFF", 2, "IndexFullFeed", "FullFeedUnion")],
    "FirstLevelWithGreeks": [
        ("ltpc", 1, "LTPC"),
        ("firstDepth", 2, "Quote"),
        ("optionGreeks", 3, "OptionGreeks"),
        ("vtt", 4, "int64"),
        ("oi", 5, "double"),
        ("iv", 6, "double"),
    ],
    "Feed": [
        ("ltpc", 1, "LTPC", "FeedUnion"),
        ("fullFeed", 2, "FullFeed", "FeedUnion"),
        ("firstLevelWithGreeks", 3, "FirstLevelWithGreeks", "FeedUnion"),
        ("requestMode", 4, "RequestMode"),
    ],
    "MarketInfo": [("segmentStatus", 1, "map<string, MarketStatus>")],
    "FeedResponse": [
        ("type", 1, "Type"),
        ("feeds", 2, "map<string, Feed>"),
        ("currentTs", 3, "int64"),
        ("marketInfo", 4, "MarketInfo"),
    ],
}
_Field = descriptor_pb2.FieldDescriptorProto
_SCALARS = {"double": _Field.TYPE_DOUBLE, "int64": _Field.TYPE_INT64, "string": _Field.TYPE_STRING}


def _set_type(proto: Any, type_name: str) -> None:
    if type_name in _SCALARS:
        proto.type = _SCALARS[type_name]
    else:
        proto.type = _Field.TYPE_ENUM if type_name in ENUMS else _Field.TYPE_MESSAGE
        proto.type_name = f".{PACKAGE}.{type_name}"


def _add_field(message: Any, name: str, number: int, type_name: str, oneof: str | None = None) -> None:
    proto = message.field.add(name=name, number=number, json_name=name, label=_Field.LABEL_OPTIONAL)
    if type_name.startswith("repeated "):
        proto.label = _Field.LABEL_REPEATED
        _set_type(proto, type_name.removeprefix("repeated "))
    elif type_name.startswith("map<"):
        value_type = type_name.removeprefix("map<string, ").removesuffix(">")
        entry = message.nested_type.add(name=f"{name[0].upper()}{name[1:]}Entry")
        entry.options.map_entry = True
        _add_field(entry, "key", 1, "string")
        _add_field(entry, "value", 2, value_type)
        proto.label = _Field.LABEL_REPEATED
        proto.type = _Field.TYPE_MESSAGE
        proto.type_name = f".{PACKAGE}.{message.name}.{entry.name}"
    else:
        _set_type(proto, type_name)
    if oneof is not None:
        names = [decl.name for decl in message.oneof_decl]
        if oneof not in names:
            message.oneof_decl.add(name=oneof)
            names.append(oneof)
        proto.oneof_index = names.index(oneof)


def _file_descriptor() -> descriptor_pb2.FileDescriptorProto:
    file = descriptor_pb2.FileDescriptorProto(name="MarketDataFeedV3.proto", package=PACKAGE, syntax="proto3")
    for name, values in ENUMS.items():
        enum = file.enum_type.add(name=name)
        for number, value in enumerate(values):
            enum.value.add(name=value, number=number)
    for name, fields in MESSAGES.items():
        message = file.message_type.add(name=name)
        for spec in fields:
            _add_field(message, *spec)
    return file


_POOL = descriptor_pool.DescriptorPool()
_POOL.AddSerializedFile(_file_descriptor().SerializeToString())
FeedResponse = message_factory.GetMessageClass(_POOL.FindMessageTypeByName(f"{PACKAGE}.FeedResponse"))

# Unified feed modes -> Upstox's subscription modes.
MODE_TO_UPSTREAM = {"ltp": "ltpc", "quote": "full", "full": "full"}
# The gateway's stream modes (brokers/common/feed.py STREAM_MODES) -> this feed's modes.
STREAM_MODE_TO_FEED = {"ltp": "ltp", "quote": "quote", "depth": "full"}


@dataclass(frozen=True, slots=True)
class Tick:
    """One instrument's update as Upstox sends it."""

    instrument_key: str
    mode: str  # ltpc, full, index_full or option_greeks: which part of the Feed union arrived
    last_price: float
    last_trade_time: datetime | None = None
    last_quantity: int = 0
    close: float = 0.0  # the previous day's close (`cp`)
    open: float = 0.0
    high: float = 0.0
    low: float = 0.0
    volume: int = 0
    average_price: float = 0.0
    oi: float = 0.0
    total_buy_quantity: float = 0.0
    total_sell_quantity: float = 0.0
    bids: tuple[DepthEntry, ...] = field(default=())
    asks: tuple[DepthEntry, ...] = field(default=())


def _stamp(milliseconds: int) -> datetime | None:
    return datetime.fromtimestamp(milliseconds / 1000, UTC) if milliseconds else None


def _ltpc(key: str, mode: str, ltpc: Any) -> Tick:
    return Tick(key, mode, ltpc.ltp, last_trade_time=_stamp(ltpc.ltt), last_quantity=ltpc.ltq, close=ltpc.cp)


def _day_candle(market_ohlc: Any) -> dict[str, float]:
    day = next((candle for candle in market_ohlc.ohlc if candle.interval == "1d"), None)
    return {"open": day.open, "high": day.high, "low": day.low} if day else {}


def tick_from_feed(key: str, feed: Any) -> Tick | None:
    """One instrument's Feed as a Tick; None for a feed that carries nothing (an empty union)."""
    kind = feed.WhichOneof("FeedUnion")
    if kind == "ltpc":
        return _ltpc(key, "ltpc", feed.ltpc)
    if kind == "firstLevelWithGreeks":
        first, depth = feed.firstLevelWithGreeks, feed.firstLevelWithGreeks.firstDepth
        return replace(
            _ltpc(key, "option_greeks", first.ltpc), volume=first.vtt, oi=first.oi,
            bids=(DepthEntry(depth.bidP, depth.bidQ),), asks=(DepthEntry(depth.askP, depth.askQ),),
        )  # fmt: skip
    if kind != "fullFeed":
        return None
    full = feed.fullFeed
    if full.WhichOneof("FullFeedUnion") == "indexFF":
        return replace(_ltpc(key, "index_full", full.indexFF.ltpc), **_day_candle(full.indexFF.marketOHLC))
    market = full.marketFF
    levels = market.marketLevel.bidAskQuote
    return replace(
        _ltpc(key, "full", market.ltpc),
        **_day_candle(market.marketOHLC),
        volume=market.vtt,
        average_price=market.atp,
        oi=market.oi,
        total_buy_quantity=market.tbq,
        total_sell_quantity=market.tsq,
        bids=tuple(DepthEntry(level.bidP, level.bidQ) for level in levels),
        asks=tuple(DepthEntry(level.askP, level.askQ) for level in levels),
    )


def decode_frame(data: bytes) -> list[Tick]:
    """Every tick of one binary frame; a market-status frame has none."""
    response = FeedResponse()
    try:
        response.ParseFromString(data)
    except DecodeError as e:
        raise BrokerBadResponse(
            f"an upstox feed frame of {len(data)} bytes is not a FeedResponse", broker="upstox"
        ) from e
    ticks = (tick_from_feed(key, feed) for key, feed in sorted(response.feeds.items()))
    return [tick for tick in ticks if tick is not None]


def tick_payload(tick: Tick, instrument: Any) -> dict[str, Any]:
    """The canonical payload (streaming/payloads.py) of one tick, named by its unified `instrument`.

    Prices arrive in rupees. Only what the tick's mode carries is set: an `ltpc` tick has no volume or
    depth, an index none of either, and `project_tick` reads a missing field as 0. Upstox's depth has no
    order counts, so its levels say 0.
    """
    payload = price_payload(instrument, tick.last_price, traded_at=tick.last_trade_time, prev_close=tick.close)
    if tick.mode != "index_full":
        payload["last_quantity"] = tick.last_quantity
    if tick.mode in ("full", "index_full"):
        payload |= {"open": tick.open, "high": tick.high, "low": tick.low}
    if tick.mode in ("full", "option_greeks"):
        payload |= {"volume": tick.volume, "oi": tick.oi, **depth_payload(tick.bids, tick.asks)}
    if tick.mode == "full":
        payload |= {
            "average_price": tick.average_price,
            "total_buy_quantity": int(tick.total_buy_quantity),
            "total_sell_quantity": int(tick.total_sell_quantity),
        }
    return payload


def subscription_message(keys: list[str], mode: str, method: str = "sub") -> bytes:
    """A subscription request, as the binary frame Upstox expects."""
    request = {"guid": uuid.uuid4().hex, "method": method, "data": {"mode": mode, "instrumentKeys": keys}}
    return json.dumps(request).encode()


def authorized_url(data: Mapping[str, Any]) -> str:
    """The wss URL of the authorize answer (`authorized_redirect_uri`; older answers spell it in camel case)."""
    url = data.get("authorized_redirect_uri") or data.get("authorizedRedirectUri")
    if not url:
        raise BrokerBadResponse("upstox's feed authorization carried no wss URL", broker="upstox")
    return str(url)


class UpstoxFeed(ReconnectingFeed):
    """Keeps one feed connection up; each connection is authorized afresh (the wss URL works once)."""

    broker = "upstox"

    async def send_subscriptions(self, connection: Connection, keys: list) -> None:
        modes = self.subscriptions
        for unified, upstream in MODE_TO_UPSTREAM.items():
            chosen = [key for key in keys if modes.get(key) == unified]
            if chosen:
                await connection.send(subscription_message(chosen, upstream))

    def decode(self, frame: bytes | str) -> list[Tick]:
        return decode_frame(frame) if isinstance(frame, bytes) else []


def authorizing_connector(authorize: Callable[[], Awaitable[Mapping[str, Any]]], connect: Connector) -> Connector:
    """A connector that asks `authorize()` for a fresh wss URL and opens it with `connect`."""

    @asynccontextmanager
    async def open_connection(_url: str) -> AsyncIterator[Connection]:
        url = authorized_url(await authorize())
        async with connect(url) as connection:
            yield connection

    def connector(url: str) -> AbstractAsyncContextManager[Connection]:
        return open_connection(url)

    return connector
