"""ZerodhaClient: Kite Connect v3 over httpx, paced to the manifest's limits, failures translated once.

Every request carries `X-Kite-Version: 3` and `Authorization: token api_key:access_token`
(https://kite.trade/docs/connect/v3/). Reads may retry on transport failures; writes never do,
because Kite says an order whose answer was lost must be looked for in the order book, not resent.
"""

from __future__ import annotations

import asyncio
import math
import time
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
from limits import (
    RateLimitItem,
    RateLimitItemPerDay,
    RateLimitItemPerHour,
    RateLimitItemPerMinute,
    RateLimitItemPerSecond,
)
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter
from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_attempt, wait_exponential

from brokers.zerodha.auth import split_session_token
from brokers.zerodha.errors import error_from_upstream
from generated.contract import RateLimit
from generated.errors import BrokerBadResponse, BrokerSessionExpired, BrokerTimeout, BrokerUnavailable, RateLimited

API_URL = "https://api.kite.trade"
KITE_VERSION = "3"
TIMEOUT = httpx.Timeout(10.0, connect=5.0)
# Beyond this, waiting for a window to reopen is worse than telling the caller when to come back.
MAX_PACING_WAIT = 5.0
# Requests leave a moment after their window reopens, so the broker's clock never sees one early.
PACING_MARGIN = 0.02

_PER_UNIT = {"s": RateLimitItemPerSecond, "m": RateLimitItemPerMinute, "h": RateLimitItemPerHour, "d": RateLimitItemPerDay}


def rate_limit_item(limit: RateLimit) -> RateLimitItem:
    """A manifest window (`10` per `1s`) as a `limits` item."""
    amount, unit = int(limit.window.rstrip("smhd")), limit.window[-1]
    if limit.window.endswith("ms"):
        # `limits` counts whole seconds; a window in milliseconds is rounded up, which only slows us.
        amount, unit = max(1, math.ceil(int(limit.window[:-2]) / 1000)), "s"
    return _PER_UNIT[unit](limit.limit, amount)


class Pacer:
    """Outbound rate limiting: waits out short windows, refuses with RateLimited when the wait is long."""

    def __init__(self, rate_limits: list[RateLimit], max_wait: float = MAX_PACING_WAIT) -> None:
        self._items: dict[str, list[RateLimitItem]] = {}
        for limit in rate_limits:
            self._items.setdefault(limit.class_, []).append(rate_limit_item(limit))
        # The synchronous limiter: nothing awaits between its test and its hit, so no lock is needed.
        self._limiter = MovingWindowRateLimiter(MemoryStorage())
        self._max_wait = max_wait

    async def acquire(self, rate_class: str, key: str) -> None:
        items = self._items.get(rate_class, [])
        while True:
            waits = [
                self._limiter.get_window_stats(item, rate_class, key).reset_time - time.time()
                for item in items
                if not self._limiter.test(item, rate_class, key)
            ]
            if not waits:
                for item in items:
                    self._limiter.hit(item, rate_class, key)
                return
            wait = max(waits) + PACING_MARGIN
            if wait > self._max_wait:
                raise RateLimited(
                    f"zerodha allows no more {rate_class} requests for {math.ceil(wait)} s (limits in its manifest)",
                    broker="zerodha",
                    retry_after=math.ceil(wait),
                )
            await asyncio.sleep(wait)


