"""Options analytics benchmark: each analytics endpoint for NIFTY, 50 strikes a side, beside `optionchain`.

Two figures per endpoint. `uncached_ms` is the tool's own work in-process on a fresh cache every
call (the chain read from the market, IVs solved, candles read): what the first of many open pages
pays. `http` is the whole API on one keep-alive connection, where the one-second cache answers most
requests, as it does for pages refreshing every few seconds. The market's clock starts on a fixed
Wednesday morning in session, so runs compare like with like. The aim is every tool under 25 ms.
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from datetime import datetime

from gateway import optioncharts, optionsanalytics
from gateway.options import option_chain
from gateway.optionsanalytics import SnapshotCache
from sandbox.market import IST, OfflineMarket
from tools.bench_http import BROKERGATE, HOST, _serve, bench_database, free_port
from tools.loadgen import load, post_request

START = datetime(2026, 12, 2, 11, 0, tzinfo=IST)
STRIKES = 50
EXPIRIES = 6
AIM_MS = 25.0
CHAIN = {"underlying": "NIFTY", "exchange": "NSE_INDEX", "expiry_date": None}
SERIES = CHAIN | {"interval": "5m", "days": 1}
# What each endpoint is asked, as the API takes it (the expiry left out: the nearest one).
REQUESTS = {
    "optionchain": {"underlying": "NIFTY", "exchange": "NSE_INDEX", "strike_count": STRIKES, "with_greeks": True},
    "gex": {"underlying": "NIFTY", "exchange": "NSE_INDEX", "strike_count": STRIKES},
    "ivchart": {"underlying": "NIFTY", "exchange": "NSE_INDEX", "interval": "5m", "days": 1},
    "ivsmile": {"underlying": "NIFTY", "exchange": "NSE_INDEX", "strike_count": STRIKES},
    "oiprofile": {"underlying": "NIFTY", "exchange": "NSE_INDEX", "strike_count": STRIKES, "interval": "5m", "days": 1},
    "oitracker": {"underlying": "NIFTY", "exchange": "NSE_INDEX", "strike_count": STRIKES},
    "straddle": {"underlying": "NIFTY", "exchange": "NSE_INDEX", "interval": "5m", "days": 1},
    "volsurface": {"underlying": "NIFTY", "exchange": "NSE_INDEX", "strike_count": STRIKES, "expiry_count": EXPIRIES},
}


def _tools(market: OfflineMarket) -> dict:
    """Each endpoint's work as a call on a fresh cache."""

    def snapshot(cache: SnapshotCache):
        return optionsanalytics.cached_snapshot(market, cache, **CHAIN, strike_count=STRIKES, interest_rate=None)

    return {
        "optionchain": lambda: option_chain(
            market, underlying="NIFTY", exchange="NSE_INDEX", strike_count=STRIKES, with_greeks=True
        ),
        "gex": lambda: optionsanalytics.gamma_exposure(snapshot(SnapshotCache())),
        "ivchart": lambda: optioncharts.iv_chart(market, SnapshotCache(), **SERIES, interest_rate=None),
        "ivsmile": lambda: optionsanalytics.iv_smile(snapshot(SnapshotCache())),
        "oiprofile": lambda: optioncharts.oi_profile(market, SnapshotCache(), **SERIES, strike_count=STRIKES),
        "oitracker": lambda: optionsanalytics.oi_tracker(market, snapshot(SnapshotCache())),
        "straddle": lambda: optioncharts.straddle_chart(market, SnapshotCache(), **SERIES),
        "volsurface": lambda: optionsanalytics.volatility_surface(
            market,
            SnapshotCache(),
            underlying="NIFTY",
            exchange="NSE_INDEX",
            expiry_count=EXPIRIES,
            strike_count=STRIKES,
            interest_rate=None,
        ),
    }


def _median_ms(work, repeats: int) -> float:
    work()  # warm: the synthetic past of the asked days is generated once per market
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        work()
        times.append((time.perf_counter() - started) * 1000)
    return round(statistics.median(times), 2)


def uncached(repeats: int = 15) -> dict:
    market = OfflineMarket(7, start=START)
    return {name: _median_ms(work, repeats) for name, work in _tools(market).items()}


def over_http(seconds: float) -> dict:
    results = {}
    with tempfile.TemporaryDirectory() as folder:
        environment, api_key = bench_database(folder)
        environment["MARKET_START"] = START.isoformat()
        port = free_port()
        process = _serve(BROKERGATE, port, environment)
        try:
            for name, body in REQUESTS.items():
                request = post_request(HOST, port, f"/api/v1/{name}", {"apikey": api_key, **body})
                asyncio.run(load(HOST, port, request, connections=1, seconds=0.5))  # warm-up
                results[name] = asyncio.run(load(HOST, port, request, connections=1, seconds=seconds))
        finally:
            process.terminate()
            process.wait(timeout=10)
    return results


def run(seconds: float = 2.0) -> dict:
    own = uncached()
    return {
        "underlying": "NIFTY",
        "strikes_each_side": STRIKES,
        "surface_expiries": EXPIRIES,
        "candles": "5m, 1 day",
        "uncached_ms": own,
        "over_aim_uncached": sorted(name for name, ms in own.items() if name != "optionchain" and ms > AIM_MS),
        "http": over_http(seconds),
    }


if __name__ == "__main__":
    import json

    print(json.dumps(uncached(), indent=2))
