"""The order and trade books written row by row, straight to the JSON of the REST answer's `data`.

A book holds every order (or fill) of the day and is read again and again, so building a view, a
wire dict, an API model and its dump per row only to print them made the largest answer, and the
allocator's high-water mark with it, grow by about 4.6 KB per order placed. These writers read the
rows as the database hands them over and keep only the finished text of each: the same bytes
`json.dumps` gives for the dump of `OrderBook` (or the list of `Trade`), field order, `exclude_none`
and number formats included; `tests/unit/sandbox/engine/test_bookjson.py` holds them to that.
"""

from __future__ import annotations

from collections.abc import Iterable
from io import BytesIO
from json.encoder import encode_basestring_ascii as _text  # what json.dumps uses (ensure_ascii)

from sandbox.engine.models import RESTING_STATUSES, OrderStatus
from sandbox.engine.rows import OrderRow
from sandbox.engine.timekeeping import wire_timestamp
from sandbox.engine.wire import money_number, price_number

# The fields of generated.api.Order, in its order (the model's, not the wire dict's).
_ORDER = (
    '{"orderid": %s, "symbol": %s, "exchange": %s, "action": %s, "quantity": %r, "price": %r, '
    '"trigger_price": %r, "pricetype": %s, "product": %s, "order_status": %s, "average_price": %r, '
    '"filled_quantity": %r, "pending_quantity": %r%s%s, "timestamp": %s}'
)
_STATISTICS = (
    '"statistics": {"total_buy_orders": %d, "total_sell_orders": %d, "total_completed_orders": %d, '
    '"total_open_orders": %d, "total_rejected_orders": %d, "total_trigger_pending_orders": %d}}'
)
# The fields of generated.api.Trade, in its order.
_TRADE = (
    '{"tradeid": %s, "orderid": %s, "symbol": %s, "exchange": %s, "product": %s, "action": %s, '
    '"quantity": %r, "price": %r, "average_price": %r, "trade_value": %r%s, "timestamp": %s}'
)


def _start(head: bytes) -> BytesIO:
    # One growing buffer whose bytes getvalue() hands over without a copy: the answer is held once, where
    # a list of parts joined at the end held it twice. The envelope goes in too, for the same reason.
    out = BytesIO()
    out.write(head)
    return out


def _optional(name: str, value: str | None) -> str:
    return "" if value is None else f', "{name}": {_text(value)}'  # model_dump(exclude_none=True) drops it


def orderbook_json(rows: Iterable[tuple], around: tuple[bytes, bytes] = (b"", b"")) -> bytes:
    """`{"orders": [...], "statistics": {...}}` from rows of `ORDERS_OF_SESSION`, between `around`'s two texts."""
    out, separator = _start(around[0] + b'{"orders": ['), b""
    counts = dict.fromkeys([*OrderStatus, "BUY", "SELL"], 0)  # an unknown status fails, as the model did
    for row in rows:
        order = OrderRow(*row)  # one at a time: only the text of each row is kept
        counts[order.status] += 1
        if order.action in ("BUY", "SELL"):
            counts[order.action] += 1
        text = _ORDER % (
            _text(order.order_id),
            _text(order.symbol),
            _text(order.exchange),
            _text(order.action),
            order.quantity,
            price_number(order.price),
            price_number(order.trigger_price),
            _text(order.price_type),
            _text(order.product),
            _text(order.status),
            price_number(order.average_price),
            order.filled_quantity,
            order.quantity - order.filled_quantity if order.status in RESTING_STATUSES else 0,
            _optional("rejection_reason", order.rejection_reason),
            _optional("strategy", order.strategy),
            _text(wire_timestamp(order.updated_at)),
        )
        out.write(separator + text.encode())
        separator = b", "
    statistics = _STATISTICS % (
        counts["BUY"],
        counts["SELL"],
        counts[OrderStatus.COMPLETE],
        counts[OrderStatus.OPEN],
        counts[OrderStatus.REJECTED],
        counts[OrderStatus.TRIGGER_PENDING],
    )
    out.write(("], " + statistics).encode() + around[1])
    return out.getvalue()


def tradebook_json(rows: Iterable[tuple], around: tuple[bytes, bytes] = (b"", b"")) -> bytes:
    """`[...]`, one object per fill, from rows of `TRADES_OF_SESSION`, between `around`'s two texts."""
    out, separator = _start(around[0] + b"["), b""
    for trade_id, order_id, strategy, exchange, symbol, action, quantity, price, product, created_at in rows:
        text = _TRADE % (
            _text(trade_id),
            _text(order_id),
            _text(symbol),
            _text(exchange),
            _text(product),
            _text(action),
            quantity,
            price_number(price),
            price_number(price),
            money_number(price * quantity),
            _optional("strategy", strategy),
            _text(wire_timestamp(created_at)),
        )
        out.write(separator + text.encode())
        separator = b", "
    out.write(b"]" + around[1])
    return out.getvalue()
