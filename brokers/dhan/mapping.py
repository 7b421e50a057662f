"""Two-way tables between unified order fields and DhanHQ v2's, and the parsers of Dhan's answers.

Dhan names an instrument by its exchange segment and security id everywhere (orders, quotes, charts,
the feed), so requests carry the symbol book's `brexchange` and `token`, and answers are mapped back
through the book by the same pair, never by taking a trading symbol apart. Values that drive state
(status, side, product, order type) are strict and raise BrokerBadResponse naming the value; values
that only describe are lenient.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, timedelta
from decimal import Decimal
from functools import partial
from typing import Any, Protocol

from brokers.common import mapping as common
from brokers.common.mapping import (
    HeldShares,
    depth_from_quote,
    holdings_book,
    invert,
    order_book,
    percent,
    price,
    total,
)
from generated.api import (
    Candle,
    DepthLevel,
    Funds,
    GttEntry,
    GttLeg,
    HoldingsBook,
    MarginPosition,
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

BROKER = "dhan"

# https://dhanhq.co/docs/v2/annexure/#exchange-segment: the unified exchange -> Dhan's exchangeSegment.
# Both index exchanges are IDX_I, so the reverse direction goes through the symbol book's rows.
SEGMENT_OF_EXCHANGE = {
    "NSE": "NSE_EQ",
    "BSE": "BSE_EQ",
    "NFO": "NSE_FNO",
    "BFO": "BSE_FNO",
    "CDS": "NSE_CURRENCY",
    "BCD": "BSE_CURRENCY",
    "MCX": "MCX_COMM",
    "NSE_INDEX": "IDX_I",
    "BSE_INDEX": "IDX_I",
}
EXCHANGE_OF_SEGMENT = {segment: exchange for exchange, segment in SEGMENT_OF_EXCHANGE.items() if segment != "IDX_I"}
# The feed's one-byte segment codes (same annexure, "enum" column).
SEGMENT_CODES = {
    "IDX_I": 0,
    "NSE_EQ": 1,
    "NSE_FNO": 2,
    "NSE_CURRENCY": 3,
    "BSE_EQ": 4,
    "MCX_COMM": 5,
    "BSE_CURRENCY": 7,
    "BSE_FNO": 8,
}
SEGMENT_OF_CODE = invert(SEGMENT_CODES)

# https://dhanhq.co/docs/v2/annexure/#product-type. MTF (margin trade funding) is delivery bought on
# credit, CO and BO are intraday brackets: read as CNC and MIS, never sent.
PRODUCT_TO_UPSTREAM = {"CNC": "CNC", "MIS": "INTRADAY", "NRML": "MARGIN"}
PRODUCT_FROM_UPSTREAM = invert(PRODUCT_TO_UPSTREAM) | {
    "MTF": "CNC",
    "CO": "MIS",
    "BO": "MIS",
}

# https://dhanhq.co/docs/v2/annexure/#order-type
PRICE_TYPE_TO_UPSTREAM = {"MARKET": "MARKET", "LIMIT": "LIMIT", "SL": "STOP_LOSS", "SL-M": "STOP_LOSS_MARKET"}
PRICE_TYPE_FROM_UPSTREAM = invert(PRICE_TYPE_TO_UPSTREAM)

ACTION_TO_UPSTREAM = {"BUY": "BUY", "SELL": "SELL"}
ACTION_FROM_UPSTREAM = invert(ACTION_TO_UPSTREAM)

# https://dhanhq.co/docs/v2/annexure/#order-status. TRANSIT has not reached the exchange yet and
# PART_TRADED can still fill, so both are open; EXPIRED ended unfilled at the day's close. CLOSED and
# TRIGGERED belong to super orders' legs.
STATUS_FROM_UPSTREAM = {
    "TRANSIT": "open",
    "PENDING": "open",
    "PART_TRADED": "open",
    "TRADED": "complete",
    "REJECTED": "rejected",
    "CANCELLED": "cancelled",
    "EXPIRED": "cancelled",
    "TRIGGERED": "open",
    "CLOSED": "complete",
}
# Dhan has no status of its own for a stop order waiting for its trigger: it is PENDING with a
# stop-loss order type, which the unified statuses call `trigger pending`.
STATUS_BY_STATUS_AND_TYPE = {
    ("PENDING", "STOP_LOSS"): "trigger pending",
    ("PENDING", "STOP_LOSS_MARKET"): "trigger pending",
}

# https://dhanhq.co/docs/v2/historical-data/: intraday intervals 1, 5, 15, 25 and 60 minutes (25 has no
# unified name), and daily candles from a separate endpoint.
INTERVAL_TO_UPSTREAM = {"1m": "1", "5m": "5", "15m": "15", "1h": "60", "D": "D"}
INTERVAL_FROM_UPSTREAM = invert(INTERVAL_TO_UPSTREAM)
# Dhan's intraday chart serves at most 90 days per call; its daily chart has no such limit.
MAX_DAYS = {"1m": 90, "5m": 90, "15m": 90, "1h": 90}
DAILY = "D"
INTERVAL_GROUPS = {
    "seconds": [],
    "minutes": ["1m", "5m", "15m"],
    "hours": ["1h"],
    "days": ["D"],
    "weeks": [],
    "months": [],
}
# correlationId: up to 30 characters of letters, digits, space, underscore and hyphen.
_CORRELATION_ALLOWED = re.compile(r"[^A-Za-z0-9 _-]")
CORRELATION_MAX = 30


class SymbolLookup(Protocol):
    """What the parsers need from the symbol book."""

    def by_token(self, token: int | str, brexchange: str | None = None) -> Instrument | None: ...


strict = partial(common.strict, broker=BROKER)


def _unified_names(book: SymbolLookup, row: Mapping[str, Any]) -> tuple[str, str]:
    # Lenient: a contract the day's master no longer lists keeps Dhan's own names.
    segment, security_id = str(row.get("exchangeSegment") or ""), str(row.get("securityId") or "")
    found = book.by_token(security_id, segment)
    if found is not None:
        return found.symbol, found.exchange
    return str(row.get("tradingSymbol") or security_id), EXCHANGE_OF_SEGMENT.get(segment, segment)


def order_status(status: Any, order_type: Any) -> str:
    return STATUS_BY_STATUS_AND_TYPE.get((status, order_type)) or strict(STATUS_FROM_UPSTREAM, status, "order status")


def correlation_id(strategy: str | None) -> str:
    return _CORRELATION_ALLOWED.sub("", strategy or "")[:CORRELATION_MAX]


# Requests


def to_upstream_order(request: PlaceOrderRequest, instrument: Instrument, client_id: str) -> dict[str, Any]:
    """The JSON body of POST /v2/orders (https://dhanhq.co/docs/v2/orders/#order-placement)."""
    price_type = request.pricetype or "MARKET"
    body: dict[str, Any] = {
        "dhanClientId": client_id,
        "transactionType": strict(ACTION_TO_UPSTREAM, request.action.upper(), "action"),
        "exchangeSegment": instrument.brexchange,
        "productType": strict(PRODUCT_TO_UPSTREAM, request.product or "MIS", "product"),
        "orderType": strict(PRICE_TYPE_TO_UPSTREAM, price_type, "price type"),
        "validity": "DAY",
        "securityId": instrument.token,
        "quantity": int(request.quantity),
        "disclosedQuantity": int(request.disclosed_quantity or 0),
        "price": float(request.price or 0) if price_type in ("LIMIT", "SL") else 0.0,
        "triggerPrice": float(request.trigger_price or 0) if price_type in ("SL", "SL-M") else 0.0,
        "afterMarketOrder": False,
    }
    if tag := correlation_id(request.strategy):
        body["correlationId"] = tag
    return body


def to_upstream_modification(request: ModifyOrderRequest, client_id: str) -> dict[str, Any]:
    """The JSON body of PUT /v2/orders/{order-id} (https://dhanhq.co/docs/v2/orders/#order-modification)."""
    return {
        "dhanClientId": client_id,
        "orderId": request.orderid,
        "orderType": strict(PRICE_TYPE_TO_UPSTREAM, request.pricetype, "price type"),
        "quantity": int(request.quantity),
        "price": float(request.price or 0) if request.pricetype in ("LIMIT", "SL") else 0.0,
        "disclosedQuantity": int(request.disclosed_quantity or 0),
        "triggerPrice": float(request.trigger_price or 0) if request.pricetype in ("SL", "SL-M") else 0.0,
        "validity": "DAY",
    }


def to_upstream_margin(position: MarginPosition, instrument: Instrument, client_id: str) -> dict[str, Any]:
    """The JSON body of POST /v2/margincalculator (https://dhanhq.co/docs/v2/funds/#margin-calculator)."""
    return {
        "dhanClientId": client_id,
        "exchangeSegment": instrument.brexchange,
        "transactionType": strict(ACTION_TO_UPSTREAM, position.action.upper(), "action"),
        "quantity": int(position.quantity),
        "productType": strict(PRODUCT_TO_UPSTREAM, position.product, "product"),
        "securityId": instrument.token,
        "price": float(position.price or 0),
        "triggerPrice": float(position.trigger_price or 0),
    }


def quote_request(instruments: list[Instrument]) -> dict[str, list[int]]:
    """The body of POST /v2/marketfeed/*: security ids (numbers) grouped by exchange segment."""
    grouped: dict[str, list[int]] = {}
    for instrument in instruments:
        ids = grouped.setdefault(instrument.brexchange, [])
        if int(instrument.token) not in ids:
            ids.append(int(instrument.token))
    return grouped


def chart_request(
    instrument: Instrument, dhan_instrument: str, interval: str, start: date, end: date
) -> dict[str, Any]:
    """The body of POST /v2/charts/historical (daily) or /v2/charts/intraday. Dhan's `toDate` is exclusive."""
    body: dict[str, Any] = {
        "securityId": instrument.token,
        "exchangeSegment": instrument.brexchange,
        "instrument": dhan_instrument,
        "oi": True,
    }
    if interval == DAILY:
        return body | {"expiryCode": 0, "fromDate": start.isoformat(), "toDate": (end + timedelta(days=1)).isoformat()}
    return body | {
        "interval": interval,
        "fromDate": f"{start.isoformat()} 00:00:00",
        "toDate": f"{end.isoformat()} 23:59:59",
    }


# Answers


# GET /v2/orders and /v2/orders/{order-id} (https://dhanhq.co/docs/v2/orders/#order-book), one row trimmed:
# {"orderId": "112111182198", "correlationId": "123abc678", "orderStatus": "PENDING", "transactionType": "BUY",
#  "exchangeSegment": "NSE_EQ", "productType": "INTRADAY", "orderType": "MARKET", "tradingSymbol": "",
#  "securityId": "11536", "quantity": 5, "price": 0.0, "triggerPrice": 0.0, "createTime": "2021-11-24 13:33:03",
#  "omsErrorDescription": null, "remainingQuantity": 5, "averageTradedPrice": 0, "filledQty": 0}
def order_from_upstream(row: Mapping[str, Any], book: SymbolLookup) -> Order:
    symbol, exchange = _unified_names(book, row)
    status = order_status(row.get("orderStatus"), row.get("orderType"))
    filled = int(row.get("filledQty") or 0)
    quantity = int(row.get("quantity") or 0)
    return Order(
        orderid=str(row["orderId"]),
        symbol=symbol,
        exchange=exchange,
        action=strict(ACTION_FROM_UPSTREAM, row.get("transactionType"), "action"),
        quantity=quantity,
        price=price(row.get("price")),
        trigger_price=price(row.get("triggerPrice")),
        pricetype=strict(PRICE_TYPE_FROM_UPSTREAM, row.get("orderType"), "price type"),
        product=strict(PRODUCT_FROM_UPSTREAM, row.get("productType"), "product"),
        order_status=status,
        average_price=price(row.get("averageTradedPrice")),
        filled_quantity=filled,
        pending_quantity=int(row.get("remainingQuantity") or 0) if status in ("open", "trigger pending") else 0,
        rejection_reason=str(row.get("omsErrorDescription") or "") if status == "rejected" else "",
        strategy=str(row.get("correlationId") or ""),
        timestamp=str(row.get("createTime") or ""),
    )


def order_book_from_upstream(rows: list[Mapping[str, Any]], book: SymbolLookup) -> OrderBook:
    return order_book([order_from_upstream(row, book) for row in rows])


# GET /v2/trades (https://dhanhq.co/docs/v2/orders/#trade-book), one row trimmed:
# {"orderId": "112111182045", "exchangeTradeId": "15112111182045", "transactionType": "BUY",
#  "exchangeSegment": "NSE_EQ", "productType": "INTRADAY", "orderType": "LIMIT", "tradingSymbol": "TCS",
#  "securityId": "11536", "tradedQuantity": 40, "tradedPrice": 3345.8, "createTime": "2021-03-10 11:20:06"}
def trade_from_upstream(row: Mapping[str, Any], book: SymbolLookup) -> Trade:
    symbol, exchange = _unified_names(book, row)
    traded = price(row.get("tradedPrice"))
    quantity = int(row.get("tradedQuantity") or 0)
    return Trade(
        tradeid=str(row.get("exchangeTradeId") or ""),
        orderid=str(row["orderId"]),
        symbol=symbol,
        exchange=exchange,
        product=strict(PRODUCT_FROM_UPSTREAM, row.get("productType"), "product"),
        action=strict(ACTION_FROM_UPSTREAM, row.get("transactionType"), "action"),
        quantity=quantity,
        price=traded,
        average_price=traded,
        trade_value=float(Decimal(str(traded)) * quantity),
        timestamp=str(row.get("exchangeTime") or row.get("createTime") or ""),
    )


# GET /v2/positions (https://dhanhq.co/docs/v2/portfolio/#positions), one row trimmed:
# {"tradingSymbol": "TCS", "securityId": "11536", "positionType": "LONG", "exchangeSegment": "NSE_EQ",
#  "productType": "CNC", "buyAvg": 3345.8, "buyQty": 40, "costPrice": 3215.0, "sellAvg": 0.0, "sellQty": 0,
#  "netQty": 40, "realizedProfit": 0.0, "unrealizedProfit": 6122.0, "multiplier": 1}
def position_from_upstream(row: Mapping[str, Any], book: SymbolLookup) -> Position:
    symbol, exchange = _unified_names(book, row)
    quantity = int(row.get("netQty") or 0)
    # The average of the side that is open now; a closed position keeps its cost price.
    field = "buyAvg" if quantity > 0 else "sellAvg" if quantity < 0 else "costPrice"
    average = Decimal(str(row.get(field) or 0))
    unrealised, realised = Decimal(str(row.get("unrealizedProfit") or 0)), Decimal(str(row.get("realizedProfit") or 0))
    multiplier = int(row.get("multiplier") or 1)
    # Positions carry no last price; it is the one the unrealised P&L was computed at.
    ltp = average + unrealised / (quantity * multiplier) if quantity else Decimal(0)
    invested = abs(average * quantity * multiplier)
    return Position(
        symbol=symbol,
        exchange=exchange,
        product=strict(PRODUCT_FROM_UPSTREAM, row.get("productType"), "product"),
        quantity=quantity,
        average_price=float(average),
        ltp=float(round(ltp, 2)),
        pnl=float(unrealised + realised),
        pnlpercent=percent(unrealised, invested),
        unrealized_pnl=float(unrealised),
        today_realized_pnl=float(realised),
        total_pnl_today=float(unrealised + realised),
    )


# GET /v2/holdings (https://dhanhq.co/docs/v2/portfolio/#holdings), one row trimmed:
# {"exchange": "ALL", "tradingSymbol": "HDFC", "securityId": "1330", "isin": "INE001A01036", "totalQty": 1000,
#  "dpQty": 1000, "t1Qty": 0, "availableQty": 1000, "collateralQty": 0, "avgCostPrice": 2655.0,
#  "lastTradedPrice": 2702.3}
def holdings_from_upstream(rows: list[Mapping[str, Any]], book: SymbolLookup) -> HoldingsBook:
    held = []
    for row in rows:
        # `exchange` is ALL: a share is held once, whichever exchange bought it; the NSE listing names it.
        found = book.by_token(str(row.get("securityId")), "NSE_EQ") or book.by_token(
            str(row.get("securityId")), "BSE_EQ"
        )
        symbol, exchange = (found.symbol, found.exchange) if found else (str(row.get("tradingSymbol")), "NSE")
        quantity = int(row.get("totalQty") or 0)
        average = Decimal(str(row.get("avgCostPrice") or 0))
        last = Decimal(str(row.get("lastTradedPrice") or 0)) or average
        held.append(HeldShares(symbol, exchange, "CNC", quantity, average, last))
    return holdings_book(held)


# GET /v2/fundlimit (https://dhanhq.co/docs/v2/funds/#fund-limit), trimmed; `availabelBalance` is Dhan's spelling:
# {"dhanClientId": "1000000009", "availabelBalance": 98440.0, "sodLimit": 113642, "collateralAmount": 0.0,
#  "receiveableAmount": 0.0, "utilizedAmount": 15202.0, "blockedPayoutAmount": 0.0, "withdrawableBalance": 98310.0}
def funds_from_upstream(data: Mapping[str, Any]) -> Funds:
    available = data.get("availabelBalance", data.get("availableBalance"))
    return Funds(
        availablecash=price(available),
        collateral=price(data.get("collateralAmount")),
        m2mrealized=0.0,  # the fund limit carries no P&L; positions do
        m2munrealized=0.0,
        utiliseddebits=price(data.get("utilizedAmount")),
    )


# POST /v2/margincalculator (https://dhanhq.co/docs/v2/funds/#margin-calculator), trimmed:
# {"totalMargin": 2800.0, "spanMargin": 1200.0, "exposureMargin": 1003.0, "availableBalance": 10500.0,
#  "variableMargin": 1000.0, "insufficientBalance": 0.0, "brokerage": 20.0, "leverage": "4.00"}
def margin_from_upstream(rows: list[Mapping[str, Any]]) -> MarginResult:
    return MarginResult(
        total_margin_required=total(rows, "totalMargin"),
        span_margin=total(rows, "spanMargin"),
        exposure_margin=total(rows, "exposureMargin"),
    )


def _levels(levels: Any) -> list[DepthLevel]:
    return [
        DepthLevel(price=price(level.get("price")), quantity=int(level.get("quantity") or 0)) for level in levels or []
    ]


# POST /v2/marketfeed/quote (https://dhanhq.co/docs/v2/market-quote/#market-depth), one instrument trimmed:
# {"last_price": 368.15, "last_quantity": 10, "average_price": 367.9, "volume": 1200, "oi": 0,
#  "buy_quantity": 1825, "sell_quantity": 900, "ohlc": {"open": 366, "close": 365.2, "high": 369, "low": 364.5},
#  "depth": {"buy": [{"quantity": 1800, "orders": 1, "price": 368.1}, ...], "sell": [...]}}
def quote_from_upstream(row: Mapping[str, Any]) -> Quote:
    ohlc, depth = row.get("ohlc") or {}, row.get("depth") or {}
    bids, asks = _levels(depth.get("buy")), _levels(depth.get("sell"))
    return Quote(
        ltp=price(row.get("last_price")),
        bid=bids[0].price if bids else 0.0,
        ask=asks[0].price if asks else 0.0,
        open=price(ohlc.get("open")),
        high=price(ohlc.get("high")),
        low=price(ohlc.get("low")),
        prev_close=price(ohlc.get("close")),  # during the session `close` is the previous day's
        volume=int(row.get("volume") or 0),
        oi=int(row.get("oi") or 0),
    )


def depth_from_upstream(row: Mapping[str, Any]) -> MarketDepth:
    depth = row.get("depth") or {}
    return depth_from_quote(
        quote_from_upstream(row),
        bids=_levels(depth.get("buy")),
        asks=_levels(depth.get("sell")),
        ltq=int(row.get("last_quantity") or 0),
        totalbuyqty=int(row.get("buy_quantity") or 0),
        totalsellqty=int(row.get("sell_quantity") or 0),
    )


# POST /v2/charts/historical and /v2/charts/intraday (https://dhanhq.co/docs/v2/historical-data/), trimmed:
# {"open": [3978, 3856], "high": [3978, 3925], "low": [3861, 3856], "close": [3879.85, 3915.9],
#  "volume": [3937092, 1906106], "timestamp": [1326220200, 1326306600], "open_interest": [0, 0]}
def candles_from_upstream(data: Mapping[str, Any]) -> list[Candle]:
    stamps = data.get("timestamp") or []
    oi = data.get("open_interest") or [0] * len(stamps)
    return [
        Candle(
            timestamp=int(stamp),
            open=price(data["open"][index]),
            high=price(data["high"][index]),
            low=price(data["low"][index]),
            close=price(data["close"][index]),
            volume=int(data["volume"][index]),
            oi=int(oi[index] or 0) if index < len(oi) else 0,
        )
        for index, stamp in enumerate(stamps)
    ]


# Forever Orders, Dhan's GTT (https://dhanhq.co/docs/v2/forever/): SINGLE, or OCO whose second leg
# (`price1`, `triggerPrice1`, `quantity1`) is the target and first the stoploss. The book lists an
# OCO as two rows of one `orderId`, named by `legName`.
FOREVER_FLAGS = {"SINGLE": "SINGLE", "OCO": "OCO"}
FOREVER_TYPES = {"SINGLE": "single", "OCO": "two-leg"}
FOREVER_STATUS_FROM_UPSTREAM = {
    "PENDING": "active",
    "CONFIRM": "active",
    "TRANSIT": "active",
    "TRADED": "triggered",
    "CANCELLED": "cancelled",
    "REJECTED": "rejected",
    "EXPIRED": "expired",
}
LEG_ORDER = {"STOP_LOSS_LEG": 0, "ENTRY_LEG": 0, "TARGET_LEG": 1}


def to_upstream_forever(request: Any, instrument: Instrument, client_id: str) -> dict[str, Any]:
    """The JSON body of POST /v2/forever/orders, from a normalized GTT request."""
    flag = strict(FOREVER_FLAGS, request.trigger_type.upper(), "GTT type")
    body: dict[str, Any] = {
        "dhanClientId": client_id,
        "orderFlag": flag,
        "transactionType": strict(ACTION_TO_UPSTREAM, request.action.upper(), "action"),
        "exchangeSegment": instrument.brexchange,
        "productType": strict(PRODUCT_TO_UPSTREAM, request.product, "product"),
        "orderType": "LIMIT",
        "validity": "DAY",
        "securityId": instrument.token,
        "quantity": int(request.quantity),
        "disclosedQuantity": 0,
    }
    if flag == "SINGLE":
        return body | {"price": float(request.price or 0), "triggerPrice": float(request.triggerprice_sl or request.triggerprice_tg)}
    return body | {
        "price": float(request.stoploss or 0), "triggerPrice": float(request.triggerprice_sl),
        "price1": float(request.target or 0), "triggerPrice1": float(request.triggerprice_tg), "quantity1": int(request.quantity),
    }  # fmt: skip


def to_upstream_forever_legs(request: Any, client_id: str) -> list[dict[str, Any]]:
    """The PUT /v2/forever/orders/{order-id} bodies that replace every leg: Dhan modifies one leg a request."""
    flag = strict(FOREVER_FLAGS, request.trigger_type.upper(), "GTT type")
    legs = [("ENTRY_LEG", request.price, request.triggerprice_sl or request.triggerprice_tg)] if flag == "SINGLE" else [
        ("STOP_LOSS_LEG", request.stoploss, request.triggerprice_sl), ("TARGET_LEG", request.target, request.triggerprice_tg)]  # fmt: skip
    return [
        {"dhanClientId": client_id, "orderId": request.trigger_id, "orderFlag": flag, "orderType": "LIMIT", "legName": name,
         "quantity": int(request.quantity), "price": float(limit or 0), "disclosedQuantity": 0,
         "triggerPrice": float(trigger or 0), "validity": "DAY"}
        for name, limit, trigger in legs
    ]  # fmt: skip


# GET /v2/forever/all, one row trimmed:
# {"orderId": "5132208051112", "orderStatus": "PENDING", "transactionType": "SELL", "exchange": "NSE", "segment": "EQUITY",
#  "productType": "CNC", "orderType": "SINGLE", "tradingSymbol": "SBIN", "securityId": "3045", "quantity": 2,
#  "price": 700, "triggerPrice": 701, "legName": "ENTRY_LEG", "createTime": "2024-12-04 10:15:00", "exchangeSegment": "NSE_EQ"}
def gtt_book_from_upstream(rows: list[Mapping[str, Any]], book: SymbolLookup) -> list[GttEntry]:
    """One entry per forever order, its legs in stoploss-then-target order."""
    grouped: dict[str, list[Mapping[str, Any]]] = {}
    for row in rows:
        grouped.setdefault(str(row["orderId"]), []).append(row)
    entries = []
    for order_id, legs in grouped.items():
        legs = sorted(legs, key=lambda leg: LEG_ORDER.get(str(leg.get("legName")), 0))
        first = legs[0]
        symbol, exchange = _unified_names(book, first)
        entries.append(
            GttEntry(
                trigger_id=order_id,
                trigger_type=strict(FOREVER_TYPES, first["orderType"], "forever order type"),
                status=strict(FOREVER_STATUS_FROM_UPSTREAM, first["orderStatus"], "forever order status"),
                symbol=symbol,
                exchange=exchange,
                trigger_prices=[price(leg.get("triggerPrice")) for leg in legs],
                legs=[
                    GttLeg(action=strict(ACTION_FROM_UPSTREAM, leg["transactionType"], "action"), quantity=int(leg["quantity"]),
                           price=price(leg.get("price")), pricetype="LIMIT",
                           product=strict(PRODUCT_FROM_UPSTREAM, leg["productType"], "product"))
                    for leg in legs
                ],
                created_at=first.get("createTime"),
                updated_at=first.get("updateTime"),
            )
        )
    return entries
