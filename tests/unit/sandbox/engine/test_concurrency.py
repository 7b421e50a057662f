"""Ticks, cancels and modifies racing from many tasks never fill an order twice or break the books."""

from __future__ import annotations

import asyncio
import contextlib
import random
from decimal import Decimal

import pytest
from sqlmodel import Session, func, select

from generated.errors import OrderNotModifiable
from sandbox.engine import ModifyRequest, OrderRequest
from storage.sandbox_tables import SandboxTrade

pytestmark = pytest.mark.databases  # on SQLite and on PostgreSQL (tests/postgres.py)

USER = 1


async def test_concurrent_ticks_and_cancels_fill_each_order_at_most_once(engine, market, database):
    order_ids = [
        await engine.place_order(
            USER,
            OrderRequest(
                exchange="NSE",
                symbol="SBIN",
                action="BUY",
                quantity=1,
                price_type="LIMIT",
                price=Decimal(790 - index % 20),
            ),
        )
        for index in range(200)
    ]
    generator = random.Random(7)

    async def tick() -> None:
        await engine.on_quotes([market.set_price("NSE", "SBIN", generator.uniform(765, 800))])

    async def cancel(order_id: str) -> None:
        with contextlib.suppress(OrderNotModifiable):  # filled first: exactly the race under test
            await engine.cancel_order(USER, order_id)

    async def modify(order_id: str) -> None:
        with contextlib.suppress(OrderNotModifiable):
            await engine.modify_order(USER, order_id, ModifyRequest(price=Decimal(760)))

    work = [tick() for _ in range(100)]
    work += [cancel(order_id) for order_id in order_ids[::3]]
    work += [modify(order_id) for order_id in order_ids[1::3]]
    generator.shuffle(work)
    await asyncio.gather(*work)

    with Session(database) as session:
        per_order = session.exec(
            select(SandboxTrade.order_id, func.count()).group_by(SandboxTrade.order_id)
        ).all()
    assert all(count == 1 for _, count in per_order)
    statuses = {order.order_id: order.status for order in await engine.orderbook(USER)}
    filled = [order_id for order_id, status in statuses.items() if status == "complete"]
    assert len(filled) == len(per_order)
    assert await engine.open_position(USER, "NSE", "SBIN", "MIS") == len(filled)
    assert await engine.invariants(USER) == []


async def test_a_cancelled_caller_does_not_leave_half_done_work(engine):
    task = asyncio.ensure_future(
        engine.place_order(USER, OrderRequest(exchange="NSE", symbol="SBIN", action="BUY", quantity=1))
    )
    await asyncio.sleep(0)
    task.cancel()

    orders = await engine.orderbook(USER)

    assert [order.status for order in orders] in ([], ["complete"])
    assert await engine.invariants(USER) == []
