"""The funds ledger: every movement of margin or realized P&L is an append-only entry, and the
running balances in `sandbox_funds` change in the same transaction by the same amounts.

Balances obey `available + used == starting capital + realized` by construction: a reservation moves
money from available to used, a release moves it back, and realized P&L lands in available. What is
reserved always belongs to a named reference (an order, a GTT, a position or a holding), so nothing can
be released that was not blocked, and the invariant check can add the references up.

Within a transaction the balances are read once and kept in memory; they and the entries are written
when the transaction flushes (one UPDATE per user, one multi-row INSERT of entries), before it commits.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from sandbox.engine.config import SandboxConfig
from sandbox.engine.rows import FUNDS_OF_USER, INSERT_FUNDS, INSERT_LEDGER_ENTRIES, UPDATE_FUNDS, FundsRow

if TYPE_CHECKING:
    from sandbox.engine.transaction import Transaction

_ZERO = Decimal(0)


def position_reference(exchange: str, symbol: str, product: str) -> str:
    return f"position:{exchange}:{symbol}:{product}"


def holding_reference(exchange: str, symbol: str) -> str:
    return f"holding:{exchange}:{symbol}"


class Ledger:
    """Funds movements inside one database transaction; the transaction writes them and commits."""

    def __init__(self, txn: Transaction, config: SandboxConfig) -> None:
        self._txn = txn
        self._config = config
        self._funds: dict[int, FundsRow] = {}
        self._entries: list[dict] = []

    def funds(self, user_id: int) -> FundsRow:
        """The user's balances, opened with the starting capital on first use."""
        funds = self._funds.get(user_id)
        if funds is None:
            found = self._txn.connection.execute(FUNDS_OF_USER, {"user_id": user_id}).first()
            if found is not None:
                funds = FundsRow(*found)
            else:
                capital = self._config.starting_capital
                now = self._txn.stored_now
                funds = FundsRow(user_id, capital, capital, _ZERO, _ZERO, now, now, stored=False, changed=True)
            self._funds[user_id] = funds
        return funds

    def available(self, user_id: int) -> Decimal:
        return self.funds(user_id).available_cash

    def move(
        self,
        user_id: int,
        kind: str,
        reference: str,
        margin_change: Decimal = _ZERO,
        realized_change: Decimal = _ZERO,
    ) -> None:
        """Reserve (+) or release (-) margin for `reference` and book realized P&L, as one entry."""
        if not margin_change and not realized_change:
            return
        funds = self.funds(user_id)
        stored_now = self._txn.stored_now
        funds.used_margin += margin_change
        funds.realized_pnl += realized_change
        funds.available_cash += realized_change - margin_change
        funds.updated_at = stored_now
        funds.changed = True
        self._entries.append(
            {
                "user_id": user_id,
                "kind": kind,
                "reference": reference,
                "margin_change": margin_change,
                "realized_change": realized_change,
                "created_at": stored_now,
            }
        )

    def flush(self) -> None:
        """Write changed balances and pending entries."""
        connection = self._txn.connection
        for funds in self._funds.values():
            if not funds.changed:
                continue
            if funds.stored:
                connection.execute(
                    UPDATE_FUNDS,
                    {
                        "funds_user_id": funds.user_id,
                        "available_cash": funds.available_cash,
                        "used_margin": funds.used_margin,
                        "realized_pnl": funds.realized_pnl,
                        "updated_at": funds.updated_at,
                    },
                )
            else:
                connection.execute(
                    INSERT_FUNDS,
                    {
                        "user_id": funds.user_id,
                        "starting_capital": funds.starting_capital,
                        "available_cash": funds.available_cash,
                        "used_margin": funds.used_margin,
                        "realized_pnl": funds.realized_pnl,
                        "created_at": funds.created_at,
                        "updated_at": funds.updated_at,
                    },
                )
                funds.stored = True
            funds.changed = False
        if self._entries:
            connection.execute(INSERT_LEDGER_ENTRIES, self._entries)
            self._entries = []
