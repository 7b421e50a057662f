"""The shared broker HTTP client: ids from callers cannot steer a request, throttling becomes RateLimited."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest

from brokers.common.http import BrokerHttp, path_segment
from generated.errors import RateLimited, ValidationFailed


def _client(answer) -> tuple[BrokerHttp, list[httpx.Request]]:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return answer(request)

    return BrokerHttp("somebroker", "http://broker.test", transport=httpx.MockTransport(handler)), seen


@pytest.mark.parametrize("order_id", ["1/../../user/margins", "..", "a\nb", "ä"])
async def test_an_id_that_would_change_the_path_is_refused_before_sending(order_id):
    http, seen = _client(lambda request: httpx.Response(200, json={}))

    with pytest.raises(ValidationFailed):
        await http.send("DELETE", f"/orders/regular/{order_id}")

    assert seen == []


@pytest.mark.parametrize("order_id", ["1/../x", "..", "a b", "i\n~\udb55\udc53", "â", ""])
def test_an_id_must_be_one_plain_segment(order_id):
    with pytest.raises(ValidationFailed):
        path_segment(order_id)


def test_broker_ids_pass_as_they_are():
    assert [path_segment(value) for value in ("240612000123456", "NSE:ORD-1_a.2")] == ["240612000123456", "NSE:ORD-1_a.2"]


async def test_a_429_is_rate_limited_with_the_brokers_retry_after():
    http, _ = _client(lambda request: httpx.Response(429, headers={"Retry-After": "7"}))

    with pytest.raises(RateLimited) as raised:
        await http.send("GET", "/orders", idempotent=True)

    assert raised.value.context["retry_after"] == 7


async def test_a_retried_read_is_paced_again_for_each_attempt():
    class CountingPacer:
        acquired = 0

        @asynccontextmanager
        async def slot(self, rate_class: str, key: str) -> AsyncIterator[None]:
            CountingPacer.acquired += 1
            yield

    sent: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        if len(sent) == 1:  # the first attempt reaches the broker but its answer never arrives
            raise httpx.ReadTimeout("no answer", request=request)
        return httpx.Response(200, json={})

    http = BrokerHttp("somebroker", "http://broker.test", transport=httpx.MockTransport(handler), pacer=CountingPacer())

    await http.send("GET", "/quotes", idempotent=True)

    assert len(sent) == 2 and CountingPacer.acquired == 2
