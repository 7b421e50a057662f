"""The funds ledger: every movement of margin or realized P&L is an append-only entry, and the
running balances in `sandbox_funds` change in the same transaction by the same amounts.

Balances obey `available + used == starting capital + realized` by construction: a reservation moves
money from available to used, a release moves it back, and realized P&L lands in available. What is
reserved always belongs to a named reference (an order, a GTT, a position or a holding), so nothing can
be released that was not blocked, and the invariant check can add the references up.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlmodel import Session

from sandbox.engine.config import SandboxConfig
from storage.sandbox_tables import SandboxFunds, SandboxLedgerEntry


def position_reference(exchange: str, symbol: str, product: str) -> str:
    return f"position:{exchange}:{symbol}:{product}"


def holding_reference(exchange: str, symbol: str) -> str:
    return f"holding:{exchange}:{symbol}"


class Ledger:
    """Funds movements inside one database transaction; the caller commits."""

    def __init__(self, session: Session, config: SandboxConfig, stored_now: datetime) -> None:
        self._session = session
        self._config = config
        self._stored_now = stored_now

    def funds(self, user_id: int) -> SandboxFunds:
        """The user's balances, opened with the starting capital on first use."""
        funds = self._session.get(SandboxFunds, user_id)
        if funds is None:
            capital = self._config.starting_capital
            funds = SandboxFunds(
                user_id=user_id,
                starting_capital=capital,
                available_cash=capital,
                created_at=self._stored_now,
                updated_at=self._stored_now,
            )
            self._session.add(funds)
        return funds

    def available(self, user_id: int) -> Decimal:
        return self.funds(user_id).available_cash

    def move(
        self,
        user_id: int,
        kind: str,
        reference: str,
        margin_change: Decimal = Decimal(0),
        realized_change: Decimal = Decimal(0),
    ) -> None:
        """Reserve (+) or release (-) margin for `reference` and book realized P&L, as one entry."""
        if not margin_change and not realized_change:
            return
        funds = self.funds(user_id)
        funds.used_margin += margin_change
        funds.realized_pnl += realized_change
        funds.available_cash += realized_change - margin_change
        funds.updated_at = self._stored_now
        self._session.add(funds)
        self._session.add(
            SandboxLedgerEntry(
                user_id=user_id,
                kind=kind,
                reference=reference,
                margin_change=margin_change,
                realized_change=realized_change,
                created_at=self._stored_now,
            )
        )
