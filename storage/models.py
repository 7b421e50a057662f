"""The gateway's own tables: users, API keys, broker sessions, per-user settings, the order audit.

Times are timezone-aware UTC; SQLModel stores them so that SQLite and PostgreSQL read them back alike.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    return datetime.now(UTC)


class User(SQLModel, table=True):
    __tablename__ = "users"

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=64, unique=True, index=True)
    password_hash: str = Field(max_length=255)
    is_admin: bool = False
    created_at: datetime = Field(default_factory=utcnow)


class ApiKey(SQLModel, table=True):
    """An API key, found by its keyed hash; the encrypted copy lets its owner reveal it again."""

    __tablename__ = "api_keys"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", index=True)
    key_digest: str = Field(max_length=64, unique=True, index=True)  # HMAC-SHA256 with the pepper
    key_encrypted: str = Field(max_length=512)
    created_at: datetime = Field(default_factory=utcnow)
    revoked_at: datetime | None = None


class BrokerSession(SQLModel, table=True):
    """A user's login at a broker; the token is Fernet-encrypted and stops working at `valid_until`."""

    __tablename__ = "broker_sessions"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", index=True)
    broker: str = Field(max_length=32)
    token_encrypted: str = Field(max_length=4096)
    valid_until: datetime
    status: str = Field(default="active", max_length=16)  # active | revoked
    created_at: datetime = Field(default_factory=utcnow)


class BrokerCredential(SQLModel, table=True):
    """A user's own app credentials at one broker (api_key, api_secret, ...), Fernet-encrypted as one JSON object."""

    __tablename__ = "broker_credentials"

    user_id: int = Field(foreign_key="users.id", primary_key=True)
    broker: str = Field(max_length=32, primary_key=True)
    fields_encrypted: str = Field(max_length=8192)
    updated_at: datetime = Field(default_factory=utcnow)


class UserSettings(SQLModel, table=True):
    __tablename__ = "user_settings"

    user_id: int = Field(foreign_key="users.id", primary_key=True)
    analyze_mode: bool = True
    order_mode: str = Field(default="auto", max_length=16)  # auto | semi_auto


class OrderAudit(SQLModel, table=True):
    """Append-only record of every order request and its outcome; rows are never updated."""

    __tablename__ = "order_audit"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", index=True)
    broker: str = Field(max_length=32)
    event: str = Field(max_length=32)  # e.g. place.requested, place.accepted, place.failed
    order_id: str | None = Field(default=None, max_length=64, index=True)
    client_order_id: str | None = Field(default=None, max_length=64, index=True)
    payload: str = Field(default="{}")  # JSON of the request or the outcome, secrets removed
    created_at: datetime = Field(default_factory=utcnow)
