"""Executing orders: activating a new or modified order, filling it into its position, finishing it,
and sweeping the resting orders a quote crosses.

Every transition claims the order with a conditional UPDATE (`WHERE status IN ('open', 'trigger
pending')`) and goes on only if exactly one row changed, so no path can fill or cancel an order twice;
the unique order id in `sandbox_trades` backs that up in the schema.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from sandbox.engine.config import SandboxConfig
from sandbox.engine.ledger import position_reference
from sandbox.engine.margin import position_margin, underlying_price
from sandbox.engine.market_view import MarketView
from sandbox.engine.matching import RestingIndex, is_triggered, is_usable, marketable_price, touch
from sandbox.engine.models import Action, OrderStatus, PriceType, Product, to_decimal
from sandbox.engine.positions import net_fill
from sandbox.engine.rows import CLAIM_ORDER, ORDERS_BY_ID, OrderRow
from sandbox.engine.transaction import OrderIds, Transaction
from sandbox.market.types import Instrument, Quote

_ZERO = Decimal(0)
# Enough ids per SELECT to keep a tick's query count low, few enough for any database's parameter limit.
_IDS_PER_SELECT = 500


@dataclass
class Venue:
    """The engine's long-lived parts, shared by every transaction on the worker thread."""

    market: MarketView
    config: SandboxConfig
    resting: RestingIndex = field(default_factory=RestingIndex)
    order_ids: OrderIds = field(default_factory=OrderIds)

    def usable_quote(self, exchange: str, symbol: str) -> Quote | None:
        quote = self.market.quote(exchange, symbol)
        return quote if is_usable(quote) else None


def signed_quantity(action: str, quantity: int) -> int:
    return quantity if action == Action.BUY.value else -quantity


def claim(txn: Transaction, order: OrderRow, values: dict) -> bool:
    """Move a resting order on atomically; False if some other path already moved it."""
    values["updated_at"] = txn.stored_now
    result = txn.connection.execute(CLAIM_ORDER, {**values, "claimed_order_id": order.order_id})
    if result.rowcount != 1:
        return False
    for name, value in values.items():
        setattr(order, name, value)
    return True


def finish(
    txn: Transaction, venue: Venue, order: OrderRow, status: OrderStatus, reason: str = ""
) -> bool:
    """Cancel or reject a resting order and release its reservation exactly once."""
    released = order.margin_blocked
    values = {"status": status.value, "margin_blocked": _ZERO}
    if reason:
        values["rejection_reason"] = reason
    if not claim(txn, order, values):
        return False
    txn.ledger.move(order.user_id, status.value, order.order_id, margin_change=-released)
    venue.resting.remove(order.order_id)
    txn.record(order)
    return True


def fill(txn: Transaction, venue: Venue, order: OrderRow, instrument: Instrument, price: Decimal) -> bool:
    """Fill the whole order at `price`: trade, position, realized P&L and margin, in one step."""
    user_id = order.user_id
    position = txn.position(user_id, order.exchange, order.symbol, order.product)
    held, average, held_margin = (
        (position.quantity, position.average_price, position.margin_blocked)
        if position is not None
        else (0, _ZERO, _ZERO)
    )
    netted = net_fill(held, average, signed_quantity(order.action, order.quantity), price)
    required = position_margin(
        instrument,
        Product(order.product),
        netted.quantity,
        netted.average_price,
        venue.config,
        underlying_price(instrument, venue.market) if netted.quantity < 0 else None,
    )
    growth = required - held_margin
    # Resting orders reserved against the position as it was when they arrived; if another fill has
    # changed it since, the difference must still be affordable, as a broker's RMS would insist.
    if growth - order.margin_blocked > txn.ledger.available(user_id):
        return finish(txn, venue, order, OrderStatus.REJECTED, "Insufficient funds at execution")
    released = order.margin_blocked
    claimed = claim(
        txn,
        order,
        {
            "status": OrderStatus.COMPLETE.value,
            "average_price": price,
            "filled_quantity": order.quantity,
            "margin_blocked": _ZERO,
        },
    )
    if not claimed:
        return False
    txn.ledger.move(user_id, "release", order.order_id, margin_change=-released)
    reference = position_reference(order.exchange, order.symbol, order.product)
    txn.ledger.move(user_id, "position", reference, margin_change=growth, realized_change=netted.realized)
    if position is None:
        position = txn.position_for_update(user_id, order.exchange, order.symbol, order.product)
    position.quantity = netted.quantity
    position.average_price = netted.average_price
    position.margin_blocked = required
    position.realized_pnl += netted.realized
    position.trade_date = txn.day
    position.updated_at = txn.stored_now
    position.changed = True
    txn.add_trade(
        {
            "trade_id": f"TRADE-{order.order_id}",  # one trade per order, so the order id makes it unique
            "order_id": order.order_id,
            "user_id": user_id,
            "strategy": order.strategy,
            "exchange": order.exchange,
            "symbol": order.symbol,
            "action": order.action,
            "quantity": order.quantity,
            "price": price,
            "product": order.product,
            "created_at": txn.stored_now,
        }
    )
    venue.resting.remove(order.order_id)
    txn.record(order)
    return True


