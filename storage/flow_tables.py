"""Tables of flow workflows: the workflow document, its runs, and each run's node steps.

A workflow's webhook token is stored as a keyed digest (how a delivery finds it) and Fernet-encrypted
(so its owner can see the URL again), as for webhook strategies. A run row is written before any of
its nodes acts, and a step row before its node acts, so a restart can resume a run and skip or
replay (under the same order idempotency key) what already happened. Times are timezone-aware UTC.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from storage.models import utcnow


class FlowWorkflowRecord(SQLModel, table=True):
    __tablename__ = "flow_workflows"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", index=True)
    name: str = Field(max_length=100)
    description: str = Field(default="", max_length=1000)
    document: str = Field(sa_column=sa.Column(sa.Text, nullable=False))  # the checked FlowWorkflowDocument JSON
    is_active: bool = False
    token_digest: str = Field(max_length=64, unique=True)
    token_encrypted: str = Field(max_length=512)
    signing_secret_encrypted: str | None = Field(default=None, max_length=512, nullable=True)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class FlowRunRecord(SQLModel, table=True):
    """One run: queued, running, then succeeded or failed; or dropped when it overlapped another."""

    __tablename__ = "flow_runs"
    __table_args__ = (
        sa.UniqueConstraint("workflow_id", "dedupe_key", name="uq_flow_runs_dedupe"),
        sa.Index("ix_flow_runs_workflow_created", "workflow_id", "created_at"),
        sa.Index("ix_flow_runs_status", "status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    workflow_id: int = Field(index=False)
    user_id: int = Field(foreign_key="users.id", index=True)
    trigger: str = Field(max_length=32)  # the kind of the trigger node
    trigger_node: str = Field(max_length=64)
    payload: str = Field(default="{}", sa_column=sa.Column(sa.Text, nullable=False))
    dedupe_key: str | None = Field(default=None, max_length=160, nullable=True)  # a webhook's Idempotency-Key, a firing
    status: str = Field(max_length=16)
    error: str | None = Field(default=None, max_length=2000, nullable=True)
    created_at: datetime = Field(default_factory=utcnow)
    started_at: datetime | None = None
    finished_at: datetime | None = None


class FlowStepRecord(SQLModel, table=True):
    """One node's execution in a run, written before the node acts and finished after."""

    __tablename__ = "flow_steps"
    __table_args__ = (sa.UniqueConstraint("run_id", "node_id", name="uq_flow_steps_run_node"),)

    id: int | None = Field(default=None, primary_key=True)
    run_id: int = Field(index=True)
    node_id: str = Field(max_length=64)
    type: str = Field(max_length=32)
    status: str = Field(max_length=16)  # running | succeeded | failed
    input: str = Field(default="null", sa_column=sa.Column(sa.Text, nullable=False))
    output: str = Field(default="null", sa_column=sa.Column(sa.Text, nullable=False))
    error: str | None = Field(default=None, max_length=2000, nullable=True)
    started_at: datetime = Field(default_factory=utcnow)
    duration_ms: int | None = None
