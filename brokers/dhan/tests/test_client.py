"""The client's headers, error bodies, retries and throttling, on answers built from Dhan's documentation."""

from __future__ import annotations

import httpx
import pytest

from brokers.dhan.client import DhanClient
from brokers.dhan.tests.conftest import http_fixture
from generated.errors import (
    BrokerBadResponse,
    BrokerSessionExpired,
    BrokerUnavailable,
    OrderRejected,
    RateLimited,
    ValidationFailed,
)

TOKEN = "1000000009:the-access-token"
ORDER = {"dhanClientId": "1000000009", "transactionType": "BUY", "exchangeSegment": "NSE_EQ", "productType": "CNC",
         "orderType": "MARKET", "validity": "DAY", "securityId": "3045", "quantity": 1}  # fmt: skip


def _client(handler) -> tuple[DhanClient, list[httpx.Request]]:
    seen: list[httpx.Request] = []

    def record(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return handler(request)

    return DhanClient(transport=httpx.MockTransport(record), rate_limits=[]), seen


async def test_every_request_carries_access_token_and_client_id():
    client, seen = _client(lambda r: httpx.Response(200, json=http_fixture("fundlimit_ok")))
    await client.fund_limit(TOKEN)
    assert seen[0].headers["access-token"] == "the-access-token"
    assert seen[0].headers["client-id"] == "1000000009"
    assert str(seen[0].url) == "https://api.dhan.co/v2/fundlimit"


async def test_no_token_is_an_expired_session_before_anything_is_sent():
    client, seen = _client(lambda r: httpx.Response(200, json=[]))
    with pytest.raises(BrokerSessionExpired):
        await client.orders("")
    assert seen == []


async def test_an_order_is_never_sent_twice():
    def fail(request):
        raise httpx.ConnectError("connection reset")

    client, seen = _client(fail)
    with pytest.raises(BrokerUnavailable):
        await client.place_order(TOKEN, ORDER)
    assert len(seen) == 1


async def test_a_read_is_retried_after_a_transport_failure():
    answers = iter([httpx.ConnectError("reset"), httpx.Response(200, json=http_fixture("orders_list_ok"))])

    def flaky(request):
        answer = next(answers)
        if isinstance(answer, Exception):
            raise answer
        return answer

    client, seen = _client(flaky)
    assert len(await client.orders(TOKEN)) == 4
    assert len(seen) == 2


async def test_http_429_is_rate_limited_with_retry_after():
    client, _ = _client(lambda r: httpx.Response(429, headers={"Retry-After": "7"}, json={"errorCode": "DH-904"}))
    with pytest.raises(RateLimited) as raised:
        await client.orders(TOKEN)
    assert raised.value.context["retry_after"] == 7


async def test_the_data_apis_805_is_rate_limited():
    client, _ = _client(lambda r: httpx.Response(200, json=http_fixture("marketfeed_throttled")))
    with pytest.raises(RateLimited):
        await client.market_quote(TOKEN, "quote", {"NSE_EQ": [3045]})


@pytest.mark.parametrize(("status", "fixture"), [(401, "session_expired"), (401, "marketfeed_expired")])
async def test_an_expired_token_is_an_expired_session(status, fixture):
    client, _ = _client(lambda r: httpx.Response(status, json=http_fixture(fixture)))
    with pytest.raises(BrokerSessionExpired):
        await client.orders(TOKEN)


async def test_a_refused_order_says_why():
    client, _ = _client(lambda r: httpx.Response(400, json=http_fixture("order_place_rejected")))
    with pytest.raises(OrderRejected) as raised:
        await client.place_order(TOKEN, ORDER)
    assert raised.value.context["reason"] == "Market is Closed! Want to place an offline order?"


async def test_an_empty_demat_account_is_no_holdings_not_an_error():
    client, _ = _client(lambda r: httpx.Response(400, json=http_fixture("holdings_none")))
    assert await client.holdings(TOKEN) == []


async def test_a_server_error_without_a_code_is_unavailable_and_html_is_a_bad_response():
    client, _ = _client(lambda r: httpx.Response(502, json={}))
    with pytest.raises(BrokerUnavailable):
        await client.fund_limit(TOKEN)
    client, _ = _client(lambda r: httpx.Response(200, text="<html>", headers={"content-type": "text/html"}))
    with pytest.raises(BrokerBadResponse):
        await client.fund_limit(TOKEN)


async def test_market_quote_answers_data_by_segment():
    client, seen = _client(lambda r: httpx.Response(200, json=http_fixture("marketfeed_quote_ok")))
    data = await client.market_quote(TOKEN, "quote", {"NSE_EQ": [3045]})
    assert data["NSE_EQ"]["3045"]["last_price"] == 790.35
    assert seen[0].url.path == "/v2/marketfeed/quote" and seen[0].method == "POST"


async def test_login_sends_client_id_pin_and_totp_as_query_parameters():
    client, seen = _client(lambda r: httpx.Response(200, json=http_fixture("generate_access_token_ok")))
    answer = await client.generate_access_token("1000000401", "123456", "654321")
    assert answer["accessToken"].startswith("eyJ")
    assert (
        str(seen[0].url)
        == "https://auth.dhan.co/app/generateAccessToken?dhanClientId=1000000401&pin=123456&totp=654321"
    )
    assert "access-token" not in seen[0].headers


async def test_a_refused_login_is_a_validation_failure_with_dhans_words():
    client, _ = _client(lambda r: httpx.Response(400, json={"status": "error", "message": "Invalid TOTP"}))
    with pytest.raises(ValidationFailed, match="Invalid TOTP"):
        await client.generate_access_token("1000000401", "123456", "000000")


async def test_requests_reach_the_simulator_with_their_rate_classes(simulator):
    plugin = simulator.plugin()
    account = simulator.issue_session()
    await plugin.order_book(account)  # one read, and the scrip master on its own host
    assert sorted(request.rate_class for request in simulator.requests) == ["files", "other"]


async def test_an_order_id_cannot_steer_a_request_elsewhere():
    client, seen = _client(lambda r: httpx.Response(200, json={}))
    with pytest.raises(ValidationFailed):
        await client.cancel_order(TOKEN, "../fundlimit")
    assert seen == []
