"""The latency and traffic monitors and the admin data page: what they show, their CSV, and who may see them."""

from __future__ import annotations

import csv
import io

from tests.security.conftest import PASSWORD, csrf_of, log_in, sign_up

ORDER = {"strategy": "t", "exchange": "NSE", "symbol": "SBIN", "action": "BUY", "quantity": 1, "product": "MIS"}


def _trade(app, client) -> str:
    key = app.services.accounts.create_api_key("admin")
    client.post("/api/v1/placeorder", json={"apikey": key, **ORDER, "pricetype": "MARKET"})
    client.post("/api/v1/orderbook", json={"apikey": key})
    client.post("/api/v1/placeorder", json={"apikey": "f" * 64, **ORDER})  # a 403
    return key


def test_a_sandbox_order_records_its_broker_time_and_broker(app, client):
    sign_up(client)
    _trade(app, client)
    client.get("/logs")  # flushes the traffic log

    rows = [row for row in app.perimeter.traffic.recent(50) if row["route"] == "placeorder" and row["status"] == 200]
    ping = client.post("/api/v1/ping", json={"apikey": app.services.accounts.create_api_key("admin")})
    client.get("/logs")
    pinged = next(row for row in app.perimeter.traffic.recent(50) if row["route"] == "ping")

    assert ping.status_code == 200
    assert rows and rows[0]["broker"] == "sandbox" and 0 < rows[0]["broker_ms"] <= rows[0]["total_ms"]
    assert pinged["broker_ms"] is None and pinged["broker"] is None  # no broker call was made


def test_the_latency_page_shows_percentiles_per_endpoint_and_per_broker(app, client):
    sign_up(client)
    _trade(app, client)

    page = client.get("/monitor/latency?window=15m")
    exported = client.get("/monitor/latency.csv?window=15m")

    assert page.status_code == 200 and "Per endpoint" in page.text and "Per broker" in page.text
    assert "placeorder" in page.text and "sandbox" in page.text
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert exported.headers["content-type"].startswith("text/csv")
    placed = next(row for row in rows if row["group"] == "endpoint" and row["name"] == "placeorder")
    broker = next(row for row in rows if row["group"] == "broker" and row["name"] == "sandbox")
    assert placed["count"] == "2" and placed["broker_count"] == "1"  # the refused key never reached a broker
    assert float(broker["broker_p50"]) > 0 and broker["window"] == "15m"


def test_the_traffic_page_counts_requests_and_errors(app, client):
    sign_up(client)
    _trade(app, client)

    page = client.get("/monitor/traffic?window=1h")

    assert page.status_code == 200
    assert "Slowest routes" in page.text and "Slowest calls" in page.text and "placeorder" in page.text
    assert "4xx" in page.text


def test_a_window_the_monitors_do_not_know_is_a_400(client):
    sign_up(client)

    answer = client.get("/monitor/latency?window=1y")

    assert answer.status_code == 400 and "window must be one of 15m, 1h" in answer.text


def test_the_monitors_and_the_admin_data_are_for_administrators_only(app, client):
    sign_up(client)
    app.services.accounts.create_user("trader", PASSWORD)
    client.cookies.clear()
    log_in(client, "trader")

    refused = [client.get(path).status_code for path in ("/monitor/latency", "/monitor/traffic", "/admin/data")]

    assert refused == [403, 403, 403]
    assert "Latency" not in client.get("/keys").text


def test_the_admin_data_page_adds_a_holiday_and_uploads_freeze_quantities(app, client):
    sign_up(client)
    token = csrf_of(client.get("/admin/data?year=2026").text)

    added = client.post(
        "/admin/data/holiday",
        data={"csrf_token": token, "year": "2027", "date": "2027-03-10", "description": "Foundation Day"},
    )
    uploaded = client.post(
        "/admin/data/freeze/upload",
        data={"csrf_token": token, "year": "2027"},
        files={"file": ("freeze.csv", b"exchange,symbol,freeze_qty\nNSE,SBIN,5000\n", "text/csv")},
    )
    refused = client.post(
        "/admin/data/timing",
        data={"csrf_token": token, "exchange": "NSE", "start_time": "16:00", "end_time": "09:00"},
    )

    assert str(added.url).endswith("?year=2027&notice=holiday-saved") and "Foundation Day" in added.text
    assert "The freeze quantities of the file were saved." in uploaded.text and "5000" in uploaded.text
    assert app.services.admin.freeze_quantity("NSE", "SBIN") == 5000
    assert refused.status_code == 400 and "must be after start_time" in refused.text
    exported = client.get("/admin/data/freeze.csv").text
    assert exported.startswith("exchange,symbol,freeze_qty\n") and "NSE,SBIN,5000" in exported
