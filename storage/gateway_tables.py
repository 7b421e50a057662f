"""Tables of the gateway's own features: orders queued for approval in semi-auto mode, chart preferences.

Times are timezone-aware UTC, as in `storage.models`.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from storage.models import utcnow


class QueuedOrder(SQLModel, table=True):
    """An order request held for the user's approval (OpenAlgo's Action Center).

    `status` moves `pending -> approved | failed | rejected` by a conditional UPDATE, once; an
    approved order was placed through the order desk with `pending:<id>` as its idempotency key.
    """

    __tablename__ = "pending_orders"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", index=True)
    kind: str = Field(max_length=32)  # the endpoint that queued it: placeorder, smartorder, basketorder, ...
    request: str = Field(sa_column=sa.Column(sa.Text, nullable=False))  # JSON, the API key removed
    status: str = Field(default="pending", max_length=16, index=True)
    outcome: str | None = Field(default=None, sa_column=sa.Column(sa.Text, nullable=True))  # JSON answer or error
    created_at: datetime = Field(default_factory=utcnow)
    decided_at: datetime | None = None


class ChartPreference(SQLModel, table=True):
    """One saved chart preference of a user; the value is text of up to 1 MB."""

    __tablename__ = "chart_preferences"

    user_id: int = Field(foreign_key="users.id", primary_key=True)
    key: str = Field(max_length=50, primary_key=True)
    value: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    updated_at: datetime = Field(default_factory=utcnow)
