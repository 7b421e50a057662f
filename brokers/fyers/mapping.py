"""Two-way tables between unified order fields and Fyers', and the parsers of Fyers' answers.

Symbols never go through string rules here: every instrument is looked up in the symbol book built
from Fyers' own master files (`symbols.py`), whose rows carry Fyers' ticker (`NSE:SBIN-EQ`,
`NSE:NIFTY24D1924000CE`) as `brsymbol` and the segment (NSE, NFO, BSE, BFO, CDS, MCX) as `brexchange`.
Values that drive state (status, side, product, order type) are strict and raise BrokerBadResponse
naming the value; values that only describe are lenient.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from functools import partial
from typing import Any, Protocol

from brokers.common import mapping as common
from brokers.common.gtt import gtt_entry, is_oco, request_legs
from brokers.common.mapping import HeldShares, five_levels, holdings_book, invert, order_book, percent, price
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

BROKER = "fyers"

# https://myapi.fyers.in/docsv3#tag/Appendix: product types, order types (1 limit, 2 market,
# 3 stop = SL-M, 4 stop-limit = SL), sides (1 buy, -1 sell).
PRODUCT_TO_UPSTREAM = {"CNC": "CNC", "MIS": "INTRADAY", "NRML": "MARGIN"}
PRODUCT_FROM_UPSTREAM = invert(PRODUCT_TO_UPSTREAM)

PRICE_TYPE_TO_UPSTREAM = {"LIMIT": 1, "MARKET": 2, "SL-M": 3, "SL": 4}
PRICE_TYPE_FROM_UPSTREAM = invert(PRICE_TYPE_TO_UPSTREAM)

ACTION_TO_UPSTREAM = {"BUY": 1, "SELL": -1}
ACTION_FROM_UPSTREAM = invert(ACTION_TO_UPSTREAM)

# Order status (Appendix): 1 cancelled, 2 traded (filled), 3 for future use, 4 transit, 5 rejected,
# 6 pending, 7 expired. Transit is on its way to the exchange and can still fill, so it is open; an
# expired order is gone unfilled, as a cancelled one is.
STATUS_FROM_UPSTREAM = {1: "cancelled", 2: "complete", 4: "open", 5: "rejected", 6: "open", 7: "cancelled"}
PENDING = 6
# Fyers has no status of its own for a stop order waiting for its trigger: it is pending (6) with a
# stop order type, which is what the unified `trigger pending` means.
STOP_TYPES = (PRICE_TYPE_TO_UPSTREAM["SL-M"], PRICE_TYPE_TO_UPSTREAM["SL"])

# Exchange and segment codes (Appendix), as answers carry them, to the master's segment names.
SEGMENTS = {(10, 10): "NSE", (10, 11): "NFO", (10, 12): "CDS", (12, 10): "BSE", (12, 11): "BFO", (11, 20): "MCX"}
SEGMENT_CODES = invert(SEGMENTS)

# Unified interval -> Fyers' history `resolution` (https://myapi.fyers.in/docsv3#tag/Data-Api/History).
INTERVAL_TO_UPSTREAM = {
    "1m": "1",
    "2m": "2",
    "3m": "3",
    "5m": "5",
    "10m": "10",
    "15m": "15",
    "20m": "20",
    "30m": "30",
    "1h": "60",
    "2h": "120",
    "3h": "180",
    "4h": "240",
    "D": "1D",
}
INTERVAL_FROM_UPSTREAM = invert(INTERVAL_TO_UPSTREAM)
INTERVAL_GROUPS = {
    "seconds": [],
    "minutes": ["1m", "2m", "3m", "5m", "10m", "15m", "20m", "30m"],
    "hours": ["1h", "2h", "3h", "4h"],
    "days": ["D"],
    "weeks": [],
    "months": [],
}

# Fund lines of GET /funds by their documented `id` (titles vary in case between releases).
FUND_TOTAL, FUND_UTILISED, FUND_REALISED, FUND_COLLATERAL, FUND_AVAILABLE = 1, 2, 4, 5, 10


class SymbolLookup(Protocol):
    """What the parsers need from the symbol book."""

    def from_upstream(self, brexchange: str, brsymbol: str) -> Instrument | None: ...


strict = partial(common.strict, broker=BROKER)


def segment_name(row: Mapping[str, Any]) -> str:
    """The segment (NSE, NFO, ...) of an answer row from its `exchange` and `segment` codes."""
    return SEGMENTS.get((_int(row.get("exchange")), _int(row.get("segment"))), "")


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def _unified_names(book: SymbolLookup, row: Mapping[str, Any]) -> tuple[str, str]:
    # Lenient: a row the day's master no longer lists (an expired contract in an old order) keeps Fyers' name.
    segment, ticker = segment_name(row), str(row.get("symbol") or "")
    found = book.from_upstream(segment, ticker)
    return (found.symbol, found.exchange) if found else (ticker, segment)


def order_tag(strategy: str | None) -> str:
    """Fyers' orderTag takes letters and digits only, up to 30 of them."""
    return "".join(character for character in strategy or "" if character.isalnum())[:30]


