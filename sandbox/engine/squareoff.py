"""Intraday (MIS) square-off at each exchange's configured IST time.

Each exchange's run is recorded by date in `sandbox_square_off_runs`, in the same transaction as the
closing orders, so an engine started after the time still squares off once that day, and never twice.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import date, datetime

from sqlmodel import select

from generated.errors import BrokergateError
from sandbox.engine.config import SandboxConfig
from sandbox.engine.execution import Venue, finish
from sandbox.engine.models import Action, OrderRequest, OrderStatus, PriceType, Product
from sandbox.engine.orders import place
from sandbox.engine.rows import OPEN_MIS_POSITIONS_ON, RESTING_MIS_ORDERS_ON, OrderRow
from sandbox.engine.timekeeping import in_ist, trading_date
from sandbox.engine.transaction import Transaction
from storage.sandbox_tables import SandboxSquareOffRun

_log = logging.getLogger(__name__)

SQUARE_OFF_STRATEGY = "AUTO_SQUARE_OFF"


def due_exchanges(now: datetime, config: SandboxConfig, last_runs: Mapping[str, date]) -> list[str]:
    """Exchanges whose square-off time has passed today and that have not been squared off today."""
    day = trading_date(now)
    if not config.square_off_enabled or not config.is_trading_day(day):
        return []
    local = in_ist(now).time()
    return sorted(
        exchange
        for exchange, closes_at in config.square_off_times.items()
        if local >= closes_at and last_runs.get(exchange) != day
    )


def square_off(txn: Transaction, venue: Venue) -> list[str]:
    """Cancel resting MIS orders and close MIS positions on every due exchange; return those exchanges."""
    runs = {run.exchange: run for run in txn.session.exec(select(SandboxSquareOffRun)).all()}
    due = due_exchanges(txn.now, venue.config, {exchange: run.last_run_on for exchange, run in runs.items()})
    for exchange in due:
        _cancel_resting(txn, venue, exchange)
        _close_positions(txn, venue, exchange)
        run = runs.get(exchange) or SandboxSquareOffRun(exchange=exchange, last_run_on=txn.day)
        run.last_run_on = txn.day
        run.updated_at = txn.stored_now
        txn.session.add(run)
    return due


def _cancel_resting(txn: Transaction, venue: Venue, exchange: str) -> None:
    for row in txn.connection.execute(RESTING_MIS_ORDERS_ON, {"exchange": exchange}).all():
        finish(txn, venue, OrderRow(*row), OrderStatus.CANCELLED, "Cancelled by auto square-off")


def _close_positions(txn: Transaction, venue: Venue, exchange: str) -> None:
    positions = txn.positions_where(OPEN_MIS_POSITIONS_ON, {"exchange": exchange})
    for position in positions:
        closing = OrderRequest(
            exchange=position.exchange,
            symbol=position.symbol,
            action=Action.SELL if position.quantity > 0 else Action.BUY,
            quantity=abs(position.quantity),
            price_type=PriceType.MARKET,
            product=Product.MIS,
            strategy=SQUARE_OFF_STRATEGY,
        )
        try:
            place(txn, venue, position.user_id, closing)
        except BrokergateError as e:
            # Delisted since it was bought: nothing can price it, so it stays for the user to see.
            _log.warning(
                "auto square-off could not close %s:%s for user %s: %s",
                exchange,
                position.symbol,
                position.user_id,
                e.message,
            )
