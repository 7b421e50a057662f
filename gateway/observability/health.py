"""`GET /health`: liveness plus named checks that components register.

A check is an async callable returning a dict of details (healthy) or raising (unhealthy); each runs
with a timeout so one stuck dependency cannot hang the probe. Names reserved for components that come
later (the bus, the feed, broker sessions) answer `unknown` until something registers them, so a
monitoring system sees them from the first day.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

Check = Callable[[], Awaitable[dict | None]]
PLACEHOLDERS = ("bus", "feed", "broker_sessions")
TIMEOUT_SECONDS = 2.0


class Health:
    def __init__(self) -> None:
        self._checks: dict[str, Check] = {}
        self._started = time.monotonic()

    def register(self, name: str, check: Check) -> None:
        self._checks[name] = check

    async def report(self) -> tuple[dict, int]:
        """The JSON body and status: 200 when every registered check passes, else 503."""
        names = list(self._checks)
        outcomes = await asyncio.gather(*(self._run(self._checks[name]) for name in names))
        checks = dict(zip(names, outcomes, strict=True))
        for name in PLACEHOLDERS:
            checks.setdefault(name, {"status": "unknown", "detail": "no check registered yet"})
        is_healthy = all(outcome["status"] != "down" for outcome in checks.values())
        body = {
            "status": "ok" if is_healthy else "degraded",
            "uptime_seconds": round(time.monotonic() - self._started, 1),
            "checks": checks,
        }
        return body, 200 if is_healthy else 503

    async def _run(self, check: Check) -> dict:
        started = time.perf_counter()
        try:
            details = await asyncio.wait_for(check(), TIMEOUT_SECONDS)
        except TimeoutError:
            return {"status": "down", "detail": f"no answer within {TIMEOUT_SECONDS:g} s"}
        except Exception as e:  # a failing dependency is the report, not an error of the probe
            return {"status": "down", "detail": f"{type(e).__name__}: {e}"}
        return {"status": "up", "ms": round((time.perf_counter() - started) * 1000, 2), **(details or {})}
