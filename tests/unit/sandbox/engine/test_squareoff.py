"""MIS time window and auto square-off: once per exchange per day, also across a restart."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from generated.errors import OrderRejected
from sandbox.engine import OrderRequest, SandboxConfig
from tests.unit.sandbox.engine.conftest import MONDAY

USER = 1


def mis(action: str = "BUY", quantity: int = 10, **fields) -> OrderRequest:
    return OrderRequest(exchange="NSE", symbol="SBIN", action=action, quantity=quantity, **fields)


async def test_new_mis_exposure_after_square_off_time_is_rejected(engine, clock):
    clock.set_ist(MONDAY, 15, 20)

    with pytest.raises(OrderRejected, match=r"square-off time \(15:15 IST\)"):
        await engine.place_order(USER, mis())


async def test_mis_exit_after_square_off_time_is_allowed(engine, clock):
    await engine.place_order(USER, mis())
    clock.set_ist(MONDAY, 15, 20)

    await engine.place_order(USER, mis("SELL"))

    assert await engine.open_position(USER, "NSE", "SBIN", "MIS") == 0


async def test_continuous_mode_accepts_mis_at_any_hour(make_engine, clock):
    engine = make_engine(SandboxConfig(square_off_enabled=False))
    clock.set_ist(MONDAY + timedelta(days=5), 2)

    await engine.place_order(USER, mis())

    assert await engine.run_square_off() == []
    assert await engine.open_position(USER, "NSE", "SBIN", "MIS") == 10


async def test_square_off_closes_mis_and_cancels_resting_mis_orders_once(engine, clock):
    await engine.place_order(USER, mis(quantity=10))
    resting = await engine.place_order(USER, mis(price_type="LIMIT", price=Decimal(700)))
    await engine.place_order(
        USER, OrderRequest(exchange="NSE", symbol="RELIANCE", action="BUY", quantity=1, product="CNC")
    )
    clock.set_ist(MONDAY, 15, 15)

    assert await engine.run_square_off() == ["BFO", "BSE", "NFO", "NSE"]
    assert await engine.run_square_off() == []

    assert (await engine.order_status(USER, resting)).status == "cancelled"
    assert await engine.open_position(USER, "NSE", "SBIN", "MIS") == 0
    assert await engine.open_position(USER, "NSE", "RELIANCE", "CNC") == 1
    squared = [order for order in await engine.orderbook(USER) if order.strategy == "AUTO_SQUARE_OFF"]
    assert [(order.action, order.quantity, order.status) for order in squared] == [("SELL", 10, "complete")]
    assert await engine.invariants(USER) == []


async def test_square_off_before_its_time_does_nothing(engine, clock):
    await engine.place_order(USER, mis())
    clock.set_ist(MONDAY, 15, 14)

    assert await engine.run_square_off() == []
    assert await engine.open_position(USER, "NSE", "SBIN", "MIS") == 10


async def test_restart_after_the_time_squares_off_once_and_never_twice(make_engine, clock):
    first = make_engine()
    await first.place_order(USER, mis())
    clock.set_ist(MONDAY, 15, 16)
    assert "NSE" in await first.run_square_off()
    await first.close()

    restarted = make_engine()
    assert await restarted.run_square_off() == []

    squared = [order for order in await restarted.orderbook(USER) if order.strategy == "AUTO_SQUARE_OFF"]
    assert len(squared) == 1


async def test_engine_down_at_square_off_time_runs_it_when_it_comes_back(make_engine, clock):
    first = make_engine()
    await first.place_order(USER, mis())
    await first.close()
    clock.set_ist(MONDAY, 18, 0)

    restarted = make_engine()

    assert "NSE" in await restarted.run_square_off()
    assert await restarted.open_position(USER, "NSE", "SBIN", "MIS") == 0


async def test_mcx_squares_off_at_its_own_later_time(engine, clock, market):
    market.set_price("MCX", "CRUDEOIL20JAN25FUT", 6500)
    await engine.place_order(
        USER, OrderRequest(exchange="MCX", symbol="CRUDEOIL20JAN25FUT", action="BUY", quantity=100)
    )
    clock.set_ist(MONDAY, 16, 0)

    assert "MCX" not in await engine.run_square_off()
    clock.set_ist(MONDAY, 23, 30)

    assert "MCX" in await engine.run_square_off()
    assert await engine.open_position(USER, "MCX", "CRUDEOIL20JAN25FUT", "MIS") == 0
