"""Group commit: small writes from the event loop, committed on one writer thread, several at a time.

`await writer.write([(statement, values), ...])` returns once those statements are committed, so a
caller answers only after its rows are stored. Writes that arrive while a commit runs share the next
transaction: a burst of orders pays for a few commits instead of one each, and the event loop never
waits for the database file's write lock (it serves other requests meanwhile).

A write's statements commit together or not at all. When a shared transaction fails (say, one write
meets a unique constraint), each write of it is retried in its own transaction, so one write's error
never reaches another's caller.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from sqlalchemy import Engine, Executable

from storage.db import write_lock

Write = Sequence[tuple[Executable, dict[str, Any]]]


class GroupCommit:
    def __init__(self, engine: Engine, *, name: str = "group-commit") -> None:
        self._engine = engine
        self._name = name
        self._guard = threading.Lock()
        self._pending: list[tuple[Write, asyncio.Future, asyncio.AbstractEventLoop]] = []
        self._draining = False
        self._worker: ThreadPoolExecutor | None = None

    async def write(self, statements: Write) -> None:
        """Commit `statements` in one transaction (maybe shared with other writes); raise what it raised."""
        loop = asyncio.get_running_loop()
        done = loop.create_future()
        with self._guard:
            self._pending.append((statements, done, loop))
            start, self._draining = not self._draining, True
            if self._worker is None:
                self._worker = ThreadPoolExecutor(1, thread_name_prefix=self._name)
        if start:
            self._worker.submit(self._drain)
        await done

    def close(self) -> None:
        """Finish the writes already handed over and stop the writer thread."""
        with self._guard:
            worker, self._worker = self._worker, None
        if worker is not None:
            worker.shutdown(wait=True)

    def _drain(self) -> None:
        while True:
            with self._guard:
                batch, self._pending = self._pending, []
                if not batch:
                    self._draining = False
                    return
            try:
                self._commit([statements for statements, _, _ in batch])
                outcomes: list[BaseException | None] = [None] * len(batch)
            except Exception as shared_error:
                if len(batch) == 1:
                    outcomes = [shared_error]
                else:
                    outcomes = [self._alone(statements) for statements, _, _ in batch]
            for (_, done, loop), error in zip(batch, outcomes, strict=True):
                loop.call_soon_threadsafe(_settle, done, error)

    def _alone(self, statements: Write) -> Exception | None:
        try:
            self._commit([statements])
        except Exception as e:
            return e
        return None

    def _commit(self, writes: list[Write]) -> None:
        with write_lock(self._engine), self._engine.begin() as connection:
            for statements in writes:
                for statement, values in statements:
                    connection.execute(statement, values)


def _settle(done: asyncio.Future, error: BaseException | None) -> None:
    if done.done():  # the caller was cancelled; its write stands all the same
        return
    if error is None:
        done.set_result(None)
    else:
        done.set_exception(error)
