"""The order-update journal: every `order_update` sent on the WebSocket, numbered per user.

The sequence is durable, so it survives a restart, and a client that comes back names the last one
it saw (`subscribe_orders` with `since`) to be sent everything after it, in order.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from storage.models import utcnow


class OrderUpdateRecord(SQLModel, table=True):
    """One order update as it went out; (user_id, sequence) is unique, so two writers cannot share a number."""

    __tablename__ = "order_update_log"
    __table_args__ = (sa.UniqueConstraint("user_id", "sequence", name="uq_order_update_log_user_sequence"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int
    sequence: int
    payload: str = Field(sa_column=sa.Column(sa.Text(), nullable=False))  # the order_update's JSON
    created_at: datetime = Field(default_factory=utcnow, sa_type=sa.DateTime(timezone=True))
