"""Paper trading through the REST API: fills, positions, P&L and funds move together, and survive a restart."""

import pytest

from gateway import orders
from gateway.app import create_app
from sandbox.market import InstrumentType
from storage import OrderIntent, session_scope

pytestmark = pytest.mark.databases  # on SQLite and on PostgreSQL (tests/postgres.py)

CAPITAL = 10_000_000.0


@pytest.fixture
def nifty_future(app):
    futures = [
        i
        for i in app.services.market.master.all("NFO")
        if i.name == "NIFTY" and i.instrument_type is InstrumentType.FUTURE
    ]
    return min(futures, key=lambda i: i.expiry)


def order(symbol, exchange, action, quantity, **extra):
    return {
        "strategy": "test",
        "symbol": symbol,
        "exchange": exchange,
        "action": action,
        "quantity": str(quantity),
    } | extra


def test_market_buy_then_limit_sell_moves_fill_position_pnl_and_funds_consistently(app, trader, nifty_future):
    lot = nifty_future.lot_size
    ask = app.services.market.quote("NFO", nifty_future.symbol).ask

    bought = trader("placeorder", **order(nifty_future.symbol, "NFO", "buy", lot, product="NRML"))
    fill = trader("orderstatus", strategy="test", orderid=bought["orderid"])["data"]
    position = trader("positionbook")["data"][0]
    funds = trader("funds")["data"]

    assert bought["mode"] == "analyze"
    # The market clock keeps running during the test, so the fill is near the ask seen a moment before.
    assert fill["order_status"] == "complete" and fill["average_price"] == pytest.approx(ask, rel=0.005)
    assert (position["symbol"], position["quantity"]) == (nifty_future.symbol, lot)
    assert position["average_price"] == fill["average_price"]
    assert funds["utiliseddebits"] > 0
    assert funds["availablecash"] + funds["utiliseddebits"] == pytest.approx(CAPITAL + funds["m2mrealized"])

    bid = app.services.market.quote("NFO", nifty_future.symbol).bid
    limit = round((bid - 20) / 0.05) * 0.05  # marketable: a sell limit below the bid fills at once
    sold = trader(
        "placeorder",
        **order(nifty_future.symbol, "NFO", "SELL", lot, product="NRML", pricetype="LIMIT", price=f"{limit:.2f}"),
    )
    closed = trader("positionbook")["data"][0]
    after = trader("funds")["data"]
    trades = trader("tradebook")["data"]

    assert trader("orderstatus", strategy="test", orderid=sold["orderid"])["data"]["order_status"] == "complete"
    assert closed["quantity"] == 0
    realized = round((trades[-1]["average_price"] - fill["average_price"]) * lot, 2) if trades[-1]["action"] == "SELL" else None
    assert realized is not None and closed["today_realized_pnl"] == pytest.approx(realized)
    assert after["utiliseddebits"] == pytest.approx(0)
    assert after["availablecash"] == pytest.approx(CAPITAL + realized)


def test_resting_limit_fills_when_the_market_reaches_it(app, trader, nifty_future):
    quote = app.services.market.quote("NFO", nifty_future.symbol)
    placed = trader(
        "placeorder",
        **order(
            nifty_future.symbol,
            "NFO",
            "BUY",
            nifty_future.lot_size,
            product="NRML",
            pricetype="LIMIT",
            price=f"{quote.bid - 5:.2f}",
        ),
    )
    assert trader("orderstatus", strategy="test", orderid=placed["orderid"])["data"]["order_status"] == "open"

    trader(
        "modifyorder",
        strategy="test",
        orderid=placed["orderid"],
        symbol=nifty_future.symbol,
        exchange="NFO",
        action="BUY",
        product="NRML",
        pricetype="LIMIT",
        price=f"{quote.ask + 50:.2f}",
        quantity=str(nifty_future.lot_size),
        disclosed_quantity="0",
        trigger_price="0",
    )

    status = trader("orderstatus", strategy="test", orderid=placed["orderid"])["data"]
    assert status["order_status"] == "complete"
    assert status["average_price"] <= quote.ask + 50


def test_restart_keeps_orders_positions_and_funds_and_resting_orders_resume(settings, app, trader, nifty_future):
    quote = app.services.market.quote("NFO", nifty_future.symbol)
    trader("placeorder", **order("SBIN", "NSE", "BUY", 10, product="MIS"))
    resting = trader(
        "placeorder",
        **order(
            nifty_future.symbol,
            "NFO",
            "BUY",
            nifty_future.lot_size,
            product="NRML",
            pricetype="LIMIT",
            price=f"{quote.bid - 100:.2f}",
        ),
    )
    before = {path: trader(path)["data"] for path in ("orderbook", "positionbook", "funds")}

    restarted = create_app(settings, validate_responses=True)
    with restarted.test_client() as client:
        key = restarted.services.accounts.api_keys("trader")[0].api_key
        after = {path: client.post(f"/api/v1/{path}", json={"apikey": key}).json()["data"] for path in before}
        cancelled = client.post(
            "/api/v1/cancelorder", json={"apikey": key, "strategy": "t", "orderid": resting["orderid"]}
        )

    assert after["orderbook"] == before["orderbook"]
    assert [p["quantity"] for p in after["positionbook"]] == [p["quantity"] for p in before["positionbook"]]
    assert after["funds"]["utiliseddebits"] == before["funds"]["utiliseddebits"]
    assert cancelled.status_code == 200


