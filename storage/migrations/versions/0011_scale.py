"""The order-update journal: durable per-user sequences for WebSocket order updates.

Revision ID: 0011_scale
Revises: 0006_broker_credentials
"""

import sqlalchemy as sa
from alembic import op

revision = "0011_scale"
down_revision = "0010_admin_data"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "order_update_log",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("user_id", "sequence", name="uq_order_update_log_user_sequence"),
    )


def downgrade() -> None:
    op.drop_table("order_update_log")
