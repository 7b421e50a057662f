"""Dhan's Forever Orders as brokergate's GTT: a SINGLE and an OCO placed, listed a leg at a time, modified and cancelled."""

from __future__ import annotations

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


async def test_forever_orders_are_placed_listed_modified_and_cancelled(simulator):
    plugin, account = simulator.plugin(), simulator.issue_session()
    ltp = simulator.market.quote("NSE", "SBIN").ltp
    stop, target = round(ltp * 0.9, 1), round(ltp * 1.1, 1)
    single = normalized_gtt(GttOrderRequest(trigger_type="SINGLE", price=target, triggerprice_tg=target, **FIELDS))
    oco = normalized_gtt(GttOrderRequest(trigger_type="OCO", price=0, triggerprice_sl=stop, triggerprice_tg=target,
                                         stoploss=stop, target=target, **FIELDS))  # fmt: skip

    first = await plugin.gtt_place(account, single)
    second = await plugin.gtt_place(account, oco)
    book = {entry.trigger_id: entry for entry in await plugin.gtt_book(account)}

    assert (book[first.trigger_id].trigger_type, book[first.trigger_id].trigger_prices) == ("single", [target])
    assert (book[second.trigger_id].trigger_type, book[second.trigger_id].trigger_prices) == ("two-leg", [stop, target])
    assert [leg.price for leg in book[second.trigger_id].legs] == [stop, target]
    assert (book[second.trigger_id].symbol, book[second.trigger_id].status) == ("SBIN", "active")

    wider = round(ltp * 0.8, 1)
    modify = ModifyGttOrderRequest(trigger_type="OCO", trigger_id=second.trigger_id, price=0, triggerprice_sl=wider,
                                   triggerprice_tg=target, stoploss=wider, target=target, **FIELDS)  # fmt: skip
    await plugin.gtt_modify(account, normalized_gtt(modify))
    await plugin.gtt_cancel(account, GttRef(trigger_id=first.trigger_id))
    book = {entry.trigger_id: entry for entry in await plugin.gtt_book(account)}

    assert book[second.trigger_id].trigger_prices == [wider, target]
    assert book[first.trigger_id].status == "cancelled"
