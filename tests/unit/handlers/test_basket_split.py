"""Basket and split orders: every child goes through the order desk, results keep the request's order."""

import json

from sqlmodel import select

from storage import OrderAudit, session_scope


def item(symbol, action, quantity, **extra):
    return {"exchange": "NSE", "symbol": symbol, "action": action, "quantity": str(quantity)} | extra


def placed_requests(app) -> list[dict]:
    with session_scope(app.services.engine) as session:
        rows = session.exec(select(OrderAudit).where(OrderAudit.event == "place.requested").order_by(OrderAudit.id))
        return [json.loads(row.payload)["request"] for row in rows]


def test_basket_places_buys_before_sells_and_reports_in_request_order(app, trader):
    basket = [item("SBIN", "SELL", 1), item("INFY", "BUY", 2, strategy="ignored"), item("SBIN", "buy", 3)]

    body = trader("basketorder", strategy="hedge", orders=basket)

    assert body["status"] == "success" and body["mode"] == "analyze"
    assert [(r["symbol"], r["status"]) for r in body["results"]] == [
        ("SBIN", "success"),
        ("INFY", "success"),
        ("SBIN", "success"),
    ]
    sent = placed_requests(app)
    assert [(r["symbol"], r["action"], r["quantity"]) for r in sent] == [
        ("INFY", "BUY", 2.0),
        ("SBIN", "BUY", 3.0),
        ("SBIN", "SELL", 1.0),
    ]
    assert {r["strategy"] for r in sent} == {"hedge"}
    book = {o["orderid"]: o for o in trader("orderbook")["data"]["orders"]}
    assert [book[r["orderid"]]["action"] for r in body["results"]] == ["SELL", "BUY", "BUY"]


def test_basket_item_failure_does_not_fail_the_batch(trader):
    body = trader("basketorder", strategy="t", orders=[item("NOSUCH", "BUY", 1), item("SBIN", "BUY", 1)])

    failed, placed = body["results"]
    assert failed == {
        "symbol": "NOSUCH",
        "exchange": "NSE",
        "product": "MIS",
        "status": "error",
        "message": "Symbol NOSUCH not found on NSE",
        "code": "SYMBOL_NOT_FOUND",
    }
    assert placed["status"] == "success" and placed["orderid"]


def test_basket_with_a_fractional_quantity_is_refused_whole(app, trader):
    body = trader("basketorder", 400, strategy="t", orders=[item("SBIN", "BUY", 1), item("SBIN", "BUY", 1.5)])

    assert body["code"] == "VALIDATION_FAILED"
    assert "orders.1.quantity" in body["errors"]
    assert placed_requests(app) == []


def test_basket_with_an_unknown_item_field_is_refused(trader):
    body = trader("basketorder", 400, strategy="t", orders=[item("SBIN", "BUY", 1, target="5")])

    assert body["errors"] == {"orders.0.target": ["Unknown field."]}


def test_basket_retried_with_the_same_idempotency_key_places_nothing_new(app, trader):
    headers = {"Idempotency-Key": "basket-1"}
    basket = [item("SBIN", "BUY", 1), item("SBIN", "SELL", 1)]

    first = trader("basketorder", headers=headers, strategy="t", orders=basket)
    again = trader("basketorder", headers=headers, strategy="t", orders=basket)

    assert again["results"] == first["results"]
    assert len(placed_requests(app)) == 2


def test_split_places_full_children_then_the_remainder(app, trader):
    body = trader(
        "splitorder", strategy="t", exchange="NSE", symbol="SBIN", action="BUY", quantity="105", splitsize="50"
    )

    assert (body["total_quantity"], body["split_size"], body["mode"]) == (105, 50, "analyze")
    assert [(r["order_num"], r["quantity"], r["status"]) for r in body["results"]] == [
        (1, 50, "success"),
        (2, 50, "success"),
        (3, 5, "success"),
    ]
    assert [r["quantity"] for r in placed_requests(app)] == [50.0, 50.0, 5.0]
    assert trader("openposition", strategy="t", symbol="SBIN", exchange="NSE", product="MIS")["quantity"] == 105


def test_split_over_one_hundred_children_is_refused(app, trader):
    body = trader(
        "splitorder", 400, strategy="t", exchange="NSE", symbol="SBIN", action="BUY", quantity="101", splitsize="1"
    )

    assert body["message"] == "Total number of orders would exceed maximum limit of 100"
    assert body["errors"] == {"splitsize": [body["message"]]}
    assert placed_requests(app) == []


def test_split_children_that_fail_are_reported_each(trader):
    body = trader(
        "splitorder", strategy="t", exchange="NSE", symbol="NOSUCH", action="BUY", quantity="4", splitsize="2"
    )

    assert [(r["order_num"], r["status"], r["code"]) for r in body["results"]] == [
        (1, "error", "SYMBOL_NOT_FOUND"),
        (2, "error", "SYMBOL_NOT_FOUND"),
    ]
