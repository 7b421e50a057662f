"""Placing, modifying and cancelling orders, smart orders and closing positions, inside a transaction.

A business refusal (product rules, lot size, MIS window, CNC cover, funds, no price) is stored as a
`rejected` order and returned beside it, so the caller can commit the record before reporting the error.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from generated.errors import (
    BrokergateError,
    InsufficientFunds,
    OrderNotFound,
    OrderNotModifiable,
    OrderRejected,
)
from sandbox.engine.execution import Venue, activate, claim, finish, signed_quantity
from sandbox.engine.margin import order_margin, underlying_price
from sandbox.engine.matching import is_usable, touch
from sandbox.engine.models import (
    RESTING_STATUSES,
    Action,
    ModifyRequest,
    OrderRequest,
    OrderStatus,
    PriceType,
    Product,
    SmartOrderRequest,
    SmartOrderResult,
)
from sandbox.engine.rows import (
    ORDER_OF_USER,
    PENDING_CNC_SELLS,
    PENDING_CNC_SELLS_BESIDES,
    RESTING_ORDERS_OF_USER,
    OrderRow,
)
from sandbox.engine.rules import (
    cnc_sell_rejection,
    holiday_rejection,
    mis_window_rejection,
    normalised_prices,
    product_rejection,
    tradable_instrument,
)
from sandbox.engine.transaction import Transaction
from sandbox.market.types import Instrument, Quote

_STOP_TYPES = (PriceType.STOP_LIMIT, PriceType.STOP_MARKET)


@dataclass(frozen=True, slots=True)
class Placement:
    order: OrderRow
    rejection: BrokergateError | None = None


def place(
    txn: Transaction,
    venue: Venue,
    user_id: int,
    request: OrderRequest,
    *,
    gtt_id: str | None = None,
    quote: Quote | None = None,
) -> Placement:
    """Validate, reserve and place an order, filling it at once if the market allows.

    `quote` is the tick being processed when a GTT fires, so its child meets the same market.
    """
    instrument = tradable_instrument(
        request.exchange, request.symbol, venue.market.master.get(request.exchange, request.symbol)
    )
    price, trigger = normalised_prices(
        request.price_type, request.action, request.price, request.trigger_price
    )
    now = txn.stored_now
    order = OrderRow(
        venue.order_ids.next(txn.connection, txn.day),
        user_id,
        request.strategy,
        request.exchange,
        request.symbol,
        request.action.value,
        request.quantity,
        price,
        trigger,
        request.price_type.value,
        request.product.value,
        OrderStatus.OPEN.value,
        gtt_id=gtt_id,
        created_at=now,
        updated_at=now,
    )
    if not is_usable(quote):
        quote = venue.usable_quote(request.exchange, request.symbol)
    reason = _refusal(txn, venue, order, instrument, quote)
    if reason is not None:
        return _reject(txn, order, OrderRejected(reason, reason=reason, order_id=order.order_id))
    margin = _margin(txn, venue, order, instrument, quote)
    available = txn.ledger.available(user_id)
    if margin > available:
        message = f"Insufficient funds. Required margin: {margin:.2f}, available: {available:.2f}"
        return _reject(txn, order, InsufficientFunds(message, reason=message, order_id=order.order_id))
    if request.price_type in _STOP_TYPES:
        order.status = OrderStatus.TRIGGER_PENDING.value
    order.margin_blocked = margin
    txn.insert_order(order)
    txn.ledger.move(user_id, "block", order.order_id, margin_change=margin)
    txn.record(order)
    activate(txn, venue, order, instrument, quote)
    return Placement(order)


def _reject(txn: Transaction, order: OrderRow, error: BrokergateError) -> Placement:
    order.status = OrderStatus.REJECTED.value
    order.rejection_reason = error.message
    txn.insert_order(order)
    txn.record(order)
    return Placement(order, error)


def _refusal(
    txn: Transaction,
    venue: Venue,
    order: OrderRow,
    instrument: Instrument,
    quote: Quote | None,
    replacing: str | None = None,
) -> str | None:
    reason = product_rejection(instrument, Product(order.product), order.quantity)
    if reason is not None:
        return reason
    reason = holiday_rejection(order.exchange, order.price_type, txn.now, venue.config)
    if reason is not None:
        return reason
    position = txn.position(order.user_id, order.exchange, order.symbol, order.product)
    held = position.quantity if position else 0
    signed = signed_quantity(order.action, order.quantity)
    if order.product == Product.MIS.value:
        reduces = held * signed < 0 and abs(signed) <= abs(held)
        reason = mis_window_rejection(order.exchange, txn.now, venue.config, reduces_position=reduces)
        if reason is not None:
            return reason
    if order.product == Product.CNC.value and order.action == Action.SELL.value:
        reason = cnc_sell_rejection(
            order.symbol,
            order.quantity,
            held,
            _holding_quantity(txn, order),
            _pending_sells(txn, order, replacing),
        )
        if reason is not None:
            return reason
    if order.price_type in (PriceType.MARKET.value, PriceType.STOP_MARKET.value) and quote is None:
        return f"No market price for {order.symbol} on {order.exchange}, so a market order cannot be priced"
    return None


def _margin(
    txn: Transaction, venue: Venue, order: OrderRow, instrument: Instrument, quote: Quote | None
) -> Decimal:
    price_type = PriceType(order.price_type)
    if price_type is PriceType.MARKET:
        basis = touch(quote, Action(order.action))
    elif price_type is PriceType.STOP_MARKET:
        basis = order.trigger_price
    else:
        basis = order.price
    position = txn.position(order.user_id, order.exchange, order.symbol, order.product)
    held, held_margin = (position.quantity, position.margin_blocked) if position else (0, Decimal(0))
    signed = signed_quantity(order.action, order.quantity)
    underlying = underlying_price(instrument, venue.market) if held + signed < 0 else None
    return order_margin(
        instrument, Product(order.product), held, held_margin, signed, basis, venue.config, underlying
    )


def _holding_quantity(txn: Transaction, order: OrderRow) -> int:
    return txn.holding_quantity(order.user_id, order.exchange, order.symbol)


def _pending_sells(txn: Transaction, order: OrderRow, replacing: str | None) -> int:
    parameters = {"user_id": order.user_id, "exchange": order.exchange, "symbol": order.symbol}
    if replacing is None:
        return int(txn.connection.execute(PENDING_CNC_SELLS, parameters).scalar_one())
    parameters["replacing"] = replacing
    return int(txn.connection.execute(PENDING_CNC_SELLS_BESIDES, parameters).scalar_one())


def owned_order(txn: Transaction, user_id: int, order_id: str) -> OrderRow:
    found = txn.connection.execute(ORDER_OF_USER, {"order_id": order_id, "user_id": user_id}).first()
    if found is None:
        raise OrderNotFound(f"Order {order_id} not found", order_id=order_id)
    return OrderRow(*found)


def modify(
    txn: Transaction, venue: Venue, user_id: int, order_id: str, request: ModifyRequest
) -> OrderRow:
    """Change a resting order's type, quantity or prices, re-pricing its reservation."""
    order = owned_order(txn, user_id, order_id)
    if order.status not in RESTING_STATUSES:
        raise OrderNotModifiable(f"Cannot modify order in {order.status} status", order_id=order_id)
    instrument = tradable_instrument(
        order.exchange, order.symbol, venue.market.master.get(order.exchange, order.symbol)
    )
    price_type = request.price_type or PriceType(order.price_type)
    price, trigger = normalised_prices(
        price_type,
        Action(order.action),
        order.price if request.price is None else request.price,
        order.trigger_price if request.trigger_price is None else request.trigger_price,
    )
    # Check a detached draft, so a refused change leaves the stored order exactly as it was.
    draft = OrderRow(
        order.order_id,
        order.user_id,
        order.strategy,
        order.exchange,
        order.symbol,
        order.action,
        request.quantity or order.quantity,
        price,
        trigger,
        price_type.value,
        order.product,
        order.status,
    )
    quote = venue.usable_quote(order.exchange, order.symbol)
    reason = _refusal(txn, venue, draft, instrument, quote, replacing=order_id)
    if reason is not None:
        raise OrderRejected(reason, reason=reason, order_id=order_id)
    margin = _margin(txn, venue, draft, instrument, quote)
    growth = margin - order.margin_blocked
    available = txn.ledger.available(user_id)
    if growth > available:
        message = f"Insufficient funds. Additional margin required: {growth:.2f}, available: {available:.2f}"
        raise InsufficientFunds(message, reason=message, order_id=order_id)
    status = OrderStatus.TRIGGER_PENDING if price_type in _STOP_TYPES else OrderStatus.OPEN
    values = {
        "quantity": draft.quantity,
        "price_type": draft.price_type,
        "price": price,
        "trigger_price": trigger,
        "margin_blocked": margin,
        "status": status.value,
    }
    if not claim(txn, order, values):
        raise OrderNotModifiable(f"Cannot modify order in {order.status} status", order_id=order_id)
    venue.resting.remove(order_id)
    txn.ledger.move(user_id, "reprice", order_id, margin_change=growth)
    txn.record(order)
    activate(txn, venue, order, instrument, quote)
    return order


