"""Fixtures for the options and calendar endpoints: a client on a market whose clock stands still.

The market starts at a fixed moment, a Wednesday morning in session six days before the weekly
expiry, so expiries, time values and prices are the same at whatever hour the suite runs.
"""

from __future__ import annotations

from datetime import date, datetime

import pytest

from sandbox.market import IST, compact_expiry

PINNED = datetime(2026, 12, 2, 11, 0, tzinfo=IST)


@pytest.fixture
def settings(settings):
    return settings.model_copy(update={"market_start": PINNED})


@pytest.fixture
def still_client(app):
    # Without entering the client the app's lifespan never starts, so the market clock does not
    # beat and every request in a test sees the same prices: answers can be compared exactly.
    return app.test_client()


@pytest.fixture
def ask(still_client, api_key):
    def post(path: str, expect: int = 200, **body):
        response = still_client.post(f"/api/v1/{path}", json={"apikey": api_key, **body})
        assert response.status_code == expect, response.text
        return response.json()

    return post


@pytest.fixture
def market(app):
    return app.services.market


@pytest.fixture
def nifty_expiry(market) -> date:
    return market.master.expiries("NIFTY", "NFO", "options")[0]


@pytest.fixture
def nifty_expiry_text(nifty_expiry) -> str:
    return compact_expiry(nifty_expiry)


@pytest.fixture
def nifty_strikes(market, nifty_expiry) -> list[float]:
    return market.master.strikes("NIFTY", "NFO", nifty_expiry)


@pytest.fixture
def nifty_atm(market, nifty_strikes) -> float:
    spot = market.quote("NSE_INDEX", "NIFTY").ltp
    return min(nifty_strikes, key=lambda strike: (abs(strike - spot), strike))
