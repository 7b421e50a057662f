"""Two-way tables between unified order fields and Kite Connect's, and the parsers of Kite's answers.

Symbols never go through string rules here: every instrument is looked up in the symbol book built
from Kite's own instruments file (`symbols.py`), so `NIFTY2412526000CE` and `NIFTY24DEC26000CE`
are simply rows. Values that drive state (status, side, product, order type) are strict and raise
BrokerBadResponse naming the value; values that only describe are lenient.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from functools import partial
from typing import Any, Protocol

from brokers.common import mapping as common
from brokers.common.mapping import (
    HeldShares,
    depth_from_quote,
    five_levels,
    holdings_book,
    invert,
    order_book,
    percent,
    price,
    total,
)
from generated.api import (
    Candle,
    Funds,
    GttEntry,
    GttLeg,
    HoldingsBook,
    MarginRequest,
    MarginResult,
    MarketDepth,
    ModifyOrderRequest,
    Order,
    OrderBook,
    PlaceOrderRequest,
    Position,
    Quote,
    Trade,
)
from generated.api import InstrumentRecord as Instrument

BROKER = "zerodha"
VARIETY = "regular"

PRODUCT_TO_UPSTREAM = {"MIS": "MIS", "CNC": "CNC", "NRML": "NRML"}
PRODUCT_FROM_UPSTREAM = invert(PRODUCT_TO_UPSTREAM)

PRICE_TYPE_TO_UPSTREAM = {"MARKET": "MARKET", "LIMIT": "LIMIT", "SL": "SL", "SL-M": "SL-M"}
PRICE_TYPE_FROM_UPSTREAM = invert(PRICE_TYPE_TO_UPSTREAM)

ACTION_TO_UPSTREAM = {"BUY": "BUY", "SELL": "SELL"}
ACTION_FROM_UPSTREAM = invert(ACTION_TO_UPSTREAM)

# https://kite.trade/docs/connect/v3/orders/#order-statuses: the transient states an order passes
# through on its way to the exchange count as open, since it can still fill or be cancelled.
STATUS_FROM_UPSTREAM = {
    "COMPLETE": "complete",
    "OPEN": "open",
    "TRIGGER PENDING": "trigger pending",
    "REJECTED": "rejected",
    "CANCELLED": "cancelled",
    "PUT ORDER REQ RECEIVED": "open",
    "VALIDATION PENDING": "open",
    "OPEN PENDING": "open",
    "MODIFY VALIDATION PENDING": "open",
    "MODIFY PENDING": "open",
    "CANCEL PENDING": "open",
    "AMO REQ RECEIVED": "open",
}

# Kite lists indices on NSE, BSE and MCX in segment INDICES; the unified format gives them their own exchanges.
INDEX_EXCHANGE_FROM_UPSTREAM = {"NSE": "NSE_INDEX", "BSE": "BSE_INDEX", "MCX": "MCX_INDEX"}
INDEX_EXCHANGE_TO_UPSTREAM = invert(INDEX_EXCHANGE_FROM_UPSTREAM)

# Kite names indices as the exchanges print them; OpenAlgo's names have no spaces.
INDEX_NAME_FROM_UPSTREAM = {
    "NIFTY 50": "NIFTY",
    "NIFTY BANK": "BANKNIFTY",
    "NIFTY FIN SERVICE": "FINNIFTY",
    "NIFTY MID SELECT": "MIDCPNIFTY",
    "NIFTY NEXT 50": "NIFTYNXT50",
    "INDIA VIX": "INDIAVIX",
    "SENSEX": "SENSEX",
    "BANKEX": "BANKEX",
}
INDEX_NAME_TO_UPSTREAM = invert(INDEX_NAME_FROM_UPSTREAM)

# https://kite.trade/docs/connect/v3/historical/: Kite's candle intervals.
INTERVAL_TO_UPSTREAM = {
    "1m": "minute",
    "3m": "3minute",
    "5m": "5minute",
    "10m": "10minute",
    "15m": "15minute",
    "30m": "30minute",
    "1h": "60minute",
    "D": "day",
}
INTERVAL_FROM_UPSTREAM = invert(INTERVAL_TO_UPSTREAM)
# Kite Connect's longest range one historical-data call may span, in days, per interval.
MAX_DAYS = {"1m": 60, "3m": 100, "5m": 100, "10m": 100, "15m": 200, "30m": 200, "1h": 400, "D": 2000}
INTERVAL_GROUPS = {
    "seconds": [],
    "minutes": ["1m", "3m", "5m", "10m", "15m", "30m"],
    "hours": ["1h"],
    "days": ["D"],
    "weeks": [],
    "months": [],
}


class SymbolLookup(Protocol):
    """What the parsers need from the symbol book."""

    def from_upstream(self, exchange: str, tradingsymbol: str) -> Instrument | None: ...


strict = partial(common.strict, broker=BROKER)


def _unified_names(book: SymbolLookup, exchange: str, tradingsymbol: str) -> tuple[str, str]:
    # Lenient: a row the day's master no longer lists (an expired contract in an old order) keeps Kite's name.
    row = book.from_upstream(exchange, tradingsymbol)
    return (row.symbol, row.exchange) if row else (tradingsymbol, exchange)


# Requests


def to_upstream_order(request: PlaceOrderRequest, instrument: Instrument) -> dict[str, str]:
    """The form body of POST /orders/regular (https://kite.trade/docs/connect/v3/orders/#placing-orders)."""
    price_type = request.pricetype or "MARKET"
    form = {
        "tradingsymbol": instrument.brsymbol,
        "exchange": instrument.brexchange,
        "transaction_type": strict(ACTION_TO_UPSTREAM, request.action.upper(), "action"),
        "order_type": strict(PRICE_TYPE_TO_UPSTREAM, price_type, "price type"),
        "quantity": str(int(request.quantity)),
        "product": strict(PRODUCT_TO_UPSTREAM, request.product or "MIS", "product"),
        "validity": "DAY",
    }
    if price_type in ("LIMIT", "SL"):
        form["price"] = str(request.price or 0)
    if price_type in ("SL", "SL-M"):
        form["trigger_price"] = str(request.trigger_price or 0)
    if request.disclosed_quantity:
        form["disclosed_quantity"] = str(request.disclosed_quantity)
    if request.strategy:
        form["tag"] = request.strategy[:20]  # Kite refuses tags longer than 20 characters
    return form


def to_upstream_modification(request: ModifyOrderRequest) -> dict[str, str]:
    """The form body of PUT /orders/regular/{order_id}."""
    form = {
        "quantity": str(int(request.quantity)),
        "order_type": strict(PRICE_TYPE_TO_UPSTREAM, request.pricetype, "price type"),
        "validity": "DAY",
    }
    if request.pricetype in ("LIMIT", "SL"):
        form["price"] = str(request.price or 0)
    if request.pricetype in ("SL", "SL-M"):
        form["trigger_price"] = str(request.trigger_price or 0)
    if request.disclosed_quantity:
        form["disclosed_quantity"] = str(request.disclosed_quantity)
    return form


def to_upstream_margin_orders(request: MarginRequest, instruments: list[Instrument]) -> list[dict[str, Any]]:
    """The JSON body of POST /margins/orders, one entry per position."""
    return [
        {
            "exchange": instrument.brexchange,
            "tradingsymbol": instrument.brsymbol,
            "transaction_type": strict(ACTION_TO_UPSTREAM, position.action.upper(), "action"),
            "variety": VARIETY,
            "product": strict(PRODUCT_TO_UPSTREAM, position.product, "product"),
            "order_type": strict(PRICE_TYPE_TO_UPSTREAM, position.pricetype, "price type"),
            "quantity": int(position.quantity),
            "price": position.price or 0,
            "trigger_price": position.trigger_price or 0,
        }
        for position, instrument in zip(request.positions, instruments, strict=True)
    ]


def instrument_key(instrument: Instrument) -> str:
    """`EXCHANGE:TRADINGSYMBOL`, as the quote endpoints name an instrument."""
    return f"{instrument.brexchange}:{instrument.brsymbol}"


# Answers


# GET /orders (https://kite.trade/docs/connect/v3/orders/#retrieving-orders), one row trimmed:
# {"order_id": "300000000000000", "status": "COMPLETE", "status_message": null, "exchange": "NSE",
#  "tradingsymbol": "IOC", "order_type": "LIMIT", "transaction_type": "BUY", "product": "CNC",
#  "quantity": 1, "price": 109.4, "trigger_price": 0, "average_price": 109.4, "filled_quantity": 1,
#  "pending_quantity": 0, "order_timestamp": "2021-05-31 15:20:28", "tag": null}
def order_from_upstream(row: Mapping[str, Any], book: SymbolLookup) -> Order:
    symbol, exchange = _unified_names(book, row["exchange"], row["tradingsymbol"])
    status = strict(STATUS_FROM_UPSTREAM, row["status"], "order status")
    return Order(
        orderid=str(row["order_id"]),
        symbol=symbol,
        exchange=exchange,
        action=strict(ACTION_FROM_UPSTREAM, row["transaction_type"], "action"),
        quantity=int(row["quantity"]),
        price=price(row.get("price")),
        trigger_price=price(row.get("trigger_price")),
        pricetype=strict(PRICE_TYPE_FROM_UPSTREAM, row["order_type"], "price type"),
        product=strict(PRODUCT_FROM_UPSTREAM, row["product"], "product"),
        order_status=status,
        average_price=price(row.get("average_price")),
        filled_quantity=int(row.get("filled_quantity") or 0),
        pending_quantity=int(row.get("pending_quantity") or 0),
        rejection_reason=(row.get("status_message") or "") if status == "rejected" else "",
        strategy=row.get("tag") or "",
        timestamp=str(row.get("order_timestamp") or ""),
    )


def order_book_from_upstream(rows: list[Mapping[str, Any]], book: SymbolLookup) -> OrderBook:
    return order_book([order_from_upstream(row, book) for row in rows])


# GET /trades (https://kite.trade/docs/connect/v3/orders/#retrieving-all-trades), one row trimmed:
# {"trade_id": "10000000", "order_id": "200000000000000", "exchange": "NSE", "tradingsymbol": "SBIN",
#  "product": "CNC", "average_price": 420.65, "quantity": 1, "transaction_type": "BUY",
#  "fill_timestamp": "2021-05-31 09:16:39"}
def trade_from_upstream(row: Mapping[str, Any], book: SymbolLookup) -> Trade:
    symbol, exchange = _unified_names(book, row["exchange"], row["tradingsymbol"])
    average = price(row.get("average_price"))
    quantity = int(row["quantity"])
    return Trade(
        tradeid=str(row.get("trade_id") or ""),
        orderid=str(row["order_id"]),
        symbol=symbol,
        exchange=exchange,
        product=strict(PRODUCT_FROM_UPSTREAM, row["product"], "product"),
        action=strict(ACTION_FROM_UPSTREAM, row["transaction_type"], "action"),
        quantity=quantity,
        price=average,
        average_price=average,
        trade_value=float(Decimal(str(average)) * quantity),
        timestamp=str(row.get("fill_timestamp") or row.get("exchange_timestamp") or ""),
    )


# GET /portfolio/positions (https://kite.trade/docs/connect/v3/portfolio/#positions): `net` rows trimmed:
# {"tradingsymbol": "LEADMINI17DECFUT", "exchange": "MCX", "product": "NRML", "quantity": 1,
#  "average_price": 161.05, "last_price": 161.2, "pnl": 150, "realised": 0, "unrealised": 150, "multiplier": 1000}
def position_from_upstream(row: Mapping[str, Any], book: SymbolLookup) -> Position:
    symbol, exchange = _unified_names(book, row["exchange"], row["tradingsymbol"])
    quantity = int(row["quantity"])
    average = price(row.get("average_price"))
    unrealised = price(row.get("unrealised"))
    invested = abs(Decimal(str(average)) * quantity * int(row.get("multiplier") or 1))
    return Position(
        symbol=symbol,
        exchange=exchange,
        product=strict(PRODUCT_FROM_UPSTREAM, row["product"], "product"),
        quantity=quantity,
        average_price=average,
        ltp=price(row.get("last_price")),
        pnl=price(row.get("pnl")),
        pnlpercent=percent(Decimal(str(unrealised)), invested),
        unrealized_pnl=unrealised,
        today_realized_pnl=price(row.get("realised")),
        total_pnl_today=price(row.get("pnl")),
    )


# GET /portfolio/holdings (https://kite.trade/docs/connect/v3/portfolio/#holdings), one row trimmed:
# {"tradingsymbol": "SBIN", "exchange": "BSE", "product": "CNC", "quantity": 11, "t1_quantity": 7,
#  "average_price": 429, "last_price": 426.9, "pnl": -37.8}
def holdings_from_upstream(rows: list[Mapping[str, Any]], book: SymbolLookup) -> HoldingsBook:
    held = []
    for row in rows:
        symbol, exchange = _unified_names(book, row["exchange"], row["tradingsymbol"])
        # Shares bought yesterday (T1) are the investor's too; they only await settlement.
        quantity = int(row.get("quantity") or 0) + int(row.get("t1_quantity") or 0)
        average, last = Decimal(str(row.get("average_price") or 0)), Decimal(str(row.get("last_price") or 0))
        product = strict(PRODUCT_FROM_UPSTREAM, row.get("product") or "CNC", "product")
        held.append(HeldShares(symbol, exchange, product, quantity, average, last))
    return holdings_book(held)


# GET /user/margins (https://kite.trade/docs/connect/v3/user/#funds-and-margins), trimmed:
# {"equity": {"net": 99725.05, "available": {"cash": 245431.6, "collateral": 0},
#   "utilised": {"debits": 145706.55, "m2m_realised": 761.7, "m2m_unrealised": 0}}, "commodity": {...}}
def funds_from_upstream(data: Mapping[str, Any]) -> Funds:
    """Both segments added up, as one account's funds."""
    segments = [segment for segment in data.values() if isinstance(segment, Mapping)]

    def summed(part: str, field: str | None = None) -> float:
        amounts = (segment.get(part) if field is None else (segment.get(part) or {}).get(field) for segment in segments)
        return float(sum((Decimal(str(amount or 0)) for amount in amounts), Decimal(0)))

    return Funds(
        availablecash=summed("net"),
        collateral=summed("available", "collateral"),
        m2mrealized=summed("utilised", "m2m_realised"),
        m2munrealized=summed("utilised", "m2m_unrealised"),
        utiliseddebits=summed("utilised", "debits"),
    )


def _best(levels: list[Mapping[str, Any]] | None) -> float:
    return price(levels[0].get("price")) if levels else 0.0


# GET /quote?i=NSE:INFY (https://kite.trade/docs/connect/v3/market-quotes/#retrieving-full-market-quotes), trimmed:
# {"NSE:INFY": {"instrument_token": 408065, "last_price": 1075, "last_quantity": 3, "volume": 1788906,
#  "buy_quantity": 0, "sell_quantity": 5191, "oi": 0, "ohlc": {"open": 1085.8, "high": 1085.9, "low": 1070.9,
#  "close": 1075.8}, "depth": {"buy": [{"price": 0, "quantity": 0, "orders": 0}], "sell": [...]}}}
def quote_from_upstream(row: Mapping[str, Any]) -> Quote:
    ohlc = row.get("ohlc") or {}
    depth = row.get("depth") or {}
    return Quote(
        ltp=price(row.get("last_price")),
        bid=_best(depth.get("buy")),
        ask=_best(depth.get("sell")),
        open=price(ohlc.get("open")),
        high=price(ohlc.get("high")),
        low=price(ohlc.get("low")),
        prev_close=price(ohlc.get("close")),
        volume=int(row.get("volume") or 0),
        oi=int(row.get("oi") or 0),
    )


def depth_from_upstream(row: Mapping[str, Any]) -> MarketDepth:
    depth = row.get("depth") or {}

    def levels(side: list[Mapping[str, Any]] | None) -> list[dict]:
        return five_levels(
            [{"price": price(level.get("price")), "quantity": int(level.get("quantity") or 0)} for level in side or []]
        )

    return depth_from_quote(
        quote_from_upstream(row),
        bids=levels(depth.get("buy")),
        asks=levels(depth.get("sell")),
        ltq=int(row.get("last_quantity") or 0),
        totalbuyqty=int(row.get("buy_quantity") or 0),
        totalsellqty=int(row.get("sell_quantity") or 0),
    )


# GET /instruments/historical/{token}/{interval} (https://kite.trade/docs/connect/v3/historical/):
# {"candles": [["2017-12-15T09:15:00+0530", 1704.5, 1705, 1699.25, 1702.8, 2499, 0], ...]}
def candle_from_upstream(row: list[Any]) -> Candle:
    stamp = datetime.strptime(row[0], "%Y-%m-%dT%H:%M:%S%z")
    return Candle(
        timestamp=int(stamp.timestamp()),
        open=price(row[1]),
        high=price(row[2]),
        low=price(row[3]),
        close=price(row[4]),
        volume=int(row[5]),
        oi=int(row[6]) if len(row) > 6 else 0,
    )


# POST /margins/orders (https://kite.trade/docs/connect/v3/margins/#order-margins), one entry trimmed:
# {"type": "equity", "tradingsymbol": "INFY", "exchange": "NSE", "span": 0, "exposure": 0, "total": 961.45}
def margin_from_upstream(rows: list[Mapping[str, Any]]) -> MarginResult:
    return MarginResult(
        total_margin_required=total(rows, "total"),
        span_margin=total(rows, "span"),
        exposure_margin=total(rows, "exposure"),
    )


# GTT (https://kite.trade/docs/connect/v3/gtt/): a `single` trigger or a `two-leg` (OCO) pair, each
# leg a LIMIT order. The form carries `condition` and `orders` as JSON texts.
GTT_TYPE_TO_UPSTREAM = {"SINGLE": "single", "OCO": "two-leg"}
# The unified GTT book spells the types as Kite does.
GTT_ENTRY_TYPES = {"single": "single", "two-leg": "two-leg"}
# Kite's trigger statuses; a disabled or deleted trigger will not fire again, as a cancelled one.
GTT_STATUS_FROM_UPSTREAM = {
    "active": "active",
    "triggered": "triggered",
    "disabled": "cancelled",
    "expired": "expired",
    "cancelled": "cancelled",
    "rejected": "rejected",
    "deleted": "cancelled",
}


def to_upstream_gtt(request: Any, instrument: Instrument, last_price: float) -> dict[str, str]:
    """The form body of POST /gtt/triggers and PUT /gtt/triggers/{id}, from a normalized GTT request."""

    def leg(price_value: float | None) -> dict[str, Any]:
        return {
            "exchange": instrument.brexchange,
            "tradingsymbol": instrument.brsymbol,
            "transaction_type": strict(ACTION_TO_UPSTREAM, request.action.upper(), "action"),
            "quantity": int(request.quantity),
            "order_type": "LIMIT",
            "product": strict(PRODUCT_TO_UPSTREAM, request.product, "product"),
            "price": float(price_value or 0),
        }

    kind = strict(GTT_TYPE_TO_UPSTREAM, request.trigger_type.upper(), "GTT type")
    if kind == "single":
        triggers, orders = [float(request.triggerprice_sl or request.triggerprice_tg)], [leg(request.price)]
    else:  # Kite wants the lower (stoploss) trigger first
        triggers = [float(request.triggerprice_sl), float(request.triggerprice_tg)]
        orders = [leg(request.stoploss), leg(request.target)]
    condition = {"exchange": instrument.brexchange, "tradingsymbol": instrument.brsymbol,
                 "trigger_values": triggers, "last_price": last_price}  # fmt: skip
    return {"type": kind, "condition": json.dumps(condition), "orders": json.dumps(orders)}


# GET /gtt/triggers, one row trimmed:
# {"id": 112127, "type": "single", "status": "active", "created_at": "2019-09-12 13:25:21",
#  "condition": {"exchange": "NSE", "tradingsymbol": "INFY", "trigger_values": [702], "last_price": 798},
#  "orders": [{"transaction_type": "BUY", "quantity": 1, "order_type": "LIMIT", "product": "CNC", "price": 702.5}]}
def gtt_from_upstream(row: Mapping[str, Any], book: SymbolLookup) -> GttEntry:
    condition = row.get("condition") or {}
    symbol, exchange = _unified_names(book, condition.get("exchange", ""), condition.get("tradingsymbol", ""))
    return GttEntry(
        trigger_id=str(row["id"]),
        trigger_type=strict(GTT_ENTRY_TYPES, row["type"], "GTT type"),
        status=strict(GTT_STATUS_FROM_UPSTREAM, row["status"], "GTT status"),
        symbol=symbol,
        exchange=exchange,
        trigger_prices=[price(value) for value in condition.get("trigger_values") or []],
        last_price=price(condition.get("last_price")),
        legs=[
            GttLeg(
                action=strict(ACTION_FROM_UPSTREAM, leg["transaction_type"], "action"),
                quantity=int(leg["quantity"]),
                price=price(leg.get("price")),
                pricetype=strict(PRICE_TYPE_FROM_UPSTREAM, leg.get("order_type") or "LIMIT", "price type"),
                product=strict(PRODUCT_FROM_UPSTREAM, leg["product"], "product"),
            )
            for leg in row.get("orders") or []
        ],
        created_at=row.get("created_at"),
        updated_at=row.get("updated_at"),
        expires_at=row.get("expires_at"),
    )
