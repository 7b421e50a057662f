"""Account-wide operations a broker may not offer natively, built from the contract's own operations.

The sandbox engine does these in one transaction; a live plugin usually has no such call, so the
gateway composes them from the order book, positions and single orders, the same way for every
broker (no `if broker == ...`).
"""

from __future__ import annotations

from generated.api import PlaceOrderRequest
from generated.contract import Account, OrderRef, PlacedOrder
from generated.errors import BrokergateError

RESTING = ("open", "trigger pending")
ALREADY_MATCHED = "Positions Already Matched. No Action needed."
NO_POSITION = "No OpenPosition Found. Not placing Exit order."


async def open_position(plugin, account: Account, exchange: str, symbol: str, product: str) -> int:
    if native := getattr(plugin, "open_position", None):
        return await native(account, exchange, symbol, product)
    for position in await plugin.positions(account):
        if (position.exchange, position.symbol, position.product) == (exchange, symbol, product):
            return position.quantity
    return 0


async def cancel_all(plugin, account: Account) -> dict:
    if native := getattr(plugin, "cancel_all", None):
        return await native(account)
    book = await plugin.order_book(account)
    cancelled, failed = [], []
    for order in book.orders:
        if order.order_status not in RESTING:
            continue
        try:
            await plugin.cancel_order(account, OrderRef(orderid=order.orderid))
            cancelled.append(order.orderid)
        except BrokergateError as e:
            failed.append({"orderid": order.orderid, "message": e.message})
    if not cancelled and not failed:
        message = "No open orders to cancel"
    else:
        message = f"Canceled {len(cancelled)} orders. Failed to cancel {len(failed)} orders."
    return {"message": message, "canceled_orders": cancelled, "failed_cancellations": failed}


async def close_positions(plugin, account: Account) -> dict:
    if native := getattr(plugin, "close_positions", None):
        return await native(account)
    closed = failed = 0
    for position in await plugin.positions(account):
        if position.quantity == 0:
            continue
        order = PlaceOrderRequest(
            strategy="Squareoff",
            exchange=position.exchange,
            symbol=position.symbol,
            product=position.product,
            action="SELL" if position.quantity > 0 else "BUY",
            quantity=abs(position.quantity),
            pricetype="MARKET",
        )
        try:
            await plugin.place_order(account, order)
            closed += 1
        except BrokergateError:
            failed += 1
    if not closed and not failed:
        return {"message": "No open positions to close"}
    message = f"Closed {closed} positions" + (f" (Failed to close {failed} positions)" if failed else "")
    return {"message": message, "closed_positions": closed, "failed_closures": failed}


async def place_smart_order(plugin, account: Account, request, position_size: int) -> PlacedOrder | str:
    """Trade the difference between the net position and `position_size`; a message when none is needed."""
    if native := getattr(plugin, "place_smart_order", None):
        return await native(account, request, position_size)
    product = request.product or "MIS"
    current = await open_position(plugin, account, request.exchange, request.symbol, product)
    if position_size == 0 and current == 0:
        if not request.quantity:
            return NO_POSITION
        action, quantity = request.action.upper(), int(request.quantity)
    elif position_size == current:
        return ALREADY_MATCHED
    else:
        difference = position_size - current
        action, quantity = ("BUY" if difference > 0 else "SELL"), abs(difference)
    order = PlaceOrderRequest(
        strategy=request.strategy,
        exchange=request.exchange,
        symbol=request.symbol,
        action=action,
        quantity=quantity,
        pricetype=request.pricetype or "MARKET",
        product=product,
        price=request.price,
        trigger_price=request.trigger_price,
    )
    return await plugin.place_order(account, order)
