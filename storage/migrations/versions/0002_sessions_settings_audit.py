"""Broker sessions, per-user settings and the append-only order audit.

Revision ID: 0002_sessions_settings_audit
Revises: 0001_users_keys
"""

import sqlalchemy as sa
from alembic import op

revision = "0002_sessions_settings_audit"
down_revision = "0001_users_keys"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "broker_sessions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("broker", sa.String(length=32), nullable=False),
        sa.Column("token_encrypted", sa.String(length=4096), nullable=False),
        sa.Column("valid_until", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_broker_sessions_user_id", "broker_sessions", ["user_id"])
    op.create_table(
        "user_settings",
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id"), primary_key=True),
        sa.Column("analyze_mode", sa.Boolean(), nullable=False),
        sa.Column("order_mode", sa.String(length=16), nullable=False),
    )
    op.create_table(
        "order_audit",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("broker", sa.String(length=32), nullable=False),
        sa.Column("event", sa.String(length=32), nullable=False),
        sa.Column("order_id", sa.String(length=64), nullable=True),
        sa.Column("client_order_id", sa.String(length=64), nullable=True),
        sa.Column("payload", sa.String(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_order_audit_user_id", "order_audit", ["user_id"])
    op.create_index("ix_order_audit_order_id", "order_audit", ["order_id"])
    op.create_index("ix_order_audit_client_order_id", "order_audit", ["client_order_id"])


def downgrade() -> None:
    op.drop_table("order_audit")
    op.drop_table("user_settings")
    op.drop_table("broker_sessions")
