"""Kite GTT through the plugin: the trigger forms it sends, and a single and a two-leg trigger's life on the simulator."""

from __future__ import annotations

import json

from gateway.gtt import normalized_gtt
from generated.api import GttOrderRequest, ModifyGttOrderRequest
from generated.contract import GttRef

FIELDS = {
    "strategy": "t",
    "exchange": "NSE",
    "symbol": "SBIN",
    "action": "SELL",
    "product": "CNC",
    "quantity": 2,
    "pricetype": "LIMIT",
}


async def test_a_single_and_a_two_leg_gtt_are_placed_listed_modified_and_cancelled(simulator):
    plugin, account = simulator.plugin(), simulator.issue_session()
    ltp = simulator.market.quote("NSE", "SBIN").ltp
    stop, target = round(ltp * 0.9, 1), round(ltp * 1.1, 1)
    single = normalized_gtt(GttOrderRequest(trigger_type="SINGLE", price=stop, triggerprice_sl=stop, **FIELDS))
    oco = normalized_gtt(GttOrderRequest(trigger_type="OCO", price=0, triggerprice_sl=stop, triggerprice_tg=target,
                                         stoploss=stop, target=target, **FIELDS))  # fmt: skip

    first = await plugin.gtt_place(account, single)
    second = await plugin.gtt_place(account, oco)
    book = {entry.trigger_id: entry for entry in await plugin.gtt_book(account)}

    assert (book[first.trigger_id].trigger_type, book[first.trigger_id].trigger_prices) == ("single", [stop])
    assert (book[second.trigger_id].trigger_type, book[second.trigger_id].trigger_prices) == ("two-leg", [stop, target])
    assert [(leg.action, leg.quantity, leg.price) for leg in book[second.trigger_id].legs] == [
        ("SELL", 2, stop),
        ("SELL", 2, target),
    ]
    assert book[first.trigger_id].symbol == "SBIN" and book[first.trigger_id].status == "active"

    lower = round(ltp * 0.85, 1)
    modify = ModifyGttOrderRequest(
        trigger_type="SINGLE", trigger_id=first.trigger_id, price=lower, triggerprice_sl=lower, **FIELDS
    )
    await plugin.gtt_modify(account, normalized_gtt(modify))
    await plugin.gtt_cancel(account, GttRef(trigger_id=second.trigger_id))
    book = {entry.trigger_id: entry for entry in await plugin.gtt_book(account)}

    assert book[first.trigger_id].trigger_prices == [lower]
    assert book[second.trigger_id].status == "cancelled"


async def test_the_gtt_form_carries_kites_condition_and_orders_as_json(simulator):
    plugin, account = simulator.plugin(), simulator.issue_session()
    request = normalized_gtt(GttOrderRequest(trigger_type="SINGLE", price=500, triggerprice_tg=510, **FIELDS))

    form = await plugin._gtt_form(account, request)

    condition, orders = json.loads(form["condition"]), json.loads(form["orders"])
    assert form["type"] == "single"
    assert (condition["exchange"], condition["tradingsymbol"], condition["trigger_values"]) == ("NSE", "SBIN", [510.0])
    assert condition["last_price"] > 0
    assert orders == [{"exchange": "NSE", "tradingsymbol": "SBIN", "transaction_type": "SELL", "quantity": 2,
                       "order_type": "LIMIT", "product": "CNC", "price": 500.0}]  # fmt: skip
