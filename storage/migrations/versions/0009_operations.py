"""Operating the gateway: the Telegram bot, linked chats and the durable outbox of its messages.

Revision ID: 0009_operations
Revises: 0006_broker_credentials
"""

import sqlalchemy as sa
from alembic import op

revision = "0009_operations"
down_revision = "0006_broker_credentials"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "telegram_bot",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("token_encrypted", sa.String(length=1024), nullable=False),
        sa.Column("bot_username", sa.String(length=64), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("broadcast_enabled", sa.Boolean(), nullable=False),
        sa.Column("rate_limit_per_minute", sa.Integer(), nullable=False),
        sa.Column("update_offset", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "telegram_links",
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id"), primary_key=True),
        sa.Column("chat_id", sa.BigInteger(), nullable=True),
        sa.Column("telegram_username", sa.String(length=64), nullable=False),
        sa.Column("code_digest", sa.String(length=64), nullable=True),
        sa.Column("code_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("notifications_enabled", sa.Boolean(), nullable=False),
        sa.Column("linked_at", sa.DateTime(timezone=True), nullable=True),
        sa.UniqueConstraint("chat_id", name="uq_telegram_links_chat_id"),
    )
    op.create_index("ix_telegram_links_code_digest", "telegram_links", ["code_digest"])
    op.create_table(
        "telegram_outbox",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("dedupe_key", sa.String(length=160), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.String(length=512), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.UniqueConstraint("dedupe_key", name="uq_telegram_outbox_dedupe_key"),
    )
    op.create_index("ix_telegram_outbox_user_id", "telegram_outbox", ["user_id"])
    op.create_index("ix_telegram_outbox_status_due", "telegram_outbox", ["status", "next_attempt_at"])


def downgrade() -> None:
    op.drop_index("ix_telegram_outbox_status_due", table_name="telegram_outbox")
    op.drop_index("ix_telegram_outbox_user_id", table_name="telegram_outbox")
    op.drop_table("telegram_outbox")
    op.drop_index("ix_telegram_links_code_digest", table_name="telegram_links")
    op.drop_table("telegram_links")
    op.drop_table("telegram_bot")
