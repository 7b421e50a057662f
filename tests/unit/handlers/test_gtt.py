"""GTT orders through the REST API: OpenAlgo's SINGLE/OCO rules and messages, the sandbox's trigger ids."""

import asyncio
import re
from datetime import timedelta

import pytest

from brokers.sandbox.plugin import MANIFEST
from gateway.accounts import Principal
from gateway.orders import OrderDesk
from gateway.routing import Route
from generated.errors import NotSupported
from storage import utcnow


@pytest.fixture
def ltp(app):
    return app.services.market.quote("NSE", "SBIN").ltp


def gtt(**fields):
    return {
        "strategy": "t",
        "trigger_type": "SINGLE",
        "exchange": "NSE",
        "symbol": "SBIN",
        "action": "BUY",
        "product": "CNC",
        "quantity": 5,
        "pricetype": "LIMIT",
        "price": 0,
    } | fields


def oco(ltp, **fields):
    legs = {"triggerprice_sl": ltp - 50, "stoploss": ltp - 51, "triggerprice_tg": ltp + 50, "target": ltp + 51}
    return gtt(trigger_type="oco", action="SELL", **legs) | fields


def test_single_gtt_is_placed_with_a_sandbox_trigger_id_and_listed(trader, ltp):
    placed = trader("placegttorder", **gtt(price=f"{ltp - 20:.2f}", triggerprice_sl=f"{ltp - 19:.2f}"))
    book = trader("gttorderbook")

    assert re.fullmatch(r"GTT-\d{6}-[0-9a-f]{8}", placed["trigger_id"]) and placed["mode"] == "analyze"
    (entry,) = book["data"]
    assert (entry["trigger_id"], entry["trigger_type"], entry["status"]) == (placed["trigger_id"], "single", "active")
    assert entry["trigger_prices"] == [round(ltp - 19, 2)]
    assert entry["legs"] == [
        {"action": "BUY", "quantity": 5, "price": round(ltp - 20, 2), "pricetype": "LIMIT", "product": "CNC"}
    ]


def test_single_gtt_with_both_triggers_keeps_the_stoploss_one(trader, ltp):
    trader("placegttorder", **gtt(price=ltp - 20, triggerprice_sl=ltp - 19, triggerprice_tg=ltp + 30, target=ltp))

    (entry,) = trader("gttorderbook")["data"]
    assert entry["trigger_prices"] == [round(ltp - 19, 2)]
    assert len(entry["legs"]) == 1


def test_single_gtt_without_a_trigger_is_refused_with_openalgos_message(trader):
    body = trader("placegttorder", 400, **gtt(price=100))

    assert body["errors"] == {"triggerprice_sl": ["SINGLE GTT requires a positive triggerprice_sl or triggerprice_tg."]}


def test_mis_gtt_is_refused(trader, ltp):
    body = trader("placegttorder", 400, **gtt(product="MIS", price=ltp - 20, triggerprice_sl=ltp - 19))

    assert body["errors"] == {
        "product": ["GTT supports only CNC (delivery) or NRML (overnight F&O); MIS is intraday-only."]
    }


def test_oco_gtt_is_placed_as_a_two_leg_trigger(trader, ltp):
    placed = trader("placegttorder", **oco(ltp))

    (entry,) = trader("gttorderbook")["data"]
    assert entry["trigger_id"] == placed["trigger_id"] and entry["trigger_type"] == "two-leg"
    assert entry["trigger_prices"] == [round(ltp - 50, 2), round(ltp + 50, 2)]


def test_oco_gtt_needs_every_leg_and_ordered_triggers(trader, ltp):
    missing = trader("placegttorder", 400, **oco(ltp, stoploss=None, triggerprice_tg=0))
    crossed = trader("placegttorder", 400, **oco(ltp, triggerprice_sl=ltp + 60))

    assert missing["errors"] == {
        "stoploss": ["Required for OCO (stoploss leg limit)."],
        "triggerprice_tg": ["Required for OCO (target trigger)."],
    }
    assert crossed["errors"] == {
        "triggerprice_sl": ["Stoploss trigger must be less than target trigger (triggerprice_tg)."]
    }


