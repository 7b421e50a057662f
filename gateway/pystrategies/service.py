"""Python strategies for their owners: add, edit, start, stop, schedule, read logs, remove.

The console, the CLI and the schedule all come through here. Each change is checked (name, script,
schedule), counted against the user's rate limit, written to the database, and handed to the
supervisor. A schedule is two jobs on the shared scheduler (start and stop, on chosen weekdays, IST);
a start on a market holiday is skipped and says so, and both jobs check the window when they run,
so a job that fires late after a restart neither starts a script after its stop time nor stops one
inside its window.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from limits import parse_many
from sqlalchemy import Engine

from gateway.accounts import Accounts
from gateway.pystrategies.process import end_orphan
from gateway.pystrategies.scripts import ScriptFolder, check_name, check_source, default_folder
from gateway.pystrategies.store import StrategyStore
from gateway.pystrategies.supervisor import RUNNING, STOPPED, Supervisor, SupervisorConfig, server_is_running
from gateway.scheduler import Scheduler
from gateway.settings import Settings
from generated.errors import RateLimited, ValidationFailed
from sandbox.market import IST
from storage import PythonStrategy, User, session_scope

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_FULL_DAYS = {"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"}
_TIME = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
MAX_STRATEGIES_PER_USER = 50
START_TASK, STOP_TASK = "pystrategies.start", "pystrategies.stop"


def _job(strategy_id: int, which: str) -> str:
    return f"pystrategy-{strategy_id}-{which}"


def parse_days(value: object) -> list[str]:
    """Weekdays as `mon,tue` (or a list of them), in week order; a 400 naming `days` otherwise."""
    items = value if isinstance(value, list | tuple) else [value or ""]
    names = [name for item in items for name in str(item).replace(" ", ",").split(",")]
    days = {name.strip().lower() for name in names if name.strip()}
    days = {day[:3] if day in _FULL_DAYS else day for day in days}
    if not days or not days <= set(DAYS):
        message = "days must be one or more of " + ", ".join(DAYS)
        raise ValidationFailed(message, errors={"days": [message]})
    return [day for day in DAYS if day in days]


def parse_time(value: object, field: str) -> str:
    text = str(value or "").strip()
    if not _TIME.match(text):
        message = f"{field} must be an IST time as HH:MM, not {text[:16]!r}"
        raise ValidationFailed(message, errors={field: [message]})
    return text


def in_window(row: PythonStrategy, now: datetime) -> bool:
    """Whether `now` (IST) is inside the strategy's scheduled window on a scheduled weekday."""
    if not row.schedule_days or not row.schedule_start or not row.schedule_stop:
        return False
    now = now.astimezone(IST)
    clock = now.strftime("%H:%M")
    return DAYS[now.weekday()] in row.schedule_days.split(",") and row.schedule_start <= clock < row.schedule_stop


class _UserLimit:
    """Moving windows per user for changes (PYTHON_STRATEGY_RATE_LIMIT), beside the per-address API limit."""

    def __init__(self, spec: str) -> None:
        from gateway.ratelimit import MovingWindows  # here: gateway.ratelimit imports the services that build this

        self._windows = [(window, window.amount, window.get_expiry()) for window in parse_many(spec)]
        self._counters = MovingWindows()

    def hit(self, user_id: int) -> None:
        for window, amount, seconds in self._windows:
            if retry := self._counters.hit(amount, seconds, (seconds, amount, "pystrategies", user_id)):
                raise RateLimited(
                    f"Too many Python strategy changes: {window.amount} per {window.multiples} "
                    f"{window.GRANULARITY.name}; retry in {retry:.1f} s",
                    retry_after=round(max(retry, 0.001), 3),
                )


