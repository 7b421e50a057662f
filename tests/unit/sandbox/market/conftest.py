"""Shared fixtures: a market pinned to a known instant, so calendar facts in tests are stable."""

from __future__ import annotations

from datetime import datetime

import pytest

from sandbox.market import IST, OfflineMarket

# A Thursday mid-session: NSE, BSE, MCX and CDS are all open.
MID_SESSION = datetime(2025, 11, 20, 11, 0, 30, tzinfo=IST)


@pytest.fixture
def market() -> OfflineMarket:
    return OfflineMarket(7, start=MID_SESSION)
