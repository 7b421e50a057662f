"""Netting fills into positions per (user, exchange, symbol, product).

Adding to a position moves its average price; reducing it realizes P&L on the reduced quantity at the
position's average; crossing through zero realizes the old side in full and opens the new side at the
fill price. Quantities are in units (lots already multiplied out), so value is price times quantity.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from sqlmodel import Session, select

from sandbox.engine.models import PRICE_QUANTUM
from storage.sandbox_tables import SandboxPosition


@dataclass(frozen=True, slots=True)
class Netted:
    quantity: int
    average_price: Decimal
    realized: Decimal


def net_fill(quantity: int, average_price: Decimal, fill_quantity: int, fill_price: Decimal) -> Netted:
    """Combine a signed position with a signed fill."""
    new_quantity = quantity + fill_quantity
    if quantity == 0 or (quantity > 0) == (fill_quantity > 0):
        cost = average_price * abs(quantity) + fill_price * abs(fill_quantity)
        average = (cost / abs(new_quantity)).quantize(PRICE_QUANTUM, rounding=ROUND_HALF_UP)
        return Netted(new_quantity, average, Decimal(0))
    closed = min(abs(quantity), abs(fill_quantity))
    direction = 1 if quantity > 0 else -1
    realized = (fill_price - average_price) * closed * direction
    if new_quantity == 0:
        return Netted(0, Decimal(0), realized)
    if (new_quantity > 0) == (quantity > 0):
        return Netted(new_quantity, average_price, realized)
    return Netted(new_quantity, fill_price, realized)


def unrealized_pnl(quantity: int, average_price: Decimal, ltp: Decimal | None) -> Decimal:
    if quantity == 0 or ltp is None:
        return Decimal(0)
    return (ltp - average_price) * quantity


def user_positions(session: Session, user_id: int) -> list[SandboxPosition]:
    return list(
        session.exec(
            select(SandboxPosition).where(SandboxPosition.user_id == user_id).order_by(SandboxPosition.id)
        )
    )
