"""Upstox v3 GTT orders as brokergate's GTT: the bodies the plugin sends, the rows it reads back, what
Upstox cannot carry, and a SINGLE GTT's life on the simulator, up to the offline market firing it."""

from __future__ import annotations

import pytest

from brokers.upstox import mapping
from gateway.gtt import normalized_gtt
from generated.api import GttOrderRequest, InstrumentRecord, ModifyGttOrderRequest
from generated.errors import BrokerBadResponse, NotSupported, OrderNotFound
from tests import gtt_scenarios
from tests.gtt_scenarios import FIELDS

SBIN = InstrumentRecord(symbol="SBIN", brsymbol="SBIN", name="SBIN", exchange="NSE", brexchange="NSE_EQ",
                        token="NSE_EQ|INE062A01020", expiry="", strike=0, lotsize=1, instrumenttype="EQ", tick_size=0.05)  # fmt: skip


def test_a_single_gtt_is_one_entry_rule_pointed_by_the_last_price():
    below = normalized_gtt(GttOrderRequest(trigger_type="SINGLE", price=700, triggerprice_sl=700, **FIELDS))
    above = normalized_gtt(GttOrderRequest(trigger_type="SINGLE", price=900, triggerprice_tg=900, **FIELDS))

    body = mapping.to_upstream_gtt(below, SBIN, last_price=800)

    assert body == {"type": "SINGLE", "quantity": 2, "product": "D", "instrument_token": "NSE_EQ|INE062A01020",
                    "transaction_type": "SELL",
                    "rules": [{"strategy": "ENTRY", "trigger_type": "BELOW", "trigger_price": 700.0}]}  # fmt: skip
    assert mapping.gtt_rules(above, 800)[0]["trigger_type"] == "ABOVE"
    assert mapping.gtt_rules(above, 900)[0]["trigger_type"] == "IMMEDIATE"
    modify = ModifyGttOrderRequest(trigger_id="GTT-C25030300128840", **below.model_dump(exclude={"expires_at"}))
    assert mapping.to_upstream_gtt_modification(modify, 800) == {
        "type": "SINGLE", "quantity": 2, "gtt_order_id": "GTT-C25030300128840", "rules": body["rules"],
    }  # fmt: skip


def test_an_oco_or_a_limit_away_from_the_trigger_is_not_supported():
    oco = normalized_gtt(GttOrderRequest(trigger_type="OCO", price=0, triggerprice_sl=700, triggerprice_tg=900,
                                         stoploss=700, target=900, **FIELDS))  # fmt: skip
    apart = normalized_gtt(GttOrderRequest(trigger_type="SINGLE", price=695, triggerprice_sl=700, **FIELDS))
    market = normalized_gtt(GttOrderRequest(trigger_type="SINGLE", price=0, triggerprice_sl=700,
                                            **FIELDS | {"pricetype": "MARKET"}))  # fmt: skip

    for request in (oco, apart):
        with pytest.raises(NotSupported):
            mapping.check_gtt(request)
    mapping.check_gtt(market)  # Upstox places it at the trigger price, which is what MARKET asks for


def test_a_gtt_row_reads_back_with_its_epoch_times_in_indian_time(book):
    row = {"type": "SINGLE", "exchange": "NSE_EQ", "quantity": 1, "product": "D", "trading_symbol": "SBIN",
           "instrument_token": "NSE_EQ|INE062A01020", "gtt_order_id": "GTT-C25030300128840",
           "rules": [{"strategy": "ENTRY", "status": "SCHEDULED", "trigger_type": "BELOW", "trigger_price": 7,
                      "transaction_type": "BUY", "order_id": None}],
           "expires_at": 1772649000000000, "created_at": 1741016150000000}  # fmt: skip

    entry = mapping.gtt_from_upstream(row, book)

    assert (entry.trigger_id, entry.trigger_type, entry.status, entry.trigger_prices) == (
        "GTT-C25030300128840", "single", "active", [7.0],
    )  # fmt: skip
    assert [(leg.action, leg.quantity, leg.price, leg.product) for leg in entry.legs] == [("BUY", 1, 7.0, "CNC")]
    assert entry.created_at == "2025-03-03 21:05:50"
    bracket = row | {"type": "MULTIPLE", "rules": [
        {"strategy": "ENTRY", "status": "TRIGGERED", "trigger_type": "BELOW", "trigger_price": 7, "transaction_type": "BUY"},
        {"strategy": "TARGET", "status": "OPEN", "trigger_type": "IMMEDIATE", "trigger_price": 9, "transaction_type": "SELL"},
        {"strategy": "STOPLOSS", "status": "OPEN", "trigger_type": "IMMEDIATE", "trigger_price": 5, "transaction_type": "SELL"},
    ]}  # fmt: skip
    exits = mapping.gtt_from_upstream(bracket, book)
    assert (exits.trigger_type, exits.status, exits.trigger_prices) == ("two-leg", "active", [5.0, 9.0])
    with pytest.raises(BrokerBadResponse):
        mapping.gtt_from_upstream(row | {"rules": [row["rules"][0] | {"status": "WHATEVER"}]}, book)


async def test_a_single_gtt_is_placed_listed_modified_and_cancelled(simulator):
    await gtt_scenarios.placed_listed_modified_and_cancelled(simulator, oco=False, gone=OrderNotFound)


async def test_a_gtt_fires_when_the_simulated_market_reaches_its_trigger(simulator):
    # Upstox places the order at the trigger, the last price, which the LIMIT order then fills at
    await gtt_scenarios.fires_on_the_market(simulator, limit_above=1)
