"""Two-way tables between unified order fields and Noren's, and the parsers of Noren's answers.

Field names and codes from NorenWClient's documentation (https://shoonya.com/api-documentation):
`prctyp` LMT/MKT/SL-LMT/SL-MKT, `prd` C/M/I, `trantype` B/S, `exch` NSE/NFO/BSE/BFO/CDS/MCX, `ret` DAY.
Noren sends every number as a string ("571.80"), so every number is read through `price`/`count`.
Values that drive state (status, side, product, price type) are strict; the rest are lenient.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from functools import partial
from typing import Any

from brokers.common import mapping as common
from brokers.common.mapping import HeldShares, depth_from_quote, five_levels, invert, order_book
from brokers.common.symbols import SymbolBook
from brokers.families.noren.auth import IST
from generated.api import (
    Candle,
    Funds,
    InstrumentRecord,
    MarketDepth,
    ModifyOrderRequest,
    Order,
    OrderBook,
    PlaceOrderRequest,
    Position,
    Quote,
    Trade,
)
from generated.errors import BrokerBadResponse

PRODUCT_TO_UPSTREAM = {"CNC": "C", "NRML": "M", "MIS": "I"}
PRODUCT_FROM_UPSTREAM = invert(PRODUCT_TO_UPSTREAM)
PRICE_TYPE_TO_UPSTREAM = {"MARKET": "MKT", "LIMIT": "LMT", "SL": "SL-LMT", "SL-M": "SL-MKT"}
PRICE_TYPE_FROM_UPSTREAM = invert(PRICE_TYPE_TO_UPSTREAM)
ACTION_TO_UPSTREAM = {"BUY": "B", "SELL": "S"}
ACTION_FROM_UPSTREAM = invert(ACTION_TO_UPSTREAM)
# Order `status` values; PENDING is an order on its way to the exchange, which can still fill or be cancelled.
STATUS_FROM_UPSTREAM = {
    "OPEN": "open",
    "PENDING": "open",
    "COMPLETE": "complete",
    "CANCELED": "cancelled",
    "REJECTED": "rejected",
    "TRIGGER_PENDING": "trigger pending",
}
# TPSeries `intrv` (minutes); daily candles come from EODChartData instead.
INTERVAL_TO_UPSTREAM = {"1m": "1", "3m": "3", "5m": "5", "10m": "10", "15m": "15", "30m": "30", "1h": "60", "D": "D"}
INTERVAL_GROUPS = {"seconds": [], "minutes": ["1m", "3m", "5m", "10m", "15m", "30m"], "hours": ["1h"],
                   "days": ["D"], "weeks": [], "months": []}  # fmt: skip
DEPTH = range(1, 6)


def decimal(value: Any) -> Decimal:
    try:
        return Decimal(str(value or 0))
    except InvalidOperation:
        return Decimal(0)


def price(value: Any) -> float:
    return float(decimal(value))


def count(value: Any) -> int:
    return int(decimal(value))


def _text(value: Any) -> str:
    return format(Decimal(str(value or 0)).normalize(), "f")


def unified_names(book: SymbolBook, broker: str, exchange: str, tsym: str) -> tuple[str, str]:
    row = book.from_upstream(exchange, tsym)
    if row is None:
        raise BrokerBadResponse(
            f"{broker} answered a row for {exchange}:{tsym}, which its symbol files lack", broker=broker
        )
    return row.symbol, row.exchange


# PlaceOrder jData: {"uid", "actid", "exch": "NSE", "tsym": "SBIN-EQ", "qty": "1", "prc": "500", "trgprc": "0",
#  "dscqty": "0", "prd": "C", "trantype": "B", "prctyp": "LMT", "ret": "DAY", "remarks": "", "ordersource": "API"}
def to_upstream_order(request: PlaceOrderRequest, instrument: InstrumentRecord, actid: str) -> dict[str, str]:
    return {
        "actid": actid,
        "exch": instrument.brexchange,
        "tsym": instrument.brsymbol,
        "qty": str(int(request.quantity)),
        "prc": _text(request.price if request.pricetype in ("LIMIT", "SL") else 0),
        "trgprc": _text(request.trigger_price if request.pricetype in ("SL", "SL-M") else 0),
        "dscqty": str(int(request.disclosed_quantity or 0)),
        "prd": PRODUCT_TO_UPSTREAM[request.product],
        "trantype": ACTION_TO_UPSTREAM[request.action],
        "prctyp": PRICE_TYPE_TO_UPSTREAM[request.pricetype],
        "ret": "DAY",
        "remarks": (request.strategy or "")[:40],
        "ordersource": "API",
    }


# ModifyOrder jData: {"uid", "exch", "norenordno", "prctyp", "prc", "qty", "tsym", "ret", "trgprc"}
def to_upstream_modification(request: ModifyOrderRequest, instrument: InstrumentRecord) -> dict[str, str]:
    return {
        "exch": instrument.brexchange,
        "norenordno": request.orderid,
        "tsym": instrument.brsymbol,
        "qty": str(int(request.quantity)),
        "prctyp": PRICE_TYPE_TO_UPSTREAM[request.pricetype],
        "prc": _text(request.price if request.pricetype in ("LIMIT", "SL") else 0),
        "trgprc": _text(request.trigger_price if request.pricetype in ("SL", "SL-M") else 0),
        "ret": "DAY",
    }


def order_from_upstream(row: Mapping[str, Any], book: SymbolBook, broker: str) -> Order:
    """OrderBook row: {"norenordno", "exch", "tsym", "qty", "prc", "trgprc", "prd", "trantype", "prctyp",
    "status", "avgprc", "fillshares", "rejreason", "remarks", "norentm"}."""
    strict = partial(common.strict, broker=broker)
    symbol, exchange = unified_names(book, broker, row.get("exch", ""), row.get("tsym", ""))
    status = strict(STATUS_FROM_UPSTREAM, str(row.get("status") or "").upper(), "order status")
    quantity, filled = count(row.get("qty")), count(row.get("fillshares"))
    return Order(
        orderid=str(row["norenordno"]),
        symbol=symbol,
        exchange=exchange,
        action=strict(ACTION_FROM_UPSTREAM, row.get("trantype"), "action"),
        quantity=quantity,
        price=price(row.get("prc")),
        trigger_price=price(row.get("trgprc")),
        pricetype=strict(PRICE_TYPE_FROM_UPSTREAM, row.get("prctyp"), "price type"),
        product=strict(PRODUCT_FROM_UPSTREAM, row.get("prd"), "product"),
        order_status=status,
        average_price=price(row.get("avgprc")),
        filled_quantity=filled,
        pending_quantity=quantity - filled if status in ("open", "trigger pending") else 0,
        rejection_reason=str(row.get("rejreason") or "") if status == "rejected" else "",
        strategy=str(row.get("remarks") or ""),
        timestamp=str(row.get("norentm") or ""),
    )


def order_book_from_upstream(rows: list[Mapping[str, Any]], book: SymbolBook, broker: str) -> OrderBook:
    return order_book([order_from_upstream(row, book, broker) for row in rows])


def trade_from_upstream(row: Mapping[str, Any], book: SymbolBook, broker: str) -> Trade:
    """TradeBook row: {"norenordno", "exch", "tsym", "prd", "trantype", "flqty", "flprc", "fltm", "flid"}."""
    strict = partial(common.strict, broker=broker)
    symbol, exchange = unified_names(book, broker, row.get("exch", ""), row.get("tsym", ""))
    fill_price, quantity = decimal(row.get("flprc")), count(row.get("flqty"))
    return Trade(
        tradeid=str(row.get("flid") or ""),
        orderid=str(row["norenordno"]),
        symbol=symbol,
        exchange=exchange,
        product=strict(PRODUCT_FROM_UPSTREAM, row.get("prd"), "product"),
        action=strict(ACTION_FROM_UPSTREAM, row.get("trantype"), "action"),
        quantity=quantity,
        price=float(fill_price),
        average_price=float(fill_price),
        trade_value=float(fill_price * quantity),
        timestamp=str(row.get("fltm") or ""),
    )


def position_from_upstream(row: Mapping[str, Any], book: SymbolBook, broker: str) -> Position:
    """PositionBook row: {"exch", "tsym", "token", "prd", "netqty", "netavgprc", "lp", "rpnl", "urmtom", "ls"}."""
    symbol, exchange = unified_names(book, broker, row.get("exch", ""), row.get("tsym", ""))
    quantity, average = count(row.get("netqty")), decimal(row.get("netavgprc"))
    unrealised, realised = decimal(row.get("urmtom")), decimal(row.get("rpnl"))
    return Position(
        symbol=symbol,
        exchange=exchange,
        product=common.strict(PRODUCT_FROM_UPSTREAM, row.get("prd"), "product", broker),
        quantity=quantity,
        average_price=float(average),
        ltp=price(row.get("lp")),
        pnl=float(unrealised + realised),
        pnlpercent=common.percent(unrealised, abs(average * quantity)),
        unrealized_pnl=float(unrealised),
        today_realized_pnl=float(realised),
        total_pnl_today=float(unrealised + realised),
        lot_size=count(row.get("ls")) or None,
    )


def held_from_upstream(row: Mapping[str, Any], book: SymbolBook, last: Decimal) -> HeldShares | None:
    """Holdings row: {"exch_tsym": [{"exch": "NSE", "tsym": "SBIN-EQ", "token": "3045"}], "holdqty": "5",
    "npoadqty": "0", "upldprc": "512.30"}; None when no listing of it is in the symbol files."""
    for listing in row.get("exch_tsym") or []:
        record = book.from_upstream(listing.get("exch", ""), listing.get("tsym", ""))
        if record is not None:
            quantity = count(row.get("holdqty")) + count(row.get("npoadqty"))
            return HeldShares(record.symbol, record.exchange, "CNC", quantity, decimal(row.get("upldprc")), last)
    return None


def holding_listing(row: Mapping[str, Any]) -> tuple[str, str]:
    """The (exch, token) of a holding's first listing, to ask its last price for."""
    listing = (row.get("exch_tsym") or [{}])[0]
    return str(listing.get("exch") or ""), str(listing.get("token") or "")


