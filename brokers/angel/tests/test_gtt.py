"""Angel's GTT rules as brokergate's GTT: the bodies the plugin sends, the rules it reads back, and a
SINGLE and an OCO rule's life on the simulator, up to the offline market firing one."""

from __future__ import annotations

import pytest

from brokers.angel import mapping
from gateway.gtt import normalized_gtt
from generated.api import GttOrderRequest, InstrumentRecord
from generated.errors import BrokerBadResponse, NotSupported, OrderNotFound
from tests import gtt_scenarios
from tests.gtt_scenarios import FIELDS

SBIN = InstrumentRecord(symbol="SBIN", brsymbol="SBIN-EQ", name="SBIN", exchange="NSE", brexchange="NSE", token="3045",
                        expiry="", strike=0, lotsize=1, instrumenttype="EQ", tick_size=0.05)  # fmt: skip


def test_a_single_rule_carries_angels_documented_fields_as_text():
    request = normalized_gtt(GttOrderRequest(trigger_type="SINGLE", price=195, triggerprice_sl=196, **FIELDS))

    body = mapping.to_upstream_gtt_rule(request, SBIN)

    assert body == {"tradingsymbol": "SBIN-EQ", "symboltoken": "3045", "exchange": "NSE", "transactiontype": "SELL",
                    "producttype": "DELIVERY", "qty": "2", "disclosedqty": "0", "timeperiod": "365", "price": "195.0",
                    "triggerprice": "196.0"}  # fmt: skip


def test_an_oco_rule_puts_the_target_in_price_and_the_stoploss_in_its_own_fields():
    request = normalized_gtt(GttOrderRequest(trigger_type="OCO", price=0, triggerprice_sl=180, triggerprice_tg=220,
                                             stoploss=179.5, target=220.5, **FIELDS | {"product": "NRML"}))  # fmt: skip

    body = mapping.to_upstream_gtt_rule(request, SBIN)

    assert (body["gttType"], body["producttype"]) == ("OCO", "MARGIN")
    assert (body["price"], body["triggerprice"]) == ("220.5", "220.0")
    assert (body["stoplossprice"], body["stoplosstriggerprice"]) == ("179.5", "180.0")


def test_a_rule_list_row_reads_back_as_a_unified_entry(book):
    row = {"id": "7", "status": "NEW", "createddate": "2020-11-16T14:19:51Z", "tradingsymbol": "SBIN-EQ",
           "symboltoken": "3045", "exchange": "NSE", "transactiontype": "BUY", "producttype": "DELIVERY",
           "price": "195", "qty": "1", "triggerprice": "196", "disclosedqty": "10", "gttType": "OCO",
           "stoplossprice": "150", "stoplosstriggerprice": "151"}  # fmt: skip

    entry = mapping.gtt_from_upstream(row, book)

    assert (entry.trigger_id, entry.trigger_type, entry.status, entry.exchange) == ("7", "two-leg", "active", "NSE")
    assert entry.trigger_prices == [151.0, 196.0]
    assert [(leg.action, leg.quantity, leg.price, leg.product) for leg in entry.legs] == [
        ("BUY", 1, 150.0, "CNC"),
        ("BUY", 1, 195.0, "CNC"),
    ]


def test_an_unknown_rule_status_or_product_is_a_bad_response(book):
    row = {"id": "7", "status": "SOMETHING", "tradingsymbol": "SBIN-EQ", "exchange": "NSE", "transactiontype": "BUY",
           "producttype": "DELIVERY", "price": "1", "qty": "1", "triggerprice": "1"}  # fmt: skip
    with pytest.raises(BrokerBadResponse):
        mapping.gtt_from_upstream(row, book)
    with pytest.raises(BrokerBadResponse):
        mapping.gtt_from_upstream(row | {"status": "NEW", "producttype": "INTRADAY"}, book)
    with pytest.raises(BrokerBadResponse):
        mapping.gtt_rows({"id": "7"})


async def test_a_single_and_an_oco_rule_are_placed_listed_modified_and_cancelled(simulator):
    await gtt_scenarios.placed_listed_modified_and_cancelled(simulator, gone=OrderNotFound)


async def test_a_rule_fires_when_the_simulated_market_reaches_its_trigger(simulator):
    await gtt_scenarios.fires_on_the_market(simulator)


async def test_a_rule_outside_nse_and_bse_is_not_supported(simulator):
    plugin, account = simulator.plugin(), simulator.issue_session()
    request = normalized_gtt(GttOrderRequest(trigger_type="SINGLE", price=1, triggerprice_sl=1,
                                             **FIELDS | {"exchange": "MCX", "symbol": "CRUDEOIL", "product": "NRML"}))  # fmt: skip
    with pytest.raises(NotSupported):
        await plugin.gtt_place(account, request)
