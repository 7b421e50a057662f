"""One unit of engine work: a database session, its ledger, the moment it happens and the order
changes to announce once it has committed."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlmodel import Session, func, select

from sandbox.engine.ledger import Ledger
from sandbox.engine.models import OrderView
from sandbox.engine.timekeeping import to_storage, trading_date
from storage.sandbox_tables import SandboxOrder


def order_view(row: SandboxOrder) -> OrderView:
    return OrderView(
        order_id=row.order_id,
        user_id=row.user_id,
        strategy=row.strategy,
        exchange=row.exchange,
        symbol=row.symbol,
        action=row.action,
        quantity=row.quantity,
        price=row.price,
        trigger_price=row.trigger_price,
        price_type=row.price_type,
        product=row.product,
        status=row.status,
        average_price=row.average_price,
        filled_quantity=row.filled_quantity,
        margin_blocked=row.margin_blocked,
        rejection_reason=row.rejection_reason,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


@dataclass
class Transaction:
    session: Session
    ledger: Ledger
    now: datetime  # aware
    changed_orders: list[OrderView] = field(default_factory=list)

    @property
    def stored_now(self) -> datetime:
        return to_storage(self.now)

    @property
    def day(self) -> date:
        return trading_date(self.now)

    def record(self, order: SandboxOrder) -> None:
        """Remember the order's state now, so each change is announced as it was, in order."""
        self.changed_orders.append(order_view(order))


class OrderIds:
    """Order ids `YYMMDD` + 8 digits: a per-day sequence, resumed from the database after a restart."""

    def __init__(self) -> None:
        self._prefix = ""
        self._next = 0

    def next(self, session: Session, day: date) -> str:
        prefix = day.strftime("%y%m%d")
        if prefix != self._prefix:
            highest = session.exec(
                select(func.max(SandboxOrder.order_id)).where(SandboxOrder.order_id.like(f"{prefix}%"))
            ).one()
            self._prefix = prefix
            self._next = int(highest[6:]) + 1 if highest else 1
        order_id = f"{prefix}{self._next:08d}"
        self._next += 1
        return order_id
