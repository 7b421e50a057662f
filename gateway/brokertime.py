"""Time spent in a broker plugin's calls during one request: the traffic log's `broker_ms`.

The outermost middleware opens a stopwatch for each request; every plugin the router hands out is
wrapped so that each awaited operation adds its duration to the request's stopwatch. The stopwatch
rides in a context variable, so background work (the order watch, the feed) is never counted.
"""

from __future__ import annotations

import inspect
import time
from contextvars import ContextVar, Token
from functools import wraps
from typing import Any


class Stopwatch:
    __slots__ = ("broker", "calls", "seconds")

    def __init__(self) -> None:
        self.broker: str | None = None  # the broker whose plugin the request called (the last, if several)
        self.calls = 0
        self.seconds = 0.0

    @property
    def milliseconds(self) -> float | None:
        """Total broker time in ms, or None when the request made no broker call."""
        return round(self.seconds * 1000, 3) if self.calls else None


_current: ContextVar[Stopwatch | None] = ContextVar("brokergate_broker_time", default=None)


def start() -> tuple[Stopwatch, Token]:
    watch = Stopwatch()
    return watch, _current.set(watch)


def stop(token: Token) -> None:
    _current.reset(token)


class TimedPlugin:
    """A plugin whose coroutine operations report their time to the running request's stopwatch."""

    def __init__(self, plugin: Any, broker: str) -> None:
        self._plugin = plugin
        self._broker = broker

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._plugin, name)
        if not inspect.iscoroutinefunction(attribute):
            return attribute

        @wraps(attribute)
        async def timed(*args: Any, **kwargs: Any) -> Any:
            watch = _current.get()
            if watch is None:
                return await attribute(*args, **kwargs)
            started = time.perf_counter()
            try:
                return await attribute(*args, **kwargs)
            finally:
                watch.calls += 1
                watch.seconds += time.perf_counter() - started
                watch.broker = self._broker

        return timed

    @property
    def wrapped(self) -> Any:
        return self._plugin
