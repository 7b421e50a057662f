"""Tables of webhook strategies: the strategy, its symbol mappings, and every alert it received.

A strategy's webhook token is stored twice: as a keyed digest, by which a delivery finds it, and
Fernet-encrypted, so its owner can see the webhook URL again. An alert row is written before the
webhook answers; its `plan` is the orders it stands for, fixed at that moment, so a restart places
exactly what was accepted. Times are timezone-aware UTC, as in `storage.models`.
"""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from storage.models import utcnow


class Strategy(SQLModel, table=True):
    __tablename__ = "strategies"
    __table_args__ = (sa.UniqueConstraint("user_id", "name", name="uq_strategies_user_name"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", index=True)
    name: str = Field(max_length=64)
    platform: str = Field(max_length=16)  # tradingview | gocharting | amibroker | chartink
    trading_mode: str = Field(max_length=8)  # LONG | SHORT | BOTH
    product: str = Field(max_length=8)  # the default product of its mappings
    is_intraday: bool = False
    start_time: str = Field(default="09:15", max_length=5)  # IST HH:MM
    end_time: str = Field(default="15:00", max_length=5)
    squareoff_time: str = Field(default="15:15", max_length=5)
    is_active: bool = True
    token_digest: str = Field(max_length=64, unique=True)
    token_encrypted: str = Field(max_length=512)
    signing_secret_encrypted: str | None = Field(default=None, max_length=512, nullable=True)
    squared_off_on: date | None = None  # the last IST day its square-off ran
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class StrategySymbol(SQLModel, table=True):
    __tablename__ = "strategy_symbols"
    __table_args__ = (
        sa.UniqueConstraint("strategy_id", "symbol", "exchange", name="uq_strategy_symbols_symbol_exchange"),
    )

    id: int | None = Field(default=None, primary_key=True)
    strategy_id: int = Field(foreign_key="strategies.id", index=True)
    symbol: str = Field(max_length=64)
    exchange: str = Field(max_length=16)
    quantity: int
    product: str = Field(max_length=8)
    created_at: datetime = Field(default_factory=utcnow)


class WebhookAlert(SQLModel, table=True):
    """One delivery to a webhook: accepted (pending, then placed or failed) or refused with its reason."""

    __tablename__ = "webhook_alerts"
    __table_args__ = (
        sa.UniqueConstraint("source", "source_id", "dedupe_key", name="uq_webhook_alerts_dedupe"),
        sa.Index("ix_webhook_alerts_source_received", "source", "source_id", "received_at"),
        sa.Index("ix_webhook_alerts_status", "status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    source: str = Field(max_length=16)  # strategy (later: flow)
    source_id: int
    user_id: int = Field(foreign_key="users.id", index=True)
    kind: str = Field(max_length=16)  # alert | chartink | squareoff
    body_digest: str = Field(max_length=64)
    dedupe_key: str | None = Field(
        default=None, max_length=160, nullable=True
    )  # an Idempotency-Key or a day's square-off
    payload: str = Field(sa_column=sa.Column(sa.Text, nullable=False))  # the delivered JSON, token-free
    plan: str = Field(sa_column=sa.Column(sa.Text, nullable=False))  # the orders it stands for
    status: str = Field(max_length=16)  # pending | placed | failed | refused
    answer: str = Field(default="", sa_column=sa.Column(sa.Text, nullable=False))  # what the webhook answered
    http_status: int = 200
    received_at: datetime = Field(default_factory=utcnow)
    settled_at: datetime | None = None
