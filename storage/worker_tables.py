"""Tables that let several worker processes share one gateway: the leader's lease and the sandbox books' generation.

Times are timezone-aware UTC, as in `storage.models`.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from storage.models import utcnow


class LeaderLease(SQLModel, table=True):
    """Who runs the once-only background work (`name`), until when; the holder renews it well before expiry."""

    __tablename__ = "leader_lease"

    name: str = Field(primary_key=True, max_length=64)
    holder: str = Field(max_length=128)
    term: int = Field(default=1, sa_type=sa.BigInteger)  # grows by one at each change of holder
    expires_at: datetime = Field(sa_type=sa.DateTime(timezone=True))
    renewed_at: datetime = Field(default_factory=utcnow, sa_type=sa.DateTime(timezone=True))


class SandboxGeneration(SQLModel, table=True):
    """One row, bumped by every sandbox engine transaction: an engine in another process that sees it move
    reloads its resting-order and GTT indexes before acting."""

    __tablename__ = "sandbox_generation"

    id: int = Field(default=1, primary_key=True)
    generation: int = Field(default=0, sa_type=sa.BigInteger)


class OrderIntent(SQLModel, table=True):
    """One row per (user, idempotency key), inserted before the order is placed: the primary key makes the
    claim atomic across processes, so of two workers sent the same client_order_id only one places it."""

    __tablename__ = "order_intents"

    user_id: int = Field(primary_key=True)
    client_order_id: str = Field(primary_key=True, max_length=64)
    created_at: datetime = Field(default_factory=utcnow, sa_type=sa.DateTime(timezone=True))
