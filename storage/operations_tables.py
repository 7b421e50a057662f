"""Tables of operating the gateway: the Telegram bot, the chats linked to users, and the outbox of its messages.

Times are timezone-aware UTC, as in `storage.models`.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from storage.models import utcnow


class TelegramBot(SQLModel, table=True):
    """The one bot of this gateway (row id 1); its token is Fernet-encrypted and never read back out."""

    __tablename__ = "telegram_bot"

    id: int | None = Field(default=None, primary_key=True)
    token_encrypted: str = Field(max_length=1024)
    bot_username: str = Field(default="", max_length=64)
    is_active: bool = False  # the operator's start/stop switch; kept across restarts
    broadcast_enabled: bool = True
    rate_limit_per_minute: int = 30
    update_offset: int = Field(
        default=0, sa_type=sa.BigInteger
    )  # the next getUpdates offset, so no update is answered twice
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class TelegramLink(SQLModel, table=True):
    """A user's Telegram chat. Before `/start <code>` arrives, only the code's digest and expiry are set."""

    __tablename__ = "telegram_links"

    user_id: int = Field(foreign_key="users.id", primary_key=True)
    chat_id: int | None = Field(default=None, sa_type=sa.BigInteger, unique=True, nullable=True)
    telegram_username: str = Field(default="", max_length=64)
    code_digest: str | None = Field(default=None, max_length=64, index=True)
    code_expires_at: datetime | None = None
    notifications_enabled: bool = True
    linked_at: datetime | None = None


class TelegramMessage(SQLModel, table=True):
    """One message to send. `dedupe_key` makes an alert for the same order change a single row."""

    __tablename__ = "telegram_outbox"
    __table_args__ = (sa.Index("ix_telegram_outbox_status_due", "status", "next_attempt_at"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", index=True)
    kind: str = Field(max_length=32)  # order.placed, order.filled, order.rejected, order.cancelled, notify
    text: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    dedupe_key: str | None = Field(default=None, max_length=160, unique=True, nullable=True)
    status: str = Field(default="pending", max_length=16)  # pending | sent | dropped
    attempts: int = 0
    last_error: str = Field(default="", max_length=512)
    next_attempt_at: datetime = Field(default_factory=utcnow)
    created_at: datetime = Field(default_factory=utcnow)
    sent_at: datetime | None = None


class TelegramPreference(SQLModel, table=True):
    """What a user wants sent to their chat; a user with no row gets every alert."""

    __tablename__ = "telegram_preferences"

    user_id: int = Field(foreign_key="users.id", primary_key=True)
    order_notifications: bool = True  # placed, rejected, cancelled
    trade_notifications: bool = True  # filled
    pnl_notifications: bool = True
    daily_summary: bool = False
    summary_time: str = Field(default="15:45", max_length=5)  # HH:MM, IST unless `timezone` says otherwise
    language: str = Field(default="en", max_length=8)
    timezone: str = Field(default="Asia/Kolkata", max_length=64)
    updated_at: datetime = Field(default_factory=utcnow)
