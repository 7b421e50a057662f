"""Shared fixtures: settings on a temporary database, the app with response validation, a user and key."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

from gateway.app import create_app
from gateway.settings import Settings

pytest_plugins = ["tests.postgres", "tests.keyvalue"]  # `databases`: SQLite and PostgreSQL; a Valkey server

# Property tests judge results, never speed: a busy machine (the suite runs on several workers) must not
# fail them on Hypothesis's timing health checks or its per-example deadline.
hypothesis_settings.register_profile("suite", deadline=None, suppress_health_check=[HealthCheck.too_slow])
hypothesis_settings.load_profile("suite")

APP_KEY = "a1" * 32
PEPPER = "b2" * 32


@pytest.fixture
def settings(tmp_path, database_url) -> Settings:
    return Settings(
        app_key=APP_KEY,
        api_key_pepper=PEPPER,
        database_url=database_url,
        history_database=str(tmp_path / "history.duckdb"),
        websocket_port=0,  # any free port, so tests never collide with a running server or each other
        zmq_address="tcp://127.0.0.1:*",
        # Tests place MARKET orders at whatever hour they run; the holiday refusal has its own pinned tests.
        sandbox_closed_on_holidays=False,
        python_strategies_dir=str(tmp_path / "strategies"),  # never the working folder, whatever the database
        session_expiry_time=far_session_expiry(),
        _env_file=None,
    )


def far_session_expiry() -> str:
    """A SESSION_EXPIRY_TIME half a day from now: console sessions end daily at that IST minute, and a test
    that logged in just before the default 03:00 would find itself logged out at its next request."""
    return (datetime.now(ZoneInfo("Asia/Kolkata")) + timedelta(hours=12)).strftime("%H:%M")


@pytest.fixture
def app(settings):
    return create_app(settings, validate_responses=True)


@pytest.fixture
def client(app):
    with app.test_client() as test_client:
        yield test_client


@pytest.fixture
def api_key(app) -> str:
    app.services.accounts.create_user("trader", "correct horse battery")
    return app.services.accounts.create_api_key("trader")


def eventually(condition: Callable[[], bool], timeout: float = 5.0, interval: float = 0.02) -> None:
    """Wait until `condition()` holds, failing after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        time.sleep(interval)
