"""A client on a gateway whose trading clock is pinned (a Wednesday in session) and can be moved,
a signed-in trader, and helpers to create strategies and post alerts the way each platform does."""

from __future__ import annotations

from datetime import datetime

import pytest

from gateway.app import create_app
from gateway.services import Services
from sandbox.market import IST

WEDNESDAY_MORNING = datetime(2026, 12, 2, 10, 30, tzinfo=IST)


class PinnedClock:
    def __init__(self, moment: datetime) -> None:
        self.moment = moment

    def __call__(self) -> datetime:
        return self.moment

    def set(self, hour: int, minute: int, day: int | None = None) -> None:
        self.moment = self.moment.replace(hour=hour, minute=minute, day=day or self.moment.day)


@pytest.fixture
def clock() -> PinnedClock:
    return PinnedClock(WEDNESDAY_MORNING)


@pytest.fixture
def settings(settings):
    return settings.model_copy(update={"market_start": WEDNESDAY_MORNING, "webhook_rate_limit": "1000 per second"})


@pytest.fixture
def app(settings, clock):
    return create_app(settings, validate_responses=True, services=Services.build(settings, clock=clock))


@pytest.fixture
def strategy(trader):
    """`strategy(platform=..., trading_mode=..., symbols=[...])` creates one and returns its description."""

    def create(name="Supertrend", symbols=None, **fields):
        body = {"name": name, "platform": "tradingview", "trading_mode": "LONG", "product": "MIS", **fields}
        body["symbols"] = symbols if symbols is not None else [{"symbol": "SBIN", "exchange": "NSE", "quantity": 10}]
        return trader("strategies/create", **body)["data"]

    return create


@pytest.fixture
def deliver(client):
    """Post `body` to a webhook URL as the platform would; returns the response."""

    def post(url: str, body, headers: dict | None = None):
        path = url.split("://", 1)[-1].split("/", 1)[1]
        return client.post("/" + path, json=body, headers=headers or {})

    return post


@pytest.fixture
def positions(trader):
    def read() -> dict[tuple[str, str], int]:
        rows = trader("positionbook")["data"]
        return {(row["symbol"], row["product"]): int(row["quantity"]) for row in rows if int(row["quantity"])}

    return read


@pytest.fixture
def orders(trader):
    def read() -> list[dict]:
        return trader("orderbook")["data"]["orders"]

    return read


@pytest.fixture
def trader(client, api_key):
    def post(path: str, expect: int = 200, headers: dict | None = None, **body):
        response = client.post(f"/api/v1/{path}", json={"apikey": api_key, **body}, headers=headers or {})
        assert response.status_code == expect, response.text
        return response.json()

    return post
