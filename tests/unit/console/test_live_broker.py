"""A live broker end to end through the console and the API, on its offline simulator (BROKER_SIMULATORS):
credentials saved encrypted, the OAuth login with `state`, then orders routed to the broker's plugin."""

from __future__ import annotations

import pytest

from gateway.app import create_app
from storage import BrokerCredential, session_scope
from tests.security.conftest import csrf_of, sign_up

SECRET = "kite-simulated-secret"


@pytest.fixture
def app(settings):
    # The order watch is polled by hand here, so no background beat races the test's own reads.
    update = {"broker_simulators": "zerodha", "host_server": "http://testserver", "order_watch_interval": 0}
    settings = settings.model_copy(update=update)
    return create_app(settings, validate_responses=True)


def _save_credentials(client, api_key: str = "kite-simulated-key", api_secret: str = SECRET):
    token = csrf_of(client.get("/broker").text)
    return client.post(
        "/broker/credentials", data={"csrf_token": token, "broker": "zerodha", "api_key": api_key, "api_secret": api_secret}
    )


def test_credentials_are_stored_encrypted_and_never_shown_again(app, client):
    sign_up(client)

    _save_credentials(client, api_secret="a-users-own-secret")
    page = client.get("/broker").text

    with session_scope(app.services.engine) as session:
        stored = session.get(BrokerCredential, (1, "zerodha")).fields_encrypted
    assert "a-users-own-secret" not in stored and "a-users-own-secret" not in page
    assert "api_key, api_secret are stored, encrypted" in page
    assert app.services.credentials.get(1, "zerodha")["api_secret"] == "a-users-own-secret"


def test_the_page_shows_a_simulated_brokers_made_up_credentials(client):
    sign_up(client)

    assert f"api_secret={SECRET}" in client.get("/broker").text


def test_a_login_without_credentials_is_refused_with_what_to_do(client):
    sign_up(client)
    token = csrf_of(client.get("/broker").text)

    answer = client.post("/broker/login", data={"csrf_token": token, "broker": "zerodha"})

    assert answer.status_code == 400
    assert "Save your Zerodha Kite Connect credentials first" in answer.text


def test_the_oauth_login_connects_and_orders_go_to_the_live_plugin(app, client):
    sign_up(client)
    _save_credentials(client)
    key = app.services.accounts.create_api_key("admin")
    token = csrf_of(client.get("/broker").text)

    connected = client.post("/broker/login", data={"csrf_token": token, "broker": "zerodha"})
    app.services.accounts.set_analyze_mode(1, False)
    placed = client.post(
        "/api/v1/placeorder",
        json={"apikey": key, "strategy": "t", "exchange": "NSE", "symbol": "SBIN", "action": "BUY", "quantity": 1,
              "pricetype": "MARKET", "product": "MIS"},
    ).json()  # fmt: skip

    assert connected.url.path == "/broker" and "broker-connected" in str(connected.url)
    assert app.services.sessions.latest(1).broker == "zerodha"
    assert placed["status"] == "success" and "mode" not in placed
    simulator = app.services.simulators["zerodha"]
    assert any(request.path == "/orders/regular" for request in simulator.requests)


def test_a_forged_callback_without_the_issued_state_is_refused(app, client):
    sign_up(client)
    _save_credentials(client)

    answer = client.get("/zerodha/callback?request_token=stolen&status=success&state=forged")

    assert answer.status_code == 403
    assert app.services.sessions.latest(1) is None


async def test_order_updates_of_a_live_broker_reach_the_order_events(app, client):
    sign_up(client)
    _save_credentials(client)
    key = app.services.accounts.create_api_key("admin")
    client.post("/broker/login", data={"csrf_token": csrf_of(client.get("/broker").text), "broker": "zerodha"})
    app.services.accounts.set_analyze_mode(1, False)
    heard = []
    app.services.events.subscribe(lambda user_id, order: heard.append((user_id, order)))
    watch = app.order_watch

    baseline = await watch.poll_once()
    placed = client.post(
        "/api/v1/placeorder",
        json={"apikey": key, "strategy": "t", "exchange": "NSE", "symbol": "SBIN", "action": "BUY", "quantity": 1,
              "pricetype": "MARKET", "product": "MIS"},
    ).json()  # fmt: skip
    announced = await watch.poll_once()
    again = await watch.poll_once()

    assert (baseline, announced, again) == (0, 1, 0)
    assert heard[0][0] == 1
    assert heard[0][1]["orderid"] == placed["orderid"] and heard[0][1]["order_status"] == "complete"



async def test_the_websocket_feed_streams_from_the_live_broker_while_connected(app, client):
    sign_up(client)
    _save_credentials(client)
    source = app.feed.adapter._source_of  # what the feed asks before every connect and on every heartbeat

    before = await source()
    client.post("/broker/login", data={"csrf_token": csrf_of(client.get("/broker").text), "broker": "zerodha"})
    app.services.accounts.set_analyze_mode(1, False)
    live = await source()
    app.services.accounts.set_analyze_mode(1, True)
    analyzing = await source()

    assert before is None and analyzing is None
    assert live.broker == "zerodha" and live.key[0] == 1
