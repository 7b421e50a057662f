"""What the latency and traffic monitors show, computed from the traffic log over a chosen window.

Latency: p50/p90/p99 of `total_ms` and `broker_ms` per endpoint and per broker. Traffic: request
counts, error rates and the slowest routes and calls. Percentiles are nearest-rank over the rows of
the window (at most MAX_ROWS of the newest, so a busy week cannot exhaust memory).
"""

from __future__ import annotations

import csv
import io
import math
import time
from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import select

from generated.errors import ValidationFailed
from storage.logs_tables import TRAFFIC

WINDOWS = {"15m": 900, "1h": 3600, "6h": 6 * 3600, "24h": 86_400, "7d": 7 * 86_400, "30d": 30 * 86_400}
DEFAULT_WINDOW = "1h"
MAX_ROWS = 200_000
SLOWEST = 10


def window_seconds(name: str | None) -> tuple[str, int]:
    """The window a query names (15m, 1h, 6h, 24h, 7d, 30d), else a 400 listing them."""
    name = name or DEFAULT_WINDOW
    if name not in WINDOWS:
        message = f"window must be one of {', '.join(WINDOWS)}, not {name!r}"
        raise ValidationFailed(message, errors={"window": [message]})
    return name, WINDOWS[name]


def percentile(sorted_values: list[float], share: float) -> float | None:
    """Nearest-rank percentile of already sorted values; None for no values."""
    if not sorted_values:
        return None
    rank = max(1, math.ceil(share * len(sorted_values)))
    return sorted_values[rank - 1]


@dataclass(frozen=True, slots=True)
class LatencyRow:
    group: str  # endpoint | broker
    name: str
    count: int
    total_p50: float | None
    total_p90: float | None
    total_p99: float | None
    broker_count: int
    broker_p50: float | None
    broker_p90: float | None
    broker_p99: float | None


def _rows(engine, since: float) -> list:
    query = (
        select(TRAFFIC.c.at, TRAFFIC.c.method, TRAFFIC.c.path, TRAFFIC.c.route, TRAFFIC.c.status,
               TRAFFIC.c.total_ms, TRAFFIC.c.broker_ms, TRAFFIC.c.broker)
        .where(TRAFFIC.c.at >= since)
        .order_by(TRAFFIC.c.id.desc())
        .limit(MAX_ROWS)
    )  # fmt: skip
    with engine.connect() as connection:
        return list(connection.execute(query))


def _latency(group: str, name: str, totals: list[float], brokers: list[float]) -> LatencyRow:
    totals, brokers = sorted(totals), sorted(brokers)
    return LatencyRow(
        group,
        name,
        len(totals),
        *(percentile(totals, share) for share in (0.5, 0.9, 0.99)),
        len(brokers),
        *(percentile(brokers, share) for share in (0.5, 0.9, 0.99)),
    )


def latency(engine, window: str | None, *, now: float | None = None) -> dict:
    """Percentiles of API calls per endpoint and per broker over the window."""
    name, seconds = window_seconds(window)
    rows = [row for row in _rows(engine, (now or time.time()) - seconds) if row.path.startswith("/api/")]
    by_route: defaultdict[str, tuple[list, list]] = defaultdict(lambda: ([], []))
    by_broker: defaultdict[str, tuple[list, list]] = defaultdict(lambda: ([], []))
    for row in rows:
        for table, key in ((by_route, row.route), (by_broker, row.broker)):
            if key is None:
                continue
            table[key][0].append(row.total_ms)
            if row.broker_ms is not None:
                table[key][1].append(row.broker_ms)
    endpoints = [_latency("endpoint", key, *values) for key, values in by_route.items()]
    brokers = [_latency("broker", key, *values) for key, values in by_broker.items()]
    by_count = lambda row: (-row.count, row.name)  # noqa: E731
    return {
        "window": name,
        "count": len(rows),
        "endpoints": sorted(endpoints, key=by_count),
        "brokers": sorted(brokers, key=by_count),
        "is_truncated": len(rows) >= MAX_ROWS,
    }


def latency_csv(summary: dict) -> str:
    """The latency tables as one CSV, a row per endpoint and per broker."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["window", *LatencyRow.__slots__])
    for row in [*summary["endpoints"], *summary["brokers"]]:
        values = [getattr(row, field) for field in LatencyRow.__slots__]
        writer.writerow([summary["window"], *("" if value is None else value for value in values)])
    return out.getvalue()


def traffic(engine, window: str | None, *, now: float | None = None) -> dict:
    """Request counts, error rates and the slowest routes and calls over the window (every path logged)."""
    name, seconds = window_seconds(window)
    rows = _rows(engine, (now or time.time()) - seconds)
    routes: defaultdict[str, list] = defaultdict(list)
    classes: defaultdict[str, int] = defaultdict(int)
    for row in rows:
        routes[row.route].append(row)
        classes[f"{row.status // 100}xx"] += 1
    table = []
    for route, calls in routes.items():
        totals = sorted(call.total_ms for call in calls)
        errors = sum(1 for call in calls if call.status >= 400)
        table.append(
            {
                "route": route,
                "count": len(calls),
                "errors": errors,
                "server_errors": sum(1 for call in calls if call.status >= 500),
                "error_rate": errors / len(calls),
                "p50": percentile(totals, 0.5),
                "p99": percentile(totals, 0.99),
                "max": totals[-1],
            }
        )
    errors = sum(1 for row in rows if row.status >= 400)
    slowest_calls = sorted(rows, key=lambda row: -row.total_ms)[:SLOWEST]
    return {
        "window": name,
        "count": len(rows),
        "errors": errors,
        "error_rate": errors / len(rows) if rows else 0.0,
        "per_minute": len(rows) / (seconds / 60),
        "classes": dict(sorted(classes.items())),
        "routes": sorted(table, key=lambda entry: (-entry["count"], entry["route"])),
        "slowest_routes": sorted(table, key=lambda entry: -(entry["p99"] or 0))[:SLOWEST],
        "slowest_calls": [
            {"at": row.at, "method": row.method, "path": row.path, "status": row.status, "total_ms": row.total_ms}
            for row in slowest_calls
        ],
        "is_truncated": len(rows) >= MAX_ROWS,
    }
