"""Fyers GTT orders as brokergate's GTT: the bodies the plugin sends, the book rows it reads back, and a
single and an OCO GTT's life on the simulator, up to the offline market firing one."""

from __future__ import annotations

import pytest

from brokers.fyers import mapping
from gateway.gtt import normalized_gtt
from generated.api import GttOrderRequest, InstrumentRecord, ModifyGttOrderRequest
from generated.errors import BrokerBadResponse, NotSupported, OrderNotFound, ValidationFailed
from tests import gtt_scenarios
from tests.gtt_scenarios import FIELDS

SBIN = InstrumentRecord(symbol="SBIN", brsymbol="NSE:SBIN-EQ", name="SBIN", exchange="NSE", brexchange="NSE",
                        token="10100000003045", expiry="", strike=0, lotsize=1, instrumenttype="EQ", tick_size=0.05)  # fmt: skip


def test_a_single_gtt_is_leg1_alone():
    request = normalized_gtt(GttOrderRequest(trigger_type="SINGLE", price=995, triggerprice_tg=1000, **FIELDS))

    assert mapping.to_upstream_gtt(request, SBIN) == {
        "side": -1, "symbol": "NSE:SBIN-EQ", "productType": "CNC",
        "orderInfo": {"leg1": {"price": 995.0, "triggerPrice": 1000.0, "qty": 2}},
    }  # fmt: skip


def test_an_oco_puts_the_target_in_leg1_and_the_stoploss_in_leg2():
    request = normalized_gtt(GttOrderRequest(trigger_type="OCO", price=0, triggerprice_sl=700, triggerprice_tg=900,
                                             stoploss=699, target=901, **FIELDS | {"product": "NRML"}))  # fmt: skip

    body = mapping.to_upstream_gtt(request, SBIN)
    modification = mapping.to_upstream_gtt_modification(
        ModifyGttOrderRequest(trigger_id="25111300002007", **request.model_dump(exclude={"expires_at"}))
    )

    assert body["productType"] == "MARGIN"
    assert body["orderInfo"] == {"leg1": {"price": 901.0, "triggerPrice": 900.0, "qty": 2},
                                 "leg2": {"price": 699.0, "triggerPrice": 700.0, "qty": 2}}  # fmt: skip
    assert modification == {"id": "25111300002007", "orderInfo": body["orderInfo"]}


def test_a_book_row_reads_back_lowest_trigger_first(book):
    row = {"id": "25111300002007", "symbol": "NSE:SBIN-EQ", "exchange": 10, "segment": 10, "tran_side": 1,
           "product_type": "CNC", "gtt_oco_ind": 2, "ord_status": 6, "price_limit": 900, "price_trigger": 900,
           "qty": 1, "price2_limit": 700, "price2_trigger": 701, "qty2": 1, "create_time": "13-Nov-2025 10:15:00"}  # fmt: skip

    entry = mapping.gtt_from_upstream(row, book)

    assert (entry.trigger_id, entry.trigger_type, entry.status, entry.exchange) == (
        "25111300002007",
        "two-leg",
        "active",
        "NSE",
    )
    assert entry.trigger_prices == [701.0, 900.0]
    assert [(leg.action, leg.price, leg.product) for leg in entry.legs] == [
        ("BUY", 700.0, "CNC"),
        ("BUY", 900.0, "CNC"),
    ]
    single = mapping.gtt_from_upstream(row | {"gtt_oco_ind": 1, "ord_status": 2}, book)
    assert (single.trigger_type, single.status, single.trigger_prices) == ("single", "triggered", [900.0])
    with pytest.raises(BrokerBadResponse):
        mapping.gtt_from_upstream(row | {"ord_status": 3}, book)


async def test_a_single_and_an_oco_gtt_are_placed_listed_modified_and_cancelled(simulator):
    await gtt_scenarios.placed_listed_modified_and_cancelled(simulator, gone=OrderNotFound)


async def test_an_oco_whose_triggers_do_not_straddle_the_price_is_refused(simulator):
    plugin, account = simulator.plugin(), simulator.issue_session()
    ltp = simulator.market.quote("NSE", "SBIN").ltp
    above, higher = round(ltp * 1.1, 1), round(ltp * 1.2, 1)
    oco = normalized_gtt(GttOrderRequest(trigger_type="OCO", price=0, triggerprice_sl=above, triggerprice_tg=higher,
                                         stoploss=above, target=higher, **FIELDS))  # fmt: skip
    with pytest.raises(ValidationFailed):
        await plugin.gtt_place(account, oco)


async def test_a_gtt_fires_when_the_simulated_market_reaches_its_trigger(simulator):
    await gtt_scenarios.fires_on_the_market(simulator)


async def test_a_market_gtt_is_not_supported(simulator):
    plugin, account = simulator.plugin(), simulator.issue_session()
    request = normalized_gtt(GttOrderRequest(trigger_type="SINGLE", price=0, triggerprice_sl=100,
                                             **FIELDS | {"pricetype": "MARKET"}))  # fmt: skip
    with pytest.raises(NotSupported):
        await plugin.gtt_place(account, request)
