"""The XTS market-data feed: socket.io frames decoded as pure functions, on the shared reconnecting loop.

The feed is socket.io (Engine.IO 3) over a WebSocket at `/apimarketdata/socket.io/?token=..&userID=..
&publishFormat=JSON&broadcastMode=Full&transport=websocket&EIO=3`. What it streams is chosen over
REST, not on the socket: POST /apimarketdata/instruments/subscription with the instruments and an
`xtsMessageCode` (1501 touchline, 1502 market depth), sent again after every reconnect. Events
arrive as `42["1501-json-full","{...}"]`; other frames (open `0{..}`, connect `40`, pings) carry no ticks.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
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
from brokers.families.xts.mapping import DEPTH, TOUCHLINE, XTS_EPOCH

MODES = ("ltp", "quote", "full")
MESSAGE_CODES = {"ltp": TOUCHLINE, "quote": TOUCHLINE, "full": DEPTH}
STREAM_MODES = {"ltp": "ltp", "quote": "quote", "depth": "full"}
EVENT_MODES = {f"{TOUCHLINE}-json-full": "quote", f"{DEPTH}-json-full": "full"}
Key = tuple[int, int]  # (segment number, exchangeInstrumentID)
Subscriber = Callable[[list[dict[str, int]], int], Awaitable[Any]]


@dataclass(frozen=True, slots=True)
class Tick:
    segment: int
    instrument_id: int
    mode: str
    last_price: float
    last_quantity: int = 0
    average_price: float = 0.0
    volume: int = 0
    buy_quantity: int = 0
    sell_quantity: int = 0
    open: float = 0.0
    high: float = 0.0
    low: float = 0.0
    close: float = 0.0
    traded_at: datetime | None = None
    bids: tuple[DepthEntry, ...] = field(default=())
    asks: tuple[DepthEntry, ...] = field(default=())

    @property
    def key(self) -> Key:
        return (self.segment, self.instrument_id)


def _levels(side: list[dict] | None) -> tuple[DepthEntry, ...]:
    return tuple(
        DepthEntry(float(level.get("Price") or 0), int(level.get("Size") or 0), int(level.get("TotalOrders") or 0))
        for level in side or []
    )


def tick_from_event(mode: str, event: dict[str, Any]) -> Tick:
    """One 1501 or 1502 event's JSON as a tick; times count from XTS's 1980 epoch."""
    touch = event.get("Touchline") or event
    seconds = int(touch.get("LastTradedTime") or 0)
    return Tick(
        int(event["ExchangeSegment"]), int(event["ExchangeInstrumentID"]), mode, float(touch.get("LastTradedPrice") or 0),
        last_quantity=int(touch.get("LastTradedQunatity") or 0), average_price=float(touch.get("AverageTradedPrice") or 0),
        volume=int(touch.get("TotalTradedQuantity") or 0), buy_quantity=int(touch.get("TotalBuyQuantity") or 0),
        sell_quantity=int(touch.get("TotalSellQuantity") or 0), open=float(touch.get("Open") or 0),
        high=float(touch.get("High") or 0), low=float(touch.get("Low") or 0), close=float(touch.get("Close") or 0),
        traded_at=XTS_EPOCH + timedelta(seconds=seconds) if seconds else None,
        bids=_levels(event.get("Bids")), asks=_levels(event.get("Asks")),
    )  # fmt: skip


def decode_frame(frame: str | bytes) -> list[Tick]:
    """The ticks of one socket.io frame; everything but a market-data event has none."""
    text = frame.decode() if isinstance(frame, bytes) else frame
    if not text.startswith("42"):
        return []
    name, *payload = json.loads(text[2:])
    mode = EVENT_MODES.get(name)
    if mode is None or not payload:
        return []
    event = json.loads(payload[0]) if isinstance(payload[0], str) else payload[0]
    return [tick_from_event(mode, event)]


def socket_url(market_url: str, token: str, user_id: str) -> str:
    query = {
        "token": token,
        "userID": user_id,
        "publishFormat": "JSON",
        "broadcastMode": "Full",
        "transport": "websocket",
        "EIO": "3",
    }
    base = market_url.replace("https://", "wss://").replace("http://", "ws://")
    return f"{base}/apimarketdata/socket.io/?{urlencode(query)}"


class XtsFeed(ReconnectingFeed):
    """XTS's socket on the shared loop; `subscribe_upstream` is the REST subscription of the caller's session."""

    broker = "xts"
    modes = MODES

    def __init__(self, url: str, on_ticks: TickHandler, *, subscribe_upstream: Subscriber, connect: Connector | None = None,
                 broker: str = "xts", backoff: tuple[float, float] = (0.5, 30.0)) -> None:  # fmt: skip
        super().__init__(url, on_ticks, connect=connect or websocket_connector(), backoff=backoff)
        self._subscribe_upstream = subscribe_upstream
        self.broker = broker

    async def send_subscriptions(self, connection: Connection, keys: list[Hashable]) -> None:
        by_code: dict[int, list[dict[str, int]]] = {}
        for segment, instrument_id in keys:
            code = MESSAGE_CODES[self._modes.get((segment, instrument_id), "quote")]
            by_code.setdefault(code, []).append({"exchangeSegment": segment, "exchangeInstrumentID": instrument_id})
        for code, instruments in by_code.items():
            await self._subscribe_upstream(instruments, code)

    def decode(self, frame: bytes | str) -> list[Tick]:
        return decode_frame(frame)


def tick_payload(tick: Tick, instrument: Any) -> dict[str, Any]:
    """The canonical payload of `streaming/payloads.py` for one XTS tick."""
    payload = price_payload(instrument, tick.last_price, traded_at=tick.traded_at, prev_close=tick.close)
    payload |= {
        "volume": tick.volume, "last_quantity": tick.last_quantity, "average_price": tick.average_price,
        "total_buy_quantity": tick.buy_quantity, "total_sell_quantity": tick.sell_quantity,
        "open": tick.open, "high": tick.high, "low": tick.low,
    }  # fmt: skip
    if tick.bids or tick.asks:
        payload |= depth_payload(tick.bids, tick.asks)
    return payload
