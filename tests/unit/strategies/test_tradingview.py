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
    assert sorted((o["action"], int(o["quantity"]), o["strategy"]) for o in orders()) == [
        ("BUY", 10, "Supertrend"),
        ("SELL", 10, "Supertrend"),
    ]



def test_in_semi_auto_mode_an_alert_answers_its_queued_orders_as_the_spec_declares(strategy, deliver, trader, positions):
    # Found by the webhook fuzz: the answer's `semi_auto` mode was outside spec/webhooks.yaml, so
    # response validation turned every alert of a semi-auto user into a 500.
    created = strategy()
    trader("ordermode", mode="semi_auto")

    queued = deliver(created["webhook_url"], {"symbol": "SBIN", "action": "buy"})

    assert queued.status_code == 200, queued.text
    assert queued.json()["mode"] == "semi_auto"
    assert queued.json()["orders"][0]["pending_order_id"] > 0
    assert positions() == {}

def test_a_short_strategy_sells_to_enter_and_buys_to_cover(strategy, deliver, positions):
    created = strategy(trading_mode="SHORT")

    deliver(created["webhook_url"], {"symbol": "SBIN", "action": "SELL"})
    assert positions() == {("SBIN", "MIS"): -10}
    covered = deliver(created["webhook_url"], {"symbol": "SBIN", "action": "BUY", "position_size": 0})

    assert covered.status_code == 200, covered.text
    assert positions() == {}


def test_a_both_strategy_moves_the_position_to_position_size(strategy, deliver, positions):
    created = strategy(trading_mode="BOTH")

    deliver(created["webhook_url"], {"symbol": "SBIN", "action": "buy", "position_size": "20"})
    assert positions() == {("SBIN", "MIS"): 20}
    deliver(created["webhook_url"], {"symbol": "SBIN", "action": "sell", "position_size": "-5"})
    assert positions() == {("SBIN", "MIS"): -5}
    missing = deliver(created["webhook_url"], {"symbol": "SBIN", "action": "buy"})

    assert missing.status_code == 400
    assert missing.json()["code"] == "VALIDATION_FAILED" and "position_size" in missing.json()["message"]


def test_a_repeated_delivery_places_once_and_answers_the_first_answer(strategy, deliver, orders, clock):
    created = strategy()
    body = {"symbol": "SBIN", "action": "buy", "position_size": "10"}

    first = deliver(created["webhook_url"], body)
    again = deliver(created["webhook_url"], body)
    keyed = deliver(created["webhook_url"], {**body, "quantity": 3}, {"Idempotency-Key": "tv-1"})
    keyed_again = deliver(created["webhook_url"], {**body, "quantity": 3}, {"Idempotency-Key": "tv-1"})

    assert first.json() == again.json()
    assert keyed.json() == keyed_again.json() and keyed.json()["alert_id"] != first.json()["alert_id"]
    assert sorted(int(o["quantity"]) for o in orders()) == [3, 10]


def test_every_wrong_delivery_is_a_typed_4xx_and_recorded(strategy, deliver, trader, client, clock):
    created = strategy(is_intraday=True, start_time="09:20", end_time="15:00", squareoff_time="15:15")
    url = created["webhook_url"]

    unknown = client.post("/strategy/webhook/not-a-token", json={"symbol": "SBIN", "action": "BUY"})
    not_mapped = deliver(url, {"symbol": "INFY", "action": "BUY"})
    bad_action = deliver(url, {"symbol": "SBIN", "action": "HOLD"})
    too_large = deliver(url, {"symbol": "SBIN", "action": "BUY", "position_size": 1, "exchange": "NSE" + " " * 20_000})
    clock.set(15, 5)
    late_entry = deliver(url, {"symbol": "SBIN", "action": "BUY"})
    exit_before_squareoff = deliver(url, {"symbol": "SBIN", "action": "SELL"})
    trader("strategies/update", strategy_id=created["strategy_id"], is_active=False)
    inactive = deliver(url, {"symbol": "SBIN", "action": "SELL"})

    assert (unknown.status_code, unknown.json()["code"]) == (404, "STRATEGY_NOT_FOUND")
    assert (not_mapped.status_code, not_mapped.json()["code"]) == (422, "SYMBOL_NOT_MAPPED")
    assert (bad_action.status_code, bad_action.json()["code"]) == (400, "VALIDATION_FAILED")
    assert too_large.status_code == 413
    assert (late_entry.status_code, late_entry.json()["code"]) == (422, "OUTSIDE_TRADING_WINDOW")
    assert "09:20 to 15:00" in late_entry.json()["message"]
    assert exit_before_squareoff.status_code == 200, exit_before_squareoff.text
    assert (inactive.status_code, inactive.json()["code"]) == (409, "STRATEGY_INACTIVE")
    history = trader("strategies/alerts", strategy_id=created["strategy_id"])["data"]
    assert [a["status"] for a in history] == ["refused", "placed", "refused", "refused"]
    assert history[-1]["answer"]["code"] == "SYMBOL_NOT_MAPPED"


