"""Start-up refuses missing, short or shared secrets with a message that names the variable."""

import pytest
from pydantic import ValidationError

from gateway.settings import Settings

GOOD = "c" * 64


def test_short_app_key_is_refused_by_name():
    with pytest.raises(ValidationError, match="APP_KEY must be at least 32 characters"):
        Settings(app_key="short", api_key_pepper=GOOD, _env_file=None)


def test_missing_pepper_is_refused(monkeypatch):
    monkeypatch.delenv("API_KEY_PEPPER", raising=False)

    with pytest.raises(ValidationError, match="API_KEY_PEPPER"):
        Settings(app_key=GOOD, _env_file=None)


def test_one_secret_for_two_purposes_is_refused():
    with pytest.raises(ValidationError, match="must differ"):
        Settings(app_key=GOOD, api_key_pepper=GOOD, _env_file=None)


def test_openalgo_environment_names_are_honoured(monkeypatch):
    monkeypatch.setenv("FLASK_HOST_IP", "0.0.0.0")
    monkeypatch.setenv("FLASK_PORT", "5055")

    settings = Settings(app_key=GOOD, api_key_pepper="d" * 64, _env_file=None)

    assert (settings.host, settings.port) == ("0.0.0.0", 5055)


def test_defaults_are_safe():
    settings = Settings(app_key=GOOD, api_key_pepper="d" * 64, _env_file=None)

    assert settings.host == "127.0.0.1"
    assert settings.websocket_host == "127.0.0.1"
