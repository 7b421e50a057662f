"""Python strategies: users' scripts run by the supervisor, with their state and schedule.

Revision ID: 0013_python_strategies
Revises: 0012_strategies
"""

import sqlalchemy as sa
from alembic import op

revision = "0013_python_strategies"
down_revision = "0012_strategies"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "python_strategies",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("api_key_id", sa.Integer(), sa.ForeignKey("api_keys.id"), nullable=True),
        sa.Column("desired_state", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=True),
        sa.Column("process_start", sa.String(length=32), nullable=True),
        sa.Column("exit_code", sa.Integer(), nullable=True),
        sa.Column("message", sa.Text(), nullable=False, server_default=""),
        sa.Column("schedule_days", sa.String(length=32), nullable=False),
        sa.Column("schedule_start", sa.String(length=5), nullable=True),
        sa.Column("schedule_stop", sa.String(length=5), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("stopped_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("user_id", "name", name="uq_python_strategies_user_name"),
    )
    op.create_index("ix_python_strategies_user_id", "python_strategies", ["user_id"])


def downgrade() -> None:
    op.drop_index("ix_python_strategies_user_id", table_name="python_strategies")
    op.drop_table("python_strategies")
