"""Placing, filling, modifying and cancelling orders, against the fake market."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest

from generated.errors import (
    InsufficientFunds,
    OrderNotFound,
    OrderNotModifiable,
    OrderRejected,
    SymbolNotFound,
    ValidationFailed,
)
from sandbox.engine import ModifyRequest, OrderRequest, SmartOrderRequest
from tests.unit.sandbox.engine.conftest import MONDAY

USER = 1


def order(**fields) -> OrderRequest:
    defaults = {"exchange": "NSE", "symbol": "SBIN", "action": "BUY", "quantity": 10}
    return OrderRequest(**{**defaults, **fields})


async def assert_books_agree(engine) -> None:
    assert await engine.invariants(USER) == []


async def test_market_buy_fills_at_the_ask_and_sell_at_the_bid(engine):
    buy = await engine.place_order(USER, order(quantity=10))
    sell = await engine.place_order(USER, order(action="SELL", quantity=10))

    bought = await engine.order_status(USER, buy)
    sold = await engine.order_status(USER, sell)
    assert (bought.status, bought.average_price) == ("complete", Decimal("800.05"))
    assert (sold.status, sold.average_price) == ("complete", Decimal("799.95"))
    funds = await engine.funds(USER)
    assert funds.realized_pnl == Decimal("-1.00")
    assert funds.used_margin == 0
    assert funds.available_cash == Decimal(10_000_000) - Decimal(1)
    await assert_books_agree(engine)


async def test_order_ids_are_the_ist_date_and_eight_digits_and_unique(engine):
    ids = [await engine.place_order(USER, order(price_type="LIMIT", price=700)) for _ in range(3)]

    assert all(re.fullmatch(r"250106\d{8}", order_id) for order_id in ids)
    assert len(set(ids)) == 3


async def test_marketable_limit_buy_fills_at_the_better_of_limit_and_ask(engine):
    order_id = await engine.place_order(USER, order(price_type="LIMIT", price=810))

    placed = await engine.order_status(USER, order_id)
    assert (placed.status, placed.average_price) == ("complete", Decimal("800.05"))


async def test_resting_limit_fills_at_its_price_when_the_market_reaches_it(engine, market):
    order_id = await engine.place_order(USER, order(price_type="LIMIT", price=790))
    assert (await engine.order_status(USER, order_id)).status == "open"

    await engine.on_quotes([market.set_price("NSE", "SBIN", 789.5)])

    filled = await engine.order_status(USER, order_id)
    assert (filled.status, filled.average_price) == ("complete", Decimal("790"))
    assert (await engine.open_position(USER, "NSE", "SBIN", "MIS")) == 10
    await assert_books_agree(engine)


async def test_stop_market_triggers_on_ltp_and_fills_at_the_touch(engine, market):
    order_id = await engine.place_order(USER, order(action="SELL", price_type="SL-M", trigger_price=780))
    assert (await engine.order_status(USER, order_id)).status == "trigger pending"

    await engine.on_quotes([market.set_price("NSE", "SBIN", 781)])
    assert (await engine.order_status(USER, order_id)).status == "trigger pending"
    await engine.on_quotes([market.set_price("NSE", "SBIN", 779, bid=778.9, ask=779.1)])

    filled = await engine.order_status(USER, order_id)
    assert (filled.status, filled.average_price) == ("complete", Decimal("778.9"))
    await assert_books_agree(engine)


async def test_triggered_stop_limit_rests_as_open_when_its_limit_is_not_reachable(engine, market):
    order_id = await engine.place_order(
        USER, order(action="BUY", price_type="SL", trigger_price=810, price=812)
    )

    await engine.on_quotes([market.set_price("NSE", "SBIN", 815, bid=814.9, ask=815.1)])
    assert (await engine.order_status(USER, order_id)).status == "open"
    await engine.on_quotes([market.set_price("NSE", "SBIN", 811.5)])

    filled = await engine.order_status(USER, order_id)
    assert (filled.status, filled.average_price) == ("complete", Decimal("812"))
    await assert_books_agree(engine)


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"product": "NRML"}, "NRML product not allowed for NSE equity segment"),
        (
            {"exchange": "NFO", "symbol": "NIFTY30JAN25FUT", "product": "CNC", "quantity": 75},
            "CNC product not allowed",
        ),
        ({"exchange": "NFO", "symbol": "NIFTY30JAN25FUT", "quantity": 50}, "multiples of lot size 75"),
        ({"action": "SELL", "product": "CNC"}, "No positions or holdings available"),
    ],
)
async def test_business_rules_store_a_rejected_order_and_raise(engine, fields, reason):
    with pytest.raises(OrderRejected) as raised:
        await engine.place_order(USER, order(**fields))

    stored = await engine.order_status(USER, raised.value.context["order_id"])
    assert stored.status == "rejected"
    assert reason in stored.rejection_reason
    assert (await engine.funds(USER)).used_margin == 0
    await assert_books_agree(engine)


async def test_order_beyond_available_funds_is_rejected_with_insufficient_funds(engine):
    with pytest.raises(InsufficientFunds):
        await engine.place_order(USER, order(product="CNC", quantity=20_000))

    assert (await engine.funds(USER)).available_cash == Decimal(10_000_000)


async def test_malformed_orders_raise_without_storing_anything(engine):
    with pytest.raises(ValidationFailed):
        await engine.place_order(USER, order(price_type="LIMIT"))
    with pytest.raises(SymbolNotFound):
        await engine.place_order(USER, order(symbol="NOPE"))
    with pytest.raises(ValidationFailed):
        await engine.place_order(USER, order(exchange="NSE_INDEX", symbol="NIFTY"))

    assert await engine.orderbook(USER) == []


async def test_market_order_without_a_price_is_rejected_rather_than_left_resting(engine, market):
    market.quotes.pop(("NSE", "RELIANCE"))

    with pytest.raises(OrderRejected, match="No market price"):
        await engine.place_order(USER, order(symbol="RELIANCE"))


async def test_modify_reprices_the_reservation(engine):
    order_id = await engine.place_order(USER, order(price_type="LIMIT", price=700, quantity=10))
    assert (await engine.funds(USER)).used_margin == Decimal(1400)  # 10 x 700 / 5 (MIS)

    await engine.modify_order(USER, order_id, ModifyRequest(quantity=1000, price=Decimal(600)))

    assert (await engine.funds(USER)).used_margin == Decimal(120_000)
    assert (await engine.order_status(USER, order_id)).margin_blocked == Decimal(120_000)
    await assert_books_agree(engine)


async def test_modify_to_a_marketable_price_fills_at_once(engine):
    order_id = await engine.place_order(USER, order(price_type="LIMIT", price=700))

    await engine.modify_order(USER, order_id, ModifyRequest(price=Decimal(805)))

    assert (await engine.order_status(USER, order_id)).average_price == Decimal("800.05")
    await assert_books_agree(engine)


async def test_refused_modify_leaves_the_order_unchanged(engine):
    order_id = await engine.place_order(USER, order(price_type="LIMIT", price=700))

    with pytest.raises(InsufficientFunds):
        await engine.modify_order(USER, order_id, ModifyRequest(quantity=10_000_000))

    kept = await engine.order_status(USER, order_id)
    assert (kept.quantity, kept.margin_blocked) == (10, Decimal(1400))
    await assert_books_agree(engine)


async def test_modify_or_cancel_of_a_finished_order_is_refused(engine):
    order_id = await engine.place_order(USER, order())

    with pytest.raises(OrderNotModifiable, match="complete"):
        await engine.modify_order(USER, order_id, ModifyRequest(quantity=5))
    with pytest.raises(OrderNotModifiable):
        await engine.cancel_order(USER, order_id)
    with pytest.raises(OrderNotFound):
        await engine.cancel_order(2, order_id)


async def test_cancel_releases_the_reservation_once(engine):
    order_id = await engine.place_order(USER, order(price_type="LIMIT", price=700))

    await engine.cancel_order(USER, order_id)

    assert (await engine.order_status(USER, order_id)).status == "cancelled"
    assert (await engine.funds(USER)).used_margin == 0
    with pytest.raises(OrderNotModifiable):
        await engine.cancel_order(USER, order_id)
    await assert_books_agree(engine)


async def test_cancel_all_includes_trigger_pending_orders(engine):
    limit = await engine.place_order(USER, order(price_type="LIMIT", price=700))
    stop = await engine.place_order(USER, order(action="SELL", price_type="SL-M", trigger_price=700))
    await engine.place_order(USER, order())

    result = await engine.cancel_all(USER)

    assert sorted(result.cancelled) == sorted([limit, stop])
    assert result.failed == []
    assert (await engine.funds(USER)).used_margin == Decimal("1600.10")  # only the filled position's margin
    await assert_books_agree(engine)


async def test_every_state_change_is_announced_after_commit(engine, events, market):
    order_id = await engine.place_order(USER, order(price_type="LIMIT", price=790))
    await engine.on_quotes([market.set_price("NSE", "SBIN", 789)])
    await engine.flush_events()

    assert [(user, event["orderid"], event["order_status"]) for user, event in events] == [
        (USER, order_id, "open"),
        (USER, order_id, "complete"),
    ]


async def test_smart_order_trades_the_difference_with_the_requested_price_type(engine):
    await engine.place_order(USER, order(quantity=10))
    smart = SmartOrderRequest(
        exchange="NSE", symbol="SBIN", action="BUY", price_type="LIMIT", price=Decimal(700)
    )

    result = await engine.place_smart_order(USER, smart, position_size=4)

    placed = await engine.order_status(USER, result.order_id)
    assert (placed.action, placed.quantity, placed.price_type, placed.status) == (
        "SELL",
        6,
        "LIMIT",
        "complete",
    )
    assert (await engine.open_position(USER, "NSE", "SBIN", "MIS")) == 4


async def test_smart_order_at_target_places_nothing(engine):
    await engine.place_order(USER, order(quantity=10))
    smart = SmartOrderRequest(exchange="NSE", symbol="SBIN", action="BUY", quantity=10)

    result = await engine.place_smart_order(USER, smart, position_size=10)
    flat = await engine.place_smart_order(
        USER, SmartOrderRequest(exchange="NSE", symbol="SBIN", action="BUY"), 0
    )

    assert result.order_id is None
    assert result.message == "Positions Already Matched. No Action needed."
    assert flat.order_id is not None
    assert (await engine.open_position(USER, "NSE", "SBIN", "MIS")) == 0


async def test_close_all_positions_flattens_every_product(engine):
    await engine.place_order(USER, order(quantity=10))
    await engine.place_order(
        USER, order(exchange="NFO", symbol="NIFTY30JAN25FUT", action="SELL", quantity=75)
    )

    result = await engine.close_all_positions(USER)

    assert len(result.order_ids) == 2 and result.failed == []
    assert all(position.quantity == 0 for position in await engine.positions(USER))
    assert (await engine.funds(USER)).used_margin == 0
    await assert_books_agree(engine)


async def test_process_market_polls_quotes_for_resting_orders(engine, market):
    order_id = await engine.place_order(USER, order(price_type="LIMIT", price=790))
    market.set_price("NSE", "SBIN", 785)

    await engine.process_market()

    assert (await engine.order_status(USER, order_id)).status == "complete"


async def test_async_event_hooks_are_awaited_in_commit_order(database, market, clock):
    from sandbox.engine import SandboxEngine

    seen = []

    async def publish(user_id: int, event: dict) -> None:
        seen.append(event["order_status"])

    engine = SandboxEngine(database, market, clock=clock, on_order_event=publish)
    order_id = await engine.place_order(USER, order(price_type="LIMIT", price=700))
    await engine.cancel_order(USER, order_id)
    await engine.close()

    assert seen == ["open", "cancelled"]


async def test_the_order_book_shows_today_and_what_still_rests_from_earlier_days(engine, clock):
    filled = await engine.place_order(USER, order(product="CNC"))
    resting = await engine.place_order(USER, order(product="CNC", price_type="LIMIT", price=700))
    clock.set_ist(MONDAY + timedelta(days=1), 10, 0)
    today = await engine.place_order(USER, order(product="CNC", quantity=1))

    book = await engine.orderbook(USER)

    assert [entry.order_id for entry in book] == [resting, today]
    assert filled not in {entry.order_id for entry in book}
    assert book[0].status == "open"
