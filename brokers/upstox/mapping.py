"""Two-way tables between unified order fields and Upstox's, and the parsers of Upstox's answers.

Instruments are Upstox's `instrument_key` (`NSE_EQ|INE062A01020`, `NSE_FO|43885`), looked up in the
symbol book built from Upstox's own instruments file (`symbols.py`); every answer below carries it
as `instrument_token`, so nothing is read out of a trading symbol. Values that drive state (status,
side, product, order type) are strict and raise BrokerBadResponse naming the value; values that
only describe are lenient.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from functools import partial
from typing import Any, Protocol

from brokers.common import mapping as common
from brokers.common.gtt import gtt_entry, is_oco, single_trigger
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
from brokers.upstox.auth import IST
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
from generated.errors import BrokerBadResponse, NotSupported, ValidationFailed

BROKER = "upstox"

# Unified exchange <-> Upstox segment (the part of an instrument_key before `|`).
SEGMENT_TO_UPSTREAM = {
    "NSE": "NSE_EQ",
    "BSE": "BSE_EQ",
    "NFO": "NSE_FO",
    "BFO": "BSE_FO",
    "CDS": "NCD_FO",
    "BCD": "BCD_FO",
    "MCX": "MCX_FO",
    "NSE_INDEX": "NSE_INDEX",
    "BSE_INDEX": "BSE_INDEX",
    "MCX_INDEX": "MCX_INDEX",
}
SEGMENT_FROM_UPSTREAM = invert(SEGMENT_TO_UPSTREAM)
DERIVATIVE_SEGMENTS = frozenset(segment for segment in SEGMENT_FROM_UPSTREAM if segment.endswith("_FO"))

# https://upstox.com/developer/api-documentation/place-order: product `I` is intraday, `D` is
# delivery on a cash segment and carry-forward on a derivatives segment. So one table per kind of
# segment, each flipped for the way back.
PRODUCT_TO_UPSTREAM = {
    "cash": {"MIS": "I", "CNC": "D"},
    "derivative": {"MIS": "I", "NRML": "D"},
}
PRODUCT_FROM_UPSTREAM = {kind: invert(table) for kind, table in PRODUCT_TO_UPSTREAM.items()}

PRICE_TYPE_TO_UPSTREAM = {"MARKET": "MARKET", "LIMIT": "LIMIT", "SL": "SL", "SL-M": "SL-M"}
PRICE_TYPE_FROM_UPSTREAM = invert(PRICE_TYPE_TO_UPSTREAM)

ACTION_TO_UPSTREAM = {"BUY": "BUY", "SELL": "SELL"}
ACTION_FROM_UPSTREAM = invert(ACTION_TO_UPSTREAM)

# https://upstox.com/developer/api-documentation/get-order-details ("status" values): the states an
# order passes through on its way to the exchange count as open, since it can still fill or be cancelled.
STATUS_FROM_UPSTREAM = {
    "open": "open",
    "complete": "complete",
    "rejected": "rejected",
    "cancelled": "cancelled",
    "trigger pending": "trigger pending",
    "put order req received": "open",
    "validation pending": "open",
    "open pending": "open",
    "modify validation pending": "open",
    "modify pending": "open",
    "modified": "open",
    "not modified": "open",
    "cancel pending": "open",
    "not cancelled": "open",
    "after market order req received": "open",
    "modify after market order req received": "open",
    "cancelled after market order": "cancelled",
}

# https://upstox.com/developer/api-documentation/get-historical-candle-data: v2's intervals.
INTERVAL_TO_UPSTREAM = {"1m": "1minute", "30m": "30minute", "D": "day", "W": "week", "M": "month"}
INTERVAL_FROM_UPSTREAM = invert(INTERVAL_TO_UPSTREAM)
# Upstox's historical-candle API serves at most a month of 1minute, a year of 30minute and a decade of day
# candles per request; weeks and months have no limit.
MAX_DAYS = {"1m": 30, "30m": 365, "D": 3650}
INTERVAL_GROUPS = {"seconds": [], "minutes": ["1m", "30m"], "hours": [], "days": ["D"], "weeks": ["W"], "months": ["M"]}


class SymbolLookup(Protocol):
    """What the parsers need from the symbol book."""

    def by_token(self, token: int | str, brexchange: str | None = None) -> Instrument | None: ...


strict = partial(common.strict, broker=BROKER)


def segment_of(instrument_key: str) -> str:
    return str(instrument_key).partition("|")[0]


def segment_kind(segment: str) -> str:
    return "derivative" if segment in DERIVATIVE_SEGMENTS else "cash"


def product_to_upstream(product: str, instrument: Instrument) -> str:
    table = PRODUCT_TO_UPSTREAM[segment_kind(instrument.brexchange)]
    if product not in table:
        offered = ", ".join(table)
        raise ValidationFailed(
            f"{product} is not a product for {instrument.exchange}; upstox takes {offered} there", field="product"
        )
    return table[product]


def product_from_upstream(product: Any, instrument_key: str) -> str:
    return strict(PRODUCT_FROM_UPSTREAM[segment_kind(segment_of(instrument_key))], product, "product")


def _unified_names(book: SymbolLookup, row: Mapping[str, Any]) -> tuple[str, str]:
    # Lenient: an instrument the day's file no longer lists (an expired contract) keeps Upstox's names.
    found = book.by_token(str(row.get("instrument_token") or ""))
    if found is not None:
        return found.symbol, found.exchange
    return str(row.get("trading_symbol") or row.get("tradingsymbol") or ""), str(row.get("exchange") or "")


# Requests


def to_upstream_order(request: PlaceOrderRequest, instrument: Instrument) -> dict[str, Any]:
    """The JSON body of POST /v2/order/place (https://upstox.com/developer/api-documentation/place-order)."""
    price_type = request.pricetype or "MARKET"
    body: dict[str, Any] = {
        "quantity": int(request.quantity),
        "product": product_to_upstream(request.product or "MIS", instrument),
        "validity": "DAY",
        "price": float(request.price or 0) if price_type in ("LIMIT", "SL") else 0.0,
        "instrument_token": instrument.token,
        "order_type": strict(PRICE_TYPE_TO_UPSTREAM, price_type, "price type"),
        "transaction_type": strict(ACTION_TO_UPSTREAM, request.action.upper(), "action"),
        "disclosed_quantity": int(request.disclosed_quantity or 0),
        "trigger_price": float(request.trigger_price or 0) if price_type in ("SL", "SL-M") else 0.0,
        "is_amo": False,
    }
    if request.strategy:
        body["tag"] = request.strategy[:20]
    return body


def to_upstream_modification(request: ModifyOrderRequest) -> dict[str, Any]:
    """The JSON body of PUT /v2/order/modify (https://upstox.com/developer/api-documentation/modify-order)."""
    price_type = strict(PRICE_TYPE_TO_UPSTREAM, request.pricetype, "price type")
    return {
        "order_id": request.orderid,
        "quantity": int(request.quantity),
        "validity": "DAY",
        "price": float(request.price or 0) if price_type in ("LIMIT", "SL") else 0.0,
        "order_type": price_type,
        "disclosed_quantity": int(request.disclosed_quantity or 0),
        "trigger_price": float(request.trigger_price or 0) if price_type in ("SL", "SL-M") else 0.0,
    }


def to_upstream_margin(request: MarginRequest, instruments: list[Instrument]) -> dict[str, Any]:
    """The JSON body of POST /v2/charges/margin (https://upstox.com/developer/api-documentation/margin)."""
    return {
        "instruments": [
            {
                "instrument_key": instrument.token,
                "quantity": int(position.quantity),
                "transaction_type": strict(ACTION_TO_UPSTREAM, position.action.upper(), "action"),
                "product": product_to_upstream(position.product, instrument),
                "price": float(position.price or 0),
            }
            for position, instrument in zip(request.positions, instruments, strict=True)
        ]
    }


# Answers


# GET /v2/order/retrieve-all (https://upstox.com/developer/api-documentation/get-order-book), one row trimmed:
# {"exchange": "NSE", "product": "D", "price": 571.0, "quantity": 1, "status": "complete", "tag": null,
#  "instrument_token": "NSE_EQ|INE062A01020", "trading_symbol": "SBIN", "order_type": "LIMIT",
#  "transaction_type": "BUY", "trigger_price": 0.0, "average_price": 570.95, "filled_quantity": 1,
#  "pending_quantity": 0, "status_message": null, "order_id": "231019025562880",
#  "order_timestamp": "2023-10-19 13:25:56"}
def order_from_upstream(row: Mapping[str, Any], book: SymbolLookup) -> Order:
    symbol, exchange = _unified_names(book, row)
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
        product=product_from_upstream(row["product"], row["instrument_token"]),
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


# GET /v2/order/trades/get-trades-for-day (https://upstox.com/developer/api-documentation/get-trade-history):
# {"exchange": "NSE", "product": "D", "trading_symbol": "GMRINFRA", "instrument_token": "NSE_EQ|INE776C01039",
#  "order_type": "MARKET", "transaction_type": "BUY", "quantity": 1, "order_id": "230405000512346",
#  "exchange_timestamp": "05-Apr-2023 09:15:09", "average_price": 299.4, "trade_id": "50091502"}
def trade_from_upstream(row: Mapping[str, Any], book: SymbolLookup) -> Trade:
    symbol, exchange = _unified_names(book, row)
    average = price(row.get("average_price"))
    quantity = int(row["quantity"])
    return Trade(
        tradeid=str(row.get("trade_id") or ""),
        orderid=str(row["order_id"]),
        symbol=symbol,
        exchange=exchange,
        product=product_from_upstream(row["product"], row["instrument_token"]),
        action=strict(ACTION_FROM_UPSTREAM, row["transaction_type"], "action"),
        quantity=quantity,
        price=average,
        average_price=average,
        trade_value=float(Decimal(str(average)) * quantity),
        timestamp=str(row.get("exchange_timestamp") or row.get("order_timestamp") or ""),
    )


# GET /v2/portfolio/short-term-positions (https://upstox.com/developer/api-documentation/get-positions):
# {"exchange": "NSE", "multiplier": 1.0, "pnl": -0.95, "product": "D", "instrument_token": "NSE_EQ|INE848E01016",
#  "average_price": null, "buy_price": 48.35, "sell_price": 0.0, "quantity": 2, "last_price": 47.9,
#  "unrealised": -0.9, "realised": 0.0, "trading_symbol": "NHPC"}
def position_from_upstream(row: Mapping[str, Any], book: SymbolLookup) -> Position:
    symbol, exchange = _unified_names(book, row)
    quantity = int(row.get("quantity") or 0)
    # `average_price` may be null; the side the position is on then gives it.
    fallback = row.get("buy_price") if quantity >= 0 else row.get("sell_price")
    average = price(row.get("average_price") if row.get("average_price") is not None else fallback)
    unrealised = price(row.get("unrealised"))
    invested = abs(Decimal(str(average)) * quantity * Decimal(str(row.get("multiplier") or 1)))
    return Position(
        symbol=symbol,
        exchange=exchange,
        product=product_from_upstream(row["product"], row["instrument_token"]),
        quantity=quantity,
        average_price=average,
        ltp=price(row.get("last_price")),
        pnl=price(row.get("pnl")),
        pnlpercent=percent(Decimal(str(unrealised)), invested),
        unrealized_pnl=unrealised,
        today_realized_pnl=price(row.get("realised")),
        total_pnl_today=price(row.get("pnl")),
    )


# GET /v2/portfolio/long-term-holdings (https://upstox.com/developer/api-documentation/get-holdings):
# {"isin": "INE528G01035", "company_name": "YES BANK LTD.", "product": "D", "quantity": 36, "t1_quantity": 0,
#  "trading_symbol": "YESBANK", "last_price": 17.05, "close_price": 17.05, "pnl": -61.2,
#  "instrument_token": "NSE_EQ|INE528G01035", "average_price": 18.75, "exchange": "NSE"}
def holdings_from_upstream(rows: list[Mapping[str, Any]], book: SymbolLookup) -> HoldingsBook:
    held = []
    for row in rows:
        symbol, exchange = _unified_names(book, row)
        # Shares bought yesterday (T1) are the investor's too; they only await settlement.
        quantity = int(row.get("quantity") or 0) + int(row.get("t1_quantity") or 0)
        average, last = Decimal(str(row.get("average_price") or 0)), Decimal(str(row.get("last_price") or 0))
        # Holdings are delivery shares, which Upstox calls product D.
        held.append(HeldShares(symbol, exchange, "CNC", quantity, average, last))
    return holdings_book(held)


# GET /v2/user/get-funds-and-margin (https://upstox.com/developer/api-documentation/get-user-fund-margin):
# {"equity": {"used_margin": 1200.5, "payin_amount": 0, "span_margin": 0, "adhoc_margin": 0, "notional_cash": 0,
#  "available_margin": 18.4, "exposure_margin": 0}, "commodity": {...the same fields...}}
def funds_from_upstream(data: Mapping[str, Any]) -> Funds:
    """Both segments added up, as one account's funds; Upstox's funds carry no M2M, so it reads 0."""
    segments = [segment for segment in data.values() if isinstance(segment, Mapping)]
    return Funds(
        availablecash=total(segments, "available_margin"),
        collateral=0.0,
        m2mrealized=0.0,
        m2munrealized=0.0,
        utiliseddebits=total(segments, "used_margin"),
    )


def _best(levels: list[Mapping[str, Any]] | None) -> float:
    return price(levels[0].get("price")) if levels else 0.0


# GET /v2/market-quote/quotes?instrument_key=NSE_EQ|INE062A01020
# (https://upstox.com/developer/api-documentation/get-full-market-quote). The answer is keyed by
# `SEGMENT:trading_symbol`, not by the key asked for, so entries are matched by `instrument_token`:
# {"NSE_EQ:SBIN": {"ohlc": {"open": 573.7, "high": 575.5, "low": 569.3, "close": 570.1},
#  "depth": {"buy": [{"quantity": 2, "price": 570.5, "orders": 1}], "sell": [...]},
#  "instrument_token": "NSE_EQ|INE062A01020", "last_price": 570.6, "volume": 1540210, "average_price": 571.93,
#  "oi": 0, "net_change": -3.1, "total_buy_quantity": 612434, "total_sell_quantity": 1006232, "last_trade_time": "1697699204000"}}
def quotes_by_key(data: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    return {str(row.get("instrument_token")): row for row in data.values() if isinstance(row, Mapping)}


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
        oi=int(float(row.get("oi") or 0)),
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
        totalbuyqty=int(float(row.get("total_buy_quantity") or 0)),
        totalsellqty=int(float(row.get("total_sell_quantity") or 0)),
    )


# GET /v2/historical-candle/{instrument_key}/{interval}/{to_date}/{from_date}
# (https://upstox.com/developer/api-documentation/get-historical-candle-data):
# {"candles": [["2023-10-01T00:00:00+05:30", 53.1, 53.95, 51.6, 52.05, 235519861, 0], ...]}, newest first.
def candle_from_upstream(row: list[Any]) -> Candle:
    stamp = datetime.fromisoformat(row[0])
    return Candle(
        timestamp=int(stamp.timestamp()),
        open=price(row[1]),
        high=price(row[2]),
        low=price(row[3]),
        close=price(row[4]),
        volume=int(row[5]),
        oi=int(float(row[6])) if len(row) > 6 else 0,
    )


def candles_from_upstream(data: Mapping[str, Any]) -> list[Candle]:
    """Oldest first, as the unified history answers."""
    return sorted((candle_from_upstream(row) for row in data.get("candles") or []), key=lambda candle: candle.timestamp)


# POST /v2/charges/margin (https://upstox.com/developer/api-documentation/margin), trimmed:
# {"margins": [{"equity_margin": 0, "total_margin": 1.8, "exposure_margin": 0.5, "span_margin": 1.3,
#  "net_buy_premium": 0, "additional_margin": 0, "tender_margin": 0}], "required_margin": 1.8, "final_margin": 1.8}
def margin_from_upstream(data: Mapping[str, Any]) -> MarginResult:
    rows = [row for row in data.get("margins") or [] if isinstance(row, Mapping)]
    final = data.get("final_margin", data.get("required_margin"))
    return MarginResult(
        total_margin_required=price(final) if final is not None else total(rows, "total_margin"),
        span_margin=total(rows, "span_margin"),
        exposure_margin=total(rows, "exposure_margin"),
    )


# GTT orders, v3 (https://upstox.com/developer/api-documentation/place-gtt-order): a SINGLE GTT is one
# ENTRY rule that fires when the price goes ABOVE or BELOW `trigger_price` (IMMEDIATE: now). A rule has
# no limit price: Upstox places the order at the trigger price. A MULTIPLE GTT is an ENTRY rule with
# TARGET and STOPLOSS rules that wait for the entry to fill, a bracket rather than an OCO exit pair.
GTT_STATUS_FROM_UPSTREAM = {
    "SCHEDULED": "active",
    "PENDING": "active",
    "OPEN": "active",
    "INACTIVE": "active",  # a MULTIPLE's exits, waiting for the entry
    "TRIGGERED": "triggered",
    "COMPLETED": "triggered",
    "CANCELLED": "cancelled",
    "EXPIRED": "expired",
    "FAILED": "rejected",
}


def check_gtt(request: Any) -> None:
    """Refuse what Upstox's GTT cannot carry, before anything is sent."""
    if is_oco(request):
        raise NotSupported(
            "upstox has no OCO GTT on a position: its MULTIPLE GTT opens an entry with target and stoploss "
            "attached; place two SINGLE GTTs instead", field="trigger_type", broker=BROKER,
        )  # fmt: skip
    if (request.pricetype or "LIMIT") == "LIMIT" and float(request.price or 0) != single_trigger(request):
        raise NotSupported(
            "upstox places a triggered GTT at its trigger price; send price equal to the trigger, or pricetype "
            "MARKET", field="price", broker=BROKER,
        )  # fmt: skip


def gtt_rules(request: Any, last_price: float) -> list[dict[str, Any]]:
    """A SINGLE's one ENTRY rule, its direction read from where the trigger stands against the last price."""
    trigger = single_trigger(request)
    direction = "BELOW" if trigger < last_price else "ABOVE" if trigger > last_price else "IMMEDIATE"
    return [{"strategy": "ENTRY", "trigger_type": direction, "trigger_price": trigger}]


def to_upstream_gtt(request: Any, instrument: Instrument, last_price: float) -> dict[str, Any]:
    """The JSON body of POST /v3/order/gtt/place."""
    return {
        "type": "SINGLE",
        "quantity": int(request.quantity),
        "product": product_to_upstream(request.product, instrument),
        "rules": gtt_rules(request, last_price),
        "instrument_token": instrument.token,
        "transaction_type": strict(ACTION_TO_UPSTREAM, request.action.upper(), "action"),
    }


def to_upstream_gtt_modification(request: Any, last_price: float) -> dict[str, Any]:
    """The JSON body of PUT /v3/order/gtt/modify (instrument, product and side stay as placed)."""
    return {"type": "SINGLE", "quantity": int(request.quantity), "rules": gtt_rules(request, last_price),
            "gtt_order_id": request.trigger_id}  # fmt: skip


def epoch_text(value: Any) -> str | None:
    """An Upstox GTT time (epoch, in microseconds as observed, or milli- or plain seconds) in Indian time."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    seconds = number / 1e6 if number > 1e14 else number / 1e3 if number > 1e11 else number
    return datetime.fromtimestamp(seconds, IST).strftime("%Y-%m-%d %H:%M:%S") if seconds > 0 else None


# GET /v3/order/gtt, one row trimmed: {"type": "SINGLE", "exchange": "NSE_EQ", "quantity": 1, "product": "D",
#  "rules": [{"strategy": "ENTRY", "status": "SCHEDULED", "trigger_type": "BELOW", "trigger_price": 7,
#  "transaction_type": "BUY", "order_id": null}], "trading_symbol": "SBIN", "instrument_token": "NSE_EQ|INE062A01020",
#  "gtt_order_id": "GTT-C25030300128840", "expires_at": 1772649000000000, "created_at": 1741016150000000}
def gtt_from_upstream(row: Mapping[str, Any], book: SymbolLookup) -> GttEntry:
    """One GTT; a MULTIPLE shows its TARGET and STOPLOSS rules as the legs, its ENTRY rule being the bracket's open."""
    symbol, exchange = _unified_names(book, row)
    rules = list(row.get("rules") or [])
    statuses = [strict(GTT_STATUS_FROM_UPSTREAM, rule.get("status"), "GTT status") for rule in rules]
    if row.get("type") == "MULTIPLE":
        rules = [rule for rule in rules if rule.get("strategy") != "ENTRY"]
    if len(rules) not in (1, 2):
        raise BrokerBadResponse(
            f"upstox answered GTT {row.get('gtt_order_id')} with {len(rules)} exit rules", broker=BROKER
        )
    product = product_from_upstream(row.get("product"), str(row.get("instrument_token") or ""))
    legs = [
        (price(rule.get("trigger_price")), GttLeg(action=strict(ACTION_FROM_UPSTREAM, rule.get("transaction_type"), "action"),
                                                  quantity=int(row.get("quantity") or 0), price=price(rule.get("trigger_price")),
                                                  pricetype="LIMIT", product=product))
        for rule in rules
    ]  # fmt: skip
    return gtt_entry(
        legs=legs,
        trigger_id=str(row["gtt_order_id"]),
        status="active" if "active" in statuses else statuses[0],
        symbol=symbol,
        exchange=exchange,
        created_at=epoch_text(row.get("created_at")),
        expires_at=epoch_text(row.get("expires_at")),
    )