class PythonStrategies:
    def __init__(
        self,
        engine: Engine,
        accounts: Accounts,
        settings: Settings,
        calendar: Any,
        scheduler: Scheduler,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(IST),
    ) -> None:
        self._engine = engine
        self.accounts = accounts
        self.calendar = calendar
        self.scheduler = scheduler
        self._clock = clock
        root = Path(settings.python_strategies_dir) if settings.python_strategies_dir else None
        self.folder = ScriptFolder(root or default_folder(settings.database_url))
        self.store = StrategyStore(engine)
        self.supervisor = Supervisor(self.store, self.folder, accounts, SupervisorConfig.from_settings(settings))
        self.max_script_bytes = settings.python_strategy_max_script_kb * 1024
        self.max_running = settings.python_strategy_max_running
        self._limit = _UserLimit(settings.python_strategy_rate_limit)
        # Registered at build time: a job missed while the server was down may run the moment the scheduler starts.
        scheduler.task(START_TASK)(self.scheduled_start)
        scheduler.task(STOP_TASK)(self.scheduled_stop)

    # -- the server's side ---------------------------------------------------------------------------

    async def start(self) -> None:
        await self.supervisor.start()

    async def stop(self) -> None:
        await self.supervisor.stop()

    def server_is_running(self) -> bool:
        return self.supervisor.is_active or server_is_running(self.folder)

    # -- reading -------------------------------------------------------------------------------------

    def list(self, user_id: int) -> list[dict]:
        return [self.describe(row) for row in self.store.for_user(user_id)]

    def get(self, user_id: int, ref: int | str) -> dict:
        return self.describe(self.store.get(user_id, ref))

    def source(self, user_id: int, ref: int | str) -> str:
        return self.folder.read(self.store.get(user_id, ref).id)

    def logs(self, user_id: int, ref: int | str, lines: int = 200) -> list[str]:
        return self.folder.tail(self.store.get(user_id, ref).id, max(0, min(int(lines), 2000)))

    def describe(self, row: PythonStrategy) -> dict:
        schedule = None
        if row.schedule_days:
            schedule = {"days": row.schedule_days.split(","), "start": row.schedule_start, "stop": row.schedule_stop}
            next_start = self.scheduler.next_run(_job(row.id, "start"))
            schedule["next_start"] = next_start.astimezone(IST).isoformat() if next_start else None

        def stamp(moment: datetime | None) -> str | None:
            return moment.astimezone(IST).isoformat(timespec="seconds") if moment else None

        return {
            "id": row.id,
            "name": row.name,
            "status": row.status,
            "desired_state": row.desired_state,
            "pid": row.pid,
            "exit_code": row.exit_code,
            "message": row.message,
            "schedule": schedule,
            "started_at": stamp(row.started_at),
            "stopped_at": stamp(row.stopped_at),
            "created_at": stamp(row.created_at),
            "updated_at": stamp(row.updated_at),
        }

    # -- changes -------------------------------------------------------------------------------------

    async def add(self, user_id: int, name: object, source: bytes | str) -> dict:
        """Store a new script with its own API key (stopped until started)."""
        name = check_name(name)
        text = check_source(source, max_bytes=self.max_script_bytes, filename=f"{name}.py")
        self._limit.hit(user_id)
        if self.store.count(user_id) >= MAX_STRATEGIES_PER_USER:
            raise ValidationFailed(f"You have {MAX_STRATEGIES_PER_USER} Python strategies; remove one first")
        key_id, _ = self.accounts.issue_api_key(user_id)
        try:
            row = self.store.create(user_id, name, key_id)
        except ValidationFailed:
            self._revoke_key(user_id, key_id)
            raise
        self.folder.write(row.id, text)
        return self.describe(row)

    async def edit(
        self, user_id: int, ref: int | str, *, source: bytes | str | None = None, name: object = None
    ) -> dict:
        """Replace the script or rename it; a running script keeps its old text until it starts again."""
        row = self.store.get(user_id, ref)
        new_name = check_name(name) if name is not None else None
        text = check_source(source, max_bytes=self.max_script_bytes) if source is not None else None
        self._limit.hit(user_id)
        if new_name is not None and new_name != row.name:
            row = self.store.update(row.id, name=new_name)
        if text is not None:
            self.folder.write(row.id, text)
            row = self.store.update(row.id)  # touches updated_at
        return self.describe(row)

    async def start_strategy(self, user_id: int, ref: int | str) -> dict:
        row = self.store.get(user_id, ref)
        self._limit.hit(user_id)
        if row.desired_state != RUNNING:
            if self.store.count(user_id, desired_state=RUNNING) >= self.max_running:
                message = f"At most {self.max_running} of your Python strategies may run at once; stop one first"
                raise ValidationFailed(message)
            self.store.update(row.id, desired_state=RUNNING)
        return await self._settled(row.id)

    async def stop_strategy(self, user_id: int, ref: int | str) -> dict:
        row = self.store.get(user_id, ref)
        self._limit.hit(user_id)
        self.store.update(row.id, desired_state=STOPPED)
        return await self._settled(row.id)

    async def remove(self, user_id: int, ref: int | str) -> dict:
        """Stop the script, revoke its API key, drop its schedule, its row and its files."""
        row = self.store.get(user_id, ref)
        self._limit.hit(user_id)
        if row.status == RUNNING or row.desired_state == RUNNING:
            self.store.update(row.id, desired_state=STOPPED)
            await self._settled(row.id)
            row = self.store.find(row.id) or row
        if row.pid is not None and not self.server_is_running():  # left behind by a server that died
            await end_orphan(row.pid, row.process_start, self.supervisor.config.stop_seconds)
        self._unschedule(row.id)
        self.store.delete(row.id)
        if row.api_key_id:
            self._revoke_key(user_id, row.api_key_id)
        self.folder.remove(row.id)
        return {"id": row.id, "name": row.name, "removed": True}

    async def schedule(self, user_id: int, ref: int | str, days: object, start: object, stop: object) -> dict:
        """Start on `days` at `start` and stop at `stop` (IST, same day), skipping market holidays."""
        row = self.store.get(user_id, ref)
        chosen, opens, closes = parse_days(days), parse_time(start, "start"), parse_time(stop, "stop")
        if closes <= opens:
            message = f"stop ({closes}) must be after start ({opens}) on the same day"
            raise ValidationFailed(message, errors={"stop": [message]})
        self._limit.hit(user_id)
        weekdays = ",".join(chosen)
        for which, at, task in (("start", opens, START_TASK), ("stop", closes, STOP_TASK)):
            hour, minute = (int(part) for part in at.split(":"))
            self.scheduler.daily(_job(row.id, which), task, hour, minute, weekdays=weekdays, strategy_id=row.id)
        row = self.store.update(row.id, schedule_days=weekdays, schedule_start=opens, schedule_stop=closes)
        return self.describe(row)

    async def unschedule(self, user_id: int, ref: int | str) -> dict:
        row = self.store.get(user_id, ref)
        self._limit.hit(user_id)
        self._unschedule(row.id)
        return self.describe(self.store.update(row.id, schedule_days="", schedule_start=None, schedule_stop=None))

    def _unschedule(self, strategy_id: int) -> None:
        for which in ("start", "stop"):
            self.scheduler.cancel(_job(strategy_id, which))

    def _revoke_key(self, user_id: int, key_id: int) -> None:
        with session_scope(self._engine) as session:
            username = session.get(User, user_id).username
        self.accounts.revoke_api_keys(username, key_id)

    async def _settled(self, strategy_id: int, timeout: float = 0.0) -> dict:
        """The row after the supervisor acted: at once in the server; from the CLI, after waiting for the server."""
        if self.supervisor.is_active:
            await self.supervisor.settle()
        elif server_is_running(self.folder):
            deadline = time.monotonic() + (timeout or self.supervisor.config.stop_seconds + 10)
            while time.monotonic() < deadline:
                row = self.store.find(strategy_id)
                if row is None or (row.desired_state == RUNNING) == (row.status == RUNNING):
                    break
                await asyncio.sleep(0.2)
        row = self.store.find(strategy_id)
        return self.describe(row) if row is not None else {"id": strategy_id}

    # -- the schedule's jobs -------------------------------------------------------------------------

    async def scheduled_start(self, strategy_id: int) -> None:
        row = self.store.find(strategy_id)
        now = self._clock()
        if row is None or not in_window(row, now):
            return  # deleted, unscheduled, or a late run after the stop time
        if (holiday := self.calendar.holiday(now.astimezone(IST).date())) is not None:
            day = now.astimezone(IST).date().isoformat()
            self.store.update(row.id, message=f"not started on {day}: {holiday.description} is a market holiday")
            return
        if row.desired_state != RUNNING:
            self.store.update(row.id, desired_state=RUNNING)
        self.supervisor.poke()

    async def scheduled_stop(self, strategy_id: int) -> None:
        row = self.store.find(strategy_id)
        if row is None or in_window(row, self._clock()):
            return  # deleted, or an early run (a late start job and this one ran together at start-up)
        if row.desired_state == RUNNING:
            self.store.update(row.id, desired_state=STOPPED)
            self.supervisor.poke()
