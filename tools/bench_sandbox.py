"""Sandbox benchmark: order-to-acknowledgement latency through the whole HTTP API, and the engine's
cost of checking and filling resting orders on a tick.

OpenAlgo's engine needs about 0.1 to 0.3 s per market order; the aim here is under 5 ms at p99
through the API, and well under a millisecond per thousand resting orders checked per tick.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from dataclasses import replace

import numpy as np
from sqlalchemy.pool import StaticPool
from sqlmodel import SQLModel, create_engine

import storage.sandbox_tables  # noqa: F401  (registers the tables)
from sandbox.engine import OrderRequest, SandboxConfig, SandboxEngine
from sandbox.market import OfflineMarket
from tools.bench_http import BROKERGATE, HOST, bench_database, measure
from tools.loadgen import post_request

RESTING = 10_000


def _http_latency(seconds: float, database: str | None = None) -> dict:
    with tempfile.TemporaryDirectory() as folder:
        environment, api_key = bench_database(folder, database)
        body = {
            "apikey": api_key,
            "strategy": "bench",
            "exchange": "NSE",
            "symbol": "SBIN",
            "action": "BUY",
            "quantity": "1",
            "pricetype": "MARKET",
            "product": "MIS",
        }

        def request_for(port: int) -> bytes:
            return post_request(HOST, port, "/api/v1/placeorder", body)

        serial = measure({"one_connection": BROKERGATE}, environment, request_for, seconds, connections=1)
        concurrent = measure({"sixteen_connections": BROKERGATE}, environment, request_for, seconds)
    return serial | concurrent


async def _engine_ticks() -> dict:
    database = create_engine("sqlite://", connect_args={"check_same_thread": False}, poolclass=StaticPool)
    SQLModel.metadata.create_all(database)
    market = OfflineMarket(7)
    engine = SandboxEngine(database, market, SandboxConfig(square_off_enabled=False))
    quote = market.quote("NSE", "SBIN")
    step = 0.05
    for index in range(RESTING):  # resting buys spread below the market, none marketable yet
        price = round(quote.bid - step * (1 + index % 400), 2)
        await engine.place_order(
            1,
            OrderRequest(
                exchange="NSE",
                symbol="SBIN",
                action="BUY",
                quantity=1,
                price_type="LIMIT",
                product="MIS",
                price=str(price),
            ),
        )
    untouched = []
    for _ in range(50):
        started = time.perf_counter()
        await engine.on_quotes([quote])
        untouched.append(time.perf_counter() - started)
    dip = round(quote.bid - step * 25, 2)  # reaches the 25 highest price levels: about 625 orders
    crossing = replace(quote, ltp=dip, bid=round(dip - step, 2), ask=dip, low=min(quote.low, dip))
    started = time.perf_counter()
    await engine.on_quotes([crossing])
    fill_seconds = time.perf_counter() - started
    filled = sum(1 for order in await engine.orderbook(1) if order.status == "complete")
    await engine.close()
    per_tick_ms = np.array(untouched) * 1000
    return {
        "resting_orders": RESTING,
        "tick_check_p50_ms": round(float(np.percentile(per_tick_ms, 50)), 3),
        "tick_check_ms_per_thousand": round(float(np.percentile(per_tick_ms, 50)) / (RESTING / 1000), 4),
        "orders_filled_by_one_tick": filled,
        "fill_seconds": round(fill_seconds, 3),
        "fills_per_second": round(filled / fill_seconds, 1) if filled else 0.0,
    }


def _http_latency_postgresql(seconds: float) -> dict:
    """The same on a throw-away PostgreSQL cluster with its default durability (Debian's binaries)."""
    from tests.postgres import find_binaries, throwaway_cluster

    binaries = find_binaries()
    if binaries is None:
        return {"skipped": "PostgreSQL binaries (initdb, pg_ctl) not installed"}
    with throwaway_cluster(binaries, durable=True) as cluster:
        return _http_latency(seconds, cluster.url())


def run(seconds: float = 4.0) -> dict:
    return {
        "placeorder_http": _http_latency(seconds),
        "placeorder_http_postgresql": _http_latency_postgresql(seconds),
        "engine_tick": asyncio.run(_engine_ticks()),
    }
