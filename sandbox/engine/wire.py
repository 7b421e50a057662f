"""OpenAlgo's analyzer-mode wire shapes for the engine's views (reference: openalgo-rest-api.md §4).

Each function returns the `data` part (or, where OpenAlgo puts totals beside `data`, the whole body
without `status` and `mode`, which the REST layer adds). Money is a float rounded to paise; prices keep
up to four decimals, because currency ticks are finer than a paisa.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal

from sandbox.engine.models import (
    CancelAllResult,
    CloseAllResult,
    FundsView,
    GttView,
    HoldingView,
    OrderStatus,
    OrderView,
    PositionView,
    TradeView,
)
from sandbox.engine.timekeeping import wire_timestamp


def money_number(amount: Decimal) -> float:
    return round(float(amount), 2)


def price_number(price: Decimal | None) -> float:
    return round(float(price), 4) if price is not None else 0.0


def _percent(part: Decimal, whole: Decimal) -> float:
    return round(float(part / whole * 100), 2) if whole else 0.0


def order_wire(order: OrderView) -> dict:
    """One orderbook row; also the payload of a WebSocket `order_update`."""
    return {
        "orderid": order.order_id,
        "symbol": order.symbol,
        "exchange": order.exchange,
        "action": order.action,
        "quantity": order.quantity,
        "price": price_number(order.price),
        "trigger_price": price_number(order.trigger_price),
        "pricetype": order.price_type,
        "product": order.product,
        "order_status": order.status,
        "average_price": price_number(order.average_price),
        "filled_quantity": order.filled_quantity,
        "pending_quantity": order.quantity - order.filled_quantity if order.status in _LIVE else 0,
        "rejection_reason": order.rejection_reason,
        "timestamp": wire_timestamp(order.updated_at),
        "strategy": order.strategy,
    }


_LIVE = (OrderStatus.OPEN.value, OrderStatus.TRIGGER_PENDING.value)


def orderbook_wire(orders: Sequence[OrderView]) -> dict:
    statuses = [order.status for order in orders]
    return {
        "orders": [order_wire(order) for order in orders],
        "statistics": {
            "total_buy_orders": sum(order.action == "BUY" for order in orders),
            "total_sell_orders": sum(order.action == "SELL" for order in orders),
            "total_completed_orders": statuses.count(OrderStatus.COMPLETE.value),
            "total_open_orders": statuses.count(OrderStatus.OPEN.value),
            "total_rejected_orders": statuses.count(OrderStatus.REJECTED.value),
            "total_trigger_pending_orders": statuses.count(OrderStatus.TRIGGER_PENDING.value),
        },
    }


def order_status_wire(order: OrderView) -> dict:
    """orderstatus: the analyzer spells the type `price_type`; `pricetype` is added for live-shaped clients."""
    row = order_wire(order)
    del row["rejection_reason"]
    row["price_type"] = order.price_type
    return row


def tradebook_wire(trades: Iterable[TradeView]) -> list[dict]:
    return [
        {
            "tradeid": trade.trade_id,
            "orderid": trade.order_id,
            "symbol": trade.symbol,
            "exchange": trade.exchange,
            "action": trade.action,
            "quantity": trade.quantity,
            "average_price": price_number(trade.price),
            "price": price_number(trade.price),
            "trade_value": money_number(trade.price * trade.quantity),
            "product": trade.product,
            "strategy": trade.strategy,
            "timestamp": wire_timestamp(trade.created_at),
        }
        for trade in trades
    ]


def positionbook_wire(positions: Sequence[PositionView]) -> dict:
    rows = []
    for position in positions:
        total = position.realized_pnl + position.unrealized_pnl
        invested = position.average_price * abs(position.quantity)
        rows.append(
            {
                "symbol": position.symbol,
                "exchange": position.exchange,
                "product": position.product,
                "quantity": position.quantity,
                "average_price": price_number(position.average_price),
                "ltp": price_number(position.ltp),
                "pnl": money_number(total),
                "pnlpercent": _percent(position.unrealized_pnl, invested),
                "unrealized_pnl": money_number(position.unrealized_pnl),
                "today_realized_pnl": money_number(position.realized_pnl),
                "total_pnl_today": money_number(total),
                "lot_size": position.lot_size,
            }
        )
    unrealized = sum((position.unrealized_pnl for position in positions), Decimal(0))
    realized = sum((position.realized_pnl for position in positions), Decimal(0))
    return {
        "data": rows,
        "total_pnl": money_number(unrealized + realized),
        "total_unrealized_pnl": money_number(unrealized),
        "total_today_realized_pnl": money_number(realized),
        "total_pnl_today": money_number(unrealized + realized),
    }


def holdings_wire(holdings: Sequence[HoldingView]) -> dict:
    rows = []
    total_value = total_cost = Decimal(0)
    for holding in holdings:
        price = holding.ltp if holding.ltp is not None else holding.average_price
        value = price * holding.quantity
        pnl = value - holding.cost
        total_value += value
        total_cost += holding.cost
        rows.append(
            {
                "symbol": holding.symbol,
                "exchange": holding.exchange,
                "product": "CNC",
                "quantity": holding.quantity,
                "average_price": price_number(holding.average_price),
                "ltp": price_number(holding.ltp),
                "pnl": money_number(pnl),
                "pnlpercent": _percent(pnl, holding.cost),
                "current_value": money_number(value),
                "settlement_date": holding.settled_on.isoformat(),
            }
        )
    return {
        "holdings": rows,
        "statistics": {
            "totalholdingvalue": money_number(total_value),
            "totalinvvalue": money_number(total_cost),
            "totalprofitandloss": money_number(total_value - total_cost),
            "totalpnlpercentage": _percent(total_value - total_cost, total_cost),
        },
    }


def funds_wire(funds: FundsView) -> dict:
    return {
        "availablecash": money_number(funds.available_cash),
        "collateral": 0.0,
        "m2munrealized": money_number(funds.unrealized_pnl),
        "m2mrealized": money_number(funds.today_realized_pnl),
        "total_realized_pnl": money_number(funds.realized_pnl),
        "today_realized_pnl": money_number(funds.today_realized_pnl),
        "utiliseddebits": money_number(funds.used_margin),
        "grossexposure": money_number(funds.used_margin),
        "totalpnl": money_number(funds.realized_pnl + funds.unrealized_pnl),
    }


def open_position_wire(quantity: int) -> dict:
    return {"quantity": quantity}


def gtt_wire(gtt: GttView) -> dict:
    legs, triggers = [], []
    for trigger, price in (
        (gtt.stoploss_trigger, gtt.stoploss_price),
        (gtt.target_trigger, gtt.target_price),
    ):
        if trigger is None:
            continue
        triggers.append(price_number(trigger))
        legs.append(
            {
                "action": gtt.action,
                "quantity": gtt.quantity,
                "price": price_number(price),
                "pricetype": gtt.price_type,
                "product": gtt.product,
            }
        )
    return {
        "trigger_id": gtt.gtt_id,
        "trigger_type": "single" if gtt.trigger_type == "SINGLE" else "two-leg",
        "status": gtt.status,
        "symbol": gtt.symbol,
        "exchange": gtt.exchange,
        "trigger_prices": triggers,
        "last_price": price_number(gtt.last_price),
        "legs": legs,
        "created_at": gtt.created_at.isoformat(),
        "updated_at": gtt.updated_at.isoformat(),
        "expires_at": gtt.expires_at.isoformat(),
        "strategy": gtt.strategy,
        "margin_blocked": money_number(gtt.margin_blocked),
    }


def gtt_book_wire(gtts: Iterable[GttView]) -> list[dict]:
    return [gtt_wire(gtt) for gtt in gtts]


def cancel_all_wire(result: CancelAllResult) -> dict:
    if not result.cancelled and not result.failed:
        message = "No open orders to cancel"
    else:
        message = f"Canceled {len(result.cancelled)} orders. Failed to cancel {len(result.failed)} orders."
    return {
        "message": message,
        "canceled_orders": list(result.cancelled),
        "failed_cancellations": [{"orderid": order_id, "message": why} for order_id, why in result.failed],
    }


def close_all_wire(result: CloseAllResult) -> dict:
    if not result.order_ids and not result.failed:
        return {"message": "No open positions to close"}
    message = f"Closed {len(result.order_ids)} positions"
    if result.failed:
        message += f" (Failed to close {len(result.failed)} positions)"
    return {
        "message": message,
        "closed_positions": len(result.order_ids),
        "failed_closures": len(result.failed),
    }
