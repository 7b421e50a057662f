"""TradingView, GoCharting and Amibroker alerts end to end on the sandbox: create a strategy through the
API, post the alert as the platform posts it, and find the orders and positions it should make."""

from __future__ import annotations


def test_a_long_strategy_buys_on_a_buy_alert_and_exits_on_a_sell_alert(strategy, deliver, positions, orders):
    created = strategy()

    bought = deliver(created["webhook_url"], {"symbol": "SBIN", "action": "buy", "position_size": "10"})
    assert bought.status_code == 200, bought.text
    assert positions() == {("SBIN", "MIS"): 10}
    sold = deliver(created["webhook_url"], {"symbol": "SBIN", "action": "sell", "position_size": "0"})

    assert sold.status_code == 200, sold.text
    assert bought.json()["orders"][0]["orderid"]
    assert bought.json()["mode"] == "analyze"
    assert positions() == {}
    assert [(o["action"], int(o["quantity"]), o["strategy"]) for o in orders()] == [
        ("SELL", 10, "Supertrend"),
        ("BUY", 10, "Supertrend"),
    ] or sorted((o["action"], int(o["quantity"])) for o in orders()) == [("BUY", 10), ("SELL", 10)]
