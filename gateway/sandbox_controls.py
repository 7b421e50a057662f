"""A user's own sandbox controls: start over with fresh capital, and the day-by-day realized P&L.

The reset runs inside the sandbox engine's executor, so no order can fill half-way through it; the
daily history is read from the ledger, where every realized rupee is one entry.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import Engine, select

from generated.errors import ValidationFailed
from sandbox.engine import SandboxEngine
from sandbox.engine.timekeeping import from_storage
from sandbox.market import IST
from storage.sandbox_tables import SandboxFunds, SandboxLedgerEntry

MIN_CAPITAL = Decimal(1_000)
MAX_CAPITAL = Decimal(10_000_000_000)


@dataclass(frozen=True, slots=True)
class DailyPnl:
    day: date
    realized: Decimal
    entries: int
    cumulative: Decimal


class SandboxControls:
    def __init__(self, engine: Engine, sandbox: SandboxEngine) -> None:
        self._engine = engine
        self._sandbox = sandbox

    def starting_capital(self, user_id: int) -> Decimal:
        with self._engine.connect() as connection:
            stored = connection.execute(
                select(SandboxFunds.starting_capital).where(SandboxFunds.user_id == user_id)
            ).scalar_one_or_none()
        return stored if stored is not None else self._sandbox.config.starting_capital

    async def reset(self, user_id: int, starting_capital: Decimal | None = None) -> Decimal:
        """Empty the user's sandbox books and restore (or set) their capital; the capital they now have."""
        if starting_capital is not None and not MIN_CAPITAL <= starting_capital <= MAX_CAPITAL:
            raise ValidationFailed(
                f"starting capital must be between {MIN_CAPITAL:,} and {MAX_CAPITAL:,} rupees, not {starting_capital:,}",
                field="starting_capital",
            )
        capital = self.starting_capital(user_id) if starting_capital is None else starting_capital
        await self._sandbox.reset_account(user_id, capital)
        return capital

    async def daily_pnl(self, user_id: int) -> list[DailyPnl]:
        """Realized P&L per IST trading day, oldest first, with the running total."""
        return await asyncio.to_thread(self._daily_pnl, user_id)

    def _daily_pnl(self, user_id: int) -> list[DailyPnl]:
        with self._engine.connect() as connection:
            rows = connection.execute(
                select(SandboxLedgerEntry.created_at, SandboxLedgerEntry.realized_change)
                .where(SandboxLedgerEntry.user_id == user_id, SandboxLedgerEntry.realized_change != 0)
                .order_by(SandboxLedgerEntry.id)
            ).all()
        days: dict[date, tuple[Decimal, int]] = {}
        for created_at, realized in rows:
            day = from_storage(created_at).astimezone(IST).date()
            total, count = days.get(day, (Decimal(0), 0))
            days[day] = (total + realized, count + 1)
        history, running = [], Decimal(0)
        for day in sorted(days):
            realized, count = days[day]
            running += realized
            history.append(DailyPnl(day, realized, count, running))
        return history