# Requests


def to_upstream_order(request: PlaceOrderRequest, instrument: Instrument) -> dict[str, Any]:
    """The JSON body of POST /api/v3/orders/sync (https://myapi.fyers.in/docsv3#tag/Order-Placement)."""
    price_type = request.pricetype or "MARKET"
    body: dict[str, Any] = {
        "symbol": instrument.brsymbol,
        "qty": int(request.quantity),
        "type": strict(PRICE_TYPE_TO_UPSTREAM, price_type, "price type"),
        "side": strict(ACTION_TO_UPSTREAM, request.action.upper(), "action"),
        "productType": strict(PRODUCT_TO_UPSTREAM, request.product or "MIS", "product"),
        "limitPrice": float(request.price or 0) if price_type in ("LIMIT", "SL") else 0,
        "stopPrice": float(request.trigger_price or 0) if price_type in ("SL", "SL-M") else 0,
        "validity": "DAY",
        "disclosedQty": int(request.disclosed_quantity or 0),
        "offlineOrder": False,
        "stopLoss": 0,
        "takeProfit": 0,
    }
    if tag := order_tag(request.strategy):
        body["orderTag"] = tag
    return body


def to_upstream_modification(request: ModifyOrderRequest) -> dict[str, Any]:
    """The JSON body of PATCH /api/v3/orders/sync."""
    return {
        "id": request.orderid,
        "type": strict(PRICE_TYPE_TO_UPSTREAM, request.pricetype, "price type"),
        "qty": int(request.quantity),
        "limitPrice": float(request.price or 0) if request.pricetype in ("LIMIT", "SL") else 0,
        "stopPrice": float(request.trigger_price or 0) if request.pricetype in ("SL", "SL-M") else 0,
    }


def to_upstream_margin_orders(request: MarginRequest, instruments: list[Instrument]) -> list[dict[str, Any]]:
    """The `data` list of POST /api/v3/multiorder/margin, one entry per position."""
    return [
        {
            "symbol": instrument.brsymbol,
            "qty": int(position.quantity),
            "side": strict(ACTION_TO_UPSTREAM, position.action.upper(), "action"),
            "type": strict(PRICE_TYPE_TO_UPSTREAM, position.pricetype, "price type"),
            "productType": strict(PRODUCT_TO_UPSTREAM, position.product, "product"),
            "limitPrice": float(position.price or 0),
            "stopPrice": float(position.trigger_price or 0),
            "stopLoss": 0,
            "takeProfit": 0,
        }
        for position, instrument in zip(request.positions, instruments, strict=True)
    ]


def history_params(symbol: str, interval: str, start: str, end: str) -> dict[str, str]:
    """The query of GET /data/history with dates as yyyy-mm-dd (date_format=1)."""
    return {
        "symbol": symbol,
        "resolution": strict(INTERVAL_TO_UPSTREAM, interval, "interval"),
        "date_format": "1",
        "range_from": start,
        "range_to": end,
        "cont_flag": "1",
    }


# Answers


def order_status(row: Mapping[str, Any]) -> str:
    status = strict(STATUS_FROM_UPSTREAM, row.get("status"), "order status")
    if row.get("status") == PENDING and row.get("type") in STOP_TYPES:
        return "trigger pending"
    return status


