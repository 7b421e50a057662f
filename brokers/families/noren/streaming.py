"""Noren's WebSocket feed: JSON frames decoded as pure functions, the feed on the shared reconnecting loop.

https://shoonya.com/api-documentation, "Websocket": after connecting the client sends
`{"t": "c", "uid", "actid", "susertoken", "source": "API"}` and hears `{"t": "ck", "s": "OK"}`. It
subscribes touchline with `{"t": "t", "k": "NSE|3045#NFO|35003"}` (answered by a full `tk` frame per
instrument, then `tf` frames carrying only the fields that changed) and depth with `{"t": "d", ...}`
(`dk`, then `df`, with five levels `bp1..bp5`, `bq1..`, `sp1..`, `sq1..`). Prices are rupees, as text.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from brokers.common.feed import (
    Connection,
    DepthEntry,
    ReconnectingFeed,
    TickHandler,
    depth_payload,
    price_payload,
)
from brokers.common.feed import Connector as Connector
from brokers.common.feed import websocket_connector as websocket_connector
from brokers.families.noren.auth import Session

__all__ = ["STREAM_MODES", "Connector", "NorenFeed", "Tick", "decode_frame", "unified_payload", "websocket_connector"]

FULL_FRAMES = {"tk", "dk"}
UPDATE_FRAMES = {"tf", "df"}
# The feed's modes -> Noren's subscription kind: touchline for ltp and quote, depth for full.
KIND_BY_MODE = {"ltp": "t", "quote": "t", "full": "d"}
STREAM_MODES = {"ltp": "ltp", "quote": "quote", "depth": "full"}
_FIELDS = {"lp": "last_price", "pc": "change_percent", "o": "open", "h": "high", "l": "low", "c": "prev_close",
           "v": "volume", "ap": "average_price", "oi": "oi", "ltq": "last_quantity", "ft": "timestamp"}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Tick:
    """One instrument's state after a frame, prices in rupees; `tf`/`df` frames update the last one."""

    exchange: str
    token: str
    last_price: float = 0.0
    open: float = 0.0
    high: float = 0.0
    low: float = 0.0
    prev_close: float = 0.0
    change_percent: float = 0.0
    volume: float = 0.0
    average_price: float = 0.0
    oi: float = 0.0
    last_quantity: float = 0.0
    timestamp: float = 0.0
    bids: tuple[DepthEntry, ...] = field(default=())
    asks: tuple[DepthEntry, ...] = field(default=())


def _number(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return 0.0


def _side(frame: dict[str, Any], price_key: str, quantity_key: str, orders_key: str) -> tuple[DepthEntry, ...] | None:
    if f"{price_key}1" not in frame:
        return None
    return tuple(
        DepthEntry(_number(frame.get(f"{price_key}{n}")), int(_number(frame.get(f"{quantity_key}{n}"))),
                   int(_number(frame.get(f"{orders_key}{n}"))))
        for n in range(1, 6)
        if f"{price_key}{n}" in frame
    )  # fmt: skip


def decode_frame(text: str | bytes, last: dict[tuple[str, str], Tick]) -> list[Tick]:
    """The ticks of one frame, each merged onto `last` (which it updates); acks and heartbeats give none."""
    frame = json.loads(text)
    if not isinstance(frame, dict) or frame.get("t") not in FULL_FRAMES | UPDATE_FRAMES:
        return []
    key = (str(frame.get("e") or ""), str(frame.get("tk") or ""))
    base = last.get(key) if frame["t"] in UPDATE_FRAMES else None
    changes: dict[str, Any] = {name: _number(frame[wire]) for wire, name in _FIELDS.items() if wire in frame}
    for side, keys in (("bids", ("bp", "bq", "bo")), ("asks", ("sp", "sq", "so"))):
        if (levels := _side(frame, *keys)) is not None:
            changes[side] = levels
    tick = replace(base, **changes) if base else Tick(*key, **changes)
    last[key] = tick
    return [tick]


def connect_message(session: Session) -> str:
    return json.dumps(
        {"t": "c", "uid": session.uid, "actid": session.actid, "susertoken": session.key, "source": "API"}
    )


def subscribe_messages(keys: list[tuple[str, str]], modes: dict[tuple[str, str], str]) -> list[str]:
    by_kind: dict[str, list[str]] = {}
    for exchange, token in keys:
        by_kind.setdefault(KIND_BY_MODE[modes[(exchange, token)]], []).append(f"{exchange}|{token}")
    return [json.dumps({"t": kind, "k": "#".join(names)}) for kind, names in by_kind.items()]


def unified_payload(tick: Tick, instrument: Any) -> dict[str, Any]:
    stamped = datetime.fromtimestamp(tick.timestamp, UTC) if tick.timestamp else None
    payload = price_payload(instrument, tick.last_price, stamped_at=stamped, prev_close=tick.prev_close)
    payload |= {"open": tick.open, "high": tick.high, "low": tick.low, "volume": int(tick.volume),
                "average_price": tick.average_price, "oi": int(tick.oi), "last_quantity": int(tick.last_quantity)}  # fmt: skip
    if tick.bids or tick.asks:
        payload |= depth_payload(tick.bids, tick.asks)
    return payload


class NorenFeed(ReconnectingFeed):
    """Authenticates each new connection first, then (re)subscribes; keys are (exch, token)."""

    def __init__(self, url: str, on_ticks: TickHandler, *, session: Session, connect: Connector, broker: str) -> None:
        super().__init__(url, on_ticks, connect=connect)
        self.broker = broker
        self._session = session
        self._authenticated: Connection | None = None
        self._last: dict[tuple[str, str], Tick] = {}

    async def send_subscriptions(self, connection: Connection, keys: list) -> None:
        if self._authenticated is not connection:
            await connection.send(connect_message(self._session))
            self._authenticated = connection
        for message in subscribe_messages(keys, self.subscriptions):
            await connection.send(message)

    def decode(self, frame: bytes | str) -> list[Tick]:
        return decode_frame(frame, self._last)
