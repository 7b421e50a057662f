"""Flow: workflows, their runs and each run's node steps.

Revision ID: 0016_flow
Revises: 0015_workers
"""

import sqlalchemy as sa
from alembic import op

revision = "0016_flow"
down_revision = "0015_workers"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "flow_workflows",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("description", sa.String(length=1000), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("token_digest", sa.String(length=64), nullable=False),
        sa.Column("token_encrypted", sa.String(length=512), nullable=False),
        sa.Column("signing_secret_encrypted", sa.String(length=512), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("token_digest", name="uq_flow_workflows_token_digest"),
    )
    op.create_index("ix_flow_workflows_user_id", "flow_workflows", ["user_id"])
    op.create_table(
        "flow_runs",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("workflow_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("trigger", sa.String(length=32), nullable=False),
        sa.Column("trigger_node", sa.String(length=64), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("dedupe_key", sa.String(length=160), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("error", sa.String(length=2000), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.UniqueConstraint("workflow_id", "dedupe_key", name="uq_flow_runs_dedupe"),
    )
    op.create_index("ix_flow_runs_user_id", "flow_runs", ["user_id"])
    op.create_index("ix_flow_runs_workflow_created", "flow_runs", ["workflow_id", "created_at"])
    op.create_index("ix_flow_runs_status", "flow_runs", ["status"])
    op.create_table(
        "flow_steps",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("node_id", sa.String(length=64), nullable=False),
        sa.Column("type", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("input", sa.Text(), nullable=False),
        sa.Column("output", sa.Text(), nullable=False),
        sa.Column("error", sa.String(length=2000), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("duration_ms", sa.Integer(), nullable=True),
        sa.UniqueConstraint("run_id", "node_id", name="uq_flow_steps_run_node"),
    )
    op.create_index("ix_flow_steps_run_id", "flow_steps", ["run_id"])


def downgrade() -> None:
    op.drop_table("flow_steps")
    op.drop_table("flow_runs")
    op.drop_table("flow_workflows")
