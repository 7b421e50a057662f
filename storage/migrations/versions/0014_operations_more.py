"""Operating the gateway, continued: each user's Telegram preferences.

Revision ID: 0014_operations_more
Revises: 0013_python_strategies
"""

import sqlalchemy as sa
from alembic import op

revision = "0014_operations_more"
down_revision = "0013_python_strategies"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "telegram_preferences",
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id"), primary_key=True),
        sa.Column("order_notifications", sa.Boolean(), nullable=False),
        sa.Column("trade_notifications", sa.Boolean(), nullable=False),
        sa.Column("pnl_notifications", sa.Boolean(), nullable=False),
        sa.Column("daily_summary", sa.Boolean(), nullable=False),
        sa.Column("summary_time", sa.String(length=5), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("telegram_preferences")
