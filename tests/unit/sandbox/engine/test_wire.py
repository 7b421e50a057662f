"""OpenAlgo-shaped bodies built from the engine's views."""

from __future__ import annotations

from decimal import Decimal

from sandbox.engine import GttRequest, OrderRequest, wire

USER = 1


async def test_orderbook_tradebook_positions_funds_and_gtt_shapes(engine):
    await engine.place_order(USER, OrderRequest(exchange="NSE", symbol="SBIN", action="BUY", quantity=10))
    await engine.place_order(
        USER,
        OrderRequest(
            exchange="NSE",
            symbol="SBIN",
            action="SELL",
            quantity=5,
            price_type="SL-M",
            trigger_price=Decimal(700),
        ),
    )
    await engine.place_gtt(
        USER,
        GttRequest(
            trigger_type="OCO",
            exchange="NSE",
            symbol="RELIANCE",
            action="BUY",
            product="CNC",
            quantity=1,
            stoploss_trigger=Decimal(1200),
            stoploss_price=Decimal(1199),
            target_trigger=Decimal(1300),
            target_price=Decimal(1301),
        ),
    )

    book = wire.orderbook_wire(await engine.orderbook(USER))
    trades = wire.tradebook_wire(await engine.tradebook(USER))
    positions = wire.positionbook_wire(await engine.positions(USER))
    funds = wire.funds_wire(await engine.funds(USER))
    [gtt] = wire.gtt_book_wire(await engine.gtt_book(USER))

    assert book["statistics"] == {
        "total_buy_orders": 1,
        "total_sell_orders": 1,
        "total_completed_orders": 1,
        "total_open_orders": 0,
        "total_rejected_orders": 0,
        "total_trigger_pending_orders": 1,
    }
    first = book["orders"][0]
    assert first["order_status"] == "complete" and first["pricetype"] == "MARKET" and first["price"] == 0.0
    assert first["average_price"] == 800.05 and first["timestamp"] == "2025-01-06 10:00:00"
    assert set(trades[0]) >= {"tradeid", "orderid", "average_price", "trade_value", "timestamp"}
    assert trades[0]["trade_value"] == 8000.5
    assert positions["data"][0]["quantity"] == 10 and positions["data"][0]["ltp"] == 800.0
    assert positions["total_unrealized_pnl"] == -0.5
    assert {key: type(value) for key, value in funds.items()} == {key: float for key in funds}
    assert (
        funds["utiliseddebits"] == 2901.1
    )  # the position and the GTT; the SL-M only reduces, so holds nothing
    assert gtt["trigger_type"] == "two-leg" and gtt["trigger_prices"] == [1200.0, 1300.0]
    assert [leg["price"] for leg in gtt["legs"]] == [1199.0, 1301.0]


async def test_order_status_uses_the_analyzer_spelling_too(engine):
    order_id = await engine.place_order(
        USER, OrderRequest(exchange="NSE", symbol="SBIN", action="BUY", quantity=1)
    )

    status = wire.order_status_wire(await engine.order_status(USER, order_id))

    assert status["price_type"] == status["pricetype"] == "MARKET"
    assert "rejection_reason" not in status


def test_cancel_all_and_close_all_messages():
    from sandbox.engine import CancelAllResult, CloseAllResult

    assert wire.cancel_all_wire(CancelAllResult([], []))["message"] == "No open orders to cancel"
    assert wire.cancel_all_wire(CancelAllResult(["1"], [("2", "gone")]))["failed_cancellations"] == [
        {"orderid": "2", "message": "gone"}
    ]
    assert wire.close_all_wire(CloseAllResult(["1"], [("NSE:X:MIS", "no price")]))["message"] == (
        "Closed 1 positions (Failed to close 1 positions)"
    )