# GET /api/v3/orders (https://myapi.fyers.in/docsv3#tag/Transaction-Info/Orders), one row trimmed:
# {"id": "23080444447604", "symbol": "NSE:SBIN-EQ", "exchange": 10, "segment": 10, "qty": 1,
#  "filledQty": 1, "remainingQuantity": 0, "limitPrice": 0, "stopPrice": 0, "tradedPrice": 586.3,
#  "type": 2, "side": 1, "productType": "CNC", "status": 2, "message": "", "orderTag": "2:Untagged",
#  "orderDateTime": "04-Aug-2023 10:23:41"}
def order_from_upstream(row: Mapping[str, Any], book: SymbolLookup) -> Order:
    symbol, exchange = _unified_names(book, row)
    status = order_status(row)
    return Order(
        orderid=str(row["id"]),
        symbol=symbol,
        exchange=exchange,
        action=strict(ACTION_FROM_UPSTREAM, row.get("side"), "action"),
        quantity=int(row.get("qty") or 0),
        price=price(row.get("limitPrice")),
        trigger_price=price(row.get("stopPrice")),
        pricetype=strict(PRICE_TYPE_FROM_UPSTREAM, row.get("type"), "price type"),
        product=strict(PRODUCT_FROM_UPSTREAM, row.get("productType"), "product"),
        order_status=status,
        average_price=price(row.get("tradedPrice")),
        filled_quantity=int(row.get("filledQty") or 0),
        pending_quantity=int(row.get("remainingQuantity") or 0) if status in ("open", "trigger pending") else 0,
        rejection_reason=str(row.get("message") or "") if status == "rejected" else "",
        strategy=str(row.get("orderTag") or ""),
        timestamp=str(row.get("orderDateTime") or ""),
    )


def order_book_from_upstream(rows: list[Mapping[str, Any]], book: SymbolLookup) -> OrderBook:
    return order_book([order_from_upstream(row, book) for row in rows])


# GET /api/v3/tradebook (https://myapi.fyers.in/docsv3#tag/Transaction-Info/Trades), one row trimmed:
# {"orderNumber": "23080444447604", "tradeNumber": "52605023", "symbol": "NSE:SBIN-EQ", "exchange": 10,
#  "segment": 10, "side": 1, "productType": "CNC", "tradedQty": 1, "tradePrice": 586.3,
#  "tradeValue": 586.3, "orderDateTime": "04-Aug-2023 10:23:41"}
def trade_from_upstream(row: Mapping[str, Any], book: SymbolLookup) -> Trade:
    symbol, exchange = _unified_names(book, row)
    traded = price(row.get("tradePrice"))
    quantity = int(row.get("tradedQty") or 0)
    return Trade(
        tradeid=str(row.get("tradeNumber") or ""),
        orderid=str(row["orderNumber"]),
        symbol=symbol,
        exchange=exchange,
        product=strict(PRODUCT_FROM_UPSTREAM, row.get("productType"), "product"),
        action=strict(ACTION_FROM_UPSTREAM, row.get("side"), "action"),
        quantity=quantity,
        price=traded,
        average_price=traded,
        trade_value=price(row.get("tradeValue")) or float(Decimal(str(traded)) * quantity),
        strategy=str(row.get("orderTag") or ""),
        timestamp=str(row.get("orderDateTime") or ""),
    )


# GET /api/v3/positions (https://myapi.fyers.in/docsv3#tag/Transaction-Info/Positions), `netPositions`
# row trimmed: {"symbol": "NSE:SBIN-EQ", "exchange": 10, "segment": 10, "productType": "INTRADAY",
#  "netQty": 1, "netAvg": 586.3, "ltp": 587.1, "pl": 0.8, "realized_profit": 0, "unrealized_profit": 0.8}
def position_from_upstream(row: Mapping[str, Any], book: SymbolLookup) -> Position:
    symbol, exchange = _unified_names(book, row)
    quantity = int(row.get("netQty") or 0)
    average = price(row.get("netAvg"))
    unrealised = price(row.get("unrealized_profit"))
    invested = abs(Decimal(str(average)) * quantity)
    return Position(
        symbol=symbol,
        exchange=exchange,
        product=strict(PRODUCT_FROM_UPSTREAM, row.get("productType"), "product"),
        quantity=quantity,
        average_price=average,
        ltp=price(row.get("ltp")),
        pnl=price(row.get("pl")),
        pnlpercent=percent(Decimal(str(unrealised)), invested),
        unrealized_pnl=unrealised,
        today_realized_pnl=price(row.get("realized_profit")),
        total_pnl_today=price(row.get("pl")),
    )


# GET /api/v3/holdings (https://myapi.fyers.in/docsv3#tag/Transaction-Info/Holdings), one row trimmed:
# {"symbol": "NSE:SBIN-EQ", "exchange": 10, "segment": 10, "holdingType": "HLD", "quantity": 5,
#  "costPrice": 550.5, "ltp": 586.3, "marketVal": 2931.5, "pl": 179}
def holdings_from_upstream(rows: list[Mapping[str, Any]], book: SymbolLookup) -> HoldingsBook:
    held = []
    for row in rows:
        symbol, exchange = _unified_names(book, row)
        quantity = int(row.get("quantity") or 0)
        average, last = Decimal(str(row.get("costPrice") or 0)), Decimal(str(row.get("ltp") or 0))
        # HLD (settled) and T1 (awaiting settlement) are both delivery.
        held.append(HeldShares(symbol, exchange, "CNC", quantity, average, last))
    return holdings_book(held)


