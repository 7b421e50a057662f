"""One unit of engine work: a database connection, its ledger, the moment it happens and the order
changes to announce once it has committed.

The hot paths work on plain rows through the connection (see `sandbox.engine.rows`). Orders are
written at once, so every claim is a conditional UPDATE against the stored row; the rows a burst of
fills keeps changing (the users' funds, positions) are read once and kept for the transaction, and
they are written, with the append-only ledger entries and trades, by `flush`: before the commit, and
before any ORM statement runs in the transaction's session, so no query sees the books half-written.
The ORM session, used by the colder paths (settlement, GTTs, square-off runs, the books), is made
only when one of them asks for it; its own pending changes are flushed before rows are read past it.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Connection, Select, event
from sqlmodel import Session

from sandbox.engine.config import SandboxConfig
from sandbox.engine.ledger import Ledger
from sandbox.engine.models import OrderView
from sandbox.engine.rows import (
    HIGHEST_ORDER_ID,
    HOLDING_QUANTITY,
    INSERT_ORDER,
    INSERT_POSITION,
    INSERT_TRADES,
    POSITION_BY_KEY,
    UPDATE_POSITION,
    OrderRow,
    PositionRow,
    order_values,
    position_changes,
    position_values,
)
from sandbox.engine.timekeeping import to_storage, trading_date
from storage.sandbox_tables import SandboxOrder

_ZERO = Decimal(0)


def order_view(row: SandboxOrder | OrderRow) -> OrderView:
    return OrderView(
        order_id=row.order_id,
        user_id=row.user_id,
        strategy=row.strategy,
        exchange=row.exchange,
        symbol=row.symbol,
        action=row.action,
        quantity=row.quantity,
        price=row.price,
        trigger_price=row.trigger_price,
        price_type=row.price_type,
        product=row.product,
        status=row.status,
        average_price=row.average_price,
        filled_quantity=row.filled_quantity,
        margin_blocked=row.margin_blocked,
        rejection_reason=row.rejection_reason,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


class EngineSession(Session):
    """The engine's session: an ORM statement first writes what the transaction still holds back."""


@event.listens_for(EngineSession, "do_orm_execute")
def _flush_before_orm_statement(state) -> None:
    txn = state.session.info.get("transaction")
    if txn is not None:
        txn.flush()


class Transaction:
    """The work of one engine job on one connection; the engine commits it after `flush`."""

    def __init__(self, connection: Connection, config: SandboxConfig, now: datetime) -> None:
        self.connection = connection
        self.now = now  # aware
        self.stored_now = to_storage(now)
        self.day = trading_date(now)
        self.changed_orders: list[OrderView] = []
        self.ledger = Ledger(self, config)
        self._session: EngineSession | None = None
        self._positions: dict[tuple[int, str, str, str], PositionRow | None] = {}
        self._new_positions: list[PositionRow] = []
        self._trades: list[dict] = []

    @property
    def session(self) -> EngineSession:
        """An ORM session in this transaction, for the paths that use table models; made on first use."""
        if self._session is None:
            self._session = EngineSession(
                bind=self.connection, expire_on_commit=False, join_transaction_mode="rollback_only"
            )
            self._session.info["transaction"] = self
        return self._session

    def close(self) -> None:
        if self._session is not None:
            self._session.close()
            self._session = None

    def record(self, order: SandboxOrder | OrderRow) -> None:
        """Remember the order's state now, so each change is announced as it was, in order."""
        self.changed_orders.append(order_view(order))

    # Orders

    def insert_order(self, order: OrderRow) -> None:
        self.connection.execute(INSERT_ORDER, order_values(order))

    def holding_quantity(self, user_id: int, exchange: str, symbol: str) -> int:
        self._write_orm_changes()  # holdings change only through the ORM (settlement)
        found = self.connection.execute(
            HOLDING_QUANTITY, {"user_id": user_id, "exchange": exchange, "symbol": symbol}
        ).first()
        return found[0] if found is not None else 0

    # Positions

    def position(self, user_id: int, exchange: str, symbol: str, product: str) -> PositionRow | None:
        """The position as this transaction has left it, read from the database once."""
        key = (user_id, exchange, symbol, product)
        try:
            return self._positions[key]
        except KeyError:
            pass
        self._write_orm_changes()
        found = self.connection.execute(
            POSITION_BY_KEY, {"user_id": user_id, "exchange": exchange, "symbol": symbol, "product": product}
        ).first()
        row = PositionRow(*found) if found is not None else None
        self._positions[key] = row
        return row

    def position_for_update(self, user_id: int, exchange: str, symbol: str, product: str) -> PositionRow:
        """The position, opened flat if there is none; the caller sets `changed` once it has moved it."""
        row = self.position(user_id, exchange, symbol, product)
        if row is None:
            row = PositionRow(
                None, user_id, exchange, symbol, product, 0, _ZERO, _ZERO, _ZERO, self.day,
                self.stored_now, self.stored_now, changed=True,
            )  # fmt: skip
            self._positions[(user_id, exchange, symbol, product)] = row
            self._new_positions.append(row)
        return row

    def positions_where(self, query: Select, parameters: dict) -> list[PositionRow]:
        """Positions a query selects (with `rows.POSITION_FIELDS` as its columns), as this transaction has
        left them; rows it already holds are returned as held, so changes go on accumulating in one place."""
        self.flush()
        rows = []
        for found in self.connection.execute(query, parameters):
            row = PositionRow(*found)
            rows.append(self._positions.setdefault((row.user_id, row.exchange, row.symbol, row.product), row))
        return rows

    # Trades

    def add_trade(self, values: dict) -> None:
        self._trades.append(values)

    # Writing

    def flush(self) -> None:
        """Write the cached funds, positions, ledger entries and trades; cheap when nothing is pending."""
        self.ledger.flush()
        connection = self.connection
        if self._new_positions:
            for row in self._new_positions:  # in the order they opened, so ids keep that order
                row.id = connection.execute(INSERT_POSITION, position_values(row)).inserted_primary_key[0]
                row.changed = False
            self._new_positions = []
        changed = [position_changes(row) for row in self._positions.values() if row is not None and row.changed]
        if changed:
            connection.execute(UPDATE_POSITION, changed)
            for row in self._positions.values():
                if row is not None:
                    row.changed = False
        if self._trades:
            connection.execute(INSERT_TRADES, self._trades)
            self._trades = []
        if self._session is not None:
            self._session.flush()

    def _write_orm_changes(self) -> None:
        """Flush pending ORM changes (settlement, roll-over) before reading rows past the ORM."""
        session = self._session
        if session is None:
            return
        if session.new or session.deleted or session.identity_map.check_modified():
            session.flush()


class OrderIds:
    """Order ids `YYMMDD` + 8 digits: a per-day sequence, resumed from the database after a restart."""

    def __init__(self) -> None:
        self._day: date | None = None
        self._prefix = ""
        self._next = 0

    def next(self, connection: Connection, day: date) -> str:
        if day != self._day:
            prefix = day.strftime("%y%m%d")
            highest = connection.execute(HIGHEST_ORDER_ID, {"prefix": f"{prefix}%"}).scalar_one()
            self._day = day
            self._prefix = prefix
            self._next = int(highest[6:]) + 1 if highest else 1
        order_id = f"{self._prefix}{self._next:08d}"
        self._next += 1
        return order_id
