"""The traffic and latency log: one row per request in its own database, written in batches off the hot path.

A request only appends a tuple to a list. A background task wakes every second and writes what has
gathered in one `executemany` on a worker thread, so the event loop never waits for SQLite. If the
writer falls behind, the oldest unwritten rows are dropped and counted rather than letting memory grow.
Rows older than TRAFFIC_LOG_RETENTION_DAYS are purged by the same task, once an hour.
"""

from __future__ import annotations

import asyncio
import logging
import time
from pathlib import Path

from sqlalchemy import Engine, delete, inspect, select, text
from sqlalchemy.engine import make_url

from storage import make_engine
from storage.logs_tables import LOGS_METADATA, TRAFFIC

log = logging.getLogger(__name__)
FLUSH_SECONDS = 1.0
PURGE_SECONDS = 3600.0
MAX_PENDING = 50_000
_COLUMNS = ("at", "client_ip", "method", "path", "route", "status", "total_ms", "broker_ms", "user_id", "broker")


def logs_database_url(database_url: str, logs_url: str) -> str:
    """LOGS_DATABASE_URL, or `logs.db` beside a SQLite main database (in memory beside an in-memory one)."""
    if logs_url:
        return logs_url
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return "sqlite://"
    return f"sqlite:///{Path(url.database).parent / 'logs.db'}"


class TrafficLog:
    def __init__(self, url: str, *, retention_days: int) -> None:
        self._engine: Engine = make_engine(url)
        LOGS_METADATA.create_all(self._engine)
        _add_missing_columns(self._engine)
        self._retention_seconds = retention_days * 86_400
        self._pending: list[tuple] = []
        self._task: asyncio.Task | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._purged_at = float("-inf")
        self.dropped = 0
        self.written = 0

    def record(
        self, client_ip, method, path, route, status, total_ms, broker_ms=None, user_id=None, *, broker=None
    ) -> None:
        """Queue one row; never blocks. Starts the writer on the running loop if it is not there yet."""
        if len(self._pending) >= MAX_PENDING:
            del self._pending[: MAX_PENDING // 10]
            self.dropped += MAX_PENDING // 10
        self._pending.append(
            (time.time(), client_ip, method, path[:256], route[:128], status, total_ms, broker_ms, user_id, broker)
        )
        loop = asyncio.get_running_loop()
        if self._loop is not loop or self._task is None or self._task.done():
            self._loop = loop
            self._task = loop.create_task(self._run(), name="traffic-log-writer")

    @property
    def engine(self) -> Engine:
        """The logs database, for the monitors' read-only queries."""
        return self._engine

    async def flush(self) -> None:
        rows, self._pending = self._pending, []
        if rows or time.monotonic() - self._purged_at > PURGE_SECONDS:
            await asyncio.to_thread(self._write, rows)

    async def close(self) -> None:
        if self._task is not None and not self._task.done() and self._loop is asyncio.get_running_loop():
            self._task.cancel()
        await self.flush()

    def recent(self, limit: int = 100, *, user_id: int | None = None) -> list[dict]:
        """The newest rows, newest first (written ones only: the last second may still be pending)."""
        query = select(TRAFFIC).order_by(TRAFFIC.c.id.desc()).limit(limit)
        if user_id is not None:
            query = query.where(TRAFFIC.c.user_id == user_id)
        with self._engine.connect() as connection:
            return [dict(row._mapping) for row in connection.execute(query)]

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(FLUSH_SECONDS)
            try:
                await self.flush()
            except Exception:  # the log must never take the gateway down; report and keep going
                log.exception("writing the traffic log failed; %d rows lost", len(self._pending))

    def _write(self, rows: list[tuple]) -> None:
        with self._engine.begin() as connection:
            if rows:
                connection.execute(TRAFFIC.insert(), [dict(zip(_COLUMNS, row, strict=True)) for row in rows])
            if time.monotonic() - self._purged_at > PURGE_SECONDS:
                connection.execute(delete(TRAFFIC).where(TRAFFIC.c.at < time.time() - self._retention_seconds))
                self._purged_at = time.monotonic()
        self.written += len(rows)


def _add_missing_columns(engine: Engine) -> None:
    # The logs database is created, not migrated: a column added since an older logs.db is added here.
    present = {column["name"] for column in inspect(engine).get_columns(TRAFFIC.name)}
    with engine.begin() as connection:
        for column in TRAFFIC.columns:
            if column.name not in present:
                kind = column.type.compile(engine.dialect)
                connection.execute(text(f'ALTER TABLE {TRAFFIC.name} ADD COLUMN "{column.name}" {kind}'))
