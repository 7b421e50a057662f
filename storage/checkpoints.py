"""WAL checkpoints of a SQLite database on a thread of their own, instead of inside whichever commit
crosses SQLite's threshold.

By default the commit that takes the write-ahead log past 1,000 pages copies it into the database and
syncs the file to disk before it returns; on the server that is an order's answer waiting on an fsync
(30 ms and more on a slow disk, every few hundred orders). While a `Checkpointer` runs, the
connections leave the log to it (their own threshold is raised to a safety net) and it checkpoints
every `interval` seconds in PASSIVE mode, which never waits for readers or writers. Durability is
unchanged: in WAL mode a commit is atomic when it returns, and on disk once checkpointed.
"""

from __future__ import annotations

import logging
import threading

from sqlalchemy import Engine, event

logger = logging.getLogger(__name__)

SQLITE_DEFAULT_PAGES = 1_000  # SQLite's own threshold, kept while no checkpointer runs
SAFETY_NET_PAGES = 20_000  # about 80 MB of log: only reached if the checkpointer falls far behind


class Checkpointer:
    def __init__(self, engine: Engine, *, interval: float = 1.0) -> None:
        self._engine = engine
        self._interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._threshold = SQLITE_DEFAULT_PAGES
        self.applies = engine.dialect.name == "sqlite" and engine.url.database not in (None, "", ":memory:")
        if self.applies:
            event.listen(engine, "checkout", self._on_checkout)

    def start(self) -> None:
        if not self.applies or self._thread is not None:
            return
        self._threshold = SAFETY_NET_PAGES
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="wal-checkpoint", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the thread after one last checkpoint; commits go back to checkpointing by themselves."""
        thread, self._thread = self._thread, None
        if thread is None:
            return
        self._stop.set()
        thread.join()
        self._threshold = SQLITE_DEFAULT_PAGES

    def checkpoint(self) -> tuple[int, int, int]:
        """One PASSIVE checkpoint: (1 if it could not finish, frames in the log, frames checkpointed)."""
        with self._engine.connect() as connection:
            busy, frames, copied = connection.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)").one()
        return busy, frames, copied

    def _run(self) -> None:
        while True:
            stopping = self._stop.wait(self._interval)
            try:
                self.checkpoint()
            except Exception:  # a failed round is retried at the next; the safety net bounds the log
                logger.exception("WAL checkpoint failed")
            if stopping:
                return

    def _on_checkout(self, dbapi_connection, record, _proxy) -> None:
        # A pooled connection keeps its setting; bring it in line with whether the thread runs now.
        if record.info.get("wal_autocheckpoint") != self._threshold:
            dbapi_connection.execute(f"PRAGMA wal_autocheckpoint={self._threshold}")
            record.info["wal_autocheckpoint"] = self._threshold
