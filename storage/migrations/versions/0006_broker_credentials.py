"""Each user's own app credentials per broker, encrypted.

Revision ID: 0006_broker_credentials
Revises: 0005_pending_chart
"""

import sqlalchemy as sa
from alembic import op

revision = "0006_broker_credentials"
down_revision = "0005_pending_chart"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "broker_credentials",
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id"), primary_key=True),
        sa.Column("broker", sa.String(length=32), primary_key=True),
        sa.Column("fields_encrypted", sa.String(length=8192), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("broker_credentials")
