"""The History page: a download from the console runs to the end, then the catalogue and candles show it."""

from __future__ import annotations

import json

import pytest

from brokers.sandbox import SandboxPlugin
from gateway.app import create_app
from gateway.historify import Historify
from storage.history import HistoryStore
from tests.conftest import eventually
from tests.security.conftest import csrf_of, sign_up
from tests.unit.gateway.historify_fixtures import NOW, FixedRouter, pinned_market


@pytest.fixture
def app(settings):
    app = create_app(settings, validate_responses=True)
    router = FixedRouter(SandboxPlugin(None, pinned_market()))
    store = HistoryStore(settings.history_database)
    app.services.historify = Historify(store, router, app.services.scheduler, clock=lambda: NOW)
    return app


def _post(client, token: str, what: str, **payload):
    return client.post(
        f"/console/historify/{what}/do", data={"payload": json.dumps(payload)}, headers={"X-CSRF-Token": token}
    )


def test_download_from_the_page_then_catalogue_and_chart_candles(client):
    sign_up(client)
    page = client.get("/historify")
    token = csrf_of(page.text)

    started = _post(client, token, "download", symbols="SBIN", exchange="NSE", interval="1m",
                    start_date="2026-11-26", end_date="2026-11-26")  # fmt: skip
    job_id = started.json()["data"]["job_id"]
    eventually(lambda: client.get("/console/historify/jobs").json()["data"][0]["status"] == "done", timeout=20)
    catalogue = client.get("/console/historify/catalogue").json()["data"]
    candles = client.get(
        "/console/historify/candles",
        params={"symbol": "SBIN", "exchange": "NSE", "interval": "1h", "end": "2026-11-26"},
    ).json()["data"]

    assert (
        page.status_code == 200 and "/static/historify.js" in page.text and "/static/lightweight-charts.js" in page.text
    )
    assert started.status_code == 200 and len(job_id) == 12
    assert [(row["symbol"], row["count"]) for row in catalogue] == [("SBIN", 375)]
    assert len(candles) == 7  # 09:15, 10:15, ... 15:15


def test_bad_input_is_a_4xx_and_a_post_without_the_token_is_refused(client):
    sign_up(client)
    token = csrf_of(client.get("/historify").text)

    bad_date = _post(client, token, "download", symbols="SBIN", interval="1m", start_date="yesterday", end_date="")
    bad_interval = client.get("/console/historify/candles", params={"symbol": "SBIN", "interval": "7m"})
    nothing = client.get("/console/historify/candles", params={"symbol": "SBIN", "interval": "5m"})
    forged = client.post("/console/historify/download/do", data={"payload": "{}"})

    assert bad_date.status_code == 400 and bad_interval.status_code == 400
    assert nothing.status_code == 404 and nothing.json()["code"] == "HISTORY_NOT_STORED"
    assert forged.status_code == 403


def test_the_page_needs_a_login(client):
    assert client.get("/historify", follow_redirects=False).status_code == 303
    assert client.get("/console/historify/catalogue").status_code == 401
