"""/health and /metrics count in their own rate-limit class, so an API burst never locks monitoring out."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from gateway.settings import Settings
from tests.conftest import APP_KEY, PEPPER

PROMETHEUS = "198.51.100.9"


def test_health_and_metrics_answer_after_a_burst_made_the_api_answer_429(make_app):
    app, api_key = make_app(api_rate_limit="3 per minute")
    with app.test_client(client=(PROMETHEUS, 1)) as client:
        burst = [client.post("/api/v1/ping", json={"apikey": api_key}).status_code for _ in range(5)]

        health = client.get("/health")
        metrics = client.get("/metrics")
        still_refused = client.post("/api/v1/ping", json={"apikey": api_key})

    assert burst == [200, 200, 200, 429, 429]
    assert health.status_code == 200 and health.json()["status"] == "ok"
    assert metrics.status_code == 200 and "brokergate_" in metrics.text
    assert still_refused.status_code == 429


def test_monitoring_has_its_own_limit_for_other_addresses(make_app):
    app, _ = make_app(monitoring_rate_limit="2 per minute")
    with app.test_client(client=("203.0.113.7", 1)) as client:
        statuses = [client.get(path).status_code for path in ("/health", "/metrics", "/health")]

    assert statuses == [200, 200, 429]


def test_monitoring_addresses_are_never_limited_on_health_and_metrics(make_app):
    app, api_key = make_app(
        monitoring_rate_limit="1 per minute", api_rate_limit="1 per minute", monitoring_addresses="198.51.100.0/24"
    )
    with app.test_client(client=(PROMETHEUS, 1)) as client:
        statuses = [client.get(path).status_code for path in ("/health", "/metrics") * 5]
        api = [client.post("/api/v1/ping", json={"apikey": api_key}).status_code for _ in range(2)]

    assert set(statuses) == {200}
    assert api == [200, 429]  # a trusted monitor's API calls are limited like anyone's


def test_a_wrong_monitoring_address_is_refused_by_name():
    with pytest.raises(ValidationError, match="MONITORING_ADDRESSES must list CIDRs"):
        Settings(app_key=APP_KEY, api_key_pepper=PEPPER, monitoring_addresses="prometheus.local", _env_file=None)