class ZerodhaClient:
    def __init__(
        self,
        *,
        base_url: str = API_URL,
        transport: httpx.AsyncBaseTransport | None = None,
        rate_limits: list[RateLimit] | None = None,
        timeout: httpx.Timeout = TIMEOUT,
    ) -> None:
        self.base_url = base_url
        self._transport = transport
        self._timeout = timeout
        self._pacer = Pacer(rate_limits or [])
        self._clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, httpx.AsyncClient] = weakref.WeakKeyDictionary()

    def _http(self) -> httpx.AsyncClient:
        # One pool per event loop: a pool's connections belong to the loop that opened them.
        loop = asyncio.get_running_loop()
        if loop not in self._clients:
            self._clients[loop] = httpx.AsyncClient(
                base_url=self.base_url,
                transport=self._transport,
                timeout=self._timeout,
                headers={"X-Kite-Version": KITE_VERSION},
            )
        return self._clients[loop]

    async def aclose(self) -> None:
        clients, self._clients = list(self._clients.values()), weakref.WeakKeyDictionary()
        for client in clients:
            await client.aclose()

    async def request(
        self,
        token: str | None,
        method: str,
        path: str,
        *,
        rate_class: str = "other",
        params: Any = None,
        data: dict[str, str] | None = None,
        json: Any = None,
        idempotent: bool = False,
        raw: bool = False,
    ) -> Any:
        """Send one request and answer Kite's `data` (or the body text with `raw`), or raise ours."""
        headers = {}
        if token is not None:
            api_key, access_token = split_session_token(token)
            if not access_token:
                raise BrokerSessionExpired("no zerodha access token; log in to the broker again", broker="zerodha")
            headers["Authorization"] = f"token {token}"
            await self._pacer.acquire(rate_class, api_key)
        else:
            await self._pacer.acquire(rate_class, "anonymous")

        async def send() -> Any:
            with _translated(method, path):
                response = await self._http().request(method, path, params=params, data=data, json=json, headers=headers)
            return _answer(response, raw=raw)

        if not idempotent:
            return await send()
        retrying = AsyncRetrying(
            retry=retry_if_exception_type((BrokerUnavailable, BrokerTimeout)),
            stop=stop_after_attempt(3),
            wait=wait_exponential(multiplier=0.2, max=2.0),
            reraise=True,
        )
        async for attempt in retrying:
            with attempt:
                return await send()
        raise AssertionError("tenacity ended without an answer")  # reraise=True makes this unreachable

    # The endpoints the plugin uses, each with its rate class.

    async def create_session(self, form: dict[str, str]) -> dict:
        return await self.request(None, "POST", "/session/token", data=form)

    async def place_order(self, token: str, variety: str, form: dict[str, str]) -> dict:
        return await self.request(token, "POST", f"/orders/{variety}", rate_class="orders", data=form)

    async def modify_order(self, token: str, variety: str, order_id: str, form: dict[str, str]) -> dict:
        return await self.request(token, "PUT", f"/orders/{variety}/{order_id}", rate_class="orders", data=form)

    async def cancel_order(self, token: str, variety: str, order_id: str) -> dict:
        return await self.request(token, "DELETE", f"/orders/{variety}/{order_id}", rate_class="orders")

    async def orders(self, token: str) -> list[dict]:
        return await self.request(token, "GET", "/orders", idempotent=True)

    async def order_history(self, token: str, order_id: str) -> list[dict]:
        return await self.request(token, "GET", f"/orders/{order_id}", idempotent=True)

    async def trades(self, token: str) -> list[dict]:
        return await self.request(token, "GET", "/trades", idempotent=True)

    async def positions(self, token: str) -> dict:
        return await self.request(token, "GET", "/portfolio/positions", idempotent=True)

    async def holdings(self, token: str) -> list[dict]:
        return await self.request(token, "GET", "/portfolio/holdings", idempotent=True)

    async def margins(self, token: str) -> dict:
        return await self.request(token, "GET", "/user/margins", idempotent=True)

    async def order_margins(self, token: str, orders: list[dict]) -> list[dict]:
        return await self.request(token, "POST", "/margins/orders", json=orders, idempotent=True)

    async def quote(self, token: str, keys: list[str]) -> dict:
        return await self.request(token, "GET", "/quote", rate_class="quotes", params={"i": keys}, idempotent=True)

    async def historical(self, token: str, instrument_token: str, interval: str, params: dict[str, str]) -> dict:
        path = f"/instruments/historical/{instrument_token}/{interval}"
        return await self.request(token, "GET", path, rate_class="history", params=params, idempotent=True)

    async def instruments(self, token: str) -> str:
        return await self.request(token, "GET", "/instruments", idempotent=True, raw=True)


@contextmanager
def _translated(method: str, path: str) -> Iterator[None]:
    """Transport failures as brokergate errors; the httpx exception stays as the cause."""
    try:
        yield
    except httpx.TimeoutException as e:
        raise BrokerTimeout(f"zerodha did not answer {method} {path} in time", broker="zerodha") from e
    except httpx.TransportError as e:
        raise BrokerUnavailable(f"zerodha could not be reached for {method} {path}: {e}", broker="zerodha") from e


def _answer(response: httpx.Response, *, raw: bool) -> Any:
    if response.status_code == 429:
        retry_after = int(response.headers.get("Retry-After") or 1)
        raise RateLimited(
            f"zerodha throttled {response.request.method} {response.request.url.path}; retry in {retry_after} s",
            broker="zerodha",
            retry_after=retry_after,
        )
    content_type = response.headers.get("content-type", "")
    if raw and response.is_success and "json" not in content_type:
        return response.text
    try:
        body = response.json()
    except ValueError as e:
        raise BrokerBadResponse(
            f"zerodha answered HTTP {response.status_code} with {content_type or 'no content type'}, not JSON",
            broker="zerodha",
        ) from e
    if not isinstance(body, dict):
        raise BrokerBadResponse("zerodha answered with JSON that is not an object", broker="zerodha")
    if body.get("status") == "error" or body.get("error_type") or not response.is_success:
        raise error_from_upstream(body.get("error_type"), str(body.get("message") or f"HTTP {response.status_code}"))
    if "data" not in body:
        raise BrokerBadResponse("zerodha answered success without `data`", broker="zerodha")
    return body["data"]
