"""Reading the books: orders, trades, positions and holdings marked to market, funds, GTTs.

Reads return frozen views, never table rows. The order and trade books show the current IST trading
day plus anything still resting, as OpenAlgo's session view does.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import Connection, Result
from sqlmodel import Session, func, select

from sandbox.engine.execution import Venue
from sandbox.engine.ledger import Ledger
from sandbox.engine.models import (
    FundsView,
    GttStatus,
    GttView,
    HoldingView,
    OrderView,
    PositionView,
    TradeView,
    to_decimal,
)
from sandbox.engine.positions import unrealized_pnl, user_positions
from sandbox.engine.rows import ORDERS_OF_SESSION, TRADES_OF_SESSION, OrderRow
from sandbox.engine.timekeeping import ist_day_start, trading_date
from sandbox.engine.transaction import order_view
from storage.sandbox_tables import SandboxGtt, SandboxHolding, SandboxLedgerEntry, SandboxTrade


def session_orders(connection: Connection, user_id: int, now: datetime) -> Result:
    # Plain rows, not table models: the book holds every order of the day, and a table model with its
    # identity-map entry costs several times a row, multiplied by each concurrent reader.
    return connection.execute(ORDERS_OF_SESSION, {"user_id": user_id, "since": ist_day_start(trading_date(now))})


def session_trades(connection: Connection, user_id: int, now: datetime) -> Result:
    return connection.execute(TRADES_OF_SESSION, {"user_id": user_id, "since": ist_day_start(trading_date(now))})


def orderbook(connection: Connection, user_id: int, now: datetime) -> list[OrderView]:
    return [order_view(OrderRow(*row)) for row in session_orders(connection, user_id, now)]


def tradebook(session: Session, user_id: int, now: datetime) -> list[TradeView]:
    since = ist_day_start(trading_date(now))
    rows = session.exec(
        select(SandboxTrade)
        .where(SandboxTrade.user_id == user_id, SandboxTrade.created_at >= since)
        .order_by(SandboxTrade.id)
    ).all()
    return [
        TradeView(
            trade_id=row.trade_id,
            order_id=row.order_id,
            strategy=row.strategy,
            exchange=row.exchange,
            symbol=row.symbol,
            action=row.action,
            quantity=row.quantity,
            price=row.price,
            product=row.product,
            created_at=row.created_at,
        )
        for row in rows
    ]


def _ltp(venue: Venue, exchange: str, symbol: str) -> Decimal | None:
    if venue.market.master.get(exchange, symbol) is None:
        return None
    ltp = venue.market.quote(exchange, symbol).ltp
    return to_decimal(ltp) if ltp > 0 else None


def positions(session: Session, venue: Venue, user_id: int) -> list[PositionView]:
    views = []
    for row in user_positions(session, user_id):
        ltp = _ltp(venue, row.exchange, row.symbol) if row.quantity else None
        instrument = venue.market.master.get(row.exchange, row.symbol)
        views.append(
            PositionView(
                exchange=row.exchange,
                symbol=row.symbol,
                product=row.product,
                quantity=row.quantity,
                average_price=row.average_price,
                ltp=ltp,
                unrealized_pnl=unrealized_pnl(row.quantity, row.average_price, ltp),
                realized_pnl=row.realized_pnl,
                lot_size=instrument.lot_size if instrument else 1,
            )
        )
    return views


def holdings(session: Session, venue: Venue, user_id: int) -> list[HoldingView]:
    rows = session.exec(
        select(SandboxHolding).where(SandboxHolding.user_id == user_id).order_by(SandboxHolding.id)
    ).all()
    return [
        HoldingView(
            exchange=row.exchange,
            symbol=row.symbol,
            quantity=row.quantity,
            average_price=(row.cost / row.quantity).quantize(Decimal("0.0001"))
            if row.quantity
            else Decimal(0),
            cost=row.cost,
            ltp=_ltp(venue, row.exchange, row.symbol),
            settled_on=row.settled_on,
        )
        for row in rows
    ]


def funds(session: Session, ledger: Ledger, venue: Venue, user_id: int, now: datetime) -> FundsView:
    row = ledger.funds(user_id)
    since = ist_day_start(trading_date(now))
    today_realized = session.exec(
        select(func.coalesce(func.sum(SandboxLedgerEntry.realized_change), 0)).where(
            SandboxLedgerEntry.user_id == user_id, SandboxLedgerEntry.created_at >= since
        )
    ).one()
    unrealized = sum((view.unrealized_pnl for view in positions(session, venue, user_id)), Decimal(0))
    return FundsView(
        starting_capital=row.starting_capital,
        available_cash=row.available_cash,
        used_margin=row.used_margin,
        realized_pnl=row.realized_pnl,
        today_realized_pnl=Decimal(today_realized),
        unrealized_pnl=unrealized,
    )


def gtt_view(row: SandboxGtt) -> GttView:
    return GttView(
        gtt_id=row.gtt_id,
        strategy=row.strategy,
        trigger_type=row.trigger_type,
        status=row.status,
        exchange=row.exchange,
        symbol=row.symbol,
        action=row.action,
        product=row.product,
        price_type=row.price_type,
        quantity=row.quantity,
        stoploss_trigger=row.stoploss_trigger,
        stoploss_price=row.stoploss_price,
        target_trigger=row.target_trigger,
        target_price=row.target_price,
        last_price=row.last_price,
        margin_blocked=row.margin_blocked,
        order_id=row.order_id,
        expires_at=row.expires_at,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def gtt_book(session: Session, user_id: int, include_inactive: bool = False) -> list[GttView]:
    query = select(SandboxGtt).where(SandboxGtt.user_id == user_id)
    if not include_inactive:
        query = query.where(SandboxGtt.status == GttStatus.ACTIVE.value)
    return [gtt_view(row) for row in session.exec(query.order_by(SandboxGtt.id))]