# GET /api/v3/funds (https://myapi.fyers.in/docsv3#tag/Account-Info/Funds), `fund_limit` trimmed:
# [{"id": 1, "title": "Total Balance", "equityAmount": 61.26, "commodityAmount": 0},
#  {"id": 2, "title": "Utilized Amount", ...}, {"id": 4, "title": "Realized Profit and Loss", ...},
#  {"id": 5, "title": "Collaterals", ...}, {"id": 10, "title": "Available Balance", ...}]
def funds_from_upstream(lines: list[Mapping[str, Any]], positions: list[Mapping[str, Any]]) -> Funds:
    """Both segments added up; unrealised P&L comes from the positions, which `funds` does not carry."""
    by_id = {_int(line.get("id")): line for line in lines}

    def amount(line_id: int) -> float:
        line = by_id.get(line_id) or {}
        return float(Decimal(str(line.get("equityAmount") or 0)) + Decimal(str(line.get("commodityAmount") or 0)))

    unrealised = sum((Decimal(str(row.get("unrealized_profit") or 0)) for row in positions), Decimal(0))
    return Funds(
        availablecash=amount(FUND_AVAILABLE),
        collateral=amount(FUND_COLLATERAL),
        m2mrealized=amount(FUND_REALISED),
        m2munrealized=float(unrealised),
        utiliseddebits=amount(FUND_UTILISED),
    )


# GET /data/quotes?symbols=NSE:SBIN-EQ (https://myapi.fyers.in/docsv3#tag/Data-Api/Quotes), `d` trimmed:
# [{"n": "NSE:SBIN-EQ", "s": "ok", "v": {"lp": 586.3, "bid": 586.25, "ask": 586.3, "open_price": 580.1,
#   "high_price": 588, "low_price": 579.5, "prev_close_price": 581.2, "volume": 1234567}}]
def quote_from_upstream(values: Mapping[str, Any]) -> Quote:
    return Quote(
        ltp=price(values.get("lp")),
        bid=price(values.get("bid")),
        ask=price(values.get("ask")),
        open=price(values.get("open_price")),
        high=price(values.get("high_price")),
        low=price(values.get("low_price")),
        prev_close=price(values.get("prev_close_price")),
        volume=int(values.get("volume") or 0),
        oi=int(values.get("oi") or 0),
    )


def quotes_by_symbol(entries: list[Mapping[str, Any]]) -> dict[str, Mapping[str, Any]]:
    """The `v` of every entry Fyers answered `ok`, by its ticker."""
    return {str(entry.get("n")): entry.get("v") or {} for entry in entries if entry.get("s") == "ok"}


# GET /data/depth?symbol=NSE:SBIN-EQ&ohlcv_flag=1 (https://myapi.fyers.in/docsv3#tag/Data-Api/Market-Depth),
# `d` trimmed: {"NSE:SBIN-EQ": {"totalbuyqty": 2396, "totalsellqty": 4380, "bids": [{"price": 586.25,
#  "volume": 25, "ord": 1}], "ask": [{"price": 586.3, "volume": 40, "ord": 2}], "o": 580.1, "h": 588,
#  "l": 579.5, "c": 581.2, "ltp": 586.3, "ltq": 5, "v": 1234567, "oi": 0}}
def depth_from_upstream(values: Mapping[str, Any]) -> MarketDepth:
    def levels(side: list[Mapping[str, Any]] | None) -> list[dict]:
        return five_levels(
            [{"price": price(level.get("price")), "quantity": int(level.get("volume") or 0)} for level in side or []]
        )

    return MarketDepth(
        bids=levels(values.get("bids")),
        asks=levels(values.get("ask")),
        ltp=price(values.get("ltp")),
        ltq=int(values.get("ltq") or 0),
        open=price(values.get("o")),
        high=price(values.get("h")),
        low=price(values.get("l")),
        prev_close=price(values.get("c")),
        volume=int(values.get("v") or 0),
        oi=int(values.get("oi") or 0),
        totalbuyqty=int(values.get("totalbuyqty") or 0),
        totalsellqty=int(values.get("totalsellqty") or 0),
    )


