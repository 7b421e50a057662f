"""Rate-limit and ban-strike counters that several worker processes share, on a Redis or Valkey server.

`RATE_LIMIT_STORAGE_URL` (for example `redis://127.0.0.1:6379/0`) names the server; the `limits`
library keeps a moving window per key there, so requests spread over every worker count against one
budget. Without it each process counts in memory (`gateway.ratelimit.MovingWindows`), which is
right for one process and is why `brokergate serve --workers N` insists on the URL.

A server that stops answering does not stop the gateway: the request is let through, the failure is
logged (at most every 30 s) and `/health` reports the storage as down until it answers again.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from limits import RateLimitItem, RateLimitItemPerSecond
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

from gateway.ratelimit import MovingWindows

log = logging.getLogger(__name__)
_NAMESPACE = "brokergate"
_LOG_EVERY = 30.0


class SharedWindows:
    """The `MovingWindows` interface (`hit`, `clear`) on a `limits` storage shared between processes."""

    def __init__(self, url: str) -> None:
        self.storage = storage_from_string(url)
        self._limiter = MovingWindowRateLimiter(self.storage)
        self._items: dict[tuple[int, float], RateLimitItem] = {}
        self._keys: dict[tuple, RateLimitItem] = {}  # keys this process counted, so `clear` can find them
        self._last_complaint = float("-inf")

    def _item(self, amount: int, seconds: float) -> RateLimitItem:
        item = self._items.get((amount, seconds))
        if item is None:
            item = self._items[(amount, seconds)] = RateLimitItemPerSecond(amount, int(seconds), _NAMESPACE)
        return item

    def hit(self, amount: int, seconds: float, key: tuple) -> float:
        """Record a hit and return 0, or return the seconds until one fits if the window is full."""
        item = self._item(amount, seconds)
        identifiers = [str(part) for part in key]
        self._keys[key] = item
        try:
            if self._limiter.hit(item, *identifiers):
                return 0.0
            reset_at = self._limiter.get_window_stats(item, *identifiers).reset_time
        except Exception as e:  # the shared server is down: serve rather than refuse everyone
            self._complain(e)
            return 0.0
        return max(reset_at - time.time(), 0.001)

    def clear(self, predicate: Callable[[tuple], bool]) -> None:
        for key in [key for key in self._keys if predicate(key)]:
            try:
                self._limiter.clear(self._keys.pop(key), *(str(part) for part in key))
            except Exception as e:
                self._complain(e)

    def check(self) -> bool:
        return bool(self.storage.check())

    def _complain(self, error: Exception) -> None:
        if time.monotonic() - self._last_complaint > _LOG_EVERY:
            self._last_complaint = time.monotonic()
            log.warning("rate-limit storage unavailable, requests are not counted: %s", error)


def counters(url: str | None) -> MovingWindows | SharedWindows:
    """Shared counters on `url` when one is set, else this process's own."""
    return SharedWindows(url) if url else MovingWindows()
