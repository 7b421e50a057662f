"""The order-update journal: numbers each user's order updates durably and hands back what a client missed.

`record` runs on one writer thread, so numbers are given in the order updates were announced; the
number is one more than the user's highest stored one, and the (user, sequence) unique constraint
turns a race between two processes into a retry instead of a shared number. Each user keeps the
newest `retention` updates.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Engine, delete, func, insert, select
from sqlalchemy.exc import IntegrityError

from storage import OrderUpdateRecord, utcnow
from storage.db import write_lock

__all__ = ["OrderJournal"]

_TABLE = OrderUpdateRecord.__table__
_ATTEMPTS = 5
_PRUNE_EVERY = 256  # sequences between trims of a user's oldest updates


class OrderJournal:
    def __init__(self, engine: Engine, *, retention: int = 10_000) -> None:
        self._engine = engine
        self.retention = retention

    def record(self, user_id: int, order: dict[str, Any]) -> int:
        """Store one update under the user's next sequence number and return that number."""
        for attempt in range(_ATTEMPTS):
            try:
                with write_lock(self._engine), self._engine.begin() as connection:
                    last = connection.execute(
                        select(func.max(_TABLE.c.sequence)).where(_TABLE.c.user_id == user_id)
                    ).scalar_one()
                    sequence = (last or 0) + 1
                    payload = json.dumps({**order, "sequence": sequence}, separators=(",", ":"), default=str)
                    connection.execute(
                        insert(_TABLE).values(user_id=user_id, sequence=sequence, payload=payload, created_at=utcnow())
                    )
                    if sequence % _PRUNE_EVERY == 0:
                        connection.execute(
                            delete(_TABLE).where(
                                _TABLE.c.user_id == user_id, _TABLE.c.sequence <= sequence - self.retention
                            )
                        )
                return sequence
            except IntegrityError:  # another process took this number first; read the new highest one
                if attempt == _ATTEMPTS - 1:
                    raise
        raise AssertionError("unreachable")

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