# GET /data/history (https://myapi.fyers.in/docsv3#tag/Data-Api/History), trimmed:
# {"s": "ok", "candles": [[1691036100, 586.1, 587.0, 585.9, 586.5, 120345], ...]}
def candle_from_upstream(row: list[Any]) -> Candle:
    return Candle(
        timestamp=int(row[0]),
        open=price(row[1]),
        high=price(row[2]),
        low=price(row[3]),
        close=price(row[4]),
        volume=int(row[5]),
        oi=int(row[6]) if len(row) > 6 else 0,
    )


# POST /api/v3/multiorder/margin (https://myapi.fyers.in/docsv3#tag/Margin-Calculator), `data` trimmed:
# {"margin_avail": 1999.9, "margin_total": 147738.05, "margin_new_order": 147738.05}
def margin_from_upstream(data: Mapping[str, Any]) -> MarginResult:
    """Fyers answers one total for the basket and no SPAN/exposure split."""
    return MarginResult(total_margin_required=price(data.get("margin_total")), span_margin=0.0, exposure_margin=0.0)


# GTT orders (https://myapi.fyers.in/docsv3, "GTT Orders"): `orderInfo.leg1` alone is a GTT; with `leg2`
# it is an OCO whose leg1 trigger must be above the last price and leg2's below it, so leg1 is the
# target and leg2 the stoploss. A leg is `price` (the LIMIT order's), `triggerPrice` and `qty`.
GTT_STATUS_FROM_UPSTREAM = {1: "cancelled", 2: "triggered", 4: "active", 5: "rejected", 6: "active"}
GTT_OCO = 2  # `gtt_oco_ind`: 1 a GTT, 2 an OCO


def gtt_order_info(request: Any) -> dict[str, Any]:
    """`orderInfo` from a normalized GTT request: leg1 the SINGLE's leg or the OCO's target, leg2 its stoploss."""
    quantity = int(request.quantity)
    legs = [{"price": limit, "triggerPrice": trigger, "qty": quantity} for trigger, limit in request_legs(request)]
    return {"leg1": legs[1], "leg2": legs[0]} if is_oco(request) else {"leg1": legs[0]}


def to_upstream_gtt(request: Any, instrument: Instrument) -> dict[str, Any]:
    """The JSON body of POST /api/v3/gtt/orders/sync."""
    return {
        "side": strict(ACTION_TO_UPSTREAM, request.action.upper(), "action"),
        "symbol": instrument.brsymbol,
        "productType": strict(PRODUCT_TO_UPSTREAM, request.product, "product"),
        "orderInfo": gtt_order_info(request),
    }


def to_upstream_gtt_modification(request: Any) -> dict[str, Any]:
    """The JSON body of PATCH /api/v3/gtt/orders/sync: the id and new legs (side, symbol and product stay)."""
    return {"id": request.trigger_id, "orderInfo": gtt_order_info(request)}


# GET /api/v3/gtt/orders, one orderBook row trimmed: {"id": "25111300002007", "symbol": "NSE:SBIN-EQ",
#  "exchange": 10, "segment": 10, "tran_side": 1, "product_type": "CNC", "gtt_oco_ind": 2, "ord_status": 6,
#  "price_limit": 900, "price_trigger": 900, "qty": 1, "price2_limit": 700, "price2_trigger": 700, "qty2": 1,
#  "create_time": "13-Nov-2025 10:15:00"}
def gtt_from_upstream(row: Mapping[str, Any], book: SymbolLookup) -> GttEntry:
    symbol, exchange = _unified_names(book, row)
    action = strict(ACTION_FROM_UPSTREAM, _int(row.get("tran_side")), "side")
    product = strict(PRODUCT_FROM_UPSTREAM, row.get("product_type"), "product")

    def leg(suffix: str) -> tuple[float, GttLeg]:
        quantity = _int(row.get(f"qty{suffix}"))
        limit = price(row.get(f"price{suffix}_limit"))
        return price(row.get(f"price{suffix}_trigger")), GttLeg(
            action=action, quantity=quantity, price=limit, pricetype="LIMIT", product=product
        )

    legs = [leg(""), leg("2")] if _int(row.get("gtt_oco_ind")) == GTT_OCO else [leg("")]
    return gtt_entry(
        legs=legs,
        trigger_id=str(row["id"]),
        status=strict(GTT_STATUS_FROM_UPSTREAM, _int(row.get("ord_status")), "GTT status"),
        symbol=symbol,
        exchange=exchange,
        created_at=row.get("create_time"),
    )
