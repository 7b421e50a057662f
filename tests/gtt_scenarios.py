"""GTT scenarios every live broker's simulator must play the same way, shared by the brokers' tests.

Each takes a broker simulator (`plugin()`, `issue_session()`, `market`, `engine`) and drives the
broker's plugin through brokergate's normalized GTT requests.
"""

from __future__ import annotations

import pytest

from gateway.gtt import normalized_gtt
from generated.api import GttOrderRequest, ModifyGttOrderRequest
from generated.contract import GttRef

FIELDS = {"strategy": "t", "exchange": "NSE", "symbol": "SBIN", "action": "SELL", "product": "CNC", "quantity": 2,
          "pricetype": "LIMIT"}  # fmt: skip


def single(trigger: float, side: str = "triggerprice_sl", **fields) -> GttOrderRequest:
    return normalized_gtt(GttOrderRequest(trigger_type="SINGLE", price=trigger, **{side: trigger}, **FIELDS | fields))


async def placed_listed_modified_and_cancelled(simulator, *, oco: bool = True, gone: type[Exception] | None = None):
    """A stoploss SINGLE and a target (an OCO pair, or a SINGLE where there is no OCO) are placed and
    listed; the SINGLE is moved down and the other cancelled; cancelling it again raises `gone`."""
    plugin, account = simulator.plugin(), simulator.issue_session()
    ltp = simulator.market.quote("NSE", "SBIN").ltp
    stop, target = round(ltp * 0.9, 1), round(ltp * 1.1, 1)
    pair = GttOrderRequest(trigger_type="OCO", price=0, triggerprice_sl=stop, triggerprice_tg=target, stoploss=stop,
                           target=target, **FIELDS)  # fmt: skip
    second_request = normalized_gtt(pair) if oco else single(target, "triggerprice_tg")

    first = await plugin.gtt_place(account, single(stop))
    second = await plugin.gtt_place(account, second_request)
    book = {entry.trigger_id: entry for entry in await plugin.gtt_book(account)}

    assert (book[first.trigger_id].trigger_type, book[first.trigger_id].trigger_prices) == ("single", [stop])
    assert (book[first.trigger_id].symbol, book[first.trigger_id].exchange, book[first.trigger_id].status) == (
        "SBIN", "NSE", "active",
    )  # fmt: skip
    legs = [(leg.action, leg.quantity, leg.price, leg.product) for leg in book[second.trigger_id].legs]
    if oco:
        assert (book[second.trigger_id].trigger_type, book[second.trigger_id].trigger_prices) == (
            "two-leg",
            [stop, target],
        )
        assert legs == [("SELL", 2, stop, "CNC"), ("SELL", 2, target, "CNC")]
    else:
        assert legs == [("SELL", 2, target, "CNC")]

    lower = round(ltp * 0.85, 1)
    modify = ModifyGttOrderRequest(trigger_type="SINGLE", trigger_id=first.trigger_id, price=lower,
                                   triggerprice_sl=lower, **FIELDS)  # fmt: skip
    await plugin.gtt_modify(account, normalized_gtt(modify))
    await plugin.gtt_cancel(account, GttRef(trigger_id=second.trigger_id))
    book = {entry.trigger_id: entry for entry in await plugin.gtt_book(account)}

    assert book[first.trigger_id].trigger_prices == [lower]
    assert book[second.trigger_id].status == "cancelled"
    if gone is not None:
        with pytest.raises(gone):
            await plugin.gtt_cancel(account, GttRef(trigger_id=second.trigger_id))


async def fires_on_the_market(simulator, *, limit_above: float = 1.05) -> None:
    """A BUY triggered at the last price fires when the simulated market is next processed, and its
    LIMIT order (at `limit_above` times the price) fills into the order book."""
    plugin, account = simulator.plugin(), simulator.issue_session()
    ltp = simulator.market.quote("NSE", "SBIN").ltp  # a trigger at the last price is already reached
    buy = normalized_gtt(GttOrderRequest(trigger_type="SINGLE", price=round(ltp * limit_above, 1) if limit_above != 1 else ltp, triggerprice_tg=ltp,
                                         **FIELDS | {"action": "BUY"}))  # fmt: skip
    placed = await plugin.gtt_place(account, buy)

    await simulator.engine.process_market()

    entry = next(entry for entry in await plugin.gtt_book(account) if entry.trigger_id == placed.trigger_id)
    assert entry.status == "triggered"
    assert [(order.action, order.quantity) for order in (await plugin.order_book(account)).orders] == [("BUY", 2)]