def test_modify_replaces_the_legs_and_keeps_the_trigger_id(trader, ltp):
    placed = trader("placegttorder", **oco(ltp))

    modified = trader(
        "modifygttorder", trigger_id=placed["trigger_id"], **oco(ltp, quantity=2, triggerprice_sl=ltp - 40)
    )

    (entry,) = trader("gttorderbook")["data"]
    assert modified == {"status": "success", "trigger_id": placed["trigger_id"], "mode": "analyze"}
    assert entry["trigger_prices"][0] == round(ltp - 40, 2)
    assert {leg["quantity"] for leg in entry["legs"]} == {2}


def test_modify_cannot_change_the_side(trader, ltp):
    placed = trader("placegttorder", **oco(ltp))

    body = trader("modifygttorder", 400, trigger_id=placed["trigger_id"], **oco(ltp, action="BUY"))

    assert body["code"] == "VALIDATION_FAILED" and "action" in body["message"]


def test_cancel_ends_the_trigger_and_the_status_filter_finds_it(trader, ltp):
    placed = trader("placegttorder", **oco(ltp))

    cancelled = trader("cancelgttorder", strategy="t", trigger_id=placed["trigger_id"])

    assert cancelled["trigger_id"] == placed["trigger_id"]
    assert trader("gttorderbook")["data"] == []
    assert [e["status"] for e in trader("gttorderbook", status="cancelled")["data"]] == ["cancelled"]
    assert [e["trigger_id"] for e in trader("gttorderbook", status="all")["data"]] == [placed["trigger_id"]]


def test_cancelling_an_unknown_trigger_is_not_found(trader):
    body = trader("cancelgttorder", 404, strategy="t", trigger_id="GTT-000000-00000000")

    assert body == {
        "status": "error",
        "message": "No active GTT with trigger_id 'GTT-000000-00000000'",
        "code": "ORDER_NOT_FOUND",
    }


def test_gttorderbook_refuses_an_unknown_status(trader):
    body = trader("gttorderbook", 400, status="open")

    assert list(body["errors"]) == ["status"]


def test_modify_and_cancel_are_refused_in_semi_auto_live_mode(app, trader, ltp):
    placed = trader("placegttorder", **oco(ltp))
    user = app.services.accounts.authenticate(app.services.accounts.api_keys("trader")[0].api_key)
    app.services.sessions.store(user.user_id, "sandbox", "token", utcnow() + timedelta(hours=5))
    trader("analyzer/toggle", mode=False)
    trader("ordermode", mode="semi_auto")

    modify = trader("modifygttorder", 403, trigger_id=placed["trigger_id"], **oco(ltp))
    cancel = trader("cancelgttorder", 403, strategy="t", trigger_id=placed["trigger_id"])

    assert modify["message"] == "Modify GTT order is not allowed in Semi-Auto mode. Switch to Auto mode."
    assert cancel["message"] == "Cancel GTT order is not allowed in Semi-Auto mode. Switch to Auto mode."
    assert cancel["code"] == "FORBIDDEN"


class _Router:
    def __init__(self, plugin):
        self.plugin = plugin

    def route(self, user):
        return Route("nogtt", self.plugin, is_analyze=False)


class _PluginWithoutGtt:
    manifest = MANIFEST.model_copy(
        update={"capabilities": MANIFEST.capabilities.model_copy(update={"gtt": None}), "id": "nogtt"}
    )


def test_a_broker_without_gtt_is_not_supported(app):
    desk = OrderDesk(app.services.engine, _Router(_PluginWithoutGtt()))

    with pytest.raises(NotSupported, match="GTT orders are not supported for broker 'nogtt'"):
        asyncio.run(desk.gtt_book(Principal(user_id=1, username="x")))
