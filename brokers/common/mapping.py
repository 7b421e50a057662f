"""The broker-neutral parts of the plugins' `mapping.py`: strict table look-ups, numbers, and the
unified books built from rows already mapped.

What a broker calls things (its tables, field names, envelopes) stays in its own `mapping.py`; what
is left here is the arithmetic and bookkeeping every broker's answers go through the same way.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any, NamedTuple, TypeVar

from generated.api import (
    HistoryRequest,
    Holding,
    HoldingsBook,
    HoldingsStatistics,
    MarketDepth,
    Order,
    OrderBook,
    OrderDetail,
    OrderStatistics,
    Quote,
)
from generated.errors import BrokerBadResponse, NotSupported, OrderNotFound, ValidationFailed

K = TypeVar("K")
V = TypeVar("V")

# A depth side in the unified answers always has five levels.
DEPTH_LEVELS = 5


def strict(table: Mapping[K, V], value: Any, what: str, broker: str) -> V:
    """Look `value` up in a table that drives state; an unknown value is the broker's mistake, not ours."""
    try:
        return table[value]
    except (KeyError, TypeError):
        raise BrokerBadResponse(
            f"unknown {what} from {broker}: {value!r} was not in the {what} table", broker=broker
        ) from None


def invert(table: Mapping[K, V]) -> dict[V, K]:
    """The table the other way round (upstream -> unified for a unified -> upstream one)."""
    return {upstream: unified for unified, upstream in table.items()}


def price(value: Any) -> float:
    """A price as the unified models carry it, read through Decimal so 109.35 stays 109.35."""
    return float(Decimal(str(value or 0)))


def total(rows: Iterable[Mapping[str, Any]], field: str) -> float:
    """`field` added up over `rows` through Decimal; a missing or null value counts as 0."""
    return float(sum((Decimal(str(row.get(field) or 0)) for row in rows), Decimal(0)))


def percent(part: Decimal, whole: Decimal) -> float:
    """`part` as a percentage of `whole`, to two places; 0.0 when `whole` is 0."""
    return float(round(part * 100 / whole, 2)) if whole else 0.0


def five_levels(levels: list[dict]) -> list[dict]:
    """A depth side cut or padded with empty levels to the five the unified depth carries."""
    return (levels + [{"price": 0.0, "quantity": 0}] * DEPTH_LEVELS)[:DEPTH_LEVELS]


def depth_from_quote(quote: Quote, **book: Any) -> MarketDepth:
    """A depth answer: what it shares with `quote` (last price, OHLC, volume, OI) and the `book` (bids, asks,
    ltq and the total quantities), so a broker's quote and depth of one row never disagree."""
    return MarketDepth(**quote.model_dump(include=MarketDepth.model_fields.keys() & Quote.model_fields.keys()), **book)


def order_book(orders: list[Order]) -> OrderBook:
    """The unified order book: the orders and their counts by side and status."""
    statuses = [order.order_status for order in orders]
    return OrderBook(
        orders=orders,
        statistics=OrderStatistics(
            total_buy_orders=sum(order.action == "BUY" for order in orders),
            total_sell_orders=sum(order.action == "SELL" for order in orders),
            total_completed_orders=statuses.count("complete"),
            total_open_orders=statuses.count("open"),
            total_rejected_orders=statuses.count("rejected"),
            total_trigger_pending_orders=statuses.count("trigger pending"),
        ),
    )


class HeldShares(NamedTuple):
    """One holding as a broker reports it, already in unified names."""

    symbol: str
    exchange: str
    product: str
    quantity: int
    average: Decimal  # the average cost of one share
    last: Decimal  # the last traded price


def holdings_book(held: Iterable[HeldShares]) -> HoldingsBook:
    """The unified holdings book, each holding's value and P&L and the book's totals worked out in Decimal."""
    holdings = []
    total_value = total_cost = Decimal(0)
    for item in held:
        cost, value = item.average * item.quantity, item.last * item.quantity
        total_cost += cost
        total_value += value
        holdings.append(
            Holding(
                symbol=item.symbol,
                exchange=item.exchange,
                product=item.product,
                quantity=item.quantity,
                average_price=float(item.average),
                ltp=float(item.last),
                current_value=float(value),
                pnl=float(value - cost),
                pnlpercent=percent(value - cost, cost),
            )
        )
    return HoldingsBook(
        holdings=holdings,
        statistics=HoldingsStatistics(
            totalholdingvalue=float(total_value),
            totalinvvalue=float(total_cost),
            totalprofitandloss=float(total_value - total_cost),
            totalpnlpercentage=percent(total_value - total_cost, total_cost),
        ),
    )


def find_order(book: OrderBook, order_id: str, **context: Any) -> Order:
    """The order `order_id` of `book`; OrderNotFound, carrying `context` (such as `broker=`), when it is not there."""
    found = next((order for order in book.orders if order.orderid == order_id), None)
    if found is None:
        raise OrderNotFound(f"Order {order_id} not found", order_id=order_id, **context)
    return found


def order_detail(order: Order) -> OrderDetail:
    """The order-status answer for one order: its book fields, with `pricetype` also as `price_type`."""
    return OrderDetail.model_validate(order.model_dump() | {"price_type": order.pricetype})


def check_history(
    request: HistoryRequest,
    intervals: Mapping[str, Any],
    broker: str,
    /,
    max_days: Mapping[str, int] | None = None,
    **context: Any,
) -> None:
    """Refuse a history request for an interval `broker` lacks (NotSupported, naming the `intervals` it offers),
    with its dates the wrong way round, or spanning more days than `broker` serves in one call for that
    interval (`max_days`; ValidationFailed); the errors carry `context` (such as `broker=`)."""
    if request.interval not in intervals:
        offered = ", ".join(intervals)
        raise NotSupported(
            f"{broker} has no {request.interval} candles; it offers {offered}", field="interval", **context
        )
    if request.start_date > request.end_date:
        raise ValidationFailed("start_date is after end_date", field="start_date", **context)
    # Without this a start_date centuries back reached the broker as one request for every minute since.
    limit = (max_days or {}).get(request.interval)
    if limit is not None and (request.end_date - request.start_date).days >= limit:
        raise ValidationFailed(
            f"{broker} serves at most {limit} days of {request.interval} candles per request; "
            f"ask for {request.start_date} to {request.end_date} in parts, or download them to the history store",
            field="start_date",
            **context,
        )
