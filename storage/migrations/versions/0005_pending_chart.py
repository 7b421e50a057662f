"""Orders queued for approval in semi-auto mode, and chart preferences.

Revision ID: 0005_pending_chart
Revises: 0004_console
"""

import sqlalchemy as sa
from alembic import op

revision = "0005_pending_chart"
down_revision = "0004_console"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "pending_orders",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("request", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("outcome", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_pending_orders_user_id", "pending_orders", ["user_id"])
    op.create_index("ix_pending_orders_status", "pending_orders", ["status"])
    op.create_table(
        "chart_preferences",
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id"), primary_key=True),
        sa.Column("key", sa.String(length=50), primary_key=True),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("chart_preferences")
    op.drop_index("ix_pending_orders_status", table_name="pending_orders")
    op.drop_index("ix_pending_orders_user_id", table_name="pending_orders")
    op.drop_table("pending_orders")
