"""Webhook strategies: strategies, their symbol mappings, and the durable alert inbox.

Revision ID: 0012_strategies
Revises: 0011_scale
"""

import sqlalchemy as sa
from alembic import op

revision = "0012_strategies"
down_revision = "0011_scale"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "strategies",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("trading_mode", sa.String(length=8), nullable=False),
        sa.Column("product", sa.String(length=8), nullable=False),
        sa.Column("is_intraday", sa.Boolean(), nullable=False),
        sa.Column("start_time", sa.String(length=5), nullable=False),
        sa.Column("end_time", sa.String(length=5), nullable=False),
        sa.Column("squareoff_time", sa.String(length=5), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("token_digest", sa.String(length=64), nullable=False),
        sa.Column("token_encrypted", sa.String(length=512), nullable=False),
        sa.Column("signing_secret_encrypted", sa.String(length=512), nullable=True),
        sa.Column("squared_off_on", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("user_id", "name", name="uq_strategies_user_name"),
        sa.UniqueConstraint("token_digest", name="uq_strategies_token_digest"),
    )
    op.create_index("ix_strategies_user_id", "strategies", ["user_id"])
    op.create_table(
        "strategy_symbols",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("strategy_id", sa.Integer(), sa.ForeignKey("strategies.id"), nullable=False),
        sa.Column("symbol", sa.String(length=64), nullable=False),
        sa.Column("exchange", sa.String(length=16), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("product", sa.String(length=8), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("strategy_id", "symbol", "exchange", name="uq_strategy_symbols_symbol_exchange"),
    )
    op.create_index("ix_strategy_symbols_strategy_id", "strategy_symbols", ["strategy_id"])
    op.create_table(
        "webhook_alerts",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("body_digest", sa.String(length=64), nullable=False),
        sa.Column("dedupe_key", sa.String(length=160), nullable=True),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("plan", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.Column("http_status", sa.Integer(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("settled_at", sa.DateTime(timezone=True), nullable=True),
        sa.UniqueConstraint("source", "source_id", "dedupe_key", name="uq_webhook_alerts_dedupe"),
    )
    op.create_index("ix_webhook_alerts_user_id", "webhook_alerts", ["user_id"])
    op.create_index("ix_webhook_alerts_source_received", "webhook_alerts", ["source", "source_id", "received_at"])
    op.create_index("ix_webhook_alerts_status", "webhook_alerts", ["status"])


def downgrade() -> None:
    op.drop_table("webhook_alerts")
    op.drop_table("strategy_symbols")
    op.drop_table("strategies")