def funds_from_upstream(data: Mapping[str, Any]) -> Funds:
    """Limits: {"cash": "10000.00", "payin": "0", "marginused": "120.50", "brkcollamt": "0", "urmtom", "rpnl"}."""
    available = decimal(data.get("cash")) + decimal(data.get("payin")) - decimal(data.get("marginused"))
    return Funds(
        availablecash=float(available),
        collateral=price(data.get("brkcollamt")),
        m2mrealized=price(data.get("rpnl")),
        m2munrealized=price(data.get("urmtom")),
        utiliseddebits=price(data.get("marginused")),
    )


def quote_from_upstream(row: Mapping[str, Any]) -> Quote:
    """GetQuotes: {"exch", "tsym", "token", "lp", "o", "h", "l", "c", "v", "oi", "ap", "ltq", "tbq", "tsq",
    "bp1".."bp5", "bq1".."bq5", "sp1".."sp5", "sq1".."sq5"}."""
    return Quote(
        ltp=price(row.get("lp")), bid=price(row.get("bp1")), ask=price(row.get("sp1")), open=price(row.get("o")),
        high=price(row.get("h")), low=price(row.get("l")), prev_close=price(row.get("c")), volume=count(row.get("v")),
        oi=count(row.get("oi")),
    )  # fmt: skip