def activate(
    txn: Transaction, venue: Venue, order: OrderRow, instrument: Instrument, quote: Quote | None
) -> None:
    """Fill a just-placed or just-modified order if the market allows, else rest it in the index."""
    action = Action(order.action)
    if order.status == OrderStatus.TRIGGER_PENDING.value:
        if quote is None or not is_triggered(action, order.trigger_price, to_decimal(quote.ltp)):
            venue.resting.add_stop(order.order_id, order.exchange, order.symbol, action, order.trigger_price)
            return
        _on_trigger(txn, venue, order, instrument, quote)
        return
    price = None
    if quote is not None:
        price = marketable_price(PriceType(order.price_type), action, order.price, quote)
    if price is not None:
        fill(txn, venue, order, instrument, price)
    else:
        venue.resting.add_limit(order.order_id, order.exchange, order.symbol, action, order.price)


def _on_trigger(
    txn: Transaction, venue: Venue, order: OrderRow, instrument: Instrument, quote: Quote
) -> None:
    action = Action(order.action)
    if order.price_type == PriceType.STOP_MARKET.value:
        fill(txn, venue, order, instrument, touch(quote, action))
        return
    price = marketable_price(PriceType.LIMIT, action, order.price, quote)
    if price is not None:
        fill(txn, venue, order, instrument, price)
        return
    # A triggered SL becomes a LIMIT order at its price and rests until the market reaches it.
    if claim(txn, order, {"status": OrderStatus.OPEN.value}):
        venue.resting.add_limit(order.order_id, order.exchange, order.symbol, action, order.price)
        txn.record(order)


def sweep(txn: Transaction, venue: Venue, quote: Quote) -> None:
    """Fill or trigger every resting order this quote reaches."""
    crossings = venue.resting.crossings(quote)
    order_ids = crossings.limits + crossings.stops
    if not order_ids:
        return
    instrument = venue.market.master.get(quote.exchange, quote.symbol)
    if instrument is None:
        return  # delisted while resting; the orders stay visible until the user cancels them
    by_id = {}
    for start in range(0, len(order_ids), _IDS_PER_SELECT):
        chunk = order_ids[start : start + _IDS_PER_SELECT]
        for row in txn.connection.execute(ORDERS_BY_ID, {"order_ids": chunk}):
            by_id[row[0]] = OrderRow(*row)
    for order_id in crossings.limits:
        order = by_id.get(order_id)
        if order is None or order.status != OrderStatus.OPEN.value:
            venue.resting.remove(order_id)
            continue
        fill(txn, venue, order, instrument, order.price)
    for order_id in crossings.stops:
        order = by_id.get(order_id)
        if order is None or order.status != OrderStatus.TRIGGER_PENDING.value:
            venue.resting.remove(order_id)
            continue
        _on_trigger(txn, venue, order, instrument, quote)
