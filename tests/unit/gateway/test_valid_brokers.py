"""VALID_BROKERS: a deployment offers only the installed brokers it names (the sandbox always stays); the API's
broker list, the console's broker page and the registry everything routes through see only those."""

from __future__ import annotations

import pytest

from brokers import PluginLoadError, Registry
from gateway.app import create_app
from gateway.settings import Settings
from tests.security.conftest import sign_up


@pytest.fixture
def app(settings):
    return create_app(settings.model_copy(update={"valid_brokers": "shoonya, Zerodha"}), validate_responses=True)


def test_offer_keeps_the_named_brokers_and_the_sandbox():
    registry = Registry.discover()

    registry.offer("shoonya,zerodha")

    assert registry.ids() == ["sandbox", "shoonya", "zerodha"]
    assert "angel" not in registry


def test_an_empty_setting_offers_every_installed_broker():
    registry = Registry.discover()
    installed = registry.ids()

    registry.offer(" , ")

    assert registry.ids() == installed


def test_a_name_no_installed_broker_has_is_refused_by_name():
    registry = Registry.discover()

    with pytest.raises(PluginLoadError, match="VALID_BROKERS names nosuchbroker"):
        registry.offer("zerodha,nosuchbroker")


def test_the_setting_reads_openalgos_variable(monkeypatch):
    monkeypatch.setenv("VALID_BROKERS", "zerodha,angel")

    settings = Settings(app_key="k" * 64, api_key_pepper="p" * 64, _env_file=None)

    assert settings.valid_brokers == "zerodha,angel"


def test_the_api_lists_only_the_offered_brokers(client, api_key):
    response = client.get("/api/v1/brokers", headers={"X-API-KEY": api_key})

    assert response.status_code == 200
    assert sorted(broker["id"] for broker in response.json()["data"]) == ["sandbox", "shoonya", "zerodha"]


def test_the_console_offers_only_the_offered_brokers(client):
    sign_up(client)

    page = client.get("/broker").text

    assert "Shoonya (Finvasia)" in page and "Zerodha" in page
    assert "Angel One" not in page and "Flattrade" not in page
