"""Fixtures for attacking brokergate: a console signed in through its own forms, a fake OAuth broker,
and helpers that read CSRF tokens the way a browser would."""

from __future__ import annotations

import re

import pytest

from brokers import Registry
from brokers.registry import Manifest
from gateway.app import create_app
from gateway.services import Services

PASSWORD = "correct horse battery"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    match = _CSRF.search(html)
    assert match, "the page has no CSRF token"
    return match.group(1)


def sign_up(client, username: str = "admin", password: str = PASSWORD):
    """Run the first-run setup form; the client is then signed in."""
    token = csrf_of(client.get("/setup").text)
    return client.post(
        "/setup", data={"username": username, "password": password, "confirm": password, "csrf_token": token}
    )


def log_in(client, username: str = "admin", password: str = PASSWORD):
    token = csrf_of(client.get("/login").text)
    return client.post("/login", data={"username": username, "password": password, "csrf_token": token})


@pytest.fixture
def console(client):
    """A test client signed in to the console as the administrator."""
    sign_up(client)
    return client


def services_with_fake_broker(settings) -> Services:
    services = Services.build(settings)
    manifests = {broker_id: services.registry.manifest(broker_id) for broker_id in services.registry.ids()}
    manifests["fakebroker"] = Manifest(
        id="fakebroker", name="Fake OAuth broker", module="tests.security.fakebroker", data={"auth": "oauth_redirect"}
    )
    services.registry = Registry(manifests)
    return services


@pytest.fixture
def broker_app(settings):
    return create_app(settings, services=services_with_fake_broker(settings))


@pytest.fixture
def make_app(settings):
    """Build an app with some settings changed, plus a user `trader` and that user's API key."""

    def build(**overrides):
        app = create_app(settings.model_copy(update=overrides))
        app.services.accounts.create_user("trader", PASSWORD)
        return app, app.services.accounts.create_api_key("trader")

    return build
