"""The operating pages: sandbox reset and capital, daily P&L, the order log with masking and CSV, Telegram linking."""

from __future__ import annotations

import csv
import io

from gateway.orderlog import masked
from tests.security.conftest import csrf_of, sign_up


def _key(client) -> str:
    token = csrf_of(client.get("/keys").text)
    return client.post("/keys/create", data={"csrf_token": token}).text.split('id="api-key-value">')[1][:64]


def _trade(client, key, action, symbol="SBIN"):
    order = {"strategy": "t", "exchange": "NSE", "symbol": symbol, "action": action, "quantity": "2", "product": "MIS"}
    answer = client.post("/api/v1/placeorder", json={"apikey": key, **order})
    assert answer.status_code == 200, answer.text
    return answer.json()["orderid"]


def _books(client, key) -> dict:
    return {
        name: client.post(f"/api/v1/{name}", json={"apikey": key}).json()["data"]
        for name in ("orderbook", "tradebook", "positionbook", "funds")
    }


def test_sandbox_reset_restores_capital_and_empties_the_books(app, client):
    sign_up(client)
    key = _key(client)
    _trade(client, key, "BUY")
    _trade(client, key, "SELL")
    before = _books(client, key)
    page = client.get("/sandbox")

    reset = client.post("/sandbox/reset", data={"csrf_token": csrf_of(page.text), "starting_capital": ""})
    after = _books(client, key)

    assert len(before["orderbook"]["orders"]) == 2 and before["funds"]["m2mrealized"] != 0
    assert "Daily P&amp;L" in page.text and 'id="daily-pnl"' in page.text
    assert reset.url.path == "/sandbox" and "The sandbox was reset" in reset.text
    assert after["orderbook"]["orders"] == [] and after["tradebook"] == [] and after["positionbook"] == []
    assert after["funds"]["availablecash"] == 10_000_000.0 and after["funds"]["m2mrealized"] == 0
    assert 'id="daily-pnl"' not in reset.text


def test_starting_capital_is_set_by_a_reset_and_bad_amounts_are_refused(app, client):
    sign_up(client)
    key = _key(client)
    token = csrf_of(client.get("/sandbox").text)

    client.post("/sandbox/reset", data={"csrf_token": token, "starting_capital": "250,000"})
    refused = client.post("/sandbox/reset", data={"csrf_token": token, "starting_capital": "lots"})
    too_small = client.post("/sandbox/reset", data={"csrf_token": token, "starting_capital": "5"})

    assert _books(client, key)["funds"]["availablecash"] == 250_000.0
    assert refused.status_code == 200 and "is not an amount of rupees" in refused.text
    assert "starting capital must be between" in too_small.text
    assert _books(client, key)["funds"]["availablecash"] == 250_000.0


def test_order_log_shows_the_audit_masked_filters_and_exports_csv(app, client):
    sign_up(client)
    key = _key(client)
    order_id = _trade(client, key, "BUY")
    refused = client.post(
        "/api/v1/placeorder",
        json={"apikey": key, "strategy": "t", "exchange": "NSE", "symbol": "NOSUCH", "action": "BUY", "quantity": "1"},
    )

    page = client.get("/orderlog")
    failures = client.get("/orderlog?event=place.failed")
    by_order = client.get(f"/orderlog?orderid={order_id}")
    audit = client.get("/orderlog/export?kind=audit")
    orders = client.get("/orderlog/export?kind=orders")
    unknown = client.get("/orderlog/export?kind=everything")

    assert refused.status_code >= 400
    assert ">place.requested<" in page.text and ">place.accepted<" in page.text and key not in page.text
    assert ">place.failed<" in failures.text and ">place.accepted<" not in failures.text
    assert order_id in by_order.text and ">place.failed<" not in by_order.text
    rows = list(csv.DictReader(io.StringIO(audit.text)))
    assert audit.headers["content-type"].startswith("text/csv") and key not in audit.text
    assert {row["event"] for row in rows} >= {"place.requested", "place.accepted", "place.failed"}
    assert [row["orderid"] for row in csv.DictReader(io.StringIO(orders.text))] == [order_id]
    assert unknown.status_code == 400


def test_telegram_page_makes_a_link_code_and_hides_the_admin_form_from_users(app, client):
    sign_up(client)
    app.services.telegram.store.configure(token="123456:a-token-for-the-page", bot_username="desk_bot")
    token = csrf_of(client.get("/telegram").text)

    made = client.post("/telegram/link", data={"csrf_token": token})
    code = made.text.split("<code>/start ")[1].split("<")[0]

    assert "https://t.me/desk_bot?start=" + code in made.text
    assert app.services.telegram.store.link(code, 4242, "me") == 1
    linked = client.get("/telegram")
    assert "4242" in linked.text and "a-token-for-the-page" not in linked.text and 'id="save-token"' in linked.text


def test_masking_reaches_secrets_at_any_depth_and_keeps_the_rest():
    payload = {"request": {"symbol": "SBIN", "apikey": "k"}, "answer": [{"access_token": "t", "orderid": "1"}]}

    assert masked(payload) == {
        "request": {"symbol": "SBIN", "apikey": "***"},
        "answer": [{"access_token": "***", "orderid": "1"}],
    }
