"""The books written straight to JSON are byte for byte what the models' path printed before."""

from __future__ import annotations

import asyncio
import json
import threading
from decimal import Decimal

import pytest
from connexion.jsonifier import JSONEncoder

from generated.api import OrderBook, Trade
from generated.errors import OrderRejected
from sandbox.engine import ModifyRequest, OrderRequest, wire
from storage.db import write_lock
from tests.unit.sandbox.engine.conftest import MONDAY

pytestmark = pytest.mark.databases  # on SQLite and on PostgreSQL (tests/postgres.py)

USER = 1


def printed(data) -> str:
    """What the handlers answered before: the models' dump, printed by connexion's jsonifier."""
    return json.dumps(data, cls=JSONEncoder)


async def old_order_book(engine) -> str:
    book = OrderBook.model_validate(wire.orderbook_wire(await engine.orderbook(USER)))
    return printed(book.model_dump(exclude_none=True))


async def old_trade_book(engine) -> str:
    trades = [Trade.model_validate(row) for row in wire.tradebook_wire(await engine.tradebook(USER))]
    return printed([trade.model_dump(exclude_none=True) for trade in trades])


async def place_varied_orders(engine, clock, market) -> None:
    def order(**fields) -> OrderRequest:
        return OrderRequest(**({"exchange": "NSE", "symbol": "SBIN", "action": "BUY", "quantity": 1} | fields))

    # Resting from the day before: still in today's book.
    await engine.place_order(USER, order(price_type="LIMIT", price=Decimal("600.35"), strategy="carried"))
    clock.set_ist(MONDAY.replace(day=7), 9, 20)
    await engine.place_order(USER, order(quantity=7, strategy='Nifty "straddle" ₹ \\ tab\t'))  # filled
    await engine.place_order(USER, order(action="SELL", quantity=3, product="MIS"))  # filled, short
    await engine.place_order(USER, order(price_type="SL-M", action="SELL", trigger_price=Decimal("700.05")))
    await engine.place_order(
        USER, order(price_type="SL", price=Decimal("901.1234"), trigger_price=Decimal("900.5"), product="CNC")
    )
    cancelled = await engine.place_order(USER, order(price_type="LIMIT", price=Decimal("600")))
    await engine.cancel_order(USER, cancelled)
    modified = await engine.place_order(USER, order(price_type="LIMIT", price=Decimal("610"), quantity=4))
    await engine.modify_order(USER, modified, ModifyRequest(quantity=9, price=Decimal("611.25")))
    with pytest.raises(OrderRejected):
        await engine.place_order(USER, order(product="NRML"))  # NSE equity takes no NRML
    await engine.place_order(USER, order(exchange="NFO", symbol="NIFTY30JAN25FUT", quantity=75, product="NRML"))
    clock.advance(hours=1, seconds=7)
    await engine.on_quotes([market.set_price("NSE", "SBIN", 610.4, bid=610.35, ask=610.45)])  # the limit fills


async def test_order_book_json_is_the_models_answer_byte_for_byte(engine, clock, market):
    await place_varied_orders(engine, clock, market)

    written = (await engine.orderbook_json(USER)).decode("ascii")

    assert written == await old_order_book(engine)
    book = json.loads(written)
    statuses = {row["order_status"] for row in book["orders"]}
    assert statuses == {"open", "complete", "rejected", "cancelled", "trigger pending"}
    assert book["statistics"]["total_sell_orders"] == 2 and "\\u20b9" in written  # non-ASCII escaped as before


async def test_trade_book_json_is_the_models_answer_byte_for_byte(engine, clock, market):
    await place_varied_orders(engine, clock, market)

    written = (await engine.tradebook_json(USER)).decode("ascii")

    assert written == await old_trade_book(engine)
    assert len(json.loads(written)) == 5  # market buy and sell, the future, the SL-M, the limit


async def test_empty_books_are_written_as_before(engine):
    assert (await engine.orderbook_json(USER)).decode() == await old_order_book(engine)
    assert (await engine.tradebook_json(USER)).decode() == await old_trade_book(engine) == "[]"


async def test_book_reads_leave_the_write_lock_to_the_writers(engine, database):
    order_id = await engine.place_order(USER, OrderRequest(exchange="NSE", symbol="SBIN", action="BUY", quantity=1))
    held, release = threading.Event(), threading.Event()

    def writer() -> None:  # the order audit's or the journal's writer, in the middle of a commit
        with write_lock(database):
            held.set()
            release.wait(10)

    thread = threading.Thread(target=writer)
    thread.start()
    assert held.wait(5)
    try:
        book = await asyncio.wait_for(engine.orderbook_json(USER), 2)
        trades = await asyncio.wait_for(engine.tradebook_json(USER), 2)
        status = await asyncio.wait_for(engine.order_status(USER, order_id), 2)
    finally:
        release.set()
        thread.join()
    assert order_id.encode() in book and order_id.encode() in trades and status.order_id == order_id