def test_a_signed_strategy_takes_only_signed_alerts(trader, deliver, client):
    from gateway.signatures import sign

    created = trader(
        "strategies/create", name="Signed", platform="amibroker", signed=True,
        symbols=[{"symbol": "SBIN", "exchange": "NSE", "quantity": 1}],
    )["data"]  # fmt: skip
    path = "/" + created["webhook_url"].split("/", 3)[3]
    body = b'{"symbol": "SBIN", "action": "BUY"}'
    headers = {"Content-Type": "application/json"}

    unsigned = client.post(path, content=body, headers=headers)
    forged = client.post(path, content=body, headers={**headers, "X-Brokergate-Signature": sign("wrong", body)})
    signed = client.post(
        path, content=body, headers={**headers, "X-Brokergate-Signature": sign(created["signing_secret"], body)}
    )

    assert (unsigned.status_code, unsigned.json()["code"]) == (401, "WEBHOOK_SIGNATURE_INVALID")
    assert forged.status_code == 401
    assert signed.status_code == 200, signed.text
    assert "signing_secret" not in trader("strategies/get", strategy_id=created["strategy_id"])["data"]


def test_a_rotated_token_retires_the_old_url(strategy, trader, deliver):
    created = strategy()

    rotated = trader("strategies/rotate", strategy_id=created["strategy_id"])["data"]
    old = deliver(created["webhook_url"], {"symbol": "SBIN", "action": "BUY"})
    new = deliver(rotated["webhook_url"], {"symbol": "SBIN", "action": "BUY"})

    assert rotated["webhook_url"] != created["webhook_url"]
    assert old.status_code == 404 and new.status_code == 200


def test_another_users_strategy_is_not_found(strategy, app, client):
    created = strategy()
    app.services.accounts.create_user("other", "correct horse battery")
    other_key = app.services.accounts.create_api_key("other")

    answer = client.post("/api/v1/strategies/get", json={"apikey": other_key, "strategy_id": created["strategy_id"]})

    assert (answer.status_code, answer.json()["code"]) == (404, "STRATEGY_NOT_FOUND")


def test_bad_strategy_definitions_are_refused(trader):
    wrong_window = trader(
        "strategies/create",
        expect=400,
        name="W",
        platform="tradingview",
        start_time="15:00",
        end_time="10:00",
        squareoff_time="15:15",
    )
    bad_name = trader("strategies/create", expect=400, name="!!", platform="tradingview")
    bad_mode = trader("strategies/create", expect=400, name="M", platform="tradingview", trading_mode="WHATEVER")
    bad_time = trader("strategies/create", expect=400, name="T", platform="tradingview", squareoff_time="nonsense")
    trader("strategies/create", name="Dup", platform="tradingview")
    duplicate = trader("strategies/create", expect=400, name="Dup", platform="tradingview")

    assert all(a["code"] == "VALIDATION_FAILED" for a in (wrong_window, bad_name, bad_mode, bad_time, duplicate))
