"""Python strategies: a user's own scripts that brokergate runs as supervised processes.

The script's text lives in a file named after the row id; the row holds what the supervisor needs:
the wanted state (set by the console, the CLI and the schedule), the observed state, the process to
recognise after a crash, and the schedule. Times are timezone-aware UTC, as in `storage.models`.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from storage.models import utcnow


class PythonStrategy(SQLModel, table=True):
    __tablename__ = "python_strategies"
    __table_args__ = (sa.UniqueConstraint("user_id", "name", name="uq_python_strategies_user_name"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", index=True)
    name: str = Field(max_length=64)
    api_key_id: int | None = Field(default=None, foreign_key="api_keys.id", nullable=True)  # the script's own key
    desired_state: str = Field(default="stopped", max_length=16)  # running | stopped: what the user asked for
    status: str = Field(default="stopped", max_length=16)  # stopped | running | finished | failed: what happened
    pid: int | None = Field(default=None, nullable=True)  # also the process group id (each script leads its own)
    process_start: str | None = Field(default=None, max_length=32, nullable=True)  # tells our pid from a reused one
    exit_code: int | None = Field(default=None, nullable=True)
    message: str = Field(default="", sa_column=sa.Column(sa.Text, nullable=False, server_default=""))
    schedule_days: str = Field(default="", max_length=32)  # "mon,tue,..."; empty: no schedule
    schedule_start: str | None = Field(default=None, max_length=5, nullable=True)  # HH:MM IST
    schedule_stop: str | None = Field(default=None, max_length=5, nullable=True)
    started_at: datetime | None = None
    stopped_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
