"""BrokerHttp: one pooled httpx client per event loop, paced, with transport failures translated once.

Reads (`idempotent=True`) retry on transport failures with backoff; writes never do, because an
order whose answer was lost must be looked for in the order book, not sent again. A 429 becomes
`RateLimited` with the broker's `Retry-After`. Everything about the broker's body envelope stays in
the plugin's own `client.py`, which calls `send()` and reads the response it gets back.
"""

from __future__ import annotations

import asyncio
import re
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_attempt, wait_exponential

from brokers.common.pacing import Pacer
from generated.contract import RateLimit
from generated.errors import BrokerBadResponse, BrokerTimeout, BrokerUnavailable, RateLimited, ValidationFailed

TIMEOUT = httpx.Timeout(10.0, connect=5.0)
READ_ATTEMPTS = 3
# What a request path may hold once a plugin has put ids in it: RFC 3986 path characters, no dot segments.
_SAFE_PATH = re.compile(r"^/[A-Za-z0-9._~!$&'()*+,;=:@%/-]*$")
_DOT_SEGMENT = re.compile(r"(^|/)\.{1,2}(/|$)")
_ID = re.compile(r"^[A-Za-z0-9_:-][A-Za-z0-9_.:-]{0,99}$")


def path_segment(value: str) -> str:
    """A caller's id (an order id) checked to be one path segment: every Indian broker's ids are letters,
    digits and `_.:-`, so anything else is refused rather than sent where it could name another endpoint."""
    if not _ID.match(value):
        raise ValidationFailed(
            f"{value!r} is not an id any broker issues (letters, digits and _.:- only)", field="orderid"
        )
    return value


class BrokerHttp:
    def __init__(
        self,
        broker: str,
        base_url: str,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        rate_limits: list[RateLimit] | None = None,
        headers: dict[str, str] | None = None,
        timeout: httpx.Timeout = TIMEOUT,
        pacer: Pacer | None = None,
    ) -> None:
        self.broker = broker
        self.base_url = base_url
        self._transport = transport
        self._timeout = timeout
        self._headers = headers or {}
        # A broker served from two hosts (XTS's interactive and market-data APIs) shares one pacer between them.
        self._pacer = pacer or Pacer(rate_limits or [], broker=broker)
        self._clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, httpx.AsyncClient] = (
            weakref.WeakKeyDictionary()
        )

    def _http(self) -> httpx.AsyncClient:
        # One pool per event loop: a pool's connections belong to the loop that opened them.
        loop = asyncio.get_running_loop()
        if loop not in self._clients:
            self._clients[loop] = httpx.AsyncClient(
                base_url=self.base_url, transport=self._transport, timeout=self._timeout, headers=self._headers
            )
        return self._clients[loop]

    async def aclose(self) -> None:
        clients, self._clients = list(self._clients.values()), weakref.WeakKeyDictionary()
        for client in clients:
            await client.aclose()

    async def send(
        self,
        method: str,
        path: str,
        *,
        rate_class: str = "other",
        pacing_key: str = "anonymous",
        idempotent: bool = False,
        **request: Any,
    ) -> httpx.Response:
        """Pace, send (retrying only reads), and answer the response; a 429 raises RateLimited.

        `request` goes to httpx as it is: `params`, `data`, `json`, `content`, `headers`.
        """
        if not _SAFE_PATH.match(path) or _DOT_SEGMENT.search(path):
            # An id from a caller must never steer a request to another endpoint of the broker.
            raise ValidationFailed(
                f"{self.broker} cannot be asked for {path!r}: an id in it has characters ids never have"
            )

        async def once() -> httpx.Response:
            # Every attempt is paced, a retried read too: the broker counts each request that reaches it,
            # and a read that timed out here may well have reached it.
            async with self._pacer.slot(rate_class, pacing_key):
                with self._translated(method, path):
                    response = await self._http().request(method, path, **request)
            if response.status_code == 429:
                retry_after = _seconds(response.headers.get("Retry-After"))
                raise RateLimited(
                    f"{self.broker} throttled {method} {path}; retry in {retry_after} s",
                    broker=self.broker,
                    retry_after=retry_after,
                )
            return response

        if not idempotent:
            return await once()
        retrying = AsyncRetrying(
            retry=retry_if_exception_type((BrokerUnavailable, BrokerTimeout)),
            stop=stop_after_attempt(READ_ATTEMPTS),
            wait=wait_exponential(multiplier=0.2, max=2.0),
            reraise=True,
        )
        async for attempt in retrying:
            with attempt:
                return await once()
        raise AssertionError("tenacity ended without an answer")  # reraise=True makes this unreachable

    def json_body(self, response: httpx.Response) -> Any:
        """The response's JSON, or BrokerBadResponse saying what arrived instead."""
        try:
            return response.json()
        except ValueError as e:
            content_type = response.headers.get("content-type") or "no content type"
            raise BrokerBadResponse(
                f"{self.broker} answered HTTP {response.status_code} with {content_type}, not JSON", broker=self.broker
            ) from e

    @contextmanager
    def _translated(self, method: str, path: str) -> Iterator[None]:
        """Transport failures as brokergate errors; the httpx exception stays as the cause."""
        try:
            yield
        except httpx.TimeoutException as e:
            raise BrokerTimeout(f"{self.broker} did not answer {method} {path} in time", broker=self.broker) from e
        except httpx.TransportError as e:
            raise BrokerUnavailable(
                f"{self.broker} could not be reached for {method} {path}: {e}", broker=self.broker
            ) from e


def _seconds(text: str | None) -> int:
    try:
        return max(1, int(float(text or 1)))
    except ValueError:
        return 1
