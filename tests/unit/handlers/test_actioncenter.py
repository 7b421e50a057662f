"""Semi-auto mode: orders are checked, queued, and placed once on approval; live changes are refused."""

import asyncio
import json
from datetime import timedelta

import pytest
from sqlmodel import select

from gateway.actioncenter import ActionCenter
from generated.api import PlaceOrderRequest
from generated.errors import OrderNotModifiable
from storage import OrderAudit, session_scope, utcnow

QUEUED = "Order queued for approval in Action Center"


@pytest.fixture
def user(app, api_key):
    return app.services.accounts.authenticate(api_key)


@pytest.fixture
def semi_auto(trader):
    trader("ordermode", mode="semi_auto")


def order(symbol="SBIN", quantity=1, **extra):
    return {"strategy": "t", "exchange": "NSE", "symbol": symbol, "action": "BUY", "quantity": str(quantity)} | extra


def placements(app) -> int:
    with session_scope(app.services.engine) as session:
        return len(session.exec(select(OrderAudit).where(OrderAudit.event == "place.requested")).all())


def test_order_mode_is_auto_until_set(trader):
    assert trader("ordermode")["data"] == {"order_mode": "auto"}
    assert trader("ordermode", mode="semi_auto")["data"] == {"order_mode": "semi_auto"}
    assert trader("ordermode")["data"] == {"order_mode": "semi_auto"}


def test_order_mode_refuses_an_unknown_mode(trader):
    body = trader("ordermode", 400, mode="manual")

    assert list(body["errors"]) == ["mode"]


@pytest.mark.usefixtures("semi_auto")
def test_semi_auto_queues_an_order_and_approval_places_it_once(app, trader):
    queued = trader("placeorder", **order())

    assert queued == {"status": "success", "message": QUEUED, "mode": "semi_auto", "pending_order_id": 1}
    assert placements(app) == 0
    (pending,) = trader("pendingorders")["data"]
    assert (pending["kind"], pending["status"], pending["request"]["symbol"]) == ("placeorder", "pending", "SBIN")
    assert "apikey" not in pending["request"]

    approved = trader("pendingorders/approve", pending_order_id=1)
    again = trader("pendingorders/approve", 409, pending_order_id=1)

    assert approved["pending_order_id"] == 1 and approved["orderid"] and approved["mode"] == "analyze"
    assert again == {
        "status": "error",
        "message": "Pending order 1 was already approved",
        "code": "ORDER_NOT_MODIFIABLE",
    }
    assert placements(app) == 1
    assert trader("pendingorders")["data"] == []
    (decided,) = trader("pendingorders", status="approved")["data"]
    assert decided["outcome"]["orderid"] == approved["orderid"]


@pytest.mark.usefixtures("semi_auto")
def test_concurrent_approvals_place_the_order_once(app, trader, user):
    pending_id = trader("placeorder", **order())["pending_order_id"]
    center = ActionCenter.of(app.services)

    async def both():
        return await asyncio.gather(
            center.approve(user, pending_id), center.approve(user, pending_id), return_exceptions=True
        )

    outcomes = asyncio.run(both())

    assert sorted(type(outcome).__name__ for outcome in outcomes) == ["OrderNotModifiable", "dict"]
    assert any(isinstance(outcome, OrderNotModifiable) for outcome in outcomes)
    assert placements(app) == 1


@pytest.mark.usefixtures("semi_auto")
def test_semi_auto_checks_before_queueing(trader):
    fractional = trader("placeorder", 400, **order(quantity=1.5))
    unknown = trader("placeorder", 404, **order(symbol="NOSUCH"))
    bad_gtt = trader(
        "placegttorder",
        400,
        strategy="t",
        trigger_type="SINGLE",
        exchange="NSE",
        symbol="SBIN",
        action="BUY",
        product="CNC",
        quantity=1,
        price=100,
    )
    too_split = trader("splitorder", 400, **order(quantity=500), splitsize=2)

    assert fractional["errors"] == {"quantity": ["Fractional quantity (1.5) is not allowed for non-crypto exchanges."]}
    assert unknown["code"] == "SYMBOL_NOT_FOUND"
    assert "triggerprice_sl" in bad_gtt["errors"]
    assert too_split["errors"] == {"splitsize": ["Total number of orders would exceed maximum limit of 100"]}
    assert trader("pendingorders", status="all")["data"] == []


