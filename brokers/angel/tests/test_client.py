"""AngelClient's behaviour: envelopes, retries of reads only, throttling and expired tokens."""

from __future__ import annotations

import json

import httpx
import pytest

from brokers.angel.client import ORDER_BOOK, PLACE_ORDER, QUOTE, AngelClient
from brokers.angel.tests.conftest import SESSION, http_fixture
from generated.api import PlaceOrderRequest
from generated.contract import InstrumentRef, OrderRef
from generated.errors import BrokerSessionExpired, BrokerUnavailable, OrderNotFound, OrderRejected, RateLimited


def client_answering(*answers, seen: list[httpx.Request]) -> AngelClient:
    """A client whose transport answers `answers` in turn; an exception is raised as a transport failure."""
    queue = list(answers)

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        answer = queue.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    return AngelClient(transport=httpx.MockTransport(handle), rate_limits=[])


def ok(name: str, status: int = 200, **headers: str) -> httpx.Response:
    return httpx.Response(status, json=http_fixture(name), headers=headers)


async def test_headers_and_body_are_angels():
    seen: list[httpx.Request] = []
    client = client_answering(ok("orders_place_ok"), seen=seen)
    data = await client.place_order(SESSION, {"variety": "NORMAL"})
    assert data["orderid"] == "201020000000080"
    (request,) = seen
    assert request.url.path == PLACE_ORDER
    assert request.headers["Authorization"] == "Bearer jwt.token.sig"
    assert request.headers["X-PrivateKey"] == "app-key"
    assert (request.headers["X-UserType"], request.headers["X-SourceID"]) == ("USER", "WEB")
    assert all(name in request.headers for name in ("X-ClientLocalIP", "X-ClientPublicIP", "X-MACAddress"))
    assert json.loads(request.content) == {"variety": "NORMAL"}


async def test_orders_are_never_resent():
    seen: list[httpx.Request] = []
    client = client_answering(httpx.ConnectError("reset"), ok("orders_place_ok"), seen=seen)
    with pytest.raises(BrokerUnavailable):
        await client.place_order(SESSION, {"variety": "NORMAL"})
    assert len(seen) == 1


async def test_reads_are_retried():
    seen: list[httpx.Request] = []
    client = client_answering(httpx.ConnectError("reset"), ok("order_book_ok"), seen=seen)
    rows = await client.orders(SESSION)
    assert len(rows) == 4
    assert [request.url.path for request in seen] == [ORDER_BOOK, ORDER_BOOK]


async def test_empty_book_is_an_empty_list():
    client = client_answering(ok("order_book_empty"), seen=[])
    assert await client.orders(SESSION) == []


async def test_429_is_rate_limited_with_retry_after():
    client = client_answering(httpx.Response(429, text="Too many requests", headers={"Retry-After": "7"}), seen=[])
    with pytest.raises(RateLimited) as raised:
        await client.funds(SESSION)
    assert raised.value.context["retry_after"] == 7


async def test_plain_text_throttle_is_rate_limited():
    answer = httpx.Response(403, text="Access denied because of exceeding access rate")
    client = client_answering(answer, seen=[])
    with pytest.raises(RateLimited):
        await client.orders(SESSION)


async def test_expired_token():
    client = client_answering(ok("token_expired", 401), seen=[])
    with pytest.raises(BrokerSessionExpired):
        await client.orders(SESSION)


async def test_refused_order_carries_the_reason():
    client = client_answering(ok("orders_place_rejected"), seen=[])
    with pytest.raises(OrderRejected) as raised:
        await client.place_order(SESSION, {"variety": "NORMAL"})
    assert raised.value.context["reason"] == "Order rejected: insufficient funds"


async def test_master_goes_without_credentials():
    seen: list[httpx.Request] = []
    client = client_answering(ok("scrip_master_ok"), seen=seen)
    rows = await client.master()
    assert len(rows) == 12
    assert "X-PrivateKey" not in seen[0].headers and "Authorization" not in seen[0].headers


async def test_an_html_outage_is_unavailable():
    client = client_answering(httpx.Response(502, text="<html>Bad Gateway</html>"), seen=[])
    with pytest.raises(BrokerUnavailable):
        await client.funds(SESSION)


async def test_quotes_go_in_batches_of_fifty(simulator):
    plugin = simulator.plugin(rate_limits=[])
    account = simulator.issue_session()
    wanted = [
        InstrumentRef(exchange=row.exchange, symbol=row.symbol) for row in simulator.market.master.all("NFO")[:60]
    ]
    results = await plugin.multi_quotes(account, [*wanted, InstrumentRef(exchange="NSE", symbol="NOSUCH")])
    assert all(result.data is not None for result in results[:60])
    assert results[60].error == "Symbol not found"
    assert sum(request.path == QUOTE for request in simulator.requests) == 2


async def test_cancel_repeats_the_orders_variety(simulator):
    plugin = simulator.plugin(rate_limits=[])
    account = simulator.issue_session()
    ltp = simulator.market.quote("NSE", "SBIN").ltp
    request = PlaceOrderRequest(strategy="t", exchange="NSE", symbol="SBIN", action="BUY", quantity=1, product="CNC",
                                pricetype="SL-M", trigger_price=round(ltp * 1.2, 1))  # fmt: skip
    placed = await plugin.place_order(account, request)
    await plugin.cancel_order(account, OrderRef(orderid=placed.orderid))
    assert (await plugin.order_status(account, OrderRef(orderid=placed.orderid))).order_status == "cancelled"
    with pytest.raises(OrderNotFound):
        await plugin.cancel_order(account, OrderRef(orderid="no-such-order"))
