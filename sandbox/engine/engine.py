"""The sandbox engine: the one executor through which every order, tick, settlement and square-off
passes, and its public async API.

All work runs on a single worker thread, one transaction at a time, in arrival order: there is no
second path that could fill an order, so nothing needs a lock, and a cancelled caller cannot leave a
half-done change behind (the job still finishes and commits, or never starts). Each job commits before
its caller hears the answer, so a new engine on the same database resumes exactly where this one was.
Order events go to `on_order_event` after the commit, in commit order.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Awaitable, Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext
from datetime import date, datetime
from decimal import Decimal
from typing import TypeVar

from sqlalchemy import Engine, delete, insert
from sqlmodel import select

from generated.errors import BrokergateError
from sandbox.engine import bookjson, gtt, holdings, orders, views
from sandbox.engine.config import SandboxConfig
from sandbox.engine.execution import Venue, sweep
from sandbox.engine.invariants import check_invariants
from sandbox.engine.market_view import MarketView
from sandbox.engine.matching import RestingIndex
from sandbox.engine.models import (
    Action,
    CancelAllResult,
    CloseAllResult,
    FundsView,
    GttRequest,
    GttStatus,
    GttView,
    HoldingView,
    ModifyRequest,
    OrderRequest,
    OrderStatus,
    OrderView,
    PositionView,
    PriceType,
    Product,
    SmartOrderRequest,
    SmartOrderResult,
    TradeView,
)
from sandbox.engine.rows import POSITIONS_OF_USER, RESTING_ORDERS, OrderRow
from sandbox.engine.shared import SharedBooks
from sandbox.engine.squareoff import square_off
from sandbox.engine.timekeeping import Clock, system_clock, trading_date
from sandbox.engine.transaction import OrderIds, Transaction, order_view
from sandbox.engine.wire import order_wire
from sandbox.market.types import Quote
from storage.db import write_lock
from storage.sandbox_tables import (
    SandboxFunds,
    SandboxGtt,
    SandboxHolding,
    SandboxLedgerEntry,
    SandboxOrder,
    SandboxPosition,
    SandboxTrade,
)

_log = logging.getLogger(__name__)

Result = TypeVar("Result")
_USER_TABLES = tuple(
    model.__table__
    for model in (
        SandboxOrder,
        SandboxTrade,
        SandboxPosition,
        SandboxHolding,
        SandboxFunds,
        SandboxLedgerEntry,
        SandboxGtt,
    )
)
OrderEventHook = Callable[[int, dict], Awaitable[None] | None]


class SandboxEngine:
    def __init__(
        self,
        database: Engine,
        market: MarketView,
        config: SandboxConfig | None = None,
        *,
        clock: Clock = system_clock,
        on_order_event: OrderEventHook | None = None,
        shared: SharedBooks | None = None,
    ) -> None:
        self._database = database
        self._shared = shared  # engines in other processes use the same books (sandbox.engine.shared)
        self._generation: int | None = None
        self._venue = Venue(market, config or SandboxConfig())
        self._gtts = gtt.GttIndex()
        self._clock = clock
        self._on_order_event = on_order_event
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sandbox-engine")
        self._is_loaded = False
        self._rolled_over_on: date | None = None
        self._event_tail: asyncio.Future | None = None

    @property
    def config(self) -> SandboxConfig:
        return self._venue.config

    # The executor

    async def _run(
        self, work: Callable[[Transaction], Result], now: datetime | None = None, *, reads: bool = False
    ) -> Result:
        """Run `work` on the engine's thread; `reads`: it only reads, so it leaves the write lock to the
        writers (the order audit, the journal) while it runs, however long a book it reads."""
        loop = asyncio.get_running_loop()
        return await asyncio.wrap_future(self._worker.submit(self._transact, work, now, loop, reads))

    def _transact(
        self,
        work: Callable[[Transaction], Result],
        now: datetime | None,
        loop: asyncio.AbstractEventLoop,
        reads: bool = False,
    ) -> Result:
        now = now or self._clock()
        if self._shared is not None:
            return self._transact_shared(work, now, loop)
        if not self._is_loaded or self._rolled_over_on != trading_date(now):
            self._prepare(now)
        with nullcontext() if reads else write_lock(self._database), self._database.connect() as connection:
            txn = Transaction(connection, self._venue.config, now)
            try:
                result = work(txn)
                txn.flush()
                connection.commit()
            except BrokergateError:
                connection.rollback()  # refused before any change to the in-memory indexes
                raise
            except BaseException:
                connection.rollback()
                self._is_loaded = False  # the indexes may have moved with the lost work; rebuild them
                raise
            finally:
                txn.close()
        if txn.changed_orders and self._on_order_event is not None:
            loop.call_soon_threadsafe(self._announce, txn.changed_orders)
        return result

    def _transact_shared(
        self, work: Callable[[Transaction], Result], now: datetime, loop: asyncio.AbstractEventLoop
    ) -> Result:
        """`_transact` under the books' lock shared with other processes; indexes reloaded when they moved."""
        assert self._shared is not None
        with write_lock(self._database), self._database.connect() as connection:
            generation = self._shared.lock(connection)
            self._venue.order_ids = OrderIds()  # another process may have numbered orders since: read the highest
            prepared, txn = None, None
            try:
                if generation != self._generation:
                    self._is_loaded = False
                if not self._is_loaded or self._rolled_over_on != trading_date(now):
                    prepared = self._prepare_in(connection, now)
                txn = Transaction(connection, self._venue.config, now)
                before = (self._venue.resting.changes, self._gtts.changes, self._is_loaded)
                result = work(txn)
                txn.flush()
                rolled_over = prepared is not None and prepared != self._rolled_over_on
                if rolled_over or before != (self._venue.resting.changes, self._gtts.changes, self._is_loaded):
                    generation = self._shared.bump(connection)
                connection.commit()
            except BaseException:
                connection.rollback()
                self._is_loaded = False  # whatever this transaction did to the indexes is undone by a reload
                self._rolled_over_on = None
                raise
            finally:
                if txn is not None:
                    txn.close()
        self._generation = generation
        if prepared is not None:
            self._is_loaded, self._rolled_over_on = True, prepared
        if txn.changed_orders and self._on_order_event is not None:
            loop.call_soon_threadsafe(self._announce, txn.changed_orders)
        return result

    def _prepare_in(self, connection, now: datetime) -> date:
        """`_prepare`'s work inside the caller's transaction; answer the trading day it prepared."""
        txn = Transaction(connection, self._venue.config, now)
        try:
            if not self._is_loaded:
                self._load_indexes(txn)
            if self._rolled_over_on != txn.day:
                holdings.settle(txn, self._venue.config)
                holdings.roll_over_positions(txn)
                gtt.expire_due(txn, self._gtts)
            txn.flush()
        finally:
            txn.close()
        return txn.day

    def _prepare(self, now: datetime) -> None:
        """Rebuild the indexes from the database once, and roll over to a new trading day once."""
        # Not `_prepare_in` and a commit: on this fresh connection the ORM session may be what begins the
        # transaction, and `_prepare_in` closes it before the commit, which lost the settlement (tests hold it).
        with write_lock(self._database), self._database.connect() as connection:
            txn = Transaction(connection, self._venue.config, now)
            try:
                if not self._is_loaded:
                    self._load_indexes(txn)
                if self._rolled_over_on != txn.day:
                    holdings.settle(txn, self._venue.config)
                    holdings.roll_over_positions(txn)
                    gtt.expire_due(txn, self._gtts)
                txn.flush()
                connection.commit()
            except BaseException:
                connection.rollback()
                self._is_loaded = False
                raise
            finally:
                txn.close()
        self._is_loaded = True
        self._rolled_over_on = txn.day

    def _load_indexes(self, txn: Transaction) -> None:
        self._venue.resting = RestingIndex()
        self._gtts = gtt.GttIndex()
        for row in txn.connection.execute(RESTING_ORDERS):
            order = OrderRow(*row)
            if order.status == OrderStatus.TRIGGER_PENDING.value:
                self._venue.resting.add_stop(
                    order.order_id, order.exchange, order.symbol, Action(order.action), order.trigger_price
                )
            else:
                self._venue.resting.add_limit(
                    order.order_id, order.exchange, order.symbol, Action(order.action), order.price
                )
        for row in txn.session.exec(select(SandboxGtt).where(SandboxGtt.status == GttStatus.ACTIVE.value)):
            self._gtts.add(row)

    def _announce(self, changed: list[OrderView]) -> None:
        for view in changed:
            try:
                outcome = self._on_order_event(view.user_id, order_wire(view))
            except Exception:
                _log.exception("order event hook failed for order %s of user %s", view.order_id, view.user_id)
                continue
            if inspect.isawaitable(outcome):
                # Chained, so subscribers see a fill after the placement that caused it.
                self._event_tail = asyncio.ensure_future(self._after(self._event_tail, outcome, view))

    @staticmethod
    async def _after(previous: asyncio.Future | None, outcome: Awaitable[None], view: OrderView) -> None:
        if previous is not None:
            await asyncio.gather(previous, return_exceptions=True)
        try:
            await outcome
        except Exception:
            _log.exception("order event hook failed for order %s of user %s", view.order_id, view.user_id)

    async def flush_events(self) -> None:
        """Wait until every order event announced so far has been delivered."""
        while self._event_tail is not None and not self._event_tail.done():
            await asyncio.gather(self._event_tail, return_exceptions=True)

    async def close(self) -> None:
        await asyncio.wrap_future(self._worker.submit(lambda: None))
        await self.flush_events()
        self._worker.shutdown(wait=True)

    # Account controls

    async def reset_account(self, user_id: int, starting_capital: Decimal | None = None) -> None:
        """Empty the user's books and give them fresh funds of `starting_capital` (the configured one when None)."""
        capital = self._venue.config.starting_capital if starting_capital is None else starting_capital

        def work(txn: Transaction) -> None:
            for table in _USER_TABLES:
                txn.connection.execute(delete(table).where(table.c.user_id == user_id))
            txn.connection.execute(
                insert(SandboxFunds.__table__),
                {
                    "user_id": user_id,
                    "starting_capital": capital,
                    "available_cash": capital,
                    "used_margin": Decimal(0),
                    "realized_pnl": Decimal(0),
                    "created_at": txn.stored_now,
                    "updated_at": txn.stored_now,
                },
            )
            self._is_loaded = False  # the resting-order and GTT indexes still hold the user's orders

        await self._run(work)

    # Orders

    async def place_order(self, user_id: int, order: OrderRequest) -> str:
        """Place an order; a refusal is stored as a rejected order and raised, carrying its `order_id`."""
        placement = await self._run(lambda txn: orders.place(txn, self._venue, user_id, order))
        if placement.rejection is not None:
            raise placement.rejection
        return placement.order.order_id

    async def place_smart_order(
        self, user_id: int, order: SmartOrderRequest, position_size: int
    ) -> SmartOrderResult:
        """Trade towards a net position of `position_size`, with the order's own price type and prices."""
        result, rejection = await self._run(
            lambda txn: orders.place_smart(txn, self._venue, user_id, order, position_size)
        )
        if rejection is not None:
            raise rejection
        return result

    async def modify_order(self, user_id: int, order_id: str, changes: ModifyRequest) -> str:
        await self._run(lambda txn: orders.modify(txn, self._venue, user_id, order_id, changes))
        return order_id

    async def cancel_order(self, user_id: int, order_id: str) -> str:
        await self._run(lambda txn: orders.cancel(txn, self._venue, user_id, order_id))
        return order_id

    async def cancel_all(self, user_id: int) -> CancelAllResult:
        """Cancel every open and trigger-pending order of the user, whatever day it was placed."""

        def work(txn: Transaction) -> CancelAllResult:
            cancelled, failed = [], []
            for order in orders.resting_orders(txn, user_id):
                try:
                    cancelled.append(orders.cancel(txn, self._venue, user_id, order.order_id).order_id)
                except BrokergateError as e:
                    failed.append((order.order_id, e.message))
            return CancelAllResult(cancelled, failed)

        return await self._run(work)

    async def close_all_positions(self, user_id: int, strategy: str = "Squareoff") -> CloseAllResult:
        """Close every non-zero position with a MARKET order in its own product."""

        def work(txn: Transaction) -> CloseAllResult:
            placed, failed = [], []
            for position in txn.positions_where(POSITIONS_OF_USER, {"user_id": user_id}):
                if position.quantity == 0:
                    continue
                key = f"{position.exchange}:{position.symbol}:{position.product}"
                closing = OrderRequest(
                    exchange=position.exchange,
                    symbol=position.symbol,
                    action=Action.SELL if position.quantity > 0 else Action.BUY,
                    quantity=abs(position.quantity),
                    price_type=PriceType.MARKET,
                    product=Product(position.product),
                    strategy=strategy,
                )
                try:
                    placement = orders.place(txn, self._venue, user_id, closing)
                except BrokergateError as e:
                    failed.append((key, e.message))
                    continue
                if placement.rejection is not None:
                    failed.append((key, placement.rejection.message))
                else:
                    placed.append(placement.order.order_id)
            return CloseAllResult(placed, failed)

        return await self._run(work)

    # Books

    async def order_status(self, user_id: int, order_id: str) -> OrderView:
        return await self._run(lambda txn: order_view(orders.owned_order(txn, user_id, order_id)), reads=True)

    async def orderbook(self, user_id: int) -> list[OrderView]:
        return await self._run(lambda txn: views.orderbook(txn.connection, user_id, txn.now), reads=True)

    async def tradebook(self, user_id: int) -> list[TradeView]:
        return await self._run(lambda txn: views.tradebook(txn.session, user_id, txn.now), reads=True)

    # The two books as the JSON of the REST answer's `data`, written as the rows are read (bookjson.py).
    async def orderbook_json(self, user_id: int, around: tuple[bytes, bytes] = (b"", b"")) -> bytes:
        return await self._run(
            lambda txn: bookjson.orderbook_json(views.session_orders(txn.connection, user_id, txn.now), around),
            reads=True,
        )

    async def tradebook_json(self, user_id: int, around: tuple[bytes, bytes] = (b"", b"")) -> bytes:
        return await self._run(
            lambda txn: bookjson.tradebook_json(views.session_trades(txn.connection, user_id, txn.now), around),
            reads=True,
        )

    async def positions(self, user_id: int) -> list[PositionView]:
        return await self._run(lambda txn: views.positions(txn.session, self._venue, user_id))

    async def holdings(self, user_id: int) -> list[HoldingView]:
        return await self._run(lambda txn: views.holdings(txn.session, self._venue, user_id))

    async def funds(self, user_id: int) -> FundsView:
        return await self._run(
            lambda txn: views.funds(txn.session, txn.ledger, self._venue, user_id, txn.now)
        )

    async def open_position(self, user_id: int, exchange: str, symbol: str, product: Product) -> int:
        def work(txn: Transaction) -> int:
            position = txn.position(user_id, exchange, symbol, Product(product).value)
            return position.quantity if position else 0

        return await self._run(work)

    # GTT

    async def place_gtt(self, user_id: int, request: GttRequest) -> str:
        row = await self._run(lambda txn: gtt.place_gtt(txn, self._venue, self._gtts, user_id, request))
        return row.gtt_id

    async def modify_gtt(self, user_id: int, gtt_id: str, request: GttRequest) -> str:
        await self._run(lambda txn: gtt.modify_gtt(txn, self._venue, self._gtts, user_id, gtt_id, request))
        return gtt_id

    async def cancel_gtt(self, user_id: int, gtt_id: str) -> str:
        def work(txn: Transaction) -> str:
            gtt.end_gtt(txn, self._gtts, gtt.active_gtt(txn, user_id, gtt_id), GttStatus.CANCELLED)
            return gtt_id

        return await self._run(work)

    async def gtt_book(self, user_id: int, include_inactive: bool = False) -> list[GttView]:
        return await self._run(lambda txn: views.gtt_book(txn.session, user_id, include_inactive))

    # Market, schedule and health

    async def on_quotes(self, quotes: Iterable[Quote]) -> None:
        """Fill, trigger and fire whatever these quotes reach, in the order given."""
        batch = list(quotes)

        def work(txn: Transaction) -> None:
            for quote in batch:
                sweep(txn, self._venue, quote)
                gtt.fire_hits(txn, self._venue, self._gtts, quote)

        await self._run(work)

    async def process_market(self) -> None:
        """Poll the market for every symbol with resting orders or active GTTs, then act on the quotes."""

        def work(txn: Transaction) -> None:
            for exchange, symbol in sorted(set(self._venue.resting.symbols()) | set(self._gtts.symbols())):
                quote = self._venue.market.quote(exchange, symbol)
                sweep(txn, self._venue, quote)
                gtt.fire_hits(txn, self._venue, self._gtts, quote)

        await self._run(work)

    async def run_square_off(self, now: datetime | None = None) -> list[str]:
        """Square off MIS on every exchange whose time has passed today; return the exchanges done."""
        return await self._run(lambda txn: square_off(txn, self._venue), now)

    async def settle(self, now: datetime | None = None) -> int:
        """Settle due CNC positions into holdings; return how many settled."""
        return await self._run(lambda txn: holdings.settle(txn, self._venue.config), now)

    async def invariants(self, user_id: int) -> list[str]:
        """Every broken bookkeeping rule for the user; empty when the books agree."""

        def work(txn: Transaction) -> list[str]:
            user_orders = txn.session.exec(
                select(SandboxOrder.order_id).where(SandboxOrder.user_id == user_id)
            )
            indexed = {order_id for order_id in user_orders if order_id in self._venue.resting}
            return check_invariants(txn.session, user_id, indexed)

        return await self._run(work)
