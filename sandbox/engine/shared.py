"""Sandbox books shared by engines in several processes (`brokergate serve --workers N`).

Inside one process the engine's single executor orders every transaction. Across processes the
database does it: each transaction starts by taking the books' lock (PostgreSQL: a transaction-level
advisory lock; SQLite: `BEGIN IMMEDIATE`, the write lock) and reading the books' generation. An
engine whose resting-order or GTT index changed bumps the generation before it commits; an engine
that finds the generation moved since its own last transaction reloads its indexes first. So a LIMIT
order placed on any worker is matched by the leader's market loop on its next beat.
"""

from __future__ import annotations

from sqlalchemy import Connection, select, text, update

from storage import SandboxGeneration

_TABLE = SandboxGeneration.__table__
_LOCK_KEY = 0x6272_6B67  # "brkg": the advisory lock of the sandbox books
_READ = select(_TABLE.c.generation).where(_TABLE.c.id == 1)
_BUMP = update(_TABLE).where(_TABLE.c.id == 1).values(generation=_TABLE.c.generation + 1)


class SharedBooks:
    def lock(self, connection: Connection) -> int:
        """Begin the transaction holding the books' lock; answer the books' generation."""
        if connection.dialect.name == "sqlite":
            connection.exec_driver_sql("BEGIN IMMEDIATE")  # waits up to busy_timeout for another writer
        else:
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK_KEY})
        return connection.execute(_READ).scalar_one()

    def bump(self, connection: Connection) -> int:
        """Mark the indexes changed (in the caller's transaction); answer the new generation."""
        connection.execute(_BUMP)
        return connection.execute(_READ).scalar_one()
