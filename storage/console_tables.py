"""The console's tables: server-side browser sessions, each user's TOTP secret, and banned addresses.

A session row is found by the SHA-256 of the cookie's random value, so a copy of the database holds no
cookie that would log anyone in. Times are timezone-aware UTC, as in `storage.models`.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from storage.models import utcnow


class ConsoleSession(SQLModel, table=True):
    __tablename__ = "console_sessions"

    id: int | None = Field(default=None, primary_key=True)
    token_digest: str = Field(max_length=64, unique=True, index=True)  # SHA-256 of the cookie value
    user_id: int = Field(foreign_key="users.id", index=True)
    # False between the password and the TOTP code: the session may only submit the code.
    is_verified: bool = False
    oauth_state_digest: str | None = Field(default=None, max_length=64)
    oauth_broker: str | None = Field(default=None, max_length=32)
    oauth_state_expires_at: datetime | None = None
    client_ip: str = Field(default="", max_length=64)
    user_agent: str = Field(default="", max_length=256)
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    revoked_at: datetime | None = None


class UserTotp(SQLModel, table=True):
    """A user's TOTP secret, Fernet-encrypted; `last_counter` refuses a code used once already."""

    __tablename__ = "user_totp"

    user_id: int = Field(foreign_key="users.id", primary_key=True)
    secret_encrypted: str = Field(max_length=512)
    is_enabled: bool = False
    last_counter: int = 0
    created_at: datetime = Field(default_factory=utcnow)


class IpBan(SQLModel, table=True):
    """A banned client address; `until` None is permanent, `lifted_at` set means it no longer applies."""

    __tablename__ = "ip_bans"

    id: int | None = Field(default=None, primary_key=True)
    address: str = Field(max_length=64, index=True)
    reason: str = Field(max_length=256)
    created_at: datetime = Field(default_factory=utcnow)
    until: datetime | None = None
    lifted_at: datetime | None = None


CONSOLE_TABLES = (ConsoleSession, UserTotp, IpBan)
