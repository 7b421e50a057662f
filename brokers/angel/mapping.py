"""Two-way tables between unified order fields and SmartAPI's, and the parsers of SmartAPI's answers.

Symbols never go through string rules here: every instrument is looked up in the symbol book built
from Angel's scrip master (`symbols.py`). Values that drive state (status, side, product, order
type) are strict and raise BrokerBadResponse naming the value; values that only describe are lenient.
SmartAPI sends many numbers as strings ("571.80"), so every number is read through `price`/`count`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from functools import partial
from typing import Any, Protocol

from brokers.common import mapping as common
from brokers.common.gtt import gtt_entry, request_legs
from brokers.common.mapping import depth_from_quote, five_levels, invert, order_book, percent
from generated.api import (
    Candle,
    Funds,
    GttEntry,
    GttLeg,
    Holding,
    HoldingsBook,
    HoldingsStatistics,
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
from generated.errors import BrokerBadResponse

BROKER = "angel"

# https://smartapi.angelbroking.com/docs/Orders: producttype, ordertype, transactiontype and variety.
PRODUCT_TO_UPSTREAM = {"CNC": "DELIVERY", "NRML": "CARRYFORWARD", "MIS": "INTRADAY"}
PRODUCT_FROM_UPSTREAM = invert(PRODUCT_TO_UPSTREAM)

PRICE_TYPE_TO_UPSTREAM = {"MARKET": "MARKET", "LIMIT": "LIMIT", "SL": "STOPLOSS_LIMIT", "SL-M": "STOPLOSS_MARKET"}
PRICE_TYPE_FROM_UPSTREAM = invert(PRICE_TYPE_TO_UPSTREAM)

ACTION_TO_UPSTREAM = {"BUY": "BUY", "SELL": "SELL"}
ACTION_FROM_UPSTREAM = invert(ACTION_TO_UPSTREAM)

# Stop orders go in the STOPLOSS variety, every other order in NORMAL.
VARIETY_BY_PRICE_TYPE = {"MARKET": "NORMAL", "LIMIT": "NORMAL", "SL": "STOPLOSS", "SL-M": "STOPLOSS"}

# https://smartapi.angelbroking.com/docs/Orders (order status values): the transient states an
# order passes through on its way to the exchange count as open, since it can still fill or be
# cancelled; "not modified" and "not cancelled" leave a live order live.
STATUS_FROM_UPSTREAM = {
    "complete": "complete",
    "open": "open",
    "trigger pending": "trigger pending",
    "rejected": "rejected",
    "cancelled": "cancelled",
    "open pending": "open",
    "validation pending": "open",
    "put order req received": "open",
    "modify validation pending": "open",
    "modify pending": "open",
    "modified": "open",
    "not modified": "open",
    "cancel pending": "open",
    "not cancelled": "open",
    "after market order req received": "open",
}

# https://smartapi.angelbroking.com/docs/Historical: the candle intervals.
INTERVAL_TO_UPSTREAM = {
    "1m": "ONE_MINUTE",
    "3m": "THREE_MINUTE",
    "5m": "FIVE_MINUTE",
    "10m": "TEN_MINUTE",
    "15m": "FIFTEEN_MINUTE",
    "30m": "THIRTY_MINUTE",
    "1h": "ONE_HOUR",
    "D": "ONE_DAY",
}
INTERVAL_FROM_UPSTREAM = invert(INTERVAL_TO_UPSTREAM)
# The same page's longest range one getCandleData call may span, in days, per interval.
MAX_DAYS = {"1m": 30, "3m": 60, "5m": 100, "10m": 100, "15m": 200, "30m": 200, "1h": 400, "D": 2000}
INTERVAL_GROUPS = {
    "seconds": [],
    "minutes": ["1m", "3m", "5m", "10m", "15m", "30m"],
    "hours": ["1h"],
    "days": ["D"],
    "weeks": [],
    "months": [],
}

# https://smartapi.angelbroking.com/docs/MarketData: the quote endpoint's mode, and the most
# instruments one request may name.
QUOTE_MODE = "FULL"
QUOTE_BATCH = 50


class SymbolLookup(Protocol):
    """What the parsers need from the symbol book."""

    def from_upstream(self, brexchange: str, brsymbol: str) -> Instrument | None: ...


strict = partial(common.strict, broker=BROKER)


def decimal(value: Any) -> Decimal:
    """A number SmartAPI may send as a number, a string, a blank or null."""
    try:
        return Decimal(str(value).replace(" ", "")) if value not in (None, "") else Decimal(0)
    except InvalidOperation:
        return Decimal(0)


def price(value: Any) -> float:
    return float(decimal(value))


def count(value: Any) -> int:
    return int(decimal(value))


def _money(value: float | None) -> str:
    return f"{Decimal(str(value or 0)):f}"


def _unified_names(book: SymbolLookup, exchange: str, tradingsymbol: str) -> tuple[str, str]:
    # Lenient: a row the day's master no longer lists (an expired contract in an old order) keeps Angel's name.
    row = book.from_upstream(exchange, tradingsymbol)
    return (row.symbol, row.exchange) if row else (tradingsymbol, exchange)


def instrument_fields(instrument: Instrument) -> dict[str, str]:
    return {"tradingsymbol": instrument.brsymbol, "symboltoken": instrument.token, "exchange": instrument.brexchange}


# Requests


def to_upstream_order(request: PlaceOrderRequest, instrument: Instrument) -> dict[str, str]:
    """The JSON body of placeOrder (https://smartapi.angelbroking.com/docs/Orders#place)."""
    price_type = request.pricetype or "MARKET"
    body = {
        "variety": strict(VARIETY_BY_PRICE_TYPE, price_type, "price type"),
        **instrument_fields(instrument),
        "transactiontype": strict(ACTION_TO_UPSTREAM, request.action.upper(), "action"),
        "ordertype": strict(PRICE_TYPE_TO_UPSTREAM, price_type, "price type"),
        "producttype": strict(PRODUCT_TO_UPSTREAM, request.product or "MIS", "product"),
        "duration": "DAY",
        "price": _money(request.price) if price_type in ("LIMIT", "SL") else "0",
        "triggerprice": _money(request.trigger_price) if price_type in ("SL", "SL-M") else "0",
        "quantity": str(int(request.quantity)),
    }
    if request.disclosed_quantity:
        body["disclosedquantity"] = str(request.disclosed_quantity)
    if request.strategy:
        body["ordertag"] = request.strategy[:19]  # SmartAPI refuses tags of 20 characters or more (AB4008)
    return body


def to_upstream_modification(request: ModifyOrderRequest, instrument: Instrument) -> dict[str, str]:
    """The JSON body of modifyOrder."""
    return {
        "variety": strict(VARIETY_BY_PRICE_TYPE, request.pricetype, "price type"),
        "orderid": request.orderid,
        "ordertype": strict(PRICE_TYPE_TO_UPSTREAM, request.pricetype, "price type"),
        "producttype": strict(PRODUCT_TO_UPSTREAM, request.product, "product"),
        "duration": "DAY",
        "price": _money(request.price) if request.pricetype in ("LIMIT", "SL") else "0",
        "triggerprice": _money(request.trigger_price) if request.pricetype in ("SL", "SL-M") else "0",
        "quantity": str(int(request.quantity)),
        **instrument_fields(instrument),
    }


def to_upstream_margin_positions(request: MarginRequest, instruments: list[Instrument]) -> list[dict[str, Any]]:
    """The `positions` of margin/v1/batch (https://smartapi.angelbroking.com/docs/MarginCalculator)."""
    return [
        {
            "exchange": instrument.brexchange,
            "qty": int(position.quantity),
            "price": float(position.price or 0),
            "productType": strict(PRODUCT_TO_UPSTREAM, position.product, "product"),
            "token": instrument.token,
            "tradeType": strict(ACTION_TO_UPSTREAM, position.action.upper(), "action"),
            "orderType": strict(PRICE_TYPE_TO_UPSTREAM, position.pricetype, "price type"),
        }
        for position, instrument in zip(request.positions, instruments, strict=True)
    ]


def to_upstream_tokens(instruments: list[Instrument]) -> dict[str, list[str]]:
    """`exchangeTokens` of the quote endpoint: tokens grouped by Angel's exchange."""
    tokens: dict[str, list[str]] = {}
    for instrument in instruments:
        tokens.setdefault(instrument.brexchange, []).append(instrument.token)
    return tokens


def candle_request(instrument: Instrument, interval: str, start: str, end: str) -> dict[str, str]:
    """The JSON body of getCandleData; dates are IST, `yyyy-MM-dd HH:mm`."""
    return {
        "exchange": instrument.brexchange,
        "symboltoken": instrument.token,
        "interval": INTERVAL_TO_UPSTREAM[interval],
        "fromdate": f"{start} 00:00",
        "todate": f"{end} 23:59",
    }


# Answers


# getOrderBook (https://smartapi.angelbroking.com/docs/Orders#book), one row trimmed:
# {"variety": "NORMAL", "ordertype": "LIMIT", "producttype": "DELIVERY", "price": 194.00, "triggerprice": 0,
#  "quantity": "1", "tradingsymbol": "SBIN-EQ", "transactiontype": "BUY", "exchange": "NSE", "symboltoken": "3045",
#  "averageprice": 0, "filledshares": "0", "unfilledshares": "1", "orderid": "201020000000080", "text": "",
#  "status": "open", "orderstatus": "open", "ordertag": "", "updatetime": "20-Oct-2020 13:10:59"}
def order_from_upstream(row: Mapping[str, Any], book: SymbolLookup) -> Order:
    symbol, exchange = _unified_names(book, row["exchange"], row["tradingsymbol"])
    status = strict(
        STATUS_FROM_UPSTREAM, str(row.get("orderstatus") or row.get("status") or "").lower(), "order status"
    )
    return Order(
        orderid=str(row["orderid"]),
        symbol=symbol,
        exchange=exchange,
        action=strict(ACTION_FROM_UPSTREAM, row["transactiontype"], "action"),
        quantity=count(row.get("quantity")),
        price=price(row.get("price")),
        trigger_price=price(row.get("triggerprice")),
        pricetype=strict(PRICE_TYPE_FROM_UPSTREAM, row["ordertype"], "price type"),
        product=strict(PRODUCT_FROM_UPSTREAM, row["producttype"], "product"),
        order_status=status,
        average_price=price(row.get("averageprice")),
        filled_quantity=count(row.get("filledshares")),
        pending_quantity=count(row.get("unfilledshares")) if status in ("open", "trigger pending") else 0,
        rejection_reason=str(row.get("text") or "") if status == "rejected" else "",
        strategy=str(row.get("ordertag") or ""),
        timestamp=str(row.get("updatetime") or row.get("exchtime") or ""),
    )


def order_book_from_upstream(rows: list[Mapping[str, Any]], book: SymbolLookup) -> OrderBook:
    return order_book([order_from_upstream(row, book) for row in rows])


def variety_of(rows: list[Mapping[str, Any]], order_id: str) -> str | None:
    """The variety an order was placed in, which cancelOrder must repeat; None when the book lacks it."""
    return next((str(row.get("variety") or "NORMAL") for row in rows if str(row.get("orderid")) == order_id), None)


# getTradeBook (https://smartapi.angelbroking.com/docs/Orders#trade), one row trimmed:
# {"exchange": "NSE", "producttype": "DELIVERY", "tradingsymbol": "ITC-EQ", "tradevalue": "175.00",
#  "transactiontype": "BUY", "fillprice": "175.00", "fillsize": "1", "orderid": "201020000000095",
#  "fillid": "50005750", "filltime": "13:27:53"}
def trade_from_upstream(row: Mapping[str, Any], book: SymbolLookup) -> Trade:
    symbol, exchange = _unified_names(book, row["exchange"], row["tradingsymbol"])
    fill_price, quantity = decimal(row.get("fillprice")), count(row.get("fillsize"))
    return Trade(
        tradeid=str(row.get("fillid") or ""),
        orderid=str(row["orderid"]),
        symbol=symbol,
        exchange=exchange,
        product=strict(PRODUCT_FROM_UPSTREAM, row["producttype"], "product"),
        action=strict(ACTION_FROM_UPSTREAM, row["transactiontype"], "action"),
        quantity=quantity,
        price=float(fill_price),
        average_price=float(fill_price),
        trade_value=float(decimal(row.get("tradevalue")) or fill_price * quantity),
        timestamp=str(row.get("filltime") or ""),
    )


# getPosition (https://smartapi.angelbroking.com/docs/Portfolio#position), one row trimmed:
# {"exchange": "NSE", "symboltoken": "2885", "producttype": "DELIVERY", "tradingsymbol": "RELIANCE-EQ",
#  "buyqty": "1", "sellqty": "0", "netqty": "1", "buyavgprice": "2235.80", "sellavgprice": "0",
#  "avgnetprice": "2235.80", "lotsize": "1", "ltp": "2240.10", "pnl": "4.30", "realised": "0", "unrealised": "4.30"}
def position_from_upstream(row: Mapping[str, Any], book: SymbolLookup) -> Position:
    symbol, exchange = _unified_names(book, row["exchange"], row["tradingsymbol"])
    quantity = count(row.get("netqty"))
    average = decimal(row.get("avgnetprice") or row.get("netprice"))
    unrealised, realised = decimal(row.get("unrealised")), decimal(row.get("realised"))
    invested = abs(average * quantity)
    return Position(
        symbol=symbol,
        exchange=exchange,
        product=strict(PRODUCT_FROM_UPSTREAM, row["producttype"], "product"),
        quantity=quantity,
        average_price=float(average),
        ltp=price(row.get("ltp")),
        pnl=price(row.get("pnl")),
        pnlpercent=percent(unrealised, invested),
        unrealized_pnl=float(unrealised),
        today_realized_pnl=float(realised),
        total_pnl_today=price(row.get("pnl")),
        lot_size=count(row.get("lotsize")) or None,
    )


# getAllHolding (https://smartapi.angelbroking.com/docs/Portfolio#allholding), trimmed:
# {"holdings": [{"tradingsymbol": "TATASTEEL-EQ", "exchange": "NSE", "t1quantity": 0, "quantity": 2,
#   "product": "DELIVERY", "averageprice": 111.87, "ltp": 130.15, "profitandloss": 37, "pnlpercentage": 16.34}],
#  "totalholding": {"totalholdingvalue": 5294, "totalinvvalue": 5116, "totalprofitandloss": 178.14, "totalpnlpercentage": 3.48}}
def holdings_from_upstream(data: Mapping[str, Any], book: SymbolLookup) -> HoldingsBook:
    holdings = []
    for row in data.get("holdings") or []:
        symbol, exchange = _unified_names(book, row["exchange"], row["tradingsymbol"])
        quantity = count(row.get("quantity"))
        average, last = decimal(row.get("averageprice")), decimal(row.get("ltp"))
        holdings.append(
            Holding(
                symbol=symbol,
                exchange=exchange,
                product=PRODUCT_FROM_UPSTREAM.get(str(row.get("product") or ""), "CNC"),
                quantity=quantity,
                average_price=float(average),
                ltp=float(last),
                current_value=float(last * quantity),
                pnl=price(row.get("profitandloss")),
                pnlpercent=price(row.get("pnlpercentage")),
            )
        )
    totals = data.get("totalholding") or {}
    return HoldingsBook(
        holdings=holdings,
        statistics=HoldingsStatistics(
            totalholdingvalue=price(totals.get("totalholdingvalue")),
            totalinvvalue=price(totals.get("totalinvvalue")),
            totalprofitandloss=price(totals.get("totalprofitandloss")),
            totalpnlpercentage=price(totals.get("totalpnlpercentage")),
        ),
    )


# getRMS (https://smartapi.angelbroking.com/docs/User#funds), trimmed (every value a string):
# {"net": "9999.00", "availablecash": "10000.00", "collateral": "0", "m2munrealized": "0", "m2mrealized": "0",
#  "utiliseddebits": "1.00", "utilisedspan": "0", "utilisedexposure": "0", "utilisedpayout": "0"}
def funds_from_upstream(data: Mapping[str, Any]) -> Funds:
    """`net` is what can still be used, so it is the unified available cash."""
    return Funds(
        availablecash=price(data.get("net")),
        collateral=price(data.get("collateral")),
        m2mrealized=price(data.get("m2mrealized")),
        m2munrealized=price(data.get("m2munrealized")),
        utiliseddebits=price(data.get("utiliseddebits")),
    )


# market/v1/quote, mode FULL (https://smartapi.angelbroking.com/docs/MarketData), one `fetched` row trimmed:
# {"exchange": "NSE", "tradingSymbol": "SBIN-EQ", "symbolToken": "3045", "ltp": 571.8, "open": 568.75,
#  "high": 573.9, "low": 567.1, "close": 566.6, "lastTradeQty": 1, "avgPrice": 570.71, "tradeVolume": 7196543,
#  "opnInterest": 0, "totBuyQuan": 1100449, "totSellQuan": 1693329,
#  "depth": {"buy": [{"price": 571.75, "quantity": 1219, "orders": 6}], "sell": [{"price": 571.8, ...}]}}
def quote_from_upstream(row: Mapping[str, Any]) -> Quote:
    depth = row.get("depth") or {}
    return Quote(
        ltp=price(row.get("ltp")),
        bid=_best(depth.get("buy")),
        ask=_best(depth.get("sell")),
        open=price(row.get("open")),
        high=price(row.get("high")),
        low=price(row.get("low")),
        prev_close=price(row.get("close")),
        volume=count(row.get("tradeVolume")),
        oi=count(row.get("opnInterest")),
    )


def _best(levels: list[Mapping[str, Any]] | None) -> float:
    return price(levels[0].get("price")) if levels else 0.0


def depth_from_upstream(row: Mapping[str, Any]) -> MarketDepth:
    depth = row.get("depth") or {}

    def levels(side: list[Mapping[str, Any]] | None) -> list[dict]:
        return five_levels(
            [{"price": price(level.get("price")), "quantity": count(level.get("quantity"))} for level in side or []]
        )

    return depth_from_quote(
        quote_from_upstream(row),
        bids=levels(depth.get("buy")),
        asks=levels(depth.get("sell")),
        ltq=count(row.get("lastTradeQty")),
        totalbuyqty=count(row.get("totBuyQuan")),
        totalsellqty=count(row.get("totSellQuan")),
    )


def quotes_by_token(data: Mapping[str, Any]) -> dict[tuple[str, str], Mapping[str, Any]]:
    """The `fetched` rows by (exchange, token); unknown tokens are in `unfetched` and so are absent."""
    return {(str(row.get("exchange")), str(row.get("symbolToken"))): row for row in data.get("fetched") or []}


# getCandleData (https://smartapi.angelbroking.com/docs/Historical):
# {"data": [["2023-09-06T11:15:00+05:30", 19571.2, 19573.35, 19534.4, 19552.05, 0], ...]}
def candle_from_upstream(row: list[Any], interval: str) -> Candle:
    """Daily candles carry their trading date at 00:00 UTC, OpenAlgo's convention; intraday ones their start."""
    stamp = datetime.fromisoformat(str(row[0]))
    if interval == "D":
        stamp = datetime(stamp.year, stamp.month, stamp.day, tzinfo=UTC)
    return Candle(
        timestamp=int(stamp.timestamp()),
        open=price(row[1]),
        high=price(row[2]),
        low=price(row[3]),
        close=price(row[4]),
        volume=count(row[5]),
        oi=count(row[6]) if len(row) > 6 else 0,
    )


# margin/v1/batch (https://smartapi.angelbroking.com/docs/MarginCalculator), trimmed:
# {"totalMarginRequired": 29612.35, "marginComponents": {"netPremium": 5060, "spanMargin": 0,
#  "marginBenefit": 79876.5, "deliveryMargin": 0, "nonNFOMargin": 0, "totOptionsPremium": 10120}}
def margin_from_upstream(data: Mapping[str, Any]) -> MarginResult:
    """Angel's components name no exposure margin, so it is what the total holds beyond SPAN."""
    total = decimal(data.get("totalMarginRequired"))
    span = decimal((data.get("marginComponents") or {}).get("spanMargin"))
    return MarginResult(
        total_margin_required=float(total),
        span_margin=float(span),
        exposure_margin=float(max(total - span, Decimal(0))),
    )


# GTT rules (https://smartapi.angelbroking.com/docs/Gtt): NSE and BSE only, DELIVERY and MARGIN only.
# A rule is one trigger and its LIMIT order; `gttType: "OCO"` adds a stoploss leg in `stoplossprice`
# and `stoplosstriggerprice` beside the target in `price` and `triggerprice` (SmartAPI forum, topic 4832).
GTT_EXCHANGES = ("NSE", "BSE")
GTT_PRODUCT_TO_UPSTREAM = {"CNC": "DELIVERY", "NRML": "MARGIN"}
GTT_PRODUCT_FROM_UPSTREAM = invert(GTT_PRODUCT_TO_UPSTREAM)
# The ruleList `status` values; a rule SENTTOEXCHANGE has fired its order.
GTT_STATUS_FROM_UPSTREAM = {
    "NEW": "active",
    "ACTIVE": "active",
    "SENTTOEXCHANGE": "triggered",
    "CANCELLED": "cancelled",
    "EXPIRED": "expired",
    "REJECTED": "rejected",
}
GTT_LIST_STATUSES = ["NEW", "CANCELLED", "ACTIVE", "SENTTOEXCHANGE", "FORALL"]
GTT_TIME_PERIOD = "365"  # days a rule waits; the most Angel allows
GTT_PAGE, GTT_MAX_PAGES = 100, 20  # ruleList pages through `count` rules at a time


def _gtt_legs(request: Any) -> dict[str, str]:
    """`price`/`triggerprice` (a SINGLE's leg, an OCO's target) and, for an OCO, its stoploss leg."""
    legs = request_legs(request)
    if len(legs) == 1:
        ((trigger, limit),) = legs
        return {"price": _money(limit), "triggerprice": _money(trigger)}
    (stop, stop_limit), (target, target_limit) = legs
    return {"gttType": "OCO", "price": _money(target_limit), "triggerprice": _money(target),
            "stoplossprice": _money(stop_limit), "stoplosstriggerprice": _money(stop)}  # fmt: skip


def to_upstream_gtt_rule(request: Any, instrument: Instrument) -> dict[str, str]:
    """The body of createRule, from a normalized GTT request."""
    return {
        **instrument_fields(instrument),
        "transactiontype": strict(ACTION_TO_UPSTREAM, request.action.upper(), "action"),
        "producttype": strict(GTT_PRODUCT_TO_UPSTREAM, request.product, "GTT product"),
        "qty": str(int(request.quantity)),
        "disclosedqty": "0",
        "timeperiod": GTT_TIME_PERIOD,
        **_gtt_legs(request),
    }


def to_upstream_gtt_modification(request: Any, instrument: Instrument) -> dict[str, str]:
    """The body of modifyRule: the rule's id, instrument and every price again (side and product stay)."""
    return {
        "id": request.trigger_id,
        "symboltoken": instrument.token,
        "exchange": instrument.brexchange,
        "qty": str(int(request.quantity)),
        "disclosedqty": "0",
        "timeperiod": GTT_TIME_PERIOD,
        **_gtt_legs(request),
    }


def gtt_rows(data: Any) -> list[Mapping[str, Any]]:
    """ruleList's `data`: a list of rules (null when there are none)."""
    if data is None:
        return []
    if not isinstance(data, list):
        raise BrokerBadResponse("angel answered ruleList with data that is not a list", broker=BROKER)
    return data


# ruleList, one row trimmed: {"id": "1", "status": "NEW", "createddate": "2020-11-16T14:19:51Z",
#  "tradingsymbol": "SBIN-EQ", "symboltoken": "3045", "exchange": "NSE", "transactiontype": "BUY",
#  "producttype": "DELIVERY", "price": "195", "qty": "1", "triggerprice": "196", "disclosedqty": "10"}
def gtt_from_upstream(row: Mapping[str, Any], book: SymbolLookup) -> GttEntry:
    symbol, exchange = _unified_names(book, row.get("exchange", ""), row.get("tradingsymbol", ""))

    def leg(limit: Any) -> GttLeg:
        return GttLeg(action=strict(ACTION_FROM_UPSTREAM, row["transactiontype"], "action"), quantity=count(row.get("qty")),
                      price=price(limit), pricetype="LIMIT",
                      product=strict(GTT_PRODUCT_FROM_UPSTREAM, row["producttype"], "GTT product"))  # fmt: skip

    legs = [(price(row.get("triggerprice")), leg(row.get("price")))]
    if str(row.get("gttType") or "").upper() == "OCO":
        legs.append((price(row.get("stoplosstriggerprice")), leg(row.get("stoplossprice"))))
    return gtt_entry(
        legs=legs,
        trigger_id=str(row["id"]),
        status=strict(GTT_STATUS_FROM_UPSTREAM, str(row["status"]).upper(), "GTT status"),
        symbol=symbol,
        exchange=exchange,
        created_at=row.get("createddate"),
        updated_at=row.get("updateddate"),
        expires_at=row.get("expirydate"),
    )
