"""Two-way tables between unified order fields and XTS's, and the parsers of XTS's answers.

XTS names an instrument by segment and `exchangeInstrumentID`; every lookup goes through the symbol
book built from the member's own master (`symbols.py`). Values that drive state (status, side,
product, order type) are strict; XTS spells them in mixed case in its books (`Buy`, `StopLimit`),
so they are read upper-cased. XTS sends many numbers as strings, and empty strings for none.
Reference: the XTS Connect interactive and market-data API documentation (Symphony Fintech).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from brokers.common.mapping import (
    HeldShares,
    depth_from_quote,
    five_levels,
    holdings_book,
    invert,
    order_book,
    percent,
    price,
    strict,
)
from generated.api import (
    Candle,
    Funds,
    HoldingsBook,
    InstrumentRecord,
    ModifyOrderRequest,
    Order,
    OrderBook,
    PlaceOrderRequest,
    Position,
    Quote,
    Trade,
)

SEGMENT_FROM_UPSTREAM = {"NSECM": "NSE", "NSEFO": "NFO", "NSECD": "CDS", "BSECM": "BSE", "BSEFO": "BFO", "MCXFO": "MCX"}
SEGMENT_TO_UPSTREAM = invert(SEGMENT_FROM_UPSTREAM)
# Indices are listed in the cash segments; the unified format gives them their own exchanges.
INDEX_EXCHANGE_FROM_UPSTREAM = {"NSECM": "NSE_INDEX", "BSECM": "BSE_INDEX"}
# The segments' numbers, as quotes, subscriptions and feed events carry them.
SEGMENT_CODES = {"NSECM": 1, "NSEFO": 2, "NSECD": 3, "BSECM": 11, "BSEFO": 12, "MCXFO": 51}
SEGMENT_NAMES = invert(SEGMENT_CODES)

PRODUCT_TO_UPSTREAM = {"MIS": "MIS", "CNC": "CNC", "NRML": "NRML"}
PRODUCT_FROM_UPSTREAM = invert(PRODUCT_TO_UPSTREAM)
PRICE_TYPE_TO_UPSTREAM = {"MARKET": "MARKET", "LIMIT": "LIMIT", "SL": "STOPLIMIT", "SL-M": "STOPMARKET"}
PRICE_TYPE_FROM_UPSTREAM = invert(PRICE_TYPE_TO_UPSTREAM)
ACTION_TO_UPSTREAM = {"BUY": "BUY", "SELL": "SELL"}
ACTION_FROM_UPSTREAM = invert(ACTION_TO_UPSTREAM)
STOP_TYPES = {"STOPLIMIT", "STOPMARKET"}

# XTS order statuses; the pending ones can still fill or be cancelled, so they count as open. A stop
# order that is open has not triggered yet (XTS turns a triggered stop into its limit or market order).
STATUS_FROM_UPSTREAM = {
    "PENDINGNEW": "open",
    "NEW": "open",
    "OPEN": "open",
    "PARTIALLYFILLED": "open",
    "PENDINGREPLACE": "open",
    "REPLACED": "open",
    "PENDINGCANCEL": "open",
    "FILLED": "complete",
    "CANCELLED": "cancelled",
    "REJECTED": "rejected",
}

# compressionValue of /instruments/ohlc, in seconds; a day is `D`.
INTERVAL_TO_UPSTREAM = {
    "1m": "60",
    "3m": "180",
    "5m": "300",
    "10m": "600",
    "15m": "900",
    "30m": "1800",
    "1h": "3600",
    "D": "D",
}
INTERVAL_FROM_UPSTREAM = invert(INTERVAL_TO_UPSTREAM)
INTERVAL_GROUPS = {"seconds": [], "minutes": ["1m", "3m", "5m", "10m", "15m", "30m"], "hours": ["1h"],
                   "days": ["D"], "weeks": [], "months": []}  # fmt: skip
# Market data messages: 1501 touchline, 1502 market depth.
TOUCHLINE, DEPTH = 1501, 1502
# XTS counts feed times in seconds from 1980-01-01 00:00 IST.
XTS_EPOCH = datetime(1980, 1, 1, tzinfo=UTC) - timedelta(hours=5, minutes=30)
# /instruments/ohlc writes its times as if Indian time were UTC.
IST_SHIFT = 19800
ORDER_TAG = "brokergate"


class Lookup:
    """Rows of the day's symbol book by XTS's (segment, instrument id), for the parsers."""

    def __init__(self, book: Any, broker: str) -> None:
        self._book, self.broker = book, broker

    def names(self, segment: str, instrument_id: Any, fallback: str = "") -> tuple[str, str]:
        # Lenient: an instrument the day's master no longer lists keeps XTS's names.
        row = self._book.by_token(str(instrument_id), segment)
        return (row.symbol, row.exchange) if row else (fallback or str(instrument_id), segment)


def _number(value: Any) -> Decimal:
    return Decimal(str(value)) if value not in (None, "") else Decimal(0)


def instrument_of(row: InstrumentRecord) -> dict[str, int]:
    """The `{exchangeSegment, exchangeInstrumentID}` pair of quotes and subscriptions."""
    return {"exchangeSegment": SEGMENT_CODES[row.brexchange], "exchangeInstrumentID": int(row.token)}


# Requests


def _prices(price_type: str, limit: float | None, trigger: float | None) -> tuple[float, float]:
    limit_price = float(limit or 0) if price_type in ("LIMIT", "SL") else 0.0
    stop_price = float(trigger or 0) if price_type in ("SL", "SL-M") else 0.0
    return limit_price, stop_price


def to_upstream_order(request: PlaceOrderRequest, instrument: InstrumentRecord, broker: str) -> dict[str, Any]:
    """The JSON body of POST /interactive/orders."""
    price_type = request.pricetype or "MARKET"
    limit_price, stop_price = _prices(price_type, request.price, request.trigger_price)
    return {
        "exchangeSegment": instrument.brexchange,
        "exchangeInstrumentID": int(instrument.token),
        "productType": strict(PRODUCT_TO_UPSTREAM, request.product or "MIS", "product", broker),
        "orderType": strict(PRICE_TYPE_TO_UPSTREAM, price_type, "price type", broker),
        "orderSide": strict(ACTION_TO_UPSTREAM, request.action.upper(), "action", broker),
        "timeInForce": "DAY",
        "disclosedQuantity": int(request.disclosed_quantity or 0),
        "orderQuantity": int(request.quantity),
        "limitPrice": limit_price,
        "stopPrice": stop_price,
        "orderUniqueIdentifier": (request.strategy or ORDER_TAG)[:20],
        "clientID": "*****",
    }


def to_upstream_modification(request: ModifyOrderRequest, broker: str) -> dict[str, Any]:
    """The JSON body of PUT /interactive/orders."""
    limit_price, stop_price = _prices(request.pricetype, request.price, request.trigger_price)
    return {
        "appOrderID": int(request.orderid) if request.orderid.isdigit() else request.orderid,
        "modifiedProductType": strict(PRODUCT_TO_UPSTREAM, request.product, "product", broker),
        "modifiedOrderType": strict(PRICE_TYPE_TO_UPSTREAM, request.pricetype, "price type", broker),
        "modifiedOrderQuantity": int(request.quantity),
        "modifiedDisclosedQuantity": int(request.disclosed_quantity or 0),
        "modifiedLimitPrice": limit_price,
        "modifiedStopPrice": stop_price,
        "modifiedTimeInForce": "DAY",
        "orderUniqueIdentifier": (request.strategy or ORDER_TAG)[:20],
        "clientID": "*****",
    }


# Answers


# GET /interactive/orders, one row trimmed:
# {"AppOrderID": 1100000123, "ExchangeSegment": "NSECM", "ExchangeInstrumentID": 2885, "TradingSymbol": "RELIANCE-EQ",
#  "OrderSide": "Buy", "OrderType": "Limit", "ProductType": "CNC", "OrderStatus": "New", "OrderQuantity": 1,
#  "OrderPrice": 2400, "OrderStopPrice": 0, "OrderAverageTradedPrice": "", "CumulativeQuantity": 0,
#  "LeavesQuantity": 1, "CancelRejectReason": "", "OrderGeneratedDateTime": "2024-12-04T10:15:00",
#  "OrderUniqueIdentifier": "brokergate"}
def order_from_upstream(row: Mapping[str, Any], lookup: Lookup) -> Order:
    symbol, exchange = lookup.names(row["ExchangeSegment"], row["ExchangeInstrumentID"], row.get("TradingSymbol", ""))
    order_type = str(row["OrderType"]).upper()
    status = strict(STATUS_FROM_UPSTREAM, str(row["OrderStatus"]).upper(), "order status", lookup.broker)
    if status == "open" and order_type in STOP_TYPES:
        status = "trigger pending"
    return Order(
        orderid=str(row["AppOrderID"]),
        symbol=symbol,
        exchange=exchange,
        action=strict(ACTION_FROM_UPSTREAM, str(row["OrderSide"]).upper(), "action", lookup.broker),
        quantity=int(row["OrderQuantity"]),
        price=price(row.get("OrderPrice")),
        trigger_price=price(row.get("OrderStopPrice")),
        pricetype=strict(PRICE_TYPE_FROM_UPSTREAM, order_type, "price type", lookup.broker),
        product=strict(PRODUCT_FROM_UPSTREAM, row["ProductType"], "product", lookup.broker),
        order_status=status,
        average_price=price(row.get("OrderAverageTradedPrice")),
        filled_quantity=int(row.get("CumulativeQuantity") or 0),
        pending_quantity=int(row.get("LeavesQuantity") or 0),
        rejection_reason=(row.get("CancelRejectReason") or "") if status == "rejected" else "",
        strategy=row.get("OrderUniqueIdentifier") or "",
        timestamp=str(row.get("OrderGeneratedDateTime") or ""),
    )


def order_book_from_upstream(rows: Iterable[Mapping[str, Any]], lookup: Lookup) -> OrderBook:
    return order_book([order_from_upstream(row, lookup) for row in rows])


# GET /interactive/orders/trades, one row trimmed:
# {"ExecutionID": "2211", "AppOrderID": 1100000123, "ExchangeSegment": "NSECM", "ExchangeInstrumentID": 2885,
#  "OrderSide": "Buy", "ProductType": "CNC", "LastTradedPrice": 2401.5, "LastTradedQuantity": 1,
#  "ExchangeTransactTime": "2024-12-04T10:15:02"}
def trade_from_upstream(row: Mapping[str, Any], lookup: Lookup) -> Trade:
    symbol, exchange = lookup.names(row["ExchangeSegment"], row["ExchangeInstrumentID"], row.get("TradingSymbol", ""))
    traded, quantity = _number(row.get("LastTradedPrice")), int(row["LastTradedQuantity"])
    return Trade(
        tradeid=str(row.get("ExecutionID") or ""),
        orderid=str(row["AppOrderID"]),
        symbol=symbol,
        exchange=exchange,
        product=strict(PRODUCT_FROM_UPSTREAM, row["ProductType"], "product", lookup.broker),
        action=strict(ACTION_FROM_UPSTREAM, str(row["OrderSide"]).upper(), "action", lookup.broker),
        quantity=quantity,
        price=float(traded),
        average_price=float(traded),
        trade_value=float(traded * quantity),
        timestamp=str(row.get("ExchangeTransactTime") or ""),
    )


# GET /interactive/portfolio/positions?dayOrNet=NetWise: result.positionList, one row trimmed:
# {"ExchangeSegment": "NSECM", "ExchangeInstrumentId": "2885", "ProductType": "MIS", "Quantity": "2",
#  "BuyAveragePrice": "2401.5", "SellAveragePrice": "0", "MTM": "12.4", "RealizedMTM": "0", "UnrealizedMTM": "12.4"}
def position_from_upstream(row: Mapping[str, Any], lookup: Lookup, last: float) -> Position:
    symbol, exchange = lookup.names(row["ExchangeSegment"], row["ExchangeInstrumentId"], row.get("TradingSymbol", ""))
    quantity = int(_number(row.get("Quantity")))
    average = _number(row.get("BuyAveragePrice" if quantity >= 0 else "SellAveragePrice"))
    unrealised = _number(row.get("UnrealizedMTM"))
    return Position(
        symbol=symbol,
        exchange=exchange,
        product=strict(PRODUCT_FROM_UPSTREAM, row["ProductType"], "product", lookup.broker),
        quantity=quantity,
        average_price=float(average),
        ltp=last,
        pnl=float(_number(row.get("MTM"))),
        pnlpercent=percent(unrealised, abs(average * quantity)),
        unrealized_pnl=float(unrealised),
        today_realized_pnl=float(_number(row.get("RealizedMTM"))),
        total_pnl_today=float(_number(row.get("MTM"))),
    )


# GET /interactive/portfolio/holdings: result.RMSHoldings.Holdings, keyed by ISIN, one entry trimmed:
# {"INE002A01018": {"ISIN": "INE002A01018", "HoldingQuantity": 10, "BuyAvgPrice": 2350.4,
#   "ExchangeNSEInstrumentId": 2885, "ExchangeBSEInstrumentId": 500325}}
def holdings_from_upstream(
    entries: Iterable[Mapping[str, Any]], lookup: Lookup, last: Mapping[str, float]
) -> HoldingsBook:
    held = []
    for entry in entries:
        instrument_id = str(entry.get("ExchangeNSEInstrumentId") or "")
        symbol, exchange = lookup.names("NSECM", instrument_id, str(entry.get("ISIN") or ""))
        quantity, average = int(_number(entry.get("HoldingQuantity"))), _number(entry.get("BuyAvgPrice"))
        held.append(HeldShares(symbol, exchange, "CNC", quantity, average, Decimal(str(last.get(instrument_id, 0)))))
    return holdings_book(held)


# GET /interactive/user/balance: result.BalanceList[0].limitObject.RMSSubLimits, trimmed:
# {"cashAvailable": "100000", "collateral": 0, "marginUtilized": "2401.5", "netMarginAvailable": "97598.5",
#  "MTM": "12.4", "UnrealizedMTM": "12.4", "RealizedMTM": "0"}
def funds_from_upstream(result: Mapping[str, Any]) -> Funds:
    balances = result.get("BalanceList") or [{}]
    limits = (balances[0].get("limitObject") or {}).get("RMSSubLimits") or {}
    return Funds(
        availablecash=float(_number(limits.get("netMarginAvailable"))),
        collateral=float(_number(limits.get("collateral"))),
        m2mrealized=float(_number(limits.get("RealizedMTM"))),
        m2munrealized=float(_number(limits.get("UnrealizedMTM"))),
        utiliseddebits=float(_number(limits.get("marginUtilized"))),
    )


# POST /apimarketdata/instruments/quotes with xtsMessageCode 1502: result.listQuotes, JSON strings, one trimmed:
# {"ExchangeSegment": 1, "ExchangeInstrumentID": 2885, "Bids": [{"Size": 10, "Price": 2401, "TotalOrders": 2}],
#  "Asks": [...], "Touchline": {"LastTradedPrice": 2401.5, "LastTradedQunatity": 3, "TotalTradedQuantity": 1890,
#  "Open": 2390, "High": 2410, "Low": 2380, "Close": 2395, "TotalBuyQuantity": 900, "TotalSellQuantity": 800}}
def quotes_from_upstream(result: Mapping[str, Any]) -> dict[tuple[int, int], dict]:
    """The answer's quotes by (segment number, instrument id)."""
    quotes = {}
    for text in result.get("listQuotes") or []:
        quote = json.loads(text) if isinstance(text, str) else text
        quotes[(int(quote["ExchangeSegment"]), int(quote["ExchangeInstrumentID"]))] = quote
    return quotes


