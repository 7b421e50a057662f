"""Outbound rate limiting from a manifest's `rate_limits`, on the `limits` library.

A request waits out a short window; when the wait would be long, the caller is told when to come
back (`RateLimited` with `retry_after`) instead of holding a connection open.
"""

from __future__ import annotations

import asyncio
import math
import time

from limits import (
    RateLimitItem,
    RateLimitItemPerDay,
    RateLimitItemPerHour,
    RateLimitItemPerMinute,
    RateLimitItemPerSecond,
)
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

from generated.contract import RateLimit
from generated.errors import RateLimited

# Beyond this, waiting for a window to reopen is worse than telling the caller when to come back.
MAX_PACING_WAIT = 5.0
# Requests leave a moment after their window reopens, so the broker's clock never sees one early: the
# first of a burst opens new connections and can reach the broker tens of milliseconds after the request
# that reopens its window, which travels on a warm one (seen at 35 ms on a loaded machine).
PACING_MARGIN = 0.05

_PER_UNIT = {
    "s": RateLimitItemPerSecond,
    "m": RateLimitItemPerMinute,
    "h": RateLimitItemPerHour,
    "d": RateLimitItemPerDay,
}


def rate_limit_item(limit: RateLimit) -> RateLimitItem:
    """A manifest window (`10` per `1s`) as a `limits` item."""
    amount, unit = int(limit.window.rstrip("smhd")), limit.window[-1]
    if limit.window.endswith("ms"):
        # `limits` counts whole seconds; a window in milliseconds is rounded up, which only slows us.
        amount, unit = max(1, math.ceil(int(limit.window[:-2]) / 1000)), "s"
    return _PER_UNIT[unit](limit.limit, amount)


# A class every request counts against besides its own (brokers whose budget is shared by all endpoints).
ALL = "all"


class Pacer:
    """Waits out short windows per (rate class, key); refuses with RateLimited when the wait is long.

    A request of class `orders` takes from the `orders` windows and from any `all` windows, at once.
    """

    def __init__(self, rate_limits: list[RateLimit], *, broker: str, max_wait: float = MAX_PACING_WAIT) -> None:
        self._items: dict[str, list[RateLimitItem]] = {}
        for limit in rate_limits:
            self._items.setdefault(limit.class_, []).append(rate_limit_item(limit))
        # The synchronous limiter: nothing awaits between its test and its hit, so no lock is needed.
        self._limiter = MovingWindowRateLimiter(MemoryStorage())
        self._broker = broker
        self._max_wait = max_wait

    async def acquire(self, rate_class: str, key: str) -> None:
        classes = [rate_class] if rate_class == ALL else [rate_class, ALL]
        items = [(item, name) for name in classes for item in self._items.get(name, [])]
        while True:
            waits = [
                self._limiter.get_window_stats(item, name, key).reset_time - time.time()
                for item, name in items
                if not self._limiter.test(item, name, key)
            ]
            if not waits:
                for item, name in items:
                    self._limiter.hit(item, name, key)
                return
            wait = max(waits) + PACING_MARGIN
            if wait > self._max_wait:
                raise RateLimited(
                    f"{self._broker} allows no more {rate_class} requests for {math.ceil(wait)} s (limits in its manifest)",
                    broker=self._broker,
                    retry_after=math.ceil(wait),
                )
            await asyncio.sleep(wait)
