"""Historify: fill the DuckDB history store from the user's broker and serve `history` from it.

A download is a job of items, one symbol's date chunk each, kept in the store itself: an item's
candles and its `done` mark commit together, so a job killed at any point resumes where it stopped
and never writes a row twice. Items run one after another through the plugin's own `history`, whose
client already paces calls inside the broker's declared rate limits. Scheduled refreshes are jobs of
the shared scheduler that download what is missing for the watchlist.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

from gateway.accounts import Principal
from gateway.routing import BrokerRouter
from gateway.scheduler import Scheduler
from generated.api import Candle, HistoryRequest
from generated.errors import BrokergateError, HistoryNotStored, NotFound, NotSupported, ValidationFailed
from sandbox.market import IST
from storage.history import (
    READABLE_INTERVALS,
    STORED_INTERVALS,
    HistoryStore,
    IngestJournal,
    ist_date,
)

log = logging.getLogger(__name__)

# Days per broker call: brokers cap minute history per request (Kite at 60 days), daily at years.
CHUNK_DAYS = {"1m": 30, "D": 365}
# Indian exchanges' electronic history starts in the 1990s; a download reaches back at most this far
# and spans at most this many days, so one request can never plan an unbounded job.
EARLIEST_DAY = date(1990, 1, 1)
MAX_SPAN_DAYS = {"1m": 10 * 366, "D": 40 * 366}
REFRESH_TASK = "historify.refresh"
CANDLE_FIELDS = tuple(Candle.model_fields)  # timestamp, open, high, low, close, volume, oi
REFRESH_LOOKBACK_DAYS = 30  # a watched symbol with nothing stored yet starts this far back
ACTIVE = ("queued", "running")
Clock = Callable[[], datetime]


def _now() -> datetime:
    return datetime.now(IST)


def chunks(start: date, end: date, days: int) -> list[tuple[date, date]]:
    """Split start..end (inclusive) into consecutive ranges of at most `days` days."""
    ranges, first = [], start
    while first <= end:
        last = min(end, first + timedelta(days=days - 1))
        ranges.append((first, last))
        first = last + timedelta(days=1)
    return ranges


def stored_interval_for(interval: str) -> str:
    return "1m" if interval not in ("D", "W", "M") else "D"


class Historify:
    def __init__(self, store: HistoryStore, router: BrokerRouter, scheduler: Scheduler, *, clock: Clock = _now) -> None:
        self.store = store
        self.journal = IngestJournal(store)
        self._router = router
        self._scheduler = scheduler
        self._clock = clock
        self._runners: dict[str, asyncio.Task] = {}
        scheduler.task(REFRESH_TASK)(self.refresh)

    def today(self) -> date:
        return self._clock().astimezone(IST).date()

    # -- reading -------------------------------------------------------------------------------------

    async def history(self, request: HistoryRequest) -> list[dict[str, Any]]:
        """Candles from the store in the broker path's wire shape; an empty range says what to download.

        They are plain dicts, not `Candle` models: building a model per bar would cost more than the
        DuckDB query itself for a year of 5-minute bars.
        """
        interval = str(request.interval)
        if interval not in READABLE_INTERVALS:
            raise NotSupported(
                f"The history store serves {', '.join(READABLE_INTERVALS)}, not {interval}",
                errors={"interval": [f"Must be one of: {', '.join(READABLE_INTERVALS)}."]},
            )
        start, end = request.start_date, request.end_date
        if start > end:
            raise ValidationFailed(
                "start_date is after end_date", errors={"start_date": ["Must not be after end_date."]}
            )
        exchange = str(request.exchange)
        rows = await asyncio.to_thread(self.store.read, request.symbol, exchange, interval, start, end)
        if not rows:
            stored = stored_interval_for(interval)
            raise HistoryNotStored(
                f"No {stored} candles of {request.symbol} on {exchange} from {start} to {end} are stored; "
                f"download them first (POST /api/v1/historify/download or `brokergate history download "
                f"{request.symbol} --exchange {exchange} --interval {stored} --from {start} --to {end}`)",
                symbol=request.symbol,
                exchange=exchange,
                interval=stored,
            )
        return [dict(zip(CANDLE_FIELDS, row, strict=True)) for row in rows]

    async def catalogue(self, symbol: str | None = None, exchange: str | None = None) -> list[dict[str, Any]]:
        return [info.as_dict() for info in await asyncio.to_thread(self.store.catalogue, symbol, exchange)]

    async def delete(self, symbol: str, exchange: str, interval: str | None = None) -> int:
        return await asyncio.to_thread(self.store.delete, symbol, exchange, interval)

    # -- jobs ----------------------------------------------------------------------------------------

    def plan(
        self, symbols: list[tuple[str, str]], interval: str, start: date, end: date, *, incremental: bool = True
    ) -> list[tuple[str, str, date, date]]:
        """The items a download needs: each symbol's range in chunks, minus what is stored when incremental."""
        if interval not in STORED_INTERVALS:
            raise ValidationFailed(
                f"downloads store {' or '.join(STORED_INTERVALS)} candles, not {interval}; other intervals are "
                "folded from them when read",
                errors={"interval": [f"Must be one of: {', '.join(STORED_INTERVALS)}."]},
            )
        end = min(end, self.today())
        if start > end:
            raise ValidationFailed(
                "start_date is after end_date (or after today)", errors={"start_date": ["Must not be after end_date."]}
            )
        if start < EARLIEST_DAY or (end - start).days > MAX_SPAN_DAYS[interval]:
            message = (
                f"a {interval} download starts on or after {EARLIEST_DAY.isoformat()} and spans at most "
                f"{MAX_SPAN_DAYS[interval]} days"
            )
            raise ValidationFailed(message, errors={"start_date": [message]})
        items: list[tuple[str, str, date, date]] = []
        for symbol, exchange in dict.fromkeys(symbols):
            for first, last in self._missing(symbol, exchange, interval, start, end, incremental):
                items.extend((symbol, exchange, a, b) for a, b in chunks(first, last, CHUNK_DAYS[interval]))
        return items

    def _missing(
        self, symbol: str, exchange: str, interval: str, start: date, end: date, incremental: bool
    ) -> list[tuple[date, date]]:
        span = self.store.span(symbol, exchange, interval) if incremental else None
        if span is None:
            return [(start, end)]
        first, last = ist_date(span[0], interval), ist_date(span[1], interval)
        ranges = []
        if start < first:
            ranges.append((start, min(end, first - timedelta(days=1))))
        # The last stored day may be incomplete (today, or a crash mid-day), so it is fetched again.
        if end >= last:
            ranges.append((max(start, last), end))
        return ranges

    async def download(
        self,
        user: Principal,
        symbols: list[tuple[str, str]],
        interval: str,
        start: date,
        end: date,
        *,
        incremental: bool = True,
        run: bool = True,
    ) -> dict[str, Any]:
        """Create a download job (and start it in the background unless `run` is false)."""
        if not symbols:
            raise ValidationFailed("name at least one symbol", errors={"symbols": ["Must not be empty."]})
        items = await asyncio.to_thread(self.plan, symbols, interval, start, end, incremental=incremental)
        job = {
            "id": secrets.token_hex(6),
            "user_id": user.user_id,
            "username": user.username,
            "interval": interval,
            "start_date": start,
            "end_date": min(end, self.today()),
            "status": "queued" if items else "done",
        }
        await asyncio.to_thread(self.journal.create, job, items)
        if run and items:
            self.start(job["id"])
        return await self.job(job["id"])

    async def job(self, job_id: str, user: Principal | None = None) -> dict[str, Any]:
        found = await asyncio.to_thread(self.journal.job, job_id)
        if found is None or (user is not None and found["user_id"] != user.user_id):
            raise NotFound(f"no history job {job_id!r}")
        return _public(found)

    async def jobs(self, user: Principal | None = None) -> list[dict[str, Any]]:
        found = await asyncio.to_thread(self.journal.jobs, user_id=user.user_id if user else None)
        return [_public(job) for job in found]

    async def control(self, job_id: str, action: str, user: Principal | None = None) -> dict[str, Any]:
        """Pause, resume, cancel, or retry the failed items of a job."""
        job = await self.job(job_id, user)
        status = job["status"]
        if action == "pause" and status in ACTIVE:
            await asyncio.to_thread(self.journal.set_status, job_id, "paused")
        elif action == "cancel" and status not in ("done", "cancelled"):
            await asyncio.to_thread(self.journal.set_status, job_id, "cancelled")
        elif action == "resume" and status in ("paused", "queued", "running"):
            await asyncio.to_thread(self.journal.set_status, job_id, "queued")
            self.start(job_id)
        elif action == "retry" and status in ("failed", "done", "paused"):
            await asyncio.to_thread(self.journal.retry_failed, job_id)
            await asyncio.to_thread(self.journal.set_status, job_id, "queued")
            self.start(job_id)
        elif action not in ("pause", "cancel", "resume", "retry"):
            raise ValidationFailed(f"unknown action {action!r}", errors={"action": ["pause, resume, cancel or retry."]})
        else:
            raise ValidationFailed(
                f"a {status} job cannot {action}", errors={"action": [f"Not allowed while {status}."]}
            )
        return await self.job(job_id)

    def start(self, job_id: str) -> asyncio.Task:
        """Run the job in the background (once: a job already running keeps its runner)."""
        running = self._runners.get(job_id)
        if running is not None and not running.done():
            return running
        task = asyncio.get_running_loop().create_task(self.run(job_id), name=f"historify:{job_id}")
        self._runners[job_id] = task
        task.add_done_callback(lambda _: self._runners.pop(job_id, None))
        return task

    async def wait(self, job_id: str) -> dict[str, Any]:
        """Wait for the job's background runner, if one is running, and return the job."""
        running = self._runners.get(job_id)
        if running is not None:
            await running
        return await self.job(job_id)

    async def resume_interrupted(self) -> list[str]:
        """Restart every job that was queued or running when the process stopped."""
        if not self.store.is_created():  # no history file, so no job; opening it costs 60 MB
            return []
        found = await asyncio.to_thread(self.journal.jobs, statuses=ACTIVE, limit=1000)
        for job in found:
            self.start(job["id"])
        return [job["id"] for job in found]

    async def stop(self) -> None:
        for task in list(self._runners.values()):
            task.cancel()
        await asyncio.gather(*self._runners.values(), return_exceptions=True)

    async def run(self, job_id: str, progress: Callable[[dict[str, Any]], None] | None = None) -> dict[str, Any]:
        """Download a job's pending items in order; pause or cancel take effect between items."""
        job = await asyncio.to_thread(self.journal.job, job_id)
        if job is None:
            raise NotFound(f"no history job {job_id!r}")
        await asyncio.to_thread(self.journal.set_status, job_id, "running")
        user = Principal(job["user_id"], job["username"])
        for item in await asyncio.to_thread(self.journal.items, job_id, status="pending"):
            current = await asyncio.to_thread(self.journal.job, job_id)
            if current["status"] != "running":
                return _public(current)
            try:
                rows = await self._fetch(user, item, job["interval"])
            except BrokergateError as e:
                log.warning(
                    "history job %s: %s %s %s..%s failed: %s",
                    job_id,
                    item["symbol"],
                    item["exchange"],
                    item["chunk_start"],
                    item["chunk_end"],
                    e.message,
                )
                await asyncio.to_thread(self.journal.fail_item, item, f"{e.code}: {e.message}")
            else:
                await asyncio.to_thread(self.journal.complete_item, item, job["interval"], rows)
            if progress is not None:
                progress(_public(await asyncio.to_thread(self.journal.job, job_id)))
        finished = await asyncio.to_thread(self.journal.job, job_id)
        if finished["status"] == "running":
            final = "failed" if finished["failed"] else "done"
            await asyncio.to_thread(self.journal.set_status, job_id, final)
        return await self.job(job_id)

    async def _fetch(self, user: Principal, item: dict[str, Any], interval: str) -> list[tuple]:
        route = self._router.route(user)
        request = HistoryRequest(
            symbol=item["symbol"],
            exchange=item["exchange"],
            interval=interval,
            start_date=item["chunk_start"],
            end_date=item["chunk_end"],
        )
        candles = await route.plugin.history(route.account(user.user_id), request)
        return [(c.timestamp, c.open, c.high, c.low, c.close, c.volume, c.oi) for c in candles]

    # -- the watchlist and scheduled refreshes -------------------------------------------------------

    async def watch(self, symbols: list[tuple[str, str]]) -> list[tuple[str, str]]:
        for symbol, exchange in symbols:
            await asyncio.to_thread(self.store.watch, symbol, exchange)
        return await asyncio.to_thread(self.store.watchlist)

    async def unwatch(self, symbols: list[tuple[str, str]]) -> list[tuple[str, str]]:
        for symbol, exchange in symbols:
            await asyncio.to_thread(self.store.unwatch, symbol, exchange)
        return await asyncio.to_thread(self.store.watchlist)

    async def watchlist(self) -> list[tuple[str, str]]:
        return await asyncio.to_thread(self.store.watchlist)

    def schedule_refresh(self, user: Principal, interval: str, hour: int, minute: int) -> dict[str, Any]:
        """Refresh the watchlist's `interval` candles every weekday at hour:minute IST."""
        if interval not in STORED_INTERVALS:
            raise ValidationFailed(
                f"refreshes store 1m or D candles, not {interval}", errors={"interval": ["1m or D."]}
            )
        if not (0 <= hour < 24 and 0 <= minute < 60):
            raise ValidationFailed("hour must be 0-23 and minute 0-59", errors={"hour": ["0-23."], "minute": ["0-59."]})
        job_id = _refresh_job_id(user, interval)
        self._scheduler.daily(
            job_id, REFRESH_TASK, hour, minute, user_id=user.user_id, username=user.username, interval=interval
        )
        return {"id": job_id, "interval": interval, "next_run": self._next_run(job_id)}

    def unschedule_refresh(self, user: Principal, interval: str) -> bool:
        return self._scheduler.cancel(_refresh_job_id(user, interval))

    def schedules(self, user: Principal) -> list[dict[str, Any]]:
        found = []
        for interval in STORED_INTERVALS:
            job_id = _refresh_job_id(user, interval)
            if job_id in self._scheduler.job_ids():
                found.append({"id": job_id, "interval": interval, "next_run": self._next_run(job_id)})
        return found

    def _next_run(self, job_id: str) -> str | None:
        return _iso(self._scheduler.next_run(job_id))

    async def refresh(self, user_id: int, username: str, interval: str) -> dict[str, Any] | None:
        """The scheduled task: download what is missing for every watched symbol, up to today."""
        watched = await asyncio.to_thread(self.store.watchlist)
        if not watched:
            return None
        start = self.today() - timedelta(days=REFRESH_LOOKBACK_DAYS)
        job = await self.download(Principal(user_id, username), watched, interval, start, self.today(), run=False)
        return await self.run(job["job_id"]) if job["status"] == "queued" else job


def _refresh_job_id(user: Principal, interval: str) -> str:
    return f"historify-refresh:{user.user_id}:{interval}"


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _public(job: dict[str, Any]) -> dict[str, Any]:
    return {
        "job_id": job["id"],
        "interval": job["interval"],
        "start_date": job["start_date"].isoformat(),
        "end_date": job["end_date"].isoformat(),
        "status": job["status"],
        "items": job["items"],
        "done": job["done"],
        "failed": job["failed"],
        "rows": int(job["rows"]),
        "created_at": job["created_at"].isoformat(),
        "updated_at": job["updated_at"].isoformat(),
    }
