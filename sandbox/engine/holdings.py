"""T+1 settlement of delivery trades into holdings, and the start-of-day rollover of positions.

A CNC position settles at the start of the trading day after its last fill: bought shares become
holdings (their full cost stays counted as used funds, so cash and margin still add up), sold shares
leave holdings, and only then is the sale's P&L against the holding's cost realized (OpenAlgo never
books it, weakness 1e). Settling is idempotent, so a restart that runs it again changes nothing.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from sqlmodel import select

from sandbox.engine.config import SandboxConfig
from sandbox.engine.ledger import holding_reference, position_reference
from sandbox.engine.models import PRICE_QUANTUM, Product
from sandbox.engine.timekeeping import next_trading_day
from sandbox.engine.transaction import Transaction
from storage.sandbox_tables import SandboxHolding, SandboxPosition


def settle(txn: Transaction, config: SandboxConfig) -> int:
    """Move every CNC position whose settlement day has come into holdings; return how many settled."""
    today = txn.day
    positions = txn.session.exec(
        select(SandboxPosition)
        .where(SandboxPosition.product == Product.CNC.value)
        .order_by(SandboxPosition.id)
    ).all()
    settled = 0
    for position in positions:
        if next_trading_day(position.trade_date, config.is_trading_day) > today:
            continue
        reference = position_reference(position.exchange, position.symbol, position.product)
        txn.ledger.move(position.user_id, "settle", reference, margin_change=-position.margin_blocked)
        if position.quantity > 0:
            _receive(txn, position)
        elif position.quantity < 0:
            _deliver(txn, position)
        txn.session.delete(position)
        settled += 1
    return settled


def _holding(txn: Transaction, position: SandboxPosition) -> SandboxHolding | None:
    return txn.session.exec(
        select(SandboxHolding).where(
            SandboxHolding.user_id == position.user_id,
            SandboxHolding.exchange == position.exchange,
            SandboxHolding.symbol == position.symbol,
        )
    ).first()


def _receive(txn: Transaction, position: SandboxPosition) -> None:
    holding = _holding(txn, position)
    if holding is None:
        holding = SandboxHolding(
            user_id=position.user_id,
            exchange=position.exchange,
            symbol=position.symbol,
            settled_on=txn.day,
            created_at=txn.stored_now,
        )
    paid = position.average_price * position.quantity
    holding.quantity += position.quantity
    holding.cost += paid
    holding.settled_on = txn.day
    holding.updated_at = txn.stored_now
    txn.session.add(holding)
    txn.ledger.move(
        position.user_id, "settle", holding_reference(position.exchange, position.symbol), margin_change=paid
    )


def _deliver(txn: Transaction, position: SandboxPosition) -> None:
    holding = _holding(txn, position)
    # Placement only lets a CNC sell through when holdings cover it, so the holding is there.
    delivered = min(-position.quantity, holding.quantity if holding else 0)
    if delivered == 0:
        return
    if delivered == holding.quantity:
        released = holding.cost
    else:
        released = (holding.cost * delivered / holding.quantity).quantize(
            PRICE_QUANTUM, rounding=ROUND_HALF_UP
        )
    realized = position.average_price * delivered - released
    txn.ledger.move(
        position.user_id,
        "settle",
        holding_reference(position.exchange, position.symbol),
        margin_change=-released,
        realized_change=realized,
    )
    holding.quantity -= delivered
    holding.cost -= released
    holding.updated_at = txn.stored_now
    if holding.quantity == 0:
        txn.session.delete(holding)
    else:
        txn.session.add(holding)


def roll_over_positions(txn: Transaction) -> None:
    """Start a new day's position book: drop yesterday's flat rows, zero carried rows' day P&L."""
    today = txn.day
    stale = txn.session.exec(select(SandboxPosition).where(SandboxPosition.trade_date < today)).all()
    for position in stale:
        if position.quantity == 0 and position.margin_blocked == 0:
            txn.session.delete(position)
        elif position.realized_pnl:
            position.realized_pnl = Decimal(0)
            txn.session.add(position)
