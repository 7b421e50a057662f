"""The traffic log batches off the hot path and keeps its own database; metrics and health report truly."""

from __future__ import annotations

import asyncio

from sqlalchemy import inspect

from gateway.observability import Health, Metrics, TrafficLog, logs_database_url


def test_logs_database_sits_beside_a_sqlite_main_database():
    assert logs_database_url("sqlite:///data/brokergate.db", "") == "sqlite:///data/logs.db"
    assert logs_database_url("sqlite://", "") == "sqlite://"
    assert logs_database_url("sqlite:///x.db", "sqlite:///elsewhere/logs.db") == "sqlite:///elsewhere/logs.db"


def test_rows_wait_in_memory_and_are_written_in_one_batch(tmp_path):
    traffic = TrafficLog(f"sqlite:///{tmp_path / 'logs.db'}", retention_days=30)

    async def scenario():
        for number in range(250):
            traffic.record("198.51.100.1", "POST", "/api/v1/ping", "ping", 200, 1.5 + number, user_id=1)
        before = traffic.recent(1000)
        await traffic.close()
        return before

    before = asyncio.run(scenario())

    assert before == []  # recording wrote nothing by itself
    rows = traffic.recent(1000)
    assert len(rows) == 250 and traffic.written == 250
    assert rows[0]["total_ms"] == 250.5 and rows[0]["broker_ms"] is None


def test_traffic_lives_in_its_own_database_not_the_main_one(app, client, api_key, tmp_path):
    client.post("/api/v1/ping", json={"apikey": api_key})

    assert "traffic_log" not in inspect(app.services.engine).get_table_names()
    assert (tmp_path / "logs.db").exists()


def test_old_rows_are_purged(tmp_path):
    traffic = TrafficLog(f"sqlite:///{tmp_path / 'logs.db'}", retention_days=1)

    async def scenario():
        traffic.record("198.51.100.1", "GET", "/old", "other", 200, 1.0)
        traffic._pending[0] = (0.0, *traffic._pending[0][1:])  # written in 1970
        traffic.record("198.51.100.1", "GET", "/new", "other", 200, 1.0)
        await traffic.close()

    asyncio.run(scenario())

    assert [row["path"] for row in traffic.recent()] == ["/new"]


def test_metrics_render_counts_histograms_and_registered_figures():
    metrics = Metrics()
    metrics.observe("ping", "POST", 200, 0.002)
    metrics.observe("ping", "POST", 200, 0.2)
    metrics.observe("ping", "POST", 429, 0.0001)
    metrics.register("brokergate_feed_clients", "Connected feed clients.", lambda: [({"port": "8765"}, 3)])

    text = metrics.render()

    assert 'brokergate_http_requests_total{route="ping",method="POST",status="200"} 2' in text
    assert 'brokergate_http_request_duration_seconds_bucket{route="ping",le="0.001"} 1' in text
    assert 'brokergate_http_request_duration_seconds_bucket{route="ping",le="+Inf"} 3' in text
    assert 'brokergate_http_request_duration_seconds_count{route="ping"} 3' in text
    assert 'brokergate_feed_clients{port="8765"} 3' in text


def test_metrics_endpoint_counts_api_calls_by_operation(client, api_key):
    client.post("/api/v1/ping", json={"apikey": api_key})
    client.get("/no-such-page")

    text = client.get("/metrics").text

    assert 'route="ping",method="POST",status="200"} 1' in text
    assert 'route="unmatched",method="GET",status="404"} 1' in text


def test_health_reports_registered_checks_and_placeholders():
    health = Health()

    async def bus() -> dict:
        return {"sequence": 7}

    async def feed() -> dict:
        raise ConnectionError("feed is down")

    health.register("bus", bus)
    health.register("feed", feed)
    body, status = asyncio.run(health.report())

    assert status == 503 and body["status"] == "degraded"
    assert body["checks"]["bus"]["status"] == "up" and body["checks"]["bus"]["sequence"] == 7
    assert body["checks"]["feed"] == {"status": "down", "detail": "ConnectionError: feed is down"}
    assert body["checks"]["broker_sessions"]["status"] == "unknown"


def test_health_endpoint_checks_the_database(client):
    answer = client.get("/health")

    assert answer.status_code == 200
    assert answer.json()["checks"]["database"]["status"] == "up"
