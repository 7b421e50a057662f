"""The shapes of market data: the canonical tick on the bus and OpenAlgo's LTP, Quote and Depth frames.

An adapter publishes one canonical tick per instrument change, always the richest view it has. The
server projects it down to the mode each client asked for, so an LTP subscriber gets a small LTP
payload and exactly one frame per tick (OpenAlgo sends depth-sized payloads and several frames).
Field names follow OpenAlgo's Zerodha adapter, plus the spellings its Python SDK reads
(`last_trade_quantity`, `avg_trade_price`, `change`, `change_percent`), so both see real values.
"""

from __future__ import annotations

import json
from typing import Any

from sandbox.market.types import Depth, DepthLevel, Tick
from streaming.protocol import Mode

__all__ = ["market_data_frame", "project_tick", "tick_payload"]

_LTP_FIELDS = ("symbol", "exchange", "ltp", "ltt", "timestamp")
_QUOTE_FIELDS = (
    *_LTP_FIELDS, "volume", "last_quantity", "last_trade_quantity", "average_price", "avg_trade_price",
    "total_buy_quantity", "total_sell_quantity", "open", "high", "low", "close", "oi",
    "change", "change_percent",
)  # fmt: skip
_DEPTH_LEVELS = 5


def _levels(levels: tuple[DepthLevel, ...]) -> list[dict[str, Any]]:
    return [{"price": level.price, "quantity": level.quantity, "orders": level.orders} for level in levels]


def _padded(levels: list[dict[str, Any]]) -> list[dict[str, Any]]:
    # OpenAlgo's adapters always send five levels, zero-filled when the book is thin (indices).
    return levels + [{"price": 0.0, "quantity": 0, "orders": 0}] * (_DEPTH_LEVELS - len(levels))


def tick_payload(tick: Tick) -> dict[str, Any]:
    """Build the canonical bus payload of one tick from the market simulator's types."""
    quote = tick.quote
    milliseconds = int(quote.timestamp * 1000)
    change = quote.ltp - quote.prev_close if quote.prev_close else 0.0
    depth: Depth | None = tick.depth
    buy = _levels(depth.bids) if depth else []
    sell = _levels(depth.asks) if depth else []
    return {
        "symbol": quote.symbol,
        "exchange": quote.exchange,
        "ltp": quote.ltp,
        "ltt": milliseconds,
        "timestamp": milliseconds,
        "volume": quote.volume,
        "last_quantity": quote.last_quantity,
        "average_price": quote.average_price,
        "total_buy_quantity": sum(level["quantity"] for level in buy),
        "total_sell_quantity": sum(level["quantity"] for level in sell),
        "open": quote.open,
        "high": quote.high,
        "low": quote.low,
        "close": quote.prev_close,  # OpenAlgo's `close` is the previous session's close, as Kite's
        "oi": quote.oi,
        "change": round(change, 4),
        "change_percent": round(change * 100 / quote.prev_close, 4) if quote.prev_close else 0.0,
        "bid": quote.bid,
        "ask": quote.ask,
        "depth": {"buy": buy, "sell": sell},
    }


def project_tick(payload: dict[str, Any], mode: Mode) -> dict[str, Any]:
    """Cut a canonical tick down to OpenAlgo's `data` object for one subscription mode."""
    if mode is Mode.LTP:
        data = {name: payload.get(name, 0) for name in _LTP_FIELDS}
    else:
        data = {name: payload.get(name, 0) for name in _QUOTE_FIELDS}
        data["last_trade_quantity"] = payload.get("last_quantity", 0)
        data["avg_trade_price"] = payload.get("average_price", 0.0)
    data["symbol"], data["exchange"] = payload["symbol"], payload["exchange"]
    data["mode"] = int(mode)
    if mode is Mode.DEPTH:
        depth = payload.get("depth") or {}
        data["depth"] = {
            "buy": _padded(list(depth.get("buy", []))[:_DEPTH_LEVELS]),
            "sell": _padded(list(depth.get("sell", []))[:_DEPTH_LEVELS]),
        }
        data["depth_level"] = _DEPTH_LEVELS
    return data


def market_data_frame(
    payload: dict[str, Any], mode: Mode, broker: str, sequence: int, symbol: str, exchange: str
) -> str:
    """Encode one `market_data` frame; `sequence` is the bus sequence of the instrument's topic."""
    return json.dumps(
        {
            "type": "market_data",
            "symbol": symbol,
            "exchange": exchange,
            "mode": int(mode),
            "data": project_tick(payload, mode),
            "broker": broker,
            "sequence": sequence,
        },
        separators=(",", ":"),
    )
