"""Placing, modifying and cancelling orders, smart orders and closing positions, inside a transaction.

A business refusal (product rules, lot size, MIS window, CNC cover, funds, no price) is stored as a
`rejected` order and returned beside it, so the caller can commit the record before reporting the error.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlmodel import func, select

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
from sandbox.engine.positions import find_position
from sandbox.engine.rules import (
    cnc_sell_rejection,
    mis_window_rejection,
    normalised_prices,
    product_rejection,
    tradable_instrument,
)
from sandbox.engine.transaction import Transaction
from sandbox.market.types import Instrument, Quote
from storage.sandbox_tables import SandboxHolding, SandboxOrder

_STOP_TYPES = (PriceType.STOP_LIMIT, PriceType.STOP_MARKET)


@dataclass(frozen=True, slots=True)
class Placement:
    order: SandboxOrder
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
    order = SandboxOrder(
        order_id=venue.order_ids.next(txn.session, txn.day),
        user_id=user_id,
        strategy=request.strategy,
        exchange=request.exchange,
        symbol=request.symbol,
        action=request.action.value,
        quantity=request.quantity,
        price=price,
        trigger_price=trigger,
        price_type=request.price_type.value,
        product=request.product.value,
        status=OrderStatus.OPEN.value,
        gtt_id=gtt_id,
        created_at=txn.stored_now,
        updated_at=txn.stored_now,
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
    txn.session.add(order)
    txn.session.flush()
    txn.ledger.move(user_id, "block", order.order_id, margin_change=margin)
    txn.record(order)
    activate(txn, venue, order, instrument, quote)
    return Placement(order)


def _reject(txn: Transaction, order: SandboxOrder, error: BrokergateError) -> Placement:
    order.status = OrderStatus.REJECTED.value
    order.rejection_reason = error.message
    txn.session.add(order)
    txn.record(order)
    return Placement(order, error)


def _refusal(
    txn: Transaction,
    venue: Venue,
    order: SandboxOrder,
    instrument: Instrument,
    quote: Quote | None,
    replacing: str | None = None,
) -> str | None:
    reason = product_rejection(instrument, Product(order.product), order.quantity)
    if reason is not None:
        return reason
    position = find_position(txn.session, order.user_id, order.exchange, order.symbol, order.product)
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
    txn: Transaction, venue: Venue, order: SandboxOrder, instrument: Instrument, quote: Quote | None
) -> Decimal:
    price_type = PriceType(order.price_type)
    if price_type is PriceType.MARKET:
        basis = touch(quote, Action(order.action))
    elif price_type is PriceType.STOP_MARKET:
        basis = order.trigger_price
    else:
        basis = order.price
    position = find_position(txn.session, order.user_id, order.exchange, order.symbol, order.product)
    held, held_margin = (position.quantity, position.margin_blocked) if position else (0, Decimal(0))
    signed = signed_quantity(order.action, order.quantity)
    underlying = underlying_price(instrument, venue.market) if held + signed < 0 else None
    return order_margin(
        instrument, Product(order.product), held, held_margin, signed, basis, venue.config, underlying
    )


def _holding_quantity(txn: Transaction, order: SandboxOrder) -> int:
    holding = txn.session.exec(
        select(SandboxHolding).where(
            SandboxHolding.user_id == order.user_id,
            SandboxHolding.exchange == order.exchange,
            SandboxHolding.symbol == order.symbol,
        )
    ).first()
    return holding.quantity if holding else 0


def _pending_sells(txn: Transaction, order: SandboxOrder, replacing: str | None) -> int:
    query = select(func.coalesce(func.sum(SandboxOrder.quantity), 0)).where(
        SandboxOrder.user_id == order.user_id,
        SandboxOrder.exchange == order.exchange,
        SandboxOrder.symbol == order.symbol,
        SandboxOrder.product == Product.CNC.value,
        SandboxOrder.action == Action.SELL.value,
        SandboxOrder.status.in_(RESTING_STATUSES),
    )
    if replacing is not None:
        query = query.where(SandboxOrder.order_id != replacing)
    return int(txn.session.exec(query).one())


def owned_order(txn: Transaction, user_id: int, order_id: str) -> SandboxOrder:
    order = txn.session.exec(
        select(SandboxOrder).where(SandboxOrder.order_id == order_id, SandboxOrder.user_id == user_id)
    ).first()
    if order is None:
        raise OrderNotFound(f"Order {order_id} not found", order_id=order_id)
    return order


def modify(
    txn: Transaction, venue: Venue, user_id: int, order_id: str, request: ModifyRequest
) -> SandboxOrder:
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
    draft = SandboxOrder(
        order_id=order.order_id,
        user_id=order.user_id,
        exchange=order.exchange,
        symbol=order.symbol,
        action=order.action,
        product=order.product,
        quantity=request.quantity or order.quantity,
        price_type=price_type.value,
        price=price,
        trigger_price=trigger,
        status=order.status,
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


def cancel(txn: Transaction, venue: Venue, user_id: int, order_id: str) -> SandboxOrder:
    order = owned_order(txn, user_id, order_id)
    if order.status not in RESTING_STATUSES or not finish(txn, venue, order, OrderStatus.CANCELLED):
        raise OrderNotModifiable(f"Cannot cancel order in {order.status} status", order_id=order_id)
    return order


def resting_orders(txn: Transaction, user_id: int) -> list[SandboxOrder]:
    return list(
        txn.session.exec(
            select(SandboxOrder)
            .where(SandboxOrder.user_id == user_id, SandboxOrder.status.in_(RESTING_STATUSES))
            .order_by(SandboxOrder.id)
        )
    )


def place_smart(
    txn: Transaction, venue: Venue, user_id: int, request: SmartOrderRequest, position_size: int
) -> tuple[SmartOrderResult, BrokergateError | None]:
    """Trade the difference between the current net position and `position_size`."""
    position = find_position(txn.session, user_id, request.exchange, request.symbol, request.product.value)
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
