"""Flow benchmark: a price-alert workflow's trigger-to-order latency (p50/p99), in process.

Ticks are handed to the flow's market-data tap as the bus would deliver them, alternating below
and above the alert's level, so every second tick is a crossing. The time runs from the crossing
tick reaching the tap to the run's placeOrder step answered by the sandbox order desk (the run and
its steps recorded in the database on the way).
"""

from __future__ import annotations

import asyncio
import json
import statistics
import tempfile
import time
from pathlib import Path

LEVEL = 800.0


def _tick(number: int, ltp: float):
    from streaming.bus import BusMessage

    return BusMessage("NSE:SBIN", 1, number, json.dumps({"symbol": "SBIN", "exchange": "NSE", "ltp": ltp}).encode())


async def _measure(services, workflow_id: int, crossings: int) -> list[float]:
    flow = services.flow
    triggers = flow.triggers
    services.scheduler.start()  # as the leader does at start: then the active workflow's alert is live
    await triggers.start(flow.store.active())
    latencies = []
    number = 0
    for _ in range(crossings):
        number += 1
        triggers.on_bus([_tick(number, LEVEL - 1.0)])  # back below: re-arms the alert
        number += 1
        began = time.perf_counter()
        triggers.on_bus([_tick(number, LEVEL + 1.0)])  # the crossing
        await asyncio.gather(*list(triggers._pending))
        await flow.engine.drain()
        latencies.append((time.perf_counter() - began) * 1000)
    await triggers.stop()
    services.scheduler.stop()
    return latencies


def run(crossings: int = 200) -> dict:
    from gateway.accounts import Principal
    from gateway.services import Services
    from gateway.settings import Settings
    from generated.api import FlowWorkflowDocument

    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(
            app_key="a1" * 32,
            api_key_pepper="b2" * 32,
            database_url=f"sqlite:///{Path(folder) / 'bench.db'}",
            history_database=str(Path(folder) / "history.duckdb"),
            sandbox_closed_on_holidays=False,
            _env_file=None,
        )
        services = Services.build(settings)
        services.accounts.create_user("bench", "a long bench password")
        user = services.accounts.authenticate(services.accounts.create_api_key("bench"))
        document = FlowWorkflowDocument.model_validate(
            {
                "name": "bench",
                "overlap": "queue",
                "nodes": [
                    {"id": "alert", "type": "priceAlert", "data": {"symbol": "SBIN", "exchange": "NSE", "condition": "crosses_above", "price": LEVEL}},
                    {"id": "buy", "type": "placeOrder", "data": {"strategy": "bench", "symbol": "SBIN", "exchange": "NSE", "action": "BUY", "quantity": 1, "pricetype": "MARKET", "product": "MIS"}},
                ],
                "edges": [{"source": "alert", "target": "buy"}],
            }
        )  # fmt: skip
        principal = Principal(user.user_id, user.username)
        created = services.flow.create(principal, document, signed=False)
        services.flow.activate(principal, created["workflow_id"], True)
        latencies = asyncio.run(_measure(services, created["workflow_id"], crossings))
        runs = services.flow.store.runs(created["workflow_id"], crossings + 1)
        succeeded = sum(run.status == "succeeded" for run in runs)
    ordered = sorted(latencies)
    return {
        "crossings": crossings,
        "runs_succeeded": succeeded,
        "trigger_to_order_p50_ms": round(statistics.median(ordered), 3),
        "trigger_to_order_p99_ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))], 3),
        "trigger_to_order_max_ms": round(ordered[-1], 3),
    }


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
