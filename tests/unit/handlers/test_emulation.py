"""Account-wide operations work for a plugin that offers only the contract's operations, as live ones do."""

import pytest

from gateway.emulation import ALREADY_MATCHED

NATIVE_ONLY = ("cancel_all", "close_positions", "open_position", "place_smart_order")


class ContractOnly:
    """The sandbox plugin with its account-wide shortcuts hidden, like a live broker's plugin."""

    def __init__(self, plugin) -> None:
        self._plugin = plugin

    def __getattr__(self, name: str):
        if name in NATIVE_ONLY:
            raise AttributeError(name)
        return getattr(self._plugin, name)


@pytest.fixture
def contract_only(app):
    app.services.registry.provide("sandbox", ContractOnly(app.services.registry.get("sandbox")))


def order(symbol, action, quantity, **extra):
    return {"strategy": "t", "symbol": symbol, "exchange": "NSE", "action": action, "quantity": str(quantity)} | extra


def test_smart_order_open_position_and_close_are_composed(contract_only, trader):
    first = trader("placesmartorder", **order("SBIN", "BUY", 0, position_size="4"))
    again = trader("placesmartorder", **order("SBIN", "BUY", 0, position_size="4"))
    held = trader("openposition", strategy="t", symbol="SBIN", exchange="NSE", product="MIS")["quantity"]
    closed = trader("closeposition", strategy="t")

    assert "orderid" in first and again["message"] == ALREADY_MATCHED
    assert held == 4
    assert closed["closed_positions"] == 1
    assert trader("openposition", strategy="t", symbol="SBIN", exchange="NSE", product="MIS")["quantity"] == 0


def test_cancel_all_is_composed_from_the_book(app, contract_only, trader):
    bid = app.services.market.quote("NSE", "INFY").bid
    resting = trader("placeorder", **order("INFY", "BUY", 1, pricetype="LIMIT", price=f"{bid - 10:.2f}"))

    answer = trader("cancelallorder", strategy="t")

    assert answer["canceled_orders"] == [resting["orderid"]]
    assert trader("orderstatus", strategy="t", orderid=resting["orderid"])["data"]["order_status"] == "cancelled"
