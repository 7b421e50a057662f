"""Margin per product and instrument, realized P&L into cash, and MTM in the funds view."""

from __future__ import annotations

from decimal import Decimal

import pytest

from sandbox.engine import OrderRequest, SandboxConfig

pytestmark = pytest.mark.databases  # on SQLite and on PostgreSQL (tests/postgres.py)

USER = 1
CAPITAL = Decimal(10_000_000)


def order(**fields) -> OrderRequest:
    defaults = {"exchange": "NSE", "symbol": "SBIN", "action": "BUY", "quantity": 10, "price_type": "LIMIT"}
    return OrderRequest(**{**defaults, **fields})


@pytest.mark.parametrize(
    ("fields", "margin"),
    [
        ({"price": 700, "product": "MIS"}, Decimal(1400)),  # 7,000 notional at 5x
        ({"price": 700, "product": "CNC"}, Decimal(7000)),  # delivery pays in full
        (
            {
                "exchange": "NFO",
                "symbol": "NIFTY30JAN25FUT",
                "quantity": 75,
                "price": 24000,
                "product": "NRML",
            },
            Decimal(180_000),
        ),  # 10 % of 1.8 crore
        (
            {
                "exchange": "NFO",
                "symbol": "NIFTY30JAN2524000CE",
                "quantity": 75,
                "price": 150,
                "product": "NRML",
            },
            Decimal(11_250),
        ),  # long option: the premium
        (
            {
                "exchange": "NFO",
                "symbol": "NIFTY30JAN2524000CE",
                "action": "SELL",
                "quantity": 75,
                "price": 250,
                "product": "NRML",
            },
            Decimal(270_000),
        ),  # short option: 15 % of the underlying's 24,000 x 75
    ],
)
async def test_resting_order_reserves_margin_by_product_and_instrument(engine, fields, margin):
    order_id = await engine.place_order(USER, order(**fields))

    assert (await engine.order_status(USER, order_id)).margin_blocked == margin
    funds = await engine.funds(USER)
    assert (funds.used_margin, funds.available_cash) == (margin, CAPITAL - margin)


async def test_exit_order_needs_no_margin_even_when_funds_are_used_up(make_engine):
    engine = make_engine(SandboxConfig(starting_capital=Decimal(1700)))
    await engine.place_order(USER, order(price=805))  # fills at 800.05, margin 1,600.10

    exit_id = await engine.place_order(USER, order(action="SELL", price=900))

    assert (await engine.order_status(USER, exit_id)).margin_blocked == 0
    assert await engine.invariants(USER) == []


async def test_realized_profit_lands_in_available_cash(engine, market):
    await engine.place_order(USER, order(price=805))
    market.set_price("NSE", "SBIN", 850, bid=849.95, ask=850.05)
    await engine.place_order(USER, order(action="SELL", price_type="MARKET"))

    funds = await engine.funds(USER)
    assert funds.realized_pnl == Decimal("499.00")  # (849.95 - 800.05) x 10
    assert funds.available_cash == CAPITAL + Decimal("499.00")
    assert funds.used_margin == 0


async def test_unrealized_pnl_marks_open_positions_to_the_latest_ltp(engine, market):
    await engine.place_order(USER, order(price=805))
    market.set_price("NSE", "SBIN", 790)

    funds = await engine.funds(USER)
    [position] = await engine.positions(USER)
    assert funds.unrealized_pnl == Decimal("-100.50")
    assert (position.ltp, position.unrealized_pnl) == (Decimal(790), Decimal("-100.50"))


async def test_reversal_realizes_the_old_side_and_margins_the_new_one(engine):
    await engine.place_order(USER, order(price=805, quantity=10))

    await engine.place_order(USER, order(action="SELL", price=790, quantity=25))  # fills at the 799.95 bid

    [position] = await engine.positions(USER)
    assert (position.quantity, position.average_price) == (-15, Decimal("799.95"))
    funds = await engine.funds(USER)
    assert funds.realized_pnl == Decimal("-1.00")
    assert funds.used_margin == Decimal("2399.85")  # 15 x 799.95 / 5
    assert await engine.invariants(USER) == []