@pytest.mark.usefixtures("semi_auto")
def test_basket_split_smart_and_gtt_are_queued_and_placed_on_approval(app, trader):
    ltp = app.services.market.quote("NSE", "SBIN").ltp
    ids = [
        trader("basketorder", strategy="t", orders=[order() | {"strategy": "x"}])["pending_order_id"],
        trader("splitorder", **order(quantity=3), splitsize=2)["pending_order_id"],
        trader("placesmartorder", **order(quantity=0), position_size=2)["pending_order_id"],
        trader(
            "placegttorder",
            strategy="t",
            trigger_type="single",
            exchange="NSE",
            symbol="SBIN",
            action="BUY",
            product="CNC",
            quantity=1,
            price=ltp - 20,
            triggerprice_sl=ltp - 19,
        )["pending_order_id"],
    ]
    kinds = [row["kind"] for row in trader("pendingorders")["data"]]

    basket, split, smart, gtt = (trader("pendingorders/approve", pending_order_id=i) for i in ids)

    assert kinds == ["basketorder", "splitorder", "smartorder", "placegttorder"]
    assert [r["status"] for r in basket["results"]] == ["success"]
    assert [r["quantity"] for r in split["results"]] == [2, 1]
    assert smart["orderid"]
    assert gtt["trigger_id"].startswith("GTT-")


@pytest.mark.usefixtures("semi_auto")
def test_rejected_order_is_never_placed(app, trader):
    pending_id = trader("placeorder", **order())["pending_order_id"]

    rejected = trader("pendingorders/reject", pending_order_id=pending_id)
    approve = trader("pendingorders/approve", 409, pending_order_id=pending_id)

    assert rejected["message"] == f"Pending order {pending_id} rejected"
    assert approve["message"] == f"Pending order {pending_id} was already rejected"
    assert placements(app) == 0


@pytest.mark.usefixtures("semi_auto")
def test_approval_the_broker_refuses_is_marked_failed(app, trader):
    pending_id = trader("placeorder", **order(quantity=10_000_000, product="CNC"))["pending_order_id"]

    body = trader("pendingorders/approve", 422, pending_order_id=pending_id)

    (row,) = trader("pendingorders", status="failed")["data"]
    assert body["code"] == "INSUFFICIENT_FUNDS"
    assert row["outcome"]["code"] == "INSUFFICIENT_FUNDS"


def test_approving_another_users_order_is_not_found(app, trader, user):
    other = app.services.accounts.create_user("other", "correct horse battery")
    center = ActionCenter.of(app.services)
    center.set_order_mode(user, "semi_auto")
    request = PlaceOrderRequest.model_validate(order())
    pending = asyncio.run(center.submit(user, "placeorder", request))

    body = trader("pendingorders/approve", 404, pending_order_id=pending["pending_order_id"] + 1)

    assert body["message"] == f"No pending order {pending['pending_order_id'] + 1}"
    assert other.id != user.user_id


def test_semi_auto_live_refuses_modify_cancel_cancelall_and_closeposition(app, trader, user):
    app.services.sessions.store(user.user_id, "sandbox", "token", utcnow() + timedelta(hours=5))
    trader("analyzer/toggle", mode=False)
    trader("ordermode", mode="semi_auto")
    modify = {"orderid": "1", "exchange": "NSE", "symbol": "SBIN", "action": "BUY", "product": "MIS"}
    modify |= {"pricetype": "LIMIT", "price": "1", "quantity": "1", "strategy": "t"}

    refused = {
        path: trader(path, 403, **body)["message"]
        for path, body in {
            "modifyorder": modify,
            "cancelorder": {"strategy": "t", "orderid": "1"},
            "cancelallorder": {"strategy": "t"},
            "closeposition": {"strategy": "t"},
        }.items()
    }

    assert refused["modifyorder"].startswith("Modify order operation is not allowed in Semi-Auto mode.")
    assert refused["cancelorder"].startswith("Cancel order operation is not allowed in Semi-Auto mode.")
    assert refused["cancelallorder"].startswith("Cancel all orders operation is not allowed in Semi-Auto mode.")
    assert refused["closeposition"].startswith("Close position operation is not allowed in Semi-Auto mode.")


@pytest.mark.usefixtures("semi_auto")
def test_semi_auto_in_analyzer_mode_still_cancels(trader):
    body = trader("cancelallorder", strategy="t")

    assert body["message"] == "No open orders to cancel"


def test_pending_orders_request_refuses_an_unknown_status(trader):
    body = trader("pendingorders", 400, status="queued")

    assert json.dumps(body["errors"]).count("status") == 1
