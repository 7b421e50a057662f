"""Several workers: the leader's lease, the sandbox books' generation, one claim per idempotency key.

Revision ID: 0015_workers
Revises: 0014_operations_more
"""

import sqlalchemy as sa
from alembic import op

revision = "0015_workers"
down_revision = "0014_operations_more"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "leader_lease",
        sa.Column("name", sa.String(length=64), primary_key=True),
        sa.Column("holder", sa.String(length=128), nullable=False),
        sa.Column("term", sa.BigInteger(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("renewed_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "sandbox_generation",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("generation", sa.BigInteger(), nullable=False),
    )
    op.bulk_insert(
        sa.table("sandbox_generation", sa.column("id"), sa.column("generation")), [{"id": 1, "generation": 0}]
    )
    op.create_table(
        "order_intents",
        sa.Column("user_id", sa.Integer(), primary_key=True),
        sa.Column("client_order_id", sa.String(length=64), primary_key=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    # Keys used before this revision stay claimed, so a retry of an old order still replays it.
    op.execute(
        "INSERT INTO order_intents (user_id, client_order_id, created_at) "
        "SELECT user_id, client_order_id, MIN(created_at) FROM order_audit "
        "WHERE event = 'place.requested' AND client_order_id IS NOT NULL GROUP BY user_id, client_order_id"
    )


def downgrade() -> None:
    op.drop_table("order_intents")
    op.drop_table("sandbox_generation")
    op.drop_table("leader_lease")
