"""The one scheduler for everything that runs on time: square-offs, ingest jobs, retries, reports.

APScheduler keeps jobs in the gateway's own database, so a schedule survives a restart, and a job
whose time passed while the server was down runs once at start (coalesced, within its grace time).
A stored job names a task by a short string and carries plain keyword arguments; the code that runs
it is registered at start-up with `@scheduler.task(name)`, so no pickled function outlives a deploy.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from apscheduler.jobstores.base import JobLookupError
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.date import DateTrigger
from sqlalchemy import Engine

from sandbox.market import IST

log = logging.getLogger(__name__)

Task = Callable[..., Awaitable[Any] | Any]
JOBS_TABLE = "scheduled_jobs"
_schedulers: dict[str, Scheduler] = {}  # scheduler name -> the live one, for stored jobs to find their task


async def _dispatch(scheduler: str, task: str, kwargs: dict[str, Any]) -> None:
    """What every stored job calls: look the task up by name at run time and run it."""
    owner = _schedulers.get(scheduler)
    if owner is None:
        log.warning("job for task %s ran with no live scheduler %s", task, scheduler)
        return
    await owner.run(task, **kwargs)


_CRON_DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")


def _cron_weekdays(field: str) -> str:
    """A crontab weekday field (0 or 7 = Sunday, 1 = Monday, names too) in APScheduler's terms.

    APScheduler numbers weekdays from Monday = 0, so handing it "1-5" as written would fire Tuesday
    to Saturday. The days are expanded and passed by name, which both read the same way.
    """
    days: set[int] = set()
    for part in field.lower().split(","):
        span, _, step_text = part.partition("/")
        step = int(step_text) if step_text else 1
        if step < 1:
            raise ValueError(f"the weekday step in {part!r} must be at least 1")
        if span == "*":
            first, last = 0, 6
        else:
            low, _, high = span.partition("-")
            first = _CRON_DAYS.index(low) if low in _CRON_DAYS else int(low)
            last = (_CRON_DAYS.index(high) if high in _CRON_DAYS else int(high)) if high else first
            if step_text and not high:
                last = 6
        if not 0 <= first <= last <= 7:
            raise ValueError(f"the weekday range {part!r} is not within 0-7")
        days.update(day % 7 for day in range(first, last + 1, step))
    return ",".join(_CRON_DAYS[day] for day in sorted(days))


def crontab(expression: str, *, timezone=IST) -> CronTrigger:
    """A trigger from a five-field crontab line (minute hour day month weekday), read as cron reads it."""
    fields = expression.split()
    if len(fields) != 5:
        raise ValueError(f"{expression!r} must have five fields (minute hour day month weekday)")
    minute, hour, day, month, weekday = fields
    return CronTrigger(
        minute=minute, hour=hour, day=day, month=month, day_of_week=_cron_weekdays(weekday), timezone=timezone
    )


class _SharedEngineJobStore(SQLAlchemyJobStore):
    def shutdown(self) -> None:  # the engine is the gateway's, not the store's to dispose
        pass


class Scheduler:
    def __init__(self, engine: Engine, *, name: str = "gateway", grace_seconds: int = 6 * 3600) -> None:
        self.name = name
        self._tasks: dict[str, Task] = {}
        self._engine = engine
        self._grace = grace_seconds
        self._scheduler = self._fresh()

    def _fresh(self) -> AsyncIOScheduler:
        return AsyncIOScheduler(
            jobstores={"default": _SharedEngineJobStore(engine=self._engine, tablename=JOBS_TABLE)},
            job_defaults={"coalesce": True, "misfire_grace_time": self._grace, "max_instances": 1},
            timezone=IST,
        )

    def task(self, name: str) -> Callable[[Task], Task]:
        """Register the code behind a task name; stored jobs call it by that name."""

        def register(function: Task) -> Task:
            self._tasks[name] = function
            return function

        return register

    async def run(self, task: str, **kwargs: Any) -> Any:
        function = self._tasks.get(task)
        if function is None:
            log.warning("no task registered as %s", task)
            return None
        result = function(**kwargs)
        if isinstance(result, Awaitable):
            result = await result
        return result

    def schedule(
        self, job_id: str, task: str, trigger: BaseTrigger, *, grace_seconds: int | None = None, **kwargs: Any
    ) -> None:
        """Add or replace the job `job_id`: run `task(**kwargs)` on `trigger` (times in IST).

        `grace_seconds` overrides how late a missed run may still start (e.g. short, to skip missed runs).
        """
        options = {} if grace_seconds is None else {"misfire_grace_time": grace_seconds}
        self._scheduler.add_job(
            _dispatch,
            trigger,
            args=(self.name, task, kwargs),
            id=job_id,
            name=task,
            replace_existing=True,
            **options,
        )

    def daily(
        self, job_id: str, task: str, hour: int, minute: int, *, weekdays: str = "mon-fri", **kwargs: Any
    ) -> None:
        self.schedule(job_id, task, CronTrigger(day_of_week=weekdays, hour=hour, minute=minute, timezone=IST), **kwargs)

    def once(self, job_id: str, task: str, at: datetime, **kwargs: Any) -> None:
        self.schedule(job_id, task, DateTrigger(run_date=at, timezone=IST), **kwargs)

    def cancel(self, job_id: str) -> bool:
        try:
            self._scheduler.remove_job(job_id)
        except JobLookupError:
            return False
        return True

    def next_run(self, job_id: str) -> datetime | None:
        """When `job_id` runs next; None for no such job, or before start (APScheduler computes it then)."""
        job = self._scheduler.get_job(job_id)
        return getattr(job, "next_run_time", None)

    def job_ids(self) -> list[str]:
        return sorted(job.id for job in self._scheduler.get_jobs())

    @property
    def running(self) -> bool:
        return self._scheduler.running

    def start(self, *, paused: bool = False) -> None:
        """Start in the running event loop; jobs missed while the server was down run now.

        Paused, it stores and edits jobs but runs none: a CLI command edits schedules that way and
        leaves the missed jobs to the server.
        """
        _schedulers[self.name] = self
        if not self._scheduler.running:
            self._scheduler.start(paused=paused)

    def stop(self) -> None:
        """Stop now, in this loop; a fresh scheduler waits for the next start (a test client may restart the app)."""
        if self._scheduler.running:
            # AsyncIOScheduler.shutdown only queues itself on the loop, which may close first.
            BaseScheduler.shutdown(self._scheduler, wait=False)
            self._scheduler._stop_timer()
        self._scheduler = self._fresh()
        if _schedulers.get(self.name) is self:
            del _schedulers[self.name]
