"""GTT orders: SINGLE and OCO, margin reservation, firing on the LTP, modify, cancel and expiry."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest

from generated.errors import OrderNotFound, ValidationFailed
from sandbox.engine import GttRequest, OrderRequest

USER = 1


def gtt(**fields) -> GttRequest:
    defaults = {
        "trigger_type": "SINGLE",
        "exchange": "NSE",
        "symbol": "RELIANCE",
        "action": "BUY",
        "product": "CNC",
        "quantity": 10,
        "price": Decimal(1201),
        "stoploss_trigger": Decimal(1200),
    }
    return GttRequest(**{**defaults, **fields})


def oco(**fields) -> GttRequest:
    return gtt(
        trigger_type="OCO",
        action="SELL",
        stoploss_trigger=Decimal(1200),
        stoploss_price=Decimal(1199),
        target_trigger=Decimal(1300),
        target_price=Decimal(1301),
        **fields,
    )


async def test_single_gtt_reserves_margin_and_fires_a_limit_order_on_the_ltp(engine, market):
    gtt_id = await engine.place_gtt(USER, gtt())
    assert re.fullmatch(r"GTT-250106-[0-9a-f]{8}", gtt_id)
    assert (await engine.funds(USER)).used_margin == Decimal(12_010)

    await engine.on_quotes([market.set_price("NSE", "RELIANCE", 1199.5)])

    assert await engine.gtt_book(USER) == []
    [fired] = await engine.gtt_book(USER, include_inactive=True)
    child = await engine.order_status(USER, fired.order_id)
    assert (fired.status, child.price_type, child.status, child.average_price) == (
        "triggered",
        "LIMIT",
        "complete",
        Decimal("1199.5"),
    )
    assert (await engine.funds(USER)).used_margin == Decimal(11_995)  # the position's own margin
    assert await engine.invariants(USER) == []


async def test_oco_fires_only_one_leg(engine, market):
    await engine.place_order(
        USER, OrderRequest(exchange="NSE", symbol="RELIANCE", action="BUY", quantity=10, product="CNC")
    )
    gtt_id = await engine.place_gtt(USER, oco())

    await engine.on_quotes(
        [market.set_price("NSE", "RELIANCE", 1305), market.set_price("NSE", "RELIANCE", 1190)]
    )

    [fired] = await engine.gtt_book(USER, include_inactive=True)
    assert (fired.gtt_id, fired.status) == (gtt_id, "triggered")
    children = [order for order in await engine.orderbook(USER) if order.action == "SELL"]
    assert [(order.price, order.status) for order in children] == [(Decimal(1301), "complete")]
    assert await engine.invariants(USER) == []


async def test_cancel_gtt_releases_its_margin_and_it_never_fires(engine, market):
    gtt_id = await engine.place_gtt(USER, gtt())

    await engine.cancel_gtt(USER, gtt_id)
    await engine.on_quotes([market.set_price("NSE", "RELIANCE", 1100)])

    assert (await engine.funds(USER)).used_margin == 0
    assert await engine.orderbook(USER) == []
    with pytest.raises(OrderNotFound, match="No active GTT"):
        await engine.cancel_gtt(USER, gtt_id)


async def test_modify_gtt_reprices_margin_and_keeps_immutable_fields(engine):
    gtt_id = await engine.place_gtt(USER, gtt())

    await engine.modify_gtt(
        USER, gtt_id, gtt(quantity=20, price=Decimal(1100), stoploss_trigger=Decimal(1101))
    )

    assert (await engine.funds(USER)).used_margin == Decimal(22_000)
    with pytest.raises(ValidationFailed, match="action"):
        await engine.modify_gtt(USER, gtt_id, gtt(action="SELL"))
    assert await engine.invariants(USER) == []


@pytest.mark.parametrize(
    ("request_fields", "message"),
    [
        ({"product": "MIS"}, "GTT supports only CNC"),
        ({"stoploss_trigger": Decimal(0)}, "SINGLE GTT requires"),
    ],
)
async def test_invalid_gtt_is_refused(engine, request_fields, message):
    with pytest.raises(ValidationFailed, match=message):
        await engine.place_gtt(USER, gtt(**request_fields))


async def test_oco_needs_its_stoploss_below_its_target(engine):
    with pytest.raises(ValidationFailed, match="less than target"):
        await engine.place_gtt(USER, oco().model_copy(update={"stoploss_trigger": Decimal(1400)}))


async def test_expired_gtt_releases_its_margin_at_the_next_day(engine, clock):
    await engine.place_gtt(USER, gtt(expires_at=clock() + timedelta(hours=2)))

    clock.advance(days=1)

    assert await engine.gtt_book(USER) == []
    assert (await engine.gtt_book(USER, include_inactive=True))[0].status == "expired"
    assert (await engine.funds(USER)).used_margin == 0
