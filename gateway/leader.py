"""One leader among several workers, chosen through the database.

`brokergate serve --workers N` starts N processes that all answer REST requests. The work that must
happen once (the sandbox engine's market loop, the WebSocket feed and its publisher, the shared
scheduler, the Telegram bot, watching live brokers' order books) runs in the worker that holds the
`leader_lease` row. The holder renews it every third of `LEADER_LEASE_SECONDS`; a worker whose
renewal fails for a whole lease steps down, and any worker takes an expired lease. A worker that
stops cleanly hands the lease back at once, so a restart does not wait for the expiry.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta

from sqlalchemy import Engine, case, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from storage import LeaderLease, utcnow

log = logging.getLogger(__name__)
_TABLE = LeaderLease.__table__
BACKGROUND = "background"


class Lease:
    """The lease row of `name`: take it, renew it, give it back. Each call is one short transaction."""

    def __init__(self, engine: Engine, *, seconds: float, name: str = BACKGROUND, holder: str | None = None) -> None:
        self._engine = engine
        self.seconds = seconds
        self.name = name
        self.holder = holder or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"

    def hold(self) -> bool:
        """Take or renew the lease; True while this holder has it."""
        now = utcnow()
        until = now + timedelta(seconds=self.seconds)
        mine = _TABLE.c.holder == self.holder
        with self._engine.begin() as connection:
            taken = connection.execute(
                update(_TABLE)
                .where(_TABLE.c.name == self.name, or_(mine, _TABLE.c.expires_at < now))
                .values(
                    holder=self.holder,
                    expires_at=until,
                    renewed_at=now,
                    term=case((mine, _TABLE.c.term), else_=_TABLE.c.term + 1),
                )
            ).rowcount
        if taken:
            return True
        try:
            with self._engine.begin() as connection:
                connection.execute(
                    insert(_TABLE).values(name=self.name, holder=self.holder, term=1, expires_at=until, renewed_at=now)
                )
        except IntegrityError:
            return False  # someone else holds it
        return True

    def release(self) -> None:
        """Give the lease back (only if still ours), so another worker takes it without waiting."""
        with self._engine.begin() as connection:
            connection.execute(
                update(_TABLE)
                .where(_TABLE.c.name == self.name, _TABLE.c.holder == self.holder)
                .values(expires_at=utcnow() - timedelta(seconds=1))
            )

    def current(self) -> tuple[str, int] | None:
        """(holder, term) of an unexpired lease, else None."""
        with self._engine.connect() as connection:
            row = connection.execute(
                select(_TABLE.c.holder, _TABLE.c.term, _TABLE.c.expires_at).where(_TABLE.c.name == self.name)
            ).first()
        if row is None:
            return None
        expires = row.expires_at if row.expires_at.tzinfo else row.expires_at.replace(tzinfo=utcnow().tzinfo)
        return (row.holder, row.term) if expires > utcnow() else None


class Leadership:
    """Keep trying for the lease; run `on_gain` when it is won and `on_loss` when it is lost or at stop."""

    def __init__(
        self, lease: Lease, *, on_gain: Callable[[], Awaitable[None]], on_loss: Callable[[], Awaitable[None]]
    ) -> None:
        self.lease = lease
        self._on_gain = on_gain
        self._on_loss = on_loss
        self._task: asyncio.Task | None = None
        self._valid_until = float("-inf")  # monotonic time the lease is surely ours until
        self.is_leader = False
        self.gains = 0

    async def start(self) -> None:
        await self._try()  # the first worker up leads before it serves its first request
        self._task = asyncio.create_task(self._run(), name="leadership")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self.is_leader:
            await self._step_down()
            with contextlib.suppress(Exception):
                await asyncio.to_thread(self.lease.release)

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.lease.seconds / 3)
            await self._try()

    async def _try(self) -> None:
        started = time.monotonic()
        try:
            held = await asyncio.to_thread(self.lease.hold)
        except Exception:
            log.warning("leader lease: the database did not answer", exc_info=True)
            held = self.is_leader and time.monotonic() < self._valid_until  # unsure: keep it while surely ours
        else:
            if held:
                self._valid_until = started + self.lease.seconds
        if held and not self.is_leader:
            self.is_leader = True
            self.gains += 1
            log.info("this worker (%s) leads: it runs the market loop, the feed and the scheduler", self.lease.holder)
            try:
                await self._on_gain()
            except Exception:
                log.exception("starting the leader's work failed; handing the lease back")
                await self._step_down()
                with contextlib.suppress(Exception):
                    await asyncio.to_thread(self.lease.release)
        elif not held and self.is_leader:
            log.warning("this worker (%s) lost the leader lease; stopping the leader's work", self.lease.holder)
            await self._step_down()

    async def _step_down(self) -> None:
        self.is_leader = False
        try:
            await self._on_loss()
        except Exception:
            log.exception("stopping the leader's work failed")
