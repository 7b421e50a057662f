"""The sandbox engine's tables: orders, trades, positions, holdings, funds, the ledger, GTTs, square-off runs.

Money is a `Decimal` in Python and an integer of ten-thousandths of a rupee in the database, so SQLite and
PostgreSQL both store it exactly (SQLite would otherwise keep a NUMERIC as a binary float) and four decimal
places cover currency ticks such as 0.0025. Times are timezone-aware UTC (sqlmodel's `UTCDateTime`).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

MONEY_SCALE = 10_000
_QUANTUM = Decimal(1) / MONEY_SCALE


class Money(sa.types.TypeDecorator):
    """A Decimal with four decimal places, stored as a scaled BIGINT."""

    impl = sa.BigInteger
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        return int((Decimal(value) * MONEY_SCALE).to_integral_value())

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return (Decimal(int(value)) / MONEY_SCALE).quantize(_QUANTUM)


def utcnow() -> datetime:
    return datetime.now(UTC)


def _money(**field_options) -> Decimal:
    return Field(default=Decimal(0), sa_type=Money, **field_options)


class SandboxOrder(SQLModel, table=True):
    __tablename__ = "sandbox_orders"
    __table_args__ = (
        sa.UniqueConstraint("order_id", name="uq_sandbox_orders_order_id"),
        sa.Index("ix_sandbox_orders_user_status", "user_id", "status"),
        sa.Index("ix_sandbox_orders_status", "status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    order_id: str = Field(max_length=14)
    user_id: int
    strategy: str = Field(default="", max_length=128)
    exchange: str = Field(max_length=16)
    symbol: str = Field(max_length=64)
    action: str = Field(max_length=4)  # BUY | SELL
    quantity: int
    price: Decimal = _money()  # limit price; 0 for MARKET and SL-M
    trigger_price: Decimal = _money()
    price_type: str = Field(max_length=8)  # MARKET | LIMIT | SL | SL-M
    product: str = Field(max_length=4)  # MIS | NRML | CNC
    status: str = Field(max_length=16)  # open | trigger pending | complete | cancelled | rejected
    average_price: Decimal = _money()
    filled_quantity: int = 0
    margin_blocked: Decimal = _money()  # what the ledger holds for this order while it rests
    rejection_reason: str = Field(default="", max_length=512)
    gtt_id: str | None = Field(default=None, max_length=24)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class SandboxTrade(SQLModel, table=True):
    """One fill. Orders fill whole, so `order_id` is unique: a second fill of an order cannot be stored."""

    __tablename__ = "sandbox_trades"
    __table_args__ = (
        sa.UniqueConstraint("trade_id", name="uq_sandbox_trades_trade_id"),
        sa.UniqueConstraint("order_id", name="uq_sandbox_trades_order_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    trade_id: str = Field(max_length=32)
    order_id: str = Field(max_length=14)
    user_id: int = Field(index=True)
    strategy: str = Field(default="", max_length=128)
    exchange: str = Field(max_length=16)
    symbol: str = Field(max_length=64)
    action: str = Field(max_length=4)
    quantity: int
    price: Decimal = _money()
    product: str = Field(max_length=4)
    created_at: datetime = Field(default_factory=utcnow)


class SandboxPosition(SQLModel, table=True):
    """The net position of one user in one instrument and product; quantity is signed."""

    __tablename__ = "sandbox_positions"
    __table_args__ = (
        sa.UniqueConstraint("user_id", "exchange", "symbol", "product", name="uq_sandbox_positions_key"),
    )

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(index=True)
    exchange: str = Field(max_length=16)
    symbol: str = Field(max_length=64)
    product: str = Field(max_length=4)
    quantity: int = 0
    average_price: Decimal = _money()
    margin_blocked: Decimal = _money()
    realized_pnl: Decimal = _money()  # since the start of the current trading day
    trade_date: date  # IST trading date of the latest fill; CNC rows settle on the next trading day
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class SandboxHolding(SQLModel, table=True):
    """Settled delivery shares. `cost` is what was paid and stays counted in the user's used funds."""

    __tablename__ = "sandbox_holdings"
    __table_args__ = (sa.UniqueConstraint("user_id", "exchange", "symbol", name="uq_sandbox_holdings_key"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(index=True)
    exchange: str = Field(max_length=16)
    symbol: str = Field(max_length=64)
    quantity: int = 0
    cost: Decimal = _money()
    settled_on: date
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class SandboxFunds(SQLModel, table=True):
    """Running balances; every change is also a row of `sandbox_ledger`, which they must always sum to."""

    __tablename__ = "sandbox_funds"

    user_id: int = Field(primary_key=True)
    starting_capital: Decimal = _money()
    available_cash: Decimal = _money()
    used_margin: Decimal = _money()  # reservations of orders, GTTs, positions and the cost of holdings
    realized_pnl: Decimal = _money()
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class SandboxLedgerEntry(SQLModel, table=True):
    """One append-only movement: margin reserved (+) or released (-) and P&L realized, for one reference."""

    __tablename__ = "sandbox_ledger"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(index=True)
    kind: str = Field(max_length=16)  # block | release | reprice | position | settle | realize
    reference: str = Field(max_length=96, index=True)  # an order id, a GTT id, position:... or holding:...
    margin_change: Decimal = _money()
    realized_change: Decimal = _money()
    created_at: datetime = Field(default_factory=utcnow)


class SandboxGtt(SQLModel, table=True):
    """A good-till-triggered order: one stoploss leg, one target leg, or both (OCO)."""

    __tablename__ = "sandbox_gtts"
    __table_args__ = (
        sa.UniqueConstraint("gtt_id", name="uq_sandbox_gtts_gtt_id"),
        sa.Index("ix_sandbox_gtts_user_status", "user_id", "status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    gtt_id: str = Field(max_length=24)
    user_id: int
    strategy: str = Field(default="", max_length=128)
    trigger_type: str = Field(max_length=8)  # SINGLE | OCO
    exchange: str = Field(max_length=16)
    symbol: str = Field(max_length=64)
    action: str = Field(max_length=4)
    product: str = Field(max_length=4)
    price_type: str = Field(max_length=8)  # LIMIT | MARKET
    quantity: int
    stoploss_trigger: Decimal | None = Field(default=None, sa_type=Money)
    stoploss_price: Decimal | None = Field(default=None, sa_type=Money)
    target_trigger: Decimal | None = Field(default=None, sa_type=Money)
    target_price: Decimal | None = Field(default=None, sa_type=Money)
    last_price: Decimal = _money()
    status: str = Field(max_length=16)  # active | triggered | cancelled | expired
    margin_blocked: Decimal = _money()
    fired_leg: str | None = Field(default=None, max_length=8)  # stoploss | target
    order_id: str | None = Field(default=None, max_length=14)
    expires_at: datetime
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class SandboxSquareOffRun(SQLModel, table=True):
    """The last IST date MIS positions were squared off on an exchange, so a restart never runs it twice."""

    __tablename__ = "sandbox_square_off_runs"

    exchange: str = Field(primary_key=True, max_length=16)
    last_run_on: date
    updated_at: datetime = Field(default_factory=utcnow)


SANDBOX_TABLES = (
    SandboxOrder,
    SandboxTrade,
    SandboxPosition,
    SandboxHolding,
    SandboxFunds,
    SandboxLedgerEntry,
    SandboxGtt,
    SandboxSquareOffRun,
)
