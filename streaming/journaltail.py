"""The order-update journal read as a stream, for a feed in front of several worker processes.

With several workers, each stores its own order updates in the journal (`OrderJournal.record`) and
only the leader's feed talks to WebSocket clients; it polls the journal and sends what any worker
stored. Per user, sequences commit in order (the next one is read from the last), so sending each
user's updates in id order, none at or below the last one sent, loses and repeats nothing. Each
poll rereads a window of recent ids, so a row that committed after a higher id was read is still seen.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine, func, select

from storage import OrderUpdateRecord

__all__ = ["JournalTail"]

log = logging.getLogger(__name__)
_TABLE = OrderUpdateRecord.__table__


class JournalTail:
    def __init__(
        self,
        engine: Engine,
        publish: Callable[[int, dict[str, Any]], None],
        *,
        interval: float = 0.05,
        window: int = 512,
    ) -> None:
        self._engine = engine
        self._publish = publish
        self.interval = interval
        self._window = window
        self._cursor = 0  # the highest id read so far
        self._floor = 0  # ids at or below it were stored before this tail started: clients replay them with `since`
        self._sent: dict[int, int] = {}  # user -> last sequence sent
        self._task: asyncio.Task | None = None
        self.sent = 0

    def begin(self) -> None:
        """Start from the journal's end: what is already there is not sent again."""
        with self._engine.connect() as connection:
            self._cursor = self._floor = connection.execute(
                select(func.coalesce(func.max(_TABLE.c.id), 0))
            ).scalar_one()

    def read_new(self) -> list[tuple[int, dict[str, Any]]]:
        """(user, update) for every update stored since the last read, each once, in order."""
        with self._engine.connect() as connection:
            rows = connection.execute(
                select(_TABLE.c.id, _TABLE.c.user_id, _TABLE.c.sequence, _TABLE.c.payload)
                .where(_TABLE.c.id > max(self._cursor - self._window, self._floor))
                .order_by(_TABLE.c.id)
            ).all()
        found = []
        for row in rows:
            self._cursor = max(self._cursor, row.id)
            if row.sequence <= self._sent.get(row.user_id, 0):
                continue
            self._sent[row.user_id] = row.sequence
            found.append((row.user_id, json.loads(row.payload)))
        return found

    async def poll_once(self) -> int:
        """Send what was stored since the last poll (on the loop: the bus socket is the loop's); answer how many."""
        found = await asyncio.to_thread(self.read_new)
        for user_id, update in found:
            self._publish(user_id, update)
        self.sent += len(found)
        return len(found)

    async def start(self) -> None:
        await asyncio.to_thread(self.begin)
        self._task = asyncio.create_task(self._run(), name="journal-tail")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            try:
                await self.poll_once()
            except Exception:  # the database blinked; the next poll reads from the same cursor
                log.warning("order journal tail: poll failed", exc_info=True)
