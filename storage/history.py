"""The DuckDB history store: candles, the catalogue of what is stored, the watchlist and ingest jobs.

One `HistoryStore` owns the one DuckDB connection to `HISTORY_DATABASE`, created with its schema on
first use. Only 1-minute (`1m`) and daily (`D`) candles are stored; every other interval is folded
from them in SQL when read. Candles are keyed by (symbol, exchange, interval, ts), and every write
is an upsert, so loading the same range twice never duplicates a row.

Times: `ts` is epoch seconds of the bar's start. Daily candles carry the trading date at 00:00 UTC
(OpenAlgo's convention, as the sandbox and the brokers answer), intraday ones the real instant.
Dates in and out are IST whatever the server's own time zone is: the connection's TimeZone is
pinned to Asia/Kolkata and date bounds are computed from a fixed +05:30 offset.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import duckdb

STORED_INTERVALS = ("1m", "D")
IST_OFFSET = 19800
IST_ZONE = timezone(timedelta(seconds=IST_OFFSET), "IST")
DAY = 86400
# Seconds after IST midnight at which each exchange's session opens; intraday buckets start there.
SESSION_OPEN = {"MCX": 9 * 3600, "CDS": 9 * 3600, "BCD": 9 * 3600, "NCDEX": 9 * 3600}
EQUITY_SESSION_OPEN = 9 * 3600 + 15 * 60
INTRADAY_SECONDS = {f"{n}m": n * 60 for n in (1, 2, 3, 5, 10, 15, 20, 30, 60)} | {
    f"{n}h": n * 3600 for n in (1, 2, 3, 4)
}
CALENDAR = ("D", "W", "M")
READABLE_INTERVALS = (*INTRADAY_SECONDS, *CALENDAR)
MAX_REPORTED_PROBLEMS = 20

_SCHEMA = """
CREATE TABLE IF NOT EXISTS candles (
    symbol VARCHAR NOT NULL, exchange VARCHAR NOT NULL, interval VARCHAR NOT NULL, ts BIGINT NOT NULL,
    open DOUBLE NOT NULL, high DOUBLE NOT NULL, low DOUBLE NOT NULL, close DOUBLE NOT NULL,
    volume BIGINT NOT NULL, oi BIGINT NOT NULL,
    PRIMARY KEY (symbol, exchange, interval, ts)
);
CREATE TABLE IF NOT EXISTS watchlist (
    symbol VARCHAR NOT NULL, exchange VARCHAR NOT NULL, added_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (symbol, exchange)
);
CREATE TABLE IF NOT EXISTS ingest_jobs (
    id VARCHAR PRIMARY KEY, user_id INTEGER NOT NULL, username VARCHAR NOT NULL, interval VARCHAR NOT NULL,
    start_date DATE NOT NULL, end_date DATE NOT NULL, status VARCHAR NOT NULL,
    created_at TIMESTAMPTZ NOT NULL, updated_at TIMESTAMPTZ NOT NULL
);
CREATE TABLE IF NOT EXISTS ingest_items (
    job_id VARCHAR NOT NULL, seq INTEGER NOT NULL, symbol VARCHAR NOT NULL, exchange VARCHAR NOT NULL,
    chunk_start DATE NOT NULL, chunk_end DATE NOT NULL, status VARCHAR NOT NULL, rows BIGINT NOT NULL,
    error VARCHAR, PRIMARY KEY (job_id, seq)
);
"""
_COLUMNS = ("ts", "open", "high", "low", "close", "volume", "oi")


class ImportRejected(ValueError):
    """A file that failed validation; `problems` names each bad row (1 = the first data row)."""

    def __init__(self, problems: list[str], total: int) -> None:
        self.problems = problems
        self.total = total
        more = f" (and {total - len(problems)} more)" if total > len(problems) else ""
        super().__init__(f"{total} bad row(s), nothing was loaded: " + "; ".join(problems) + more)


@dataclass(frozen=True, slots=True)
class SeriesInfo:
    symbol: str
    exchange: str
    interval: str
    first: int
    last: int
    count: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "symbol": self.symbol,
            "exchange": self.exchange,
            "interval": self.interval,
            "first": self.first,
            "last": self.last,
            "first_date": ist_date(self.first, self.interval).isoformat(),
            "last_date": ist_date(self.last, self.interval).isoformat(),
            "count": self.count,
        }


def ist_midnight(day: date) -> int:
    """Epoch seconds of 00:00 IST on `day`."""
    return int(datetime(day.year, day.month, day.day, tzinfo=IST_ZONE).timestamp())


def ist_date(ts: int, interval: str) -> date:
    """The IST trading date of a stored bar."""
    if interval in CALENDAR:
        return date(1970, 1, 1) + timedelta(days=ts // DAY)
    return date(1970, 1, 1) + timedelta(days=(ts + IST_OFFSET) // DAY)


def day_bounds(interval: str, start: date, end: date) -> tuple[int, int]:
    """The half-open [low, high) epoch range of bars of `interval` on IST dates start..end."""
    if interval in CALENDAR:
        epoch = date(1970, 1, 1)
        return (start - epoch).days * DAY, ((end - epoch).days + 1) * DAY
    return ist_midnight(start), ist_midnight(end + timedelta(days=1))


def _bucket_sql(interval: str, exchange: str) -> tuple[str, str]:
    """(stored interval to read, SQL for the start of each bar's bucket) for a read interval."""
    if interval in INTRADAY_SECONDS:
        size = INTRADAY_SECONDS[interval]
        offset = SESSION_OPEN.get(exchange, EQUITY_SESSION_OPEN)
        anchor = f"(((ts + {IST_OFFSET}) // {DAY}) * {DAY} - {IST_OFFSET} + {offset})"
        return "1m", f"{anchor} + CAST(floor((ts - {anchor}) / {size}) AS BIGINT) * {size}"
    if interval == "D":
        return "D", "ts"
    if interval == "W":
        # 1970-01-01 was a Thursday, so day number + 3 counts from a Monday.
        return "D", f"(ts // {DAY} - (ts // {DAY} + 3) % 7) * {DAY}"
    return "D", f"CAST(epoch(date_trunc('month', DATE '1970-01-01' + CAST(ts // {DAY} AS INTEGER))) AS BIGINT)"


class HistoryStore:
    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        self._connection: duckdb.DuckDBPyConnection | None = None
        self._opening = threading.Lock()
        self._writing = threading.Lock()  # one writer at a time; readers use their own cursors

    # -- the connection ------------------------------------------------------------------------------

    def _connect(self) -> duckdb.DuckDBPyConnection:
        with self._opening:
            if self._connection is None:
                # Imported on first use: the library and an open database cost about 60 MB and a tenth of
                # a second, which a server whose history store is never used should not pay at start-up.
                import duckdb

                if self.path != ":memory:":
                    Path(self.path).parent.mkdir(parents=True, exist_ok=True)
                connection = duckdb.connect(self.path)
                connection.execute("SET TimeZone = 'Asia/Kolkata'")
                connection.execute(_SCHEMA)
                self._connection = connection
            return self._connection

    @contextmanager
    def cursor(self) -> Iterator[duckdb.DuckDBPyConnection]:
        cursor = self._connect().cursor()
        try:
            cursor.execute("SET TimeZone = 'Asia/Kolkata'")
            yield cursor
        finally:
            cursor.close()

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        with self._writing, self.cursor() as cursor:
            cursor.execute("BEGIN")
            try:
                yield cursor
            except BaseException:
                cursor.execute("ROLLBACK")
                raise
            cursor.execute("COMMIT")

    def is_created(self) -> bool:
        """Whether the store can hold anything yet: it is open, or its file exists (opening creates it)."""
        return self._connection is not None or (self.path != ":memory:" and Path(self.path).exists())

    def close(self) -> None:
        with self._opening:
            if self._connection is not None:
                self._connection.close()
                self._connection = None

    # -- candles -------------------------------------------------------------------------------------

    def upsert(self, symbol: str, exchange: str, interval: str, rows: Sequence[Sequence[float]]) -> int:
        """Store rows of (ts, open, high, low, close, volume, oi); a stored bar with the same ts is replaced."""
        if interval not in STORED_INTERVALS:
            raise ValueError(f"only {', '.join(STORED_INTERVALS)} candles are stored, not {interval!r}")
        if not rows:
            return 0
        table = np.asarray(rows, dtype=np.float64)
        batch = {
            "ts": table[:, 0].astype(np.int64),
            "open": table[:, 1],
            "high": table[:, 2],
            "low": table[:, 3],
            "close": table[:, 4],
            "volume": table[:, 5].astype(np.int64),
            "oi": table[:, 6].astype(np.int64),
        }
        with self.transaction() as cursor:
            self._insert(cursor, symbol, exchange, interval, batch)
        return len(rows)

    @staticmethod
    def _insert(cursor, symbol: str, exchange: str, interval: str, batch: Any) -> None:
        cursor.register("incoming", batch)
        try:
            cursor.execute(
                "INSERT OR REPLACE INTO candles SELECT ?, ?, ?, ts, open, high, low, close, volume, oi "
                "FROM (SELECT DISTINCT ON (ts) * FROM incoming ORDER BY ts)",
                [symbol, exchange, interval],
            )
        finally:
            cursor.unregister("incoming")

    def read(self, symbol: str, exchange: str, interval: str, start: date, end: date) -> list[tuple]:
        """Candles of any readable interval on IST dates start..end, folded from the stored 1m or D bars."""
        if interval not in READABLE_INTERVALS:
            raise ValueError(f"the store serves {', '.join(READABLE_INTERVALS)}, not {interval!r}")
        stored, bucket = _bucket_sql(interval, exchange)
        low, high = day_bounds(stored, start, end)
        where = "symbol = ? AND exchange = ? AND interval = ? AND ts >= ? AND ts < ?"
        params = [symbol, exchange, stored, low, high]
        if interval in ("1m", "D"):
            sql = f"SELECT {', '.join(_COLUMNS)} FROM candles WHERE {where} ORDER BY ts"
        else:
            sql = (
                f"SELECT {bucket} AS bucket, arg_min(open, ts), max(high), min(low), arg_max(close, ts), "
                f"CAST(sum(volume) AS BIGINT), arg_max(oi, ts) FROM candles WHERE {where} "
                "GROUP BY bucket ORDER BY bucket"
            )
        with self.cursor() as cursor:
            # Columns as numpy arrays, then plain Python values: several times faster than fetchall().
            columns = cursor.execute(sql, params).fetchnumpy()
        return list(zip(*(column.tolist() for column in columns.values()), strict=True))

    def catalogue(self, symbol: str | None = None, exchange: str | None = None) -> list[SeriesInfo]:
        """What is stored: first and last bar and the count, per symbol, exchange and stored interval."""
        where, params = [], []
        if symbol:
            where.append("symbol = ?")
            params.append(symbol)
        if exchange:
            where.append("exchange = ?")
            params.append(exchange)
        clause = f"WHERE {' AND '.join(where)}" if where else ""
        with self.cursor() as cursor:
            rows = cursor.execute(
                f"SELECT symbol, exchange, interval, min(ts), max(ts), count(*) FROM candles {clause} "
                "GROUP BY ALL ORDER BY symbol, exchange, interval",
                params,
            ).fetchall()
        return [SeriesInfo(*row) for row in rows]

    def span(self, symbol: str, exchange: str, interval: str) -> tuple[int, int] | None:
        with self.cursor() as cursor:
            found = cursor.execute(
                "SELECT min(ts), max(ts) FROM candles WHERE symbol = ? AND exchange = ? AND interval = ?",
                [symbol, exchange, interval],
            ).fetchone()
        return None if found is None or found[0] is None else (found[0], found[1])

    def delete(self, symbol: str, exchange: str, interval: str | None = None) -> int:
        """Delete a symbol's stored candles (of one stored interval, or all); returns how many rows went."""
        sql, params = "DELETE FROM candles WHERE symbol = ? AND exchange = ?", [symbol, exchange]
        if interval:
            sql += " AND interval = ?"
            params.append(interval)
        with self.transaction() as cursor:
            return cursor.execute(sql, params).fetchone()[0]

    # -- import and export ---------------------------------------------------------------------------

    def export(self, path: str | Path, symbol: str, exchange: str, interval: str, start: date, end: date) -> int:
        """Write one series (any readable interval) to CSV or Parquet, chosen by the file's suffix."""
        stored, bucket = _bucket_sql(interval, exchange)
        low, high = day_bounds(stored, start, end)
        file_format = _file_format(path)
        where = "symbol = $symbol AND exchange = $exchange AND interval = $stored AND ts >= $low AND ts < $high"
        if interval in ("1m", "D"):
            select = (
                f"SELECT ts AS timestamp, open, high, low, close, volume, oi FROM candles WHERE {where} ORDER BY ts"
            )
        else:
            select = (
                f"SELECT {bucket} AS timestamp, arg_min(open, ts) AS open, max(high) AS high, min(low) AS low, "
                "arg_max(close, ts) AS close, CAST(sum(volume) AS BIGINT) AS volume, arg_max(oi, ts) AS oi "
                f"FROM candles WHERE {where} GROUP BY 1 ORDER BY 1"
            )
        params = {"symbol": symbol, "exchange": exchange, "stored": stored, "low": low, "high": high}
        with self.cursor() as cursor:
            count = cursor.execute(f"SELECT count(*) FROM ({select})", params).fetchone()[0]
            options = "FORMAT parquet" if file_format == "parquet" else "FORMAT csv, HEADER"
            cursor.execute(f"COPY ({select}) TO '{_quoted(path)}' ({options})", params)
        return count

    def import_file(self, path: str | Path, symbol: str, exchange: str, interval: str) -> int:
        """Load a CSV or Parquet file of one series; any bad row rejects the whole file, with a report.

        Columns: timestamp (epoch seconds, an ISO date-time read as IST when it has no offset, or a
        date for daily bars), open, high, low, close, volume and optionally oi.
        """
        if interval not in STORED_INTERVALS:
            raise ValueError(f"only {', '.join(STORED_INTERVALS)} candles can be imported, not {interval!r}")
        if not Path(path).is_file():
            raise FileNotFoundError(f"no file at {path}")
        reader = (
            f"read_parquet('{_quoted(path)}')"
            if _file_format(path) == "parquet"
            else f"read_csv('{_quoted(path)}', header = true, all_varchar = true)"
        )
        # One transaction on one cursor: temporary tables belong to their connection, and a rejected
        # file rolls back with nothing loaded.
        with self.transaction() as cursor:
            import duckdb  # loaded by the transaction's connection

            try:
                cursor.execute(f"CREATE OR REPLACE TEMP TABLE raw_import AS SELECT * FROM {reader}")
            except duckdb.Error as e:
                raise ImportRejected([f"the file could not be read: {e}"], 1) from e
            columns = {name.lower(): name for name, *_ in cursor.execute("DESCRIBE raw_import").fetchall()}
            missing = [name for name in ("timestamp", "open", "high", "low", "close", "volume") if name not in columns]
            if missing:
                raise ImportRejected([f"missing column(s): {', '.join(missing)}"], 1)
            cursor.execute(_typed_import_sql(columns, interval))
            problems = cursor.execute(_PROBLEMS_SQL).fetchall()
            total = len(problems)
            if total:
                raise ImportRejected([f"row {row}: {why}" for row, why in problems[:MAX_REPORTED_PROBLEMS]], total)
            count = cursor.execute("SELECT count(*) FROM typed_import").fetchone()[0]
            cursor.execute(
                "INSERT OR REPLACE INTO candles SELECT ?, ?, ?, ts, open, high, low, close, volume, oi "
                "FROM typed_import ORDER BY ts",
                [symbol, exchange, interval],
            )
            cursor.execute("DROP TABLE raw_import; DROP TABLE typed_import")
        return count

    # -- the watchlist -------------------------------------------------------------------------------

    def watch(self, symbol: str, exchange: str) -> None:
        with self.transaction() as cursor:
            cursor.execute("INSERT OR IGNORE INTO watchlist VALUES (?, ?, now())", [symbol, exchange])

    def unwatch(self, symbol: str, exchange: str) -> bool:
        with self.transaction() as cursor:
            return (
                cursor.execute(
                    "DELETE FROM watchlist WHERE symbol = ? AND exchange = ?", [symbol, exchange]
                ).fetchone()[0]
                > 0
            )

    def watchlist(self) -> list[tuple[str, str]]:
        with self.cursor() as cursor:
            return cursor.execute("SELECT symbol, exchange FROM watchlist ORDER BY symbol, exchange").fetchall()


def _file_format(path: str | Path) -> str:
    suffix = Path(path).suffix.lower()
    if suffix not in (".csv", ".parquet"):
        raise ValueError(f"use a .csv or .parquet file, not {Path(path).name!r}")
    return suffix.lstrip(".")


def _quoted(path: str | Path) -> str:
    return str(path).replace("'", "''")


def _typed_import_sql(columns: dict[str, str], interval: str) -> str:
    def text(name: str) -> str:
        return f'trim(CAST("{columns[name]}" AS VARCHAR))'

    stamp = text("timestamp")
    if interval == "D":
        as_time = f"CAST(epoch(TRY_CAST({stamp} AS DATE)) AS BIGINT)"
        aligned = f"(TRY_CAST({stamp} AS BIGINT) // {DAY}) * {DAY}"
    else:
        as_time = f"CAST(epoch(TRY_CAST({stamp} AS TIMESTAMPTZ)) AS BIGINT)"
        aligned = f"TRY_CAST({stamp} AS BIGINT)"
    oi = f"TRY_CAST({text('oi')} AS BIGINT)" if "oi" in columns else "0"
    return f"""
        CREATE OR REPLACE TEMP TABLE typed_import AS
        SELECT row_number() OVER () AS row_number, {stamp} AS raw_timestamp,
               coalesce({aligned}, {as_time}) AS ts,
               TRY_CAST({text("open")} AS DOUBLE) AS open, TRY_CAST({text("high")} AS DOUBLE) AS high,
               TRY_CAST({text("low")} AS DOUBLE) AS low, TRY_CAST({text("close")} AS DOUBLE) AS close,
               TRY_CAST(TRY_CAST({text("volume")} AS DOUBLE) AS BIGINT) AS volume,
               coalesce({oi}, 0) AS oi
        FROM raw_import
    """


_PROBLEMS_SQL = """
    SELECT row_number, CASE
        WHEN ts IS NULL THEN 'timestamp ' || coalesce('''' || raw_timestamp || '''', 'is empty') || ' is not a time'
        WHEN open IS NULL OR high IS NULL OR low IS NULL OR close IS NULL THEN 'open, high, low and close must be numbers'
        WHEN volume IS NULL THEN 'volume must be a number'
        WHEN volume < 0 OR oi < 0 THEN 'volume and oi must not be negative'
        WHEN least(open, high, low, close) <= 0 THEN 'prices must be positive'
        WHEN high < greatest(open, close, low) THEN 'high is below open, low or close'
        WHEN low > least(open, close, high) THEN 'low is above open, high or close'
        WHEN count(*) OVER (PARTITION BY ts) > 1 THEN 'timestamp ' || ts || ' appears more than once'
    END AS why
    FROM typed_import
    QUALIFY why IS NOT NULL
    ORDER BY row_number
"""


# -- ingest jobs ---------------------------------------------------------------------------------
# Jobs and their items live beside the candles, so a job's progress commits with the rows it wrote.

JOB_COLUMNS = ("id", "user_id", "username", "interval", "start_date", "end_date", "status", "created_at", "updated_at")


class IngestJournal:
    """The ingest jobs and their items (one symbol's date chunk each) in the history store."""

    def __init__(self, store: HistoryStore) -> None:
        self._store = store

    def create(self, job: dict[str, Any], items: list[tuple[str, str, date, date]]) -> None:
        with self._store.transaction() as cursor:
            cursor.execute(
                "INSERT INTO ingest_jobs VALUES (?, ?, ?, ?, ?, ?, ?, now(), now())",
                [job[name] for name in JOB_COLUMNS[:7]],
            )
            if items:  # a download with nothing missing is a job of no items; DuckDB refuses an empty executemany
                cursor.executemany(
                    "INSERT INTO ingest_items VALUES (?, ?, ?, ?, ?, ?, 'pending', 0, NULL)",
                    [[job["id"], seq, *item] for seq, item in enumerate(items)],
                )

    def jobs(
        self, *, user_id: int | None = None, statuses: Sequence[str] = (), limit: int = 50
    ) -> list[dict[str, Any]]:
        where, params = [], []
        if user_id is not None:
            where.append("j.user_id = ?")
            params.append(user_id)
        if statuses:
            where.append(f"j.status IN ({', '.join('?' for _ in statuses)})")
            params.extend(statuses)
        clause = f"WHERE {' AND '.join(where)}" if where else ""
        with self._store.cursor() as cursor:
            rows = cursor.execute(
                f"""SELECT j.*, count(i.seq), count(i.seq) FILTER (i.status = 'done'),
                           count(i.seq) FILTER (i.status = 'failed'), coalesce(sum(i.rows), 0)
                    FROM ingest_jobs j LEFT JOIN ingest_items i ON i.job_id = j.id {clause}
                    GROUP BY ALL ORDER BY j.created_at DESC, j.id LIMIT {int(limit)}""",
                params,
            ).fetchall()
        return [dict(zip((*JOB_COLUMNS, "items", "done", "failed", "rows"), row, strict=True)) for row in rows]

    def job(self, job_id: str) -> dict[str, Any] | None:
        with self._store.cursor() as cursor:
            found = cursor.execute("SELECT * FROM ingest_jobs WHERE id = ?", [job_id]).fetchone()
        if found is None:
            return None
        return next(job for job in self.jobs(limit=1_000_000) if job["id"] == job_id)

    def items(self, job_id: str, *, status: str | None = None) -> list[dict[str, Any]]:
        sql, params = "SELECT * FROM ingest_items WHERE job_id = ?", [job_id]
        if status:
            sql += " AND status = ?"
            params.append(status)
        with self._store.cursor() as cursor:
            rows = cursor.execute(sql + " ORDER BY seq", params).fetchall()
        names = ("job_id", "seq", "symbol", "exchange", "chunk_start", "chunk_end", "status", "rows", "error")
        return [dict(zip(names, row, strict=True)) for row in rows]

    def set_status(self, job_id: str, status: str) -> None:
        with self._store.transaction() as cursor:
            cursor.execute("UPDATE ingest_jobs SET status = ?, updated_at = now() WHERE id = ?", [status, job_id])

    def retry_failed(self, job_id: str) -> int:
        with self._store.transaction() as cursor:
            return cursor.execute(
                "UPDATE ingest_items SET status = 'pending', error = NULL WHERE job_id = ? AND status = 'failed'",
                [job_id],
            ).fetchone()[0]

    def complete_item(self, item: dict[str, Any], interval: str, rows: Sequence[Sequence[float]]) -> int:
        """Store one item's candles and mark it done in the same transaction, so a crash keeps both or neither."""
        with self._store.transaction() as cursor:
            if rows:
                table = np.asarray(rows, dtype=np.float64)
                batch = {
                    "ts": table[:, 0].astype(np.int64),
                    "open": table[:, 1],
                    "high": table[:, 2],
                    "low": table[:, 3],
                    "close": table[:, 4],
                    "volume": table[:, 5].astype(np.int64),
                    "oi": table[:, 6].astype(np.int64),
                }
                HistoryStore._insert(cursor, item["symbol"], item["exchange"], interval, batch)
            cursor.execute(
                "UPDATE ingest_items SET status = 'done', rows = ?, error = NULL WHERE job_id = ? AND seq = ?",
                [len(rows), item["job_id"], item["seq"]],
            )
            cursor.execute("UPDATE ingest_jobs SET updated_at = now() WHERE id = ?", [item["job_id"]])
        return len(rows)

    def fail_item(self, item: dict[str, Any], error: str) -> None:
        with self._store.transaction() as cursor:
            cursor.execute(
                "UPDATE ingest_items SET status = 'failed', error = ? WHERE job_id = ? AND seq = ?",
                [error[:500], item["job_id"], item["seq"]],
            )
