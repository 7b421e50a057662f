"""`broker_ms` for a live broker's plugin on its offline simulator (BROKER_SIMULATORS): the time spent in
the plugin's calls is recorded beside the request's total, with the broker's id."""

from __future__ import annotations

import pytest

from gateway.app import create_app
from tests.security.conftest import csrf_of, sign_up

ORDER = {"strategy": "t", "exchange": "NSE", "symbol": "SBIN", "action": "BUY", "quantity": 1,
         "pricetype": "MARKET", "product": "MIS"}  # fmt: skip


@pytest.fixture
def app(settings):
    update = {"broker_simulators": "zerodha", "host_server": "http://testserver", "order_watch_interval": 0}
    return create_app(settings.model_copy(update=update), validate_responses=True)


def test_broker_ms_is_recorded_for_a_live_plugin_order_on_its_simulator(app, client):
    sign_up(client)
    client.post(
        "/broker/credentials",
        data={"csrf_token": csrf_of(client.get("/broker").text), "broker": "zerodha",
              "api_key": "kite-simulated-key", "api_secret": "kite-simulated-secret"},
    )  # fmt: skip
    client.post("/broker/login", data={"csrf_token": csrf_of(client.get("/broker").text), "broker": "zerodha"})
    app.services.accounts.set_analyze_mode(1, False)
    key = app.services.accounts.create_api_key("admin")

    placed = client.post("/api/v1/placeorder", json={"apikey": key, **ORDER}).json()
    client.get("/logs")  # flushes the traffic log

    row = next(row for row in app.perimeter.traffic.recent(50) if row["route"] == "placeorder")
    assert placed["status"] == "success" and "mode" not in placed
    assert row["broker"] == "zerodha"
    assert row["broker_ms"] is not None and 0 < row["broker_ms"] <= row["total_ms"]
    assert any(request.path == "/orders/regular" for request in app.services.simulators["zerodha"].requests)
