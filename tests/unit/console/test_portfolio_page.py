"""The Portfolio page: the form, and its data call running a backtest on the sandbox's offline market."""

from __future__ import annotations

import pytest

from brokers.sandbox import SandboxPlugin
from gateway.app import create_app
from gateway.historify import Historify
from storage.history import HistoryStore
from tests.security.conftest import csrf_of, sign_up
from tests.unit.gateway.historify_fixtures import NOW, FixedRouter, pinned_market


@pytest.fixture
def app(settings):
    app = create_app(settings, validate_responses=True)
    router = FixedRouter(SandboxPlugin(app.services.sandbox, pinned_market()))
    app.services.router = router
    store = HistoryStore(settings.history_database)
    app.services.historify = Historify(store, router, app.services.scheduler, clock=lambda: NOW)
    return app


def test_the_page_runs_a_backtest_with_the_users_key(client):
    sign_up(client)
    page = client.get("/portfolio")
    no_key = client.get("/console/portfolio/backtest", params={"holdings": "SBIN:1"})
    client.post("/keys/create", data={"csrf_token": csrf_of(page.text)})

    answer = client.get(
        "/console/portfolio/backtest",
        params={"holdings": "SBIN:60, INFY.NSE:40", "start_date": "2026-06-01", "end_date": "2026-11-27",
                "benchmark": "SENSEX", "rebalance": "monthly", "source": "api"},
    )  # fmt: skip
    refused = client.get(
        "/console/portfolio/backtest",
        params={"holdings": "SBIN:-1", "start_date": "2026-06-01", "end_date": "2026-11-27"},
    )

    assert page.status_code == 200 and "/static/portfolio.js" in page.text and 'value="2026-11-27"' in page.text
    assert no_key.status_code == 409
    body = answer.json()
    assert answer.status_code == 200, body
    assert [item["symbol"] for item in body["items"]] == ["SBIN", "INFY"]
    assert body["meta"]["benchmark"] == {"symbol": "SENSEX", "exchange": "BSE_INDEX"}
    assert body["equity"][-1]["date"] == "2026-11-27"
    assert refused.status_code == 400
