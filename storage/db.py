"""The database engine and its migrations.

SQLite is the default (WAL, so readers never wait for the writer); nothing here depends on it
beyond the connection pragmas, so a PostgreSQL `DATABASE_URL` works the same way.
"""

from __future__ import annotations

import ast
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, event, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import StaticPool
from sqlmodel import Session, create_engine

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def make_engine(database_url: str) -> Engine:
    """Create the engine for `database_url`, creating a SQLite file's folder if needed."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True)
    in_memory = url.database in (None, "", ":memory:")
    if not in_memory:
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        url,
        connect_args={"check_same_thread": False},
        poolclass=StaticPool if in_memory else None,
    )
    event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(connection, _record) -> None:
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")  # durable at checkpoints; WAL keeps commits atomic
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


_WRITE_LOCKS: dict[str, threading.RLock] = {}
_WRITE_LOCKS_GUARD = threading.Lock()


def write_lock(engine: Engine) -> AbstractContextManager:
    """Hold while writing on the hot paths (order audit, sandbox engine, order journal).

    SQLite takes one writer at a time, and a writer that finds the file locked sleeps in its busy
    handler (1, 2, 5, 10 ... 100 ms) before it tries again: three threads of one process writing
    side by side lose milliseconds to those sleeps. Queued on this lock, the next writer starts the
    moment the last one commits. Writers in other processes still meet the busy timeout. Other
    databases lock rows, not the file: there this is a no-op.
    """
    if engine.dialect.name != "sqlite":
        return nullcontext()
    key = str(engine.url)
    lock = _WRITE_LOCKS.get(key)
    if lock is None:
        with _WRITE_LOCKS_GUARD:
            lock = _WRITE_LOCKS.setdefault(key, threading.RLock())
    return lock


def alembic_config(engine: Engine) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Apply migrations up to `revision` (all of them by default)."""
    if revision == "head" and applied_revisions(engine) == head_revisions():
        return  # nothing to apply; importing alembic alone would cost every start a third of a second
    from alembic import command

    command.upgrade(alembic_config(engine), revision)


@cache
def head_revisions() -> frozenset[str]:
    """The revisions no migration builds on, read from the `revision` and `down_revision` lines of
    `migrations/versions/*.py` without importing them (a test holds this equal to alembic's heads)."""
    revisions: set[str] = set()
    bases: set[str] = set()
    for path in (MIGRATIONS / "versions").glob("*.py"):
        for statement in ast.parse(path.read_text()).body:
            if isinstance(statement, ast.Assign | ast.AnnAssign):
                targets = statement.targets if isinstance(statement, ast.Assign) else [statement.target]
                names = {target.id for target in targets if isinstance(target, ast.Name)}
                if names & {"revision", "down_revision"} and statement.value is not None:
                    value = ast.literal_eval(statement.value)
                    found = {value} if isinstance(value, str) else set(value or ())
                    (revisions if "revision" in names else bases).update(found)
    return frozenset(revisions - bases)


def applied_revisions(engine: Engine) -> frozenset[str]:
    """The revisions the database is at (none for a new database)."""
    with engine.connect() as connection:
        if not inspect(connection).has_table("alembic_version"):
            return frozenset()
        return frozenset(connection.execute(text("SELECT version_num FROM alembic_version")).scalars())


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A session that commits on success and rolls back on error."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