def test_smart_order_reaches_the_target_and_then_does_nothing(trader):
    first = trader("placesmartorder", **order("SBIN", "NSE", "BUY", 0, position_size="5", product="MIS"))
    again = trader("placesmartorder", **order("SBIN", "NSE", "BUY", 0, position_size="5", product="MIS"))
    reduced = trader("placesmartorder", **order("SBIN", "NSE", "BUY", 0, position_size="2", product="MIS"))

    assert "orderid" in first and "orderid" not in again and "orderid" in reduced
    assert trader("openposition", strategy="t", symbol="SBIN", exchange="NSE", product="MIS")["quantity"] == 2


def test_cancel_all_and_close_all(app, trader):
    bid = app.services.market.quote("NSE", "SBIN").bid
    trader("placeorder", **order("SBIN", "NSE", "BUY", 1, pricetype="LIMIT", price=f"{bid - 10:.2f}"))
    trader("placeorder", **order("INFY", "NSE", "SELL", 3))

    cancelled = trader("cancelallorder", strategy="t")
    closed = trader("closeposition", strategy="t")

    assert len(cancelled["canceled_orders"]) == 1
    assert closed["closed_positions"] == 1
    assert trader("openposition", strategy="t", symbol="INFY", exchange="NSE", product="MIS")["quantity"] == 0


def test_client_order_id_places_once_and_conflicts_on_a_different_order(trader):
    first = trader("placeorder", **order("SBIN", "NSE", "BUY", 1, client_order_id="retry-1"))
    second = trader("placeorder", **order("SBIN", "NSE", "BUY", 1, client_order_id="retry-1"))
    conflict = trader("placeorder", expect=409, **order("SBIN", "NSE", "BUY", 2, client_order_id="retry-1"))

    assert first["orderid"] == second["orderid"]
    assert len(trader("orderbook")["data"]["orders"]) == 1
    assert conflict["code"] == "IDEMPOTENCY_CONFLICT"


def test_idempotency_key_header_survives_a_restart(settings, app, client, api_key):
    body = {"apikey": api_key} | order("SBIN", "NSE", "BUY", 1)
    first = client.post("/api/v1/placeorder", json=body, headers={"Idempotency-Key": "k-42"}).json()

    restarted = create_app(settings, validate_responses=True)
    with restarted.test_client() as again:
        replay = again.post("/api/v1/placeorder", json=body, headers={"Idempotency-Key": "k-42"}).json()
        orders = again.post("/api/v1/orderbook", json={"apikey": api_key}).json()["data"]["orders"]

    assert replay["orderid"] == first["orderid"]
    assert len(orders) == 1


@pytest.mark.parametrize(
    "body, status, code",
    [
        (order("NOPE", "NSE", "BUY", 1), 404, "SYMBOL_NOT_FOUND"),
        (order("SBIN", "NSE", "BUY", 1, product="NRML"), 422, "ORDER_REJECTED"),
        (order("SBIN", "NSE", "BUY", "1.5"), 400, "VALIDATION_FAILED"),
        (order("SBIN", "NSE", "Buy", 1), 400, "VALIDATION_FAILED"),
        (order("SBIN", "nse", "BUY", 1), 400, "VALIDATION_FAILED"),
        (order("SBIN", "NSE", "BUY", 0), 400, "VALIDATION_FAILED"),
        (order("SBIN", "NSE", "BUY", 1, pricetype="LIMIT"), 400, "VALIDATION_FAILED"),
        (order("SBIN", "NSE", "BUY", 10**9), 422, "INSUFFICIENT_FUNDS"),
    ],
)
def test_bad_orders_get_distinct_codes(trader, body, status, code):
    assert trader("placeorder", expect=status, **body)["code"] == code


def test_lot_size_is_enforced_on_derivatives(trader, nifty_future):
    rejected = trader("placeorder", expect=422, **order(nifty_future.symbol, "NFO", "BUY", 1, product="NRML"))

    assert f"lot size {nifty_future.lot_size}" in rejected["message"]


def test_unknown_order_is_404(trader):
    assert trader("orderstatus", expect=404, strategy="t", orderid="12345")["code"] == "ORDER_NOT_FOUND"
    assert trader("cancelorder", expect=404, strategy="t", orderid="12345")["code"] == "ORDER_NOT_FOUND"


def test_a_key_whose_first_attempt_died_mid_call_answers_409_and_places_nothing(app, trader, monkeypatch):
    # The claim a crashed attempt leaves: stored with its intent, never given an outcome.
    user_id = app.services.accounts.user("trader").id
    with session_scope(app.services.engine) as session:
        session.add(OrderIntent(user_id=user_id, client_order_id="died-1"))
    monkeypatch.setattr(orders, "CLAIM_WAIT_SECONDS", 0.2)

    retried = trader("placeorder", expect=409, **order("SBIN", "NSE", "BUY", 1, client_order_id="died-1"))

    assert retried["code"] == "IDEMPOTENCY_CONFLICT"
    assert trader("orderbook")["data"]["orders"] == []