def _best(levels: list[Mapping[str, Any]] | None) -> float:
    return price(levels[0].get("Price")) if levels else 0.0


def quote_from_upstream(quote: Mapping[str, Any]) -> Quote:
    touch = quote.get("Touchline") or {}
    return Quote(
        ltp=price(touch.get("LastTradedPrice")),
        bid=_best(quote.get("Bids")),
        ask=_best(quote.get("Asks")),
        open=price(touch.get("Open")),
        high=price(touch.get("High")),
        low=price(touch.get("Low")),
        prev_close=price(touch.get("Close")),
        volume=int(touch.get("TotalTradedQuantity") or 0),
        oi=int(quote.get("OpenInterest") or 0),
    )


def depth_from_upstream(quote: Mapping[str, Any]):
    touch = quote.get("Touchline") or {}

    def levels(side: list[Mapping[str, Any]] | None) -> list[dict]:
        return five_levels(
            [{"price": price(level.get("Price")), "quantity": int(level.get("Size") or 0)} for level in side or []]
        )

    return depth_from_quote(
        quote_from_upstream(quote),
        bids=levels(quote.get("Bids")),
        asks=levels(quote.get("Asks")),
        ltq=int(touch.get("LastTradedQunatity") or 0),  # XTS's own spelling
        totalbuyqty=int(touch.get("TotalBuyQuantity") or 0),
        totalsellqty=int(touch.get("TotalSellQuantity") or 0),
    )


# GET /apimarketdata/instruments/ohlc: {"dataReponse": "1733110500|2390|2410|2380|2401.5|18900|0|,..."}
# (XTS's spelling), each bar's time in seconds as if Indian time were UTC.
def candles_from_upstream(result: Mapping[str, Any]) -> list[Candle]:
    candles = []
    for bar in str(result.get("dataReponse") or "").split(","):
        fields = bar.split("|")
        if len(fields) < 6:
            continue
        candles.append(
            Candle(
                timestamp=int(fields[0]) - IST_SHIFT,
                open=price(fields[1]),
                high=price(fields[2]),
                low=price(fields[3]),
                close=price(fields[4]),
                volume=int(float(fields[5])),
                oi=int(float(fields[6] or 0)) if len(fields) > 6 else 0,
            )
        )
    return candles


def ohlc_time(moment: datetime) -> str:
    """`Dec 02 2024 091500`: how /instruments/ohlc wants its startTime and endTime (Indian time)."""
    return moment.strftime("%b %d %Y %H%M%S")