def depth_from_upstream(row: Mapping[str, Any]) -> MarketDepth:
    def side(price_key: str, quantity_key: str) -> list[dict]:
        levels = [
            {"price": price(row.get(f"{price_key}{n}")), "quantity": count(row.get(f"{quantity_key}{n}"))}
            for n in DEPTH
        ]
        return five_levels([level for level in levels if level["price"] or level["quantity"]])

    return depth_from_quote(
        quote_from_upstream(row), bids=side("bp", "bq"), asks=side("sp", "sq"), ltq=count(row.get("ltq")),
        totalbuyqty=count(row.get("tbq")), totalsellqty=count(row.get("tsq")),
    )  # fmt: skip


def candle_from_upstream(row: Mapping[str, Any] | str, interval: str) -> Candle:
    """TPSeries {"time": "04-12-2026 09:15:00", "ssboe": "1733283900", "into", "inth", "intl", "intc", "intv", "intoi"};
    EODChartData rows are the same fields as JSON text, with "time": "04-DEC-2026"."""
    data = json.loads(row) if isinstance(row, str) else row
    if interval == "D":
        day = datetime.strptime(str(data["time"]).strip().upper()[:11], "%d-%b-%Y").date()
        stamp = int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp())
    else:
        stamp = count(data.get("ssboe")) or int(
            datetime.strptime(data["time"], "%d-%m-%Y %H:%M:%S").replace(tzinfo=IST).timestamp()
        )
    return Candle(
        timestamp=stamp, open=price(data.get("into")), high=price(data.get("inth")), low=price(data.get("intl")),
        close=price(data.get("intc")), volume=count(data.get("intv")), oi=count(data.get("intoi") or data.get("oi")),
    )  # fmt: skip
