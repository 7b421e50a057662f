"""The order-update journal: numbers each user's order updates durably and hands back what a client missed.

`JournalWriter` records on one thread, so numbers are given in the order updates were announced, and
updates announced while a commit runs share the next one. The number is one more than the user's
highest stored one, read once and then kept in memory; the (user, sequence) unique constraint turns a
race with another process into a fresh read and a retry instead of a shared number. Each user keeps
the newest `retention` updates.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from sqlalchemy import Engine, bindparam, delete, func, insert, select
from sqlalchemy.exc import IntegrityError

from storage import OrderUpdateRecord, utcnow
from storage.db import write_lock

__all__ = ["JournalWriter", "OrderJournal"]

logger = logging.getLogger(__name__)
Stored = Callable[[list[tuple[int, dict[str, Any]]], list[int | None]], None]

_TABLE = OrderUpdateRecord.__table__
_ATTEMPTS = 5
_PRUNE_EVERY = 256  # sequences between trims of a user's oldest updates
_INSERT = insert(_TABLE)
_HIGHEST = (
    select(_TABLE.c.user_id, func.max(_TABLE.c.sequence))
    .where(_TABLE.c.user_id.in_(bindparam("users", expanding=True)))
    .group_by(_TABLE.c.user_id)
)


class OrderJournal:
    def __init__(self, engine: Engine, *, retention: int = 10_000) -> None:
        self._engine = engine
        self.retention = retention
        self._guard = threading.Lock()
        self._highest: dict[int, int] = {}  # each user's highest stored sequence, as this journal last saw it

    def record(self, user_id: int, order: dict[str, Any]) -> int:
        """Store one update under the user's next sequence number and return that number."""
        return self.record_many([(user_id, order)])[0]

    def record_many(self, updates: list[tuple[int, dict[str, Any]]]) -> list[int]:
        """Store updates in one transaction, in the order given; their sequence numbers.

        A burst of fills costs one commit instead of one each.
        """
        with self._guard:
            for attempt in range(_ATTEMPTS):
                try:
                    with write_lock(self._engine), self._engine.begin() as connection:
                        sequences, highest = self._numbered(connection, updates)
                    self._highest.update(highest)
                    return sequences
                except IntegrityError:  # another process took a number first; read the new highest ones
                    for user_id, _ in updates:
                        self._highest.pop(user_id, None)
                    if attempt == _ATTEMPTS - 1:
                        raise
        raise AssertionError("unreachable")

    def _numbered(self, connection, updates: list[tuple[int, dict[str, Any]]]) -> tuple[list[int], dict[int, int]]:
        users = {user_id for user_id, _ in updates}
        last = {user_id: self._highest[user_id] for user_id in users if user_id in self._highest}
        if unknown := users - last.keys():
            last.update(connection.execute(_HIGHEST, {"users": sorted(unknown)}).all())
        rows, sequences, now = [], [], utcnow()
        for user_id, order in updates:
            sequence = last[user_id] = (last.get(user_id) or 0) + 1
            payload = json.dumps({**order, "sequence": sequence}, separators=(",", ":"), default=str)
            rows.append({"user_id": user_id, "sequence": sequence, "payload": payload, "created_at": now})
            sequences.append(sequence)
            if sequence % _PRUNE_EVERY == 0:
                connection.execute(
                    delete(_TABLE).where(_TABLE.c.user_id == user_id, _TABLE.c.sequence <= sequence - self.retention)
                )
        connection.execute(_INSERT, rows)
        return sequences, last

    def since(self, user_id: int, sequence: int) -> list[dict[str, Any]]:
        """The user's stored updates after `sequence`, oldest first (each with its `sequence`)."""
        with self._engine.connect() as connection:
            rows = connection.execute(
                select(_TABLE.c.payload)
                .where(_TABLE.c.user_id == user_id, _TABLE.c.sequence > sequence)
                .order_by(_TABLE.c.sequence)
                .limit(self.retention)
            ).scalars()
            return [json.loads(payload) for payload in rows]


class JournalWriter:
    """The journal's one writer thread. `submit` returns at once; `on_stored` is called on that thread
    with each stored batch and its sequence numbers (None for an update the database refused)."""

    def __init__(self, journal: OrderJournal, on_stored: Stored | None = None) -> None:
        self._journal = journal
        self._on_stored = on_stored
        self._pending: deque[tuple[int, dict[str, Any]]] = deque()
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="order-journal")

    def submit(self, user_id: int, order: dict[str, Any]) -> None:
        self._pending.append((user_id, order))
        self._thread.submit(self._store_pending)

    async def flush(self) -> None:
        """Wait until every update submitted so far is stored (and `on_stored` was told)."""
        await asyncio.get_running_loop().run_in_executor(self._thread, lambda: None)

    def close(self) -> None:
        self._thread.shutdown(wait=True)

    def _store_pending(self) -> None:
        batch = []
        while self._pending:
            batch.append(self._pending.popleft())
        if not batch:
            return  # an earlier call took these
        try:
            sequences: list[int | None] = list(self._journal.record_many(batch))
        except Exception:  # one at a time, so one refused update does not lose the others
            sequences = [self._record_one(user_id, order) for user_id, order in batch]
        if self._on_stored is not None:
            self._on_stored(batch, sequences)

    def _record_one(self, user_id: int, order: dict[str, Any]) -> int | None:
        try:
            return self._journal.record(user_id, order)
        except Exception:  # said loudly; the update is not sent unnumbered
            logger.exception("order update of user %s could not be stored in the journal", user_id)
            return None
