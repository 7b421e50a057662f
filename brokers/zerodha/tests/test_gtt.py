"""Kite GTT through the plugin: the trigger forms it sends, and a single and a two-leg trigger's life on the simulator."""

from __future__ import annotations

import json

from gateway.gtt import normalized_gtt
from generated.api import GttOrderRequest
from tests import gtt_scenarios

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
    await gtt_scenarios.placed_listed_modified_and_cancelled(simulator)


async def test_a_trigger_fires_when_the_simulated_market_reaches_it(simulator):
    await gtt_scenarios.fires_on_the_market(simulator)


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
