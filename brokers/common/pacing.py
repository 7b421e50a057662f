"""Outbound rate limiting from a manifest's `rate_limits`, on the `limits` library.

A request waits out a short window; when the wait would be long, the caller is told when to come
back (`RateLimited` with `retry_after`) instead of holding a connection open.

A broker counts a request when it arrives, and all we know of that moment is that it lies between
sending the request and reading the answer. So a request holds a place in its windows while it is in
flight and is counted from the moment it comes back: then however late a request reaches the broker
(a new connection, a loaded machine), the broker never sees more than the limit in one window.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

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
        # Requests that hold a place but are not counted yet. The limiter is synchronous and nothing
        # awaits between a test and what follows it, so neither needs a lock.
        self._in_flight: Counter[tuple[str, str]] = Counter()
        self._limiter = MovingWindowRateLimiter(MemoryStorage())
        self._broker = broker
        self._max_wait = max_wait

    @asynccontextmanager
    async def slot(self, rate_class: str, key: str) -> AsyncIterator[None]:
        """Hold a place for one request to the broker, sent and answered inside the block."""
        classes = [rate_class] if rate_class == ALL else [rate_class, ALL]
        items = [(item, name) for name in classes for item in self._items.get(name, [])]
        await self._wait_for_room(items, rate_class, key)
        for name in classes:
            self._in_flight[name, key] += 1
        try:
            yield
        finally:
            self._in_flight -= Counter((name, key) for name in classes)  # drops the keys it brings to zero
            for item, name in items:
                self._limiter.hit(item, name, key)

    async def _wait_for_room(self, items: list[tuple[RateLimitItem, str]], rate_class: str, key: str) -> None:
        while True:
            # A request coming back leaves the window as full as it was, so only the oldest counted one
            # expiring makes room; with none counted yet, room comes a whole window after the first returns.
            waits = [
                self._until_oldest_expires(item, name, key)
                for item, name in items
                if not self._limiter.test(item, name, key, cost=self._in_flight[name, key] + 1)
            ]
            if not waits:
                return
            wait = max(waits)
            if wait > self._max_wait:
                raise RateLimited(
                    f"{self._broker} allows no more {rate_class} requests for {math.ceil(wait)} s (limits in its manifest)",
                    broker=self._broker,
                    retry_after=math.ceil(wait),
                )
            await asyncio.sleep(wait)

    def _until_oldest_expires(self, item: RateLimitItem, name: str, key: str) -> float:
        stats = self._limiter.get_window_stats(item, name, key)
        if stats.remaining == item.amount:
            return float(item.get_expiry())
        return max(0.0, stats.reset_time - time.time())
