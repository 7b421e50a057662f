"""History-store benchmark: ingest rows/s, `history` from the store beside the sandbox broker, a 10M-row query.

Reads go through `Historify.history` in-process (the handler adds only the envelope), each the median
of a few calls after a warm-up, beside the same `HistoryRequest` served by the sandbox plugin. The
10-million-row query fills the store with synthetic minute bars in DuckDB SQL, then folds them into
daily OHLC for 100 symbols. `python -m tools.bench history` runs only this one.
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path

from brokers.sandbox import SandboxPlugin
from gateway.accounts import Principal
from gateway.historify import Historify
from gateway.routing import SANDBOX, Route
from gateway.scheduler import Scheduler
from generated.api import HistoryRequest
from sandbox.market import IST, OfflineMarket
from storage import make_engine, upgrade
from storage.history import HistoryStore, ist_midnight

NOW = datetime(2026, 11, 27, 18, 0, tzinfo=IST)
BIG_SYMBOLS = 100
BIG_ROWS_PER_SYMBOL = 100_000  # 100 x 100k = 10 million minute bars


class _Router:
    def __init__(self, plugin) -> None:
        self.plugin = plugin

    def route(self, user) -> Route:
        return Route(SANDBOX, self.plugin, is_analyze=True)


def _median_ms(call, repeat: int = 7) -> float:
    call()
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        timings.append((time.perf_counter() - started) * 1000)
    return round(statistics.median(timings), 2)


def _fill_synthetic(store: HistoryStore, symbols: int, rows_per_symbol: int, first_day: date) -> None:
    """Minute bars of 375-minute sessions on consecutive days, a random walk per symbol, made in SQL."""
    session_open = ist_midnight(first_day) + 9 * 3600 + 15 * 60
    with store.transaction() as cursor:
        cursor.execute(
            f"""
            INSERT OR REPLACE INTO candles
            SELECT 'SYM' || s, 'NSE', '1m', {session_open} + (i // 375) * 86400 + (i % 375) * 60 AS ts,
                   p, p + 0.5, p - 0.5, p + 0.1, 1000, 0
            FROM (SELECT s, i, 100 + s + 10 * sin(i / 500.0) AS p
                  FROM range({symbols}) r(s), range({rows_per_symbol}) q(i))
            """
        )


def _fill_daily(store: HistoryStore, symbol: str, years: int) -> None:
    epoch_day = (date(2026, 11, 27) - date(1970, 1, 1)).days
    with store.transaction() as cursor:
        cursor.execute(
            f"""
            INSERT OR REPLACE INTO candles
            SELECT '{symbol}', 'NSE', 'D', ({epoch_day} - i) * 86400, 100, 101, 99, 100.5, 1000, 0
            FROM range({years * 365}) r(i)
            """
        )


def run() -> dict:
    results: dict[str, float] = {}
    market = OfflineMarket(7, start=NOW)
    plugin = SandboxPlugin(None, market)
    with tempfile.TemporaryDirectory() as folder:
        engine = make_engine(f"sqlite:///{Path(folder) / 'gateway.db'}")
        upgrade(engine)
        store = HistoryStore(Path(folder) / "history.duckdb")
        historify = Historify(store, _Router(plugin), Scheduler(engine), clock=lambda: NOW)
        user = Principal(1, "bench")

        async def ingest() -> dict:
            job = await historify.download(
                user, [("SBIN", "NSE")], "1m", date(2025, 11, 28), date(2026, 11, 27), run=False
            )
            return await historify.run(job["job_id"])

        started = time.perf_counter()
        job = asyncio.run(ingest())
        elapsed = time.perf_counter() - started
        results["ingest_1m_year_rows"] = job["rows"]
        results["ingest_rows_per_second"] = round(job["rows"] / elapsed)  # broker simulation included
        _fill_daily(store, "SBIN", 10)

        day = date(2026, 11, 26)
        cases = {
            "1m_1day": ("1m", day, day),
            "5m_1year": ("5m", day - timedelta(days=365), day),
            "D_10years": ("D", day - timedelta(days=3650), day),
        }
        for name, (interval, start, end) in cases.items():
            request = HistoryRequest(symbol="SBIN", exchange="NSE", interval=interval, start_date=start, end_date=end)
            results[f"history_db_{name}_ms"] = _median_ms(lambda r=request: asyncio.run(historify.history(r)))
            results[f"history_sandbox_{name}_ms"] = _median_ms(
                lambda r=request: asyncio.run(plugin.history(None, r)), 3
            )

        started = time.perf_counter()
        _fill_synthetic(store, BIG_SYMBOLS, BIG_ROWS_PER_SYMBOL, date(2025, 1, 1))
        results["fill_10m_rows_seconds"] = round(time.perf_counter() - started, 2)

        def daily_ohlc() -> int:
            with store.cursor() as cursor:
                return len(
                    cursor.execute(
                        """SELECT symbol, (ts + 19800) // 86400 AS day, arg_min(open, ts), max(high), min(low),
                                  arg_max(close, ts), sum(volume)
                           FROM candles WHERE interval = '1m' AND symbol LIKE 'SYM%' GROUP BY ALL"""
                    ).fetchall()
                )

        results["query_10m_rows_daily_ohlc_100_symbols_ms"] = _median_ms(daily_ohlc, 3)
        store.close()
    return results


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=2))
