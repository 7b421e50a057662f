"""Secrets never reach a log line or the traffic log: keys, passwords, broker tokens, APP_KEY, the pepper."""

from __future__ import annotations

import asyncio
import io
import logging

import pytest

from gateway.logs import REDACTED, RedactSecrets
from tests.conftest import APP_KEY, PEPPER
from tests.security.conftest import PASSWORD, csrf_of, log_in, sign_up


@pytest.fixture
def log_output():
    """Everything logged while the test runs, through the same filter `brokergate serve` installs."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactSecrets((APP_KEY, PEPPER)))
    root = logging.getLogger()
    previous_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    yield stream
    root.removeHandler(handler)
    root.setLevel(previous_level)


def test_the_filter_redacts_keys_tokens_and_configured_secrets(log_output):
    api_key = "0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9"
    fernet_token = "gAAAAABnZ3Q4c2VjcmV0LXRva2VuLXRoYXQtaXMtbG9uZw=="

    logging.getLogger("brokers.any").warning("key %s token %s app %s", api_key, fernet_token, APP_KEY)

    text = log_output.getvalue()
    assert api_key not in text and fernet_token not in text and APP_KEY not in text
    assert text.count(REDACTED) == 3


def test_a_full_session_logs_no_secret(app, client, log_output):
    sign_up(client)
    token = csrf_of(client.get("/keys").text)
    api_key = client.post("/keys/create", data={"csrf_token": token}).text.split('id="api-key-value">')[1][:64]
    client.post("/api/v1/ping", json={"apikey": api_key})
    client.post("/api/v1/ping", json={"apikey": api_key[::-1]})  # a wrong key is logged as a 403, not echoed
    client.post("/keys/1/reveal", data={"csrf_token": token, "password": "a wrong password"})
    client.post("/logout", data={"csrf_token": token})
    log_in(client, password="wrong " + PASSWORD)
    log_in(client)

    text = log_output.getvalue()
    assert text  # something was logged, so the assertions below mean something
    for secret in (api_key, api_key[::-1], PASSWORD, APP_KEY, PEPPER, "a wrong password"):
        assert secret not in text


def test_the_traffic_log_never_stores_a_key_sent_in_the_query(app, client, api_key):
    client.get(f"/api/v1/openapi.json?apikey={api_key}")
    client.post(f"/api/v1/ping?apikey={api_key}", json={"apikey": api_key})
    asyncio.run(app.perimeter.traffic.flush())

    rows = app.perimeter.traffic.recent(50)

    assert any(row["path"] == "/api/v1/ping" for row in rows)
    assert all(api_key not in str(row) for row in rows)
