"""Checks that the books agree with each other; an empty list means they do.

Used by the tests after every event and available to an operator's health check. Each rule is one
the engine must keep by construction, so a violation is a bug, never a user error.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from decimal import Decimal

from sqlmodel import Session, select

from sandbox.engine.ledger import holding_reference, position_reference
from sandbox.engine.models import RESTING_STATUSES, GttStatus, OrderStatus, Product
from storage.sandbox_tables import (
    SandboxFunds,
    SandboxGtt,
    SandboxHolding,
    SandboxLedgerEntry,
    SandboxOrder,
    SandboxPosition,
    SandboxTrade,
)

_RELEASE_KINDS = ("release", OrderStatus.CANCELLED.value, OrderStatus.REJECTED.value)


def check_invariants(session: Session, user_id: int, resting_in_index: set[str] | None = None) -> list[str]:
    funds = session.get(SandboxFunds, user_id)
    if funds is None:
        return []
    problems: list[str] = []
    if funds.available_cash + funds.used_margin != funds.starting_capital + funds.realized_pnl:
        problems.append(
            f"available {funds.available_cash} + used {funds.used_margin} != "
            f"capital {funds.starting_capital} + realized {funds.realized_pnl}"
        )
    entries = session.exec(select(SandboxLedgerEntry).where(SandboxLedgerEntry.user_id == user_id)).all()
    ledger_used = sum((entry.margin_change for entry in entries), Decimal(0))
    ledger_realized = sum((entry.realized_change for entry in entries), Decimal(0))
    if ledger_used != funds.used_margin or ledger_realized != funds.realized_pnl:
        problems.append(
            f"ledger sums (used {ledger_used}, realized {ledger_realized}) differ from the balances "
            f"(used {funds.used_margin}, realized {funds.realized_pnl})"
        )
    held_by: dict[str, Decimal] = defaultdict(Decimal)
    for entry in entries:
        held_by[entry.reference] += entry.margin_change
    expected = _expected_reservations(session, user_id)
    for reference in sorted(set(held_by) | set(expected)):
        if held_by.get(reference, Decimal(0)) != expected.get(reference, Decimal(0)):
            problems.append(
                f"{reference}: the ledger holds {held_by.get(reference, Decimal(0))}, "
                f"its record says {expected.get(reference, Decimal(0))}"
            )
    problems.extend(_order_problems(session, user_id, entries, resting_in_index))
    problems.extend(_position_problems(session, user_id))
    return problems


def _expected_reservations(session: Session, user_id: int) -> dict[str, Decimal]:
    expected: dict[str, Decimal] = {}
    for order in session.exec(select(SandboxOrder).where(SandboxOrder.user_id == user_id)):
        expected[order.order_id] = order.margin_blocked
    for gtt in session.exec(select(SandboxGtt).where(SandboxGtt.user_id == user_id)):
        if gtt.margin_blocked and gtt.status != GttStatus.ACTIVE.value:
            expected[f"{gtt.gtt_id} (ended, yet holding)"] = gtt.margin_blocked
        expected[gtt.gtt_id] = gtt.margin_blocked
    for position in session.exec(select(SandboxPosition).where(SandboxPosition.user_id == user_id)):
        expected[position_reference(position.exchange, position.symbol, position.product)] = (
            position.margin_blocked
        )
    for holding in session.exec(select(SandboxHolding).where(SandboxHolding.user_id == user_id)):
        expected[holding_reference(holding.exchange, holding.symbol)] = holding.cost
    return {reference: amount for reference, amount in expected.items() if amount}


def _order_problems(
    session: Session, user_id: int, entries: list[SandboxLedgerEntry], resting_in_index: set[str] | None
) -> list[str]:
    problems = []
    blocks = Counter(entry.reference for entry in entries if entry.kind == "block")
    releases = Counter(entry.reference for entry in entries if entry.kind in _RELEASE_KINDS)
    for reference in sorted(set(blocks) | set(releases)):
        if blocks[reference] > 1 or releases[reference] > 1:
            problems.append(
                f"{reference}: blocked {blocks[reference]} times, released {releases[reference]} times"
            )
    trades = Counter(session.exec(select(SandboxTrade.order_id).where(SandboxTrade.user_id == user_id)).all())
    orders = session.exec(select(SandboxOrder).where(SandboxOrder.user_id == user_id)).all()
    for order in orders:
        wanted = 1 if order.status == OrderStatus.COMPLETE.value else 0
        if trades[order.order_id] != wanted:
            problems.append(f"order {order.order_id} ({order.status}) has {trades[order.order_id]} trades")
        if order.margin_blocked < 0 or (order.margin_blocked and order.status not in RESTING_STATUSES):
            problems.append(f"order {order.order_id} ({order.status}) holds margin {order.margin_blocked}")
    if resting_in_index is not None:
        resting = {order.order_id for order in orders if order.status in RESTING_STATUSES}
        if resting != resting_in_index:
            problems.append(
                f"resting orders {sorted(resting)} differ from the index {sorted(resting_in_index)}"
            )
    return problems


def _position_problems(session: Session, user_id: int) -> list[str]:
    """Intraday and carry-forward positions must equal the net of their trades (CNC ones settle away)."""
    net: dict[tuple[str, str, str], int] = defaultdict(int)
    for trade in session.exec(
        select(SandboxTrade).where(SandboxTrade.user_id == user_id, SandboxTrade.product != Product.CNC.value)
    ):
        net[(trade.exchange, trade.symbol, trade.product)] += (
            trade.quantity if trade.action == "BUY" else -trade.quantity
        )
    problems = []
    for position in session.exec(
        select(SandboxPosition).where(
            SandboxPosition.user_id == user_id, SandboxPosition.product != Product.CNC.value
        )
    ):
        key = (position.exchange, position.symbol, position.product)
        if net.pop(key, 0) != position.quantity:
            problems.append(
                f"position {key} holds {position.quantity}, its trades net to a different quantity"
            )
    problems.extend(
        f"trades net {quantity} on {key} but there is no position"
        for key, quantity in net.items()
        if quantity
    )
    negative = select(SandboxPosition).where(
        SandboxPosition.user_id == user_id, SandboxPosition.margin_blocked < 0
    )
    if session.exec(negative).first() is not None:
        problems.append("a position holds a negative margin")
    return problems
