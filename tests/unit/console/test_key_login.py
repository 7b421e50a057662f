"""An app-key broker (XTS, auth api_secret) connects from the console with its stored keys alone, on its simulator."""

from __future__ import annotations

import pytest

from gateway.app import create_app
from tests.security.conftest import csrf_of, sign_up

KEYS = {
    "api_key": "iifl-interactive-key",
    "api_secret": "iifl-interactive-secret",
    "market_api_key": "iifl-market-key",
    "market_api_secret": "iifl-market-secret",
}


@pytest.fixture
def app(settings):
    update = {"broker_simulators": "iifl", "host_server": "http://testserver", "order_watch_interval": 0}
    return create_app(settings.model_copy(update=update), validate_responses=True)


def _save(client, **keys: str) -> None:
    client.post(
        "/broker/credentials", data={"csrf_token": csrf_of(client.get("/broker").text), "broker": "iifl", **keys}
    )


def test_the_key_login_connects_with_nothing_typed(app, client):
    sign_up(client)
    _save(client, **KEYS)

    answer = client.post("/broker/login", data={"csrf_token": csrf_of(client.get("/broker").text), "broker": "iifl"})

    assert "broker-connected" in str(answer.url)
    assert app.services.sessions.latest(1).broker == "iifl"


def test_a_key_login_with_a_wrong_secret_does_not_connect(app, client):
    sign_up(client)
    _save(client, **(KEYS | {"api_secret": "not-it"}))

    answer = client.post("/broker/login", data={"csrf_token": csrf_of(client.get("/broker").text), "broker": "iifl"})

    assert "error=login" in str(answer.url)
    assert app.services.sessions.latest(1) is None