def cancel(txn: Transaction, venue: Venue, user_id: int, order_id: str) -> OrderRow:
    order = owned_order(txn, user_id, order_id)
    if order.status not in RESTING_STATUSES or not finish(txn, venue, order, OrderStatus.CANCELLED):
        raise OrderNotModifiable(f"Cannot cancel order in {order.status} status", order_id=order_id)
    return order


def resting_orders(txn: Transaction, user_id: int) -> list[OrderRow]:
    return [OrderRow(*row) for row in txn.connection.execute(RESTING_ORDERS_OF_USER, {"user_id": user_id})]


def place_smart(
    txn: Transaction, venue: Venue, user_id: int, request: SmartOrderRequest, position_size: int
) -> tuple[SmartOrderResult, BrokergateError | None]:
    """Trade the difference between the current net position and `position_size`."""
    position = txn.position(user_id, request.exchange, request.symbol, request.product.value)
    current = position.quantity if position else 0
    difference = position_size - current
    if position_size == 0 and current == 0:
        if request.quantity == 0:
            return SmartOrderResult(None, "No OpenPosition Found. Not placing Exit order."), None
        action, quantity = request.action, request.quantity
    elif difference == 0:
        return SmartOrderResult(None, "Positions Already Matched. No Action needed."), None
    else:
        action, quantity = (Action.BUY if difference > 0 else Action.SELL), abs(difference)
    order_request = OrderRequest(
        exchange=request.exchange,
        symbol=request.symbol,
        action=action,
        quantity=quantity,
        price_type=request.price_type,
        product=request.product,
        price=request.price,
        trigger_price=request.trigger_price,
        strategy=request.strategy,
    )
    placement = place(txn, venue, user_id, order_request)
    return SmartOrderResult(
        placement.order.order_id, "Order placed to reach the target position"
    ), placement.rejection
