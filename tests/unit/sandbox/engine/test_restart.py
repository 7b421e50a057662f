"""A new engine on the same database sees every order, position, fund and GTT, and carries on."""

from __future__ import annotations

from decimal import Decimal

import pytest

from sandbox.engine import GttRequest, OrderRequest

pytestmark = pytest.mark.databases  # on SQLite and on PostgreSQL (tests/postgres.py)

USER = 1


async def test_restarted_engine_resumes_resting_orders_positions_funds_and_gtts(make_engine, market):
    first = make_engine()
    await first.place_order(USER, OrderRequest(exchange="NSE", symbol="SBIN", action="BUY", quantity=10))
    resting = await first.place_order(
        USER,
        OrderRequest(exchange="NSE", symbol="SBIN", action="BUY", quantity=5, price_type="LIMIT", price=780),
    )
    stop = await first.place_order(
        USER,
        OrderRequest(
            exchange="NSE", symbol="SBIN", action="SELL", quantity=10, price_type="SL-M", trigger_price=770
        ),
    )
    await first.place_gtt(
        USER,
        GttRequest(
            trigger_type="SINGLE",
            exchange="NSE",
            symbol="RELIANCE",
            action="BUY",
            product="CNC",
            quantity=1,
            price=Decimal(1200),
            stoploss_trigger=Decimal(1200),
        ),
    )
    funds_before = await first.funds(USER)
    await first.close()

    restarted = make_engine()

    assert await restarted.funds(USER) == funds_before
    assert await restarted.open_position(USER, "NSE", "SBIN", "MIS") == 10
    assert len(await restarted.gtt_book(USER)) == 1
    await restarted.on_quotes([market.set_price("NSE", "SBIN", 775)])
    assert (await restarted.order_status(USER, resting)).status == "complete"
    await restarted.on_quotes(
        [market.set_price("NSE", "SBIN", 769), market.set_price("NSE", "RELIANCE", 1199)]
    )
    assert (await restarted.order_status(USER, stop)).status == "complete"
    assert await restarted.gtt_book(USER) == []
    assert await restarted.open_position(USER, "NSE", "SBIN", "MIS") == 5
    assert await restarted.invariants(USER) == []


async def test_order_ids_continue_after_a_restart_without_reuse(make_engine):
    first = make_engine()
    before = await first.place_order(
        USER, OrderRequest(exchange="NSE", symbol="SBIN", action="BUY", quantity=1)
    )
    await first.close()

    after = await make_engine().place_order(
        USER, OrderRequest(exchange="NSE", symbol="SBIN", action="BUY", quantity=1)
    )

    assert int(after) == int(before) + 1
