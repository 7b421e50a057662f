"""Admin data: market holidays, session timings and freeze quantities.

The gateway seeds the three tables from its built-in lists the first time it starts on them
(`gateway.admindata`), so this migration only creates them.

Revision ID: 0010_admin_data
Revises: 0006_broker_credentials
"""

import sqlalchemy as sa
from alembic import op

revision = "0010_admin_data"
down_revision = "0009_operations"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "market_holidays",
        sa.Column("day", sa.Date(), primary_key=True),
        sa.Column("description", sa.String(length=200), nullable=False),
        sa.Column("commodity_evening", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "session_timings",
        sa.Column("exchange", sa.String(length=16), primary_key=True),
        sa.Column("start_time", sa.Time(), nullable=False),
        sa.Column("end_time", sa.Time(), nullable=False),
        sa.Column("dst_end_time", sa.Time(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "freeze_quantities",
        sa.Column("exchange", sa.String(length=16), primary_key=True),
        sa.Column("symbol", sa.String(length=64), primary_key=True),
        sa.Column("freeze_qty", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("freeze_quantities")
    op.drop_table("session_timings")
    op.drop_table("market_holidays")
