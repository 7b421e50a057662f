"""History ranges wider than a broker serves in one call are a typed 400 before any call, never a hang.

Fuzzing found an Angel `history` of 1m candles from year 950 that the plugin sent upstream as one
request, whose answer (every minute the broker kept) outlasted the client's read timeout. The market
is pinned to a Sunday, so the answers do not depend on when the tests run.
"""

from __future__ import annotations

from datetime import datetime

import pytest

from brokers.angel.simulator import AngelSimulator
from brokers.dhan.simulator import DhanSimulator
from brokers.upstox.simulator import UpstoxSimulator
from brokers.zerodha.simulator import KiteSimulator
from generated.api import HistoryRequest
from generated.errors import ValidationFailed
from sandbox.market import IST, OfflineMarket

SUNDAY = datetime(2026, 12, 6, 12, 0, tzinfo=IST)


# Each broker's simulator and the most days of 1m candles it serves per call.
BROKERS = {"angel": (AngelSimulator, 30), "upstox": (UpstoxSimulator, 30), "zerodha": (KiteSimulator, 60),
           "dhan": (DhanSimulator, 90)}  # fmt: skip


@pytest.fixture(params=list(BROKERS))
async def broker(request):
    """A broker's simulator on a market pinned to SUNDAY, and its per-call limit of 1m days."""
    kind, limit = BROKERS[request.param]
    simulator = kind(OfflineMarket(7, start=SUNDAY))
    yield simulator, limit
    await simulator.close()


def _history(interval: str, start: str, end: str) -> HistoryRequest:
    return HistoryRequest(symbol="SBIN", exchange="NSE", interval=interval, start_date=start, end_date=end)


async def test_minutes_from_centuries_back_are_refused_before_reaching_the_broker(broker):
    simulator, limit = broker
    plugin, account = simulator.plugin(rate_limits=[]), simulator.issue_session()
    calls = len(simulator.requests)

    with pytest.raises(ValidationFailed) as refused:
        await plugin.history(account, _history("1m", "0950-01-01", "2026-11-02"))

    assert f"at most {limit} days of 1m candles" in refused.value.message
    assert refused.value.http_status == 400
    assert len(simulator.requests) == calls


async def test_a_month_of_minutes_is_served_in_one_call(broker):
    simulator, _ = broker
    plugin, account = simulator.plugin(rate_limits=[]), simulator.issue_session()

    candles = await plugin.history(account, _history("1m", "2026-11-02", "2026-12-01"))

    assert len(candles) > 0
    assert min(candle.timestamp for candle in candles) >= int(datetime(2026, 11, 2, tzinfo=IST).timestamp())
