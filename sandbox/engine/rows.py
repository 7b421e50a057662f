"""Plain rows and prebuilt Core statements for the engine's hot paths.

Placing, modifying, cancelling and filling orders read and write through these instead of the ORM:
a slotted dataclass costs a fraction of a table model to build, and a statement built once at import
is compiled once and then only looked up in SQLAlchemy's cache, with no identity map, unit of work or
autoflush in the way. The column types (`Money`, `UTCDateTime`) still convert every value exactly as
the ORM does, so both paths read and write the same rows.

Statuses in WHERE clauses are rendered inline, so a claim's `status IN (...)` needs no expanding
parameter (which would be rendered again on every execution).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import bindparam, func, insert, literal_column, or_, select, update

from sandbox.engine.models import RESTING_STATUSES, Action, Product
from storage.sandbox_tables import (
    SandboxFunds,
    SandboxHolding,
    SandboxLedgerEntry,
    SandboxOrder,
    SandboxPosition,
    SandboxTrade,
)

ORDERS = SandboxOrder.__table__
POSITIONS = SandboxPosition.__table__
FUNDS = SandboxFunds.__table__
LEDGER = SandboxLedgerEntry.__table__
TRADES = SandboxTrade.__table__
HOLDINGS = SandboxHolding.__table__

_ZERO = Decimal(0)


def _inline(*values: str) -> list:
    return [literal_column("'" + value.replace("'", "''") + "'") for value in values]


@dataclass(slots=True, eq=False)
class OrderRow:
    """One `sandbox_orders` row, as the hot paths carry it; the attributes match `SandboxOrder`."""

    order_id: str
    user_id: int
    strategy: str
    exchange: str
    symbol: str
    action: str
    quantity: int
    price: Decimal
    trigger_price: Decimal
    price_type: str
    product: str
    status: str
    average_price: Decimal = _ZERO
    filled_quantity: int = 0
    margin_blocked: Decimal = _ZERO
    rejection_reason: str = ""
    gtt_id: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None


ORDER_FIELDS = tuple(OrderRow.__dataclass_fields__)
_ORDER_COLUMNS = [ORDERS.c[name] for name in ORDER_FIELDS]
_IS_RESTING = ORDERS.c.status.in_(_inline(*RESTING_STATUSES))


def order_values(order: OrderRow) -> dict:
    return {name: getattr(order, name) for name in ORDER_FIELDS}


INSERT_ORDER = insert(ORDERS)
HIGHEST_ORDER_ID = select(func.max(ORDERS.c.order_id)).where(ORDERS.c.order_id.like(bindparam("prefix")))
ORDER_OF_USER = select(*_ORDER_COLUMNS).where(
    ORDERS.c.order_id == bindparam("order_id"), ORDERS.c.user_id == bindparam("user_id")
)
ORDERS_BY_ID = select(*_ORDER_COLUMNS).where(ORDERS.c.order_id.in_(bindparam("order_ids", expanding=True)))
RESTING_ORDERS = select(*_ORDER_COLUMNS).where(_IS_RESTING).order_by(ORDERS.c.id)
RESTING_ORDERS_OF_USER = (
    select(*_ORDER_COLUMNS).where(ORDERS.c.user_id == bindparam("user_id"), _IS_RESTING).order_by(ORDERS.c.id)
)
# The order book: the IST trading day's orders plus any still resting from before it.
ORDERS_OF_SESSION = (
    select(*_ORDER_COLUMNS)
    .where(ORDERS.c.user_id == bindparam("user_id"), or_(ORDERS.c.created_at >= bindparam("since"), _IS_RESTING))
    .order_by(ORDERS.c.id)
)
# The trade book: the IST trading day's fills, in the columns `bookjson.tradebook_json` reads.
_TRADE_BOOK = (
    "trade_id", "order_id", "strategy", "exchange", "symbol", "action", "quantity", "price", "product", "created_at"
)  # fmt: skip
TRADES_OF_SESSION = (
    select(*[TRADES.c[name] for name in _TRADE_BOOK])
    .where(TRADES.c.user_id == bindparam("user_id"), TRADES.c.created_at >= bindparam("since"))
    .order_by(TRADES.c.id)
)
RESTING_MIS_ORDERS_ON = (
    select(*_ORDER_COLUMNS)
    .where(
        ORDERS.c.exchange == bindparam("exchange"),
        ORDERS.c.product == literal_column("'" + Product.MIS.value + "'"),
        _IS_RESTING,
    )
    .order_by(ORDERS.c.id)
)
# The SET clause comes from the parameters given, so one statement serves every kind of claim.
CLAIM_ORDER = update(ORDERS).where(ORDERS.c.order_id == bindparam("claimed_order_id"), _IS_RESTING)

_PENDING_CNC_SELLS = select(func.coalesce(func.sum(ORDERS.c.quantity), 0)).where(
    ORDERS.c.user_id == bindparam("user_id"),
    ORDERS.c.exchange == bindparam("exchange"),
    ORDERS.c.symbol == bindparam("symbol"),
    ORDERS.c.product == literal_column("'" + Product.CNC.value + "'"),
    ORDERS.c.action == literal_column("'" + Action.SELL.value + "'"),
    _IS_RESTING,
)
PENDING_CNC_SELLS = _PENDING_CNC_SELLS
PENDING_CNC_SELLS_BESIDES = _PENDING_CNC_SELLS.where(ORDERS.c.order_id != bindparam("replacing"))

HOLDING_QUANTITY = select(HOLDINGS.c.quantity).where(
    HOLDINGS.c.user_id == bindparam("user_id"),
    HOLDINGS.c.exchange == bindparam("exchange"),
    HOLDINGS.c.symbol == bindparam("symbol"),
)


@dataclass(slots=True, eq=False)
class PositionRow:
    """One `sandbox_positions` row; `changed` marks it for writing when the transaction flushes."""

    id: int | None
    user_id: int
    exchange: str
    symbol: str
    product: str
    quantity: int
    average_price: Decimal
    margin_blocked: Decimal
    realized_pnl: Decimal
    trade_date: date
    created_at: datetime
    updated_at: datetime
    changed: bool = False


POSITION_FIELDS = tuple(name for name in PositionRow.__dataclass_fields__ if name != "changed")
_POSITION_COLUMNS = [POSITIONS.c[name] for name in POSITION_FIELDS]
POSITION_BY_KEY = select(*_POSITION_COLUMNS).where(
    POSITIONS.c.user_id == bindparam("user_id"),
    POSITIONS.c.exchange == bindparam("exchange"),
    POSITIONS.c.symbol == bindparam("symbol"),
    POSITIONS.c.product == bindparam("product"),
)
POSITIONS_OF_USER = (
    select(*_POSITION_COLUMNS).where(POSITIONS.c.user_id == bindparam("user_id")).order_by(POSITIONS.c.id)
)
OPEN_MIS_POSITIONS_ON = (
    select(*_POSITION_COLUMNS)
    .where(
        POSITIONS.c.exchange == bindparam("exchange"),
        POSITIONS.c.product == literal_column("'" + Product.MIS.value + "'"),
        POSITIONS.c.quantity != 0,
    )
    .order_by(POSITIONS.c.id)
)
INSERT_POSITION = insert(POSITIONS)
UPDATE_POSITION = update(POSITIONS).where(POSITIONS.c.id == bindparam("position_id"))


def position_changes(position: PositionRow) -> dict:
    return {
        "position_id": position.id,
        "quantity": position.quantity,
        "average_price": position.average_price,
        "margin_blocked": position.margin_blocked,
        "realized_pnl": position.realized_pnl,
        "trade_date": position.trade_date,
        "updated_at": position.updated_at,
    }


def position_values(position: PositionRow) -> dict:
    return {name: getattr(position, name) for name in POSITION_FIELDS if name != "id"}


@dataclass(slots=True, eq=False)
class FundsRow:
    """One `sandbox_funds` row; `stored` is False until it has been inserted."""

    user_id: int
    starting_capital: Decimal
    available_cash: Decimal
    used_margin: Decimal
    realized_pnl: Decimal
    created_at: datetime
    updated_at: datetime
    stored: bool = True
    changed: bool = False


FUNDS_FIELDS = tuple(name for name in FundsRow.__dataclass_fields__ if name not in ("stored", "changed"))
FUNDS_OF_USER = select(*[FUNDS.c[name] for name in FUNDS_FIELDS]).where(
    FUNDS.c.user_id == bindparam("user_id")
)
INSERT_FUNDS = insert(FUNDS)
UPDATE_FUNDS = update(FUNDS).where(FUNDS.c.user_id == bindparam("funds_user_id"))

INSERT_LEDGER_ENTRIES = insert(LEDGER)
INSERT_TRADES = insert(TRADES)
