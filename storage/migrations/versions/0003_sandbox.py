"""The sandbox engine's tables: orders, trades, positions, holdings, funds, ledger, GTTs, square-off runs.

Money columns are BIGINT ten-thousandths of a rupee (see `storage.sandbox_tables.Money`); times are
timezone-aware. Plain DDL only, so SQLite and PostgreSQL run it alike.

Revision ID: 0003_sandbox
Revises: 0002_sessions_settings_audit
"""

import sqlalchemy as sa
from alembic import op

revision = "0003_sandbox"
down_revision = "0002_sessions_settings_audit"
branch_labels = None
depends_on = None


def _money(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.BigInteger(), nullable=nullable)


def _time(name: str) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=False)


def upgrade() -> None:
    op.create_table(
        "sandbox_orders",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("order_id", sa.String(length=14), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("strategy", sa.String(length=128), nullable=False),
        sa.Column("exchange", sa.String(length=16), nullable=False),
        sa.Column("symbol", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=4), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        _money("price"),
        _money("trigger_price"),
        sa.Column("price_type", sa.String(length=8), nullable=False),
        sa.Column("product", sa.String(length=4), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        _money("average_price"),
        sa.Column("filled_quantity", sa.Integer(), nullable=False),
        _money("margin_blocked"),
        sa.Column("rejection_reason", sa.String(length=512), nullable=False),
        sa.Column("gtt_id", sa.String(length=24), nullable=True),
        _time("created_at"),
        _time("updated_at"),
        sa.UniqueConstraint("order_id", name="uq_sandbox_orders_order_id"),
    )
    op.create_index("ix_sandbox_orders_user_status", "sandbox_orders", ["user_id", "status"])
    op.create_index("ix_sandbox_orders_status", "sandbox_orders", ["status"])

    op.create_table(
        "sandbox_trades",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("trade_id", sa.String(length=32), nullable=False),
        sa.Column("order_id", sa.String(length=14), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("strategy", sa.String(length=128), nullable=False),
        sa.Column("exchange", sa.String(length=16), nullable=False),
        sa.Column("symbol", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=4), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        _money("price"),
        sa.Column("product", sa.String(length=4), nullable=False),
        _time("created_at"),
        sa.UniqueConstraint("trade_id", name="uq_sandbox_trades_trade_id"),
        sa.UniqueConstraint("order_id", name="uq_sandbox_trades_order_id"),
    )
    op.create_index("ix_sandbox_trades_user_id", "sandbox_trades", ["user_id"])

    op.create_table(
        "sandbox_positions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("exchange", sa.String(length=16), nullable=False),
        sa.Column("symbol", sa.String(length=64), nullable=False),
        sa.Column("product", sa.String(length=4), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        _money("average_price"),
        _money("margin_blocked"),
        _money("realized_pnl"),
        sa.Column("trade_date", sa.Date(), nullable=False),
        _time("created_at"),
        _time("updated_at"),
        sa.UniqueConstraint("user_id", "exchange", "symbol", "product", name="uq_sandbox_positions_key"),
    )
    op.create_index("ix_sandbox_positions_user_id", "sandbox_positions", ["user_id"])

    op.create_table(
        "sandbox_holdings",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("exchange", sa.String(length=16), nullable=False),
        sa.Column("symbol", sa.String(length=64), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        _money("cost"),
        sa.Column("settled_on", sa.Date(), nullable=False),
        _time("created_at"),
        _time("updated_at"),
        sa.UniqueConstraint("user_id", "exchange", "symbol", name="uq_sandbox_holdings_key"),
    )
    op.create_index("ix_sandbox_holdings_user_id", "sandbox_holdings", ["user_id"])

    op.create_table(
        "sandbox_funds",
        sa.Column("user_id", sa.Integer(), primary_key=True, autoincrement=False),
        _money("starting_capital"),
        _money("available_cash"),
        _money("used_margin"),
        _money("realized_pnl"),
        _time("created_at"),
        _time("updated_at"),
    )

    op.create_table(
        "sandbox_ledger",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("reference", sa.String(length=96), nullable=False),
        _money("margin_change"),
        _money("realized_change"),
        _time("created_at"),
    )
    op.create_index("ix_sandbox_ledger_user_id", "sandbox_ledger", ["user_id"])
    op.create_index("ix_sandbox_ledger_reference", "sandbox_ledger", ["reference"])

    op.create_table(
        "sandbox_gtts",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("gtt_id", sa.String(length=24), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("strategy", sa.String(length=128), nullable=False),
        sa.Column("trigger_type", sa.String(length=8), nullable=False),
        sa.Column("exchange", sa.String(length=16), nullable=False),
        sa.Column("symbol", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=4), nullable=False),
        sa.Column("product", sa.String(length=4), nullable=False),
        sa.Column("price_type", sa.String(length=8), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        _money("stoploss_trigger", nullable=True),
        _money("stoploss_price", nullable=True),
        _money("target_trigger", nullable=True),
        _money("target_price", nullable=True),
        _money("last_price"),
        sa.Column("status", sa.String(length=16), nullable=False),
        _money("margin_blocked"),
        sa.Column("fired_leg", sa.String(length=8), nullable=True),
        sa.Column("order_id", sa.String(length=14), nullable=True),
        _time("expires_at"),
        _time("created_at"),
        _time("updated_at"),
        sa.UniqueConstraint("gtt_id", name="uq_sandbox_gtts_gtt_id"),
    )
    op.create_index("ix_sandbox_gtts_user_status", "sandbox_gtts", ["user_id", "status"])

    op.create_table(
        "sandbox_square_off_runs",
        sa.Column("exchange", sa.String(length=16), primary_key=True),
        sa.Column("last_run_on", sa.Date(), nullable=False),
        _time("updated_at"),
    )


def downgrade() -> None:
    op.drop_table("sandbox_square_off_runs")
    op.drop_table("sandbox_gtts")
    op.drop_table("sandbox_ledger")
    op.drop_table("sandbox_funds")
    op.drop_table("sandbox_holdings")
    op.drop_table("sandbox_positions")
    op.drop_table("sandbox_trades")
    op.drop_table("sandbox_orders")
