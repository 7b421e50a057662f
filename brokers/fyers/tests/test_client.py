"""The client's header, retries, envelope and errors, and the plugin's requests checked against Fyers' description."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from brokers.fyers.client import FyersClient
from brokers.fyers.simulator import FyersSimulator
from brokers.fyers.tests.conftest import http_fixture
from generated.api import HistoryRequest, MarginRequest, PlaceOrderRequest
from generated.contract import Account, InstrumentRef, LoginCallback, LoginStart, OrderRef, RateLimit
from generated.errors import (
    BrokerSessionExpired,
    BrokerUnavailable,
    OrderRejected,
    RateLimited,
    SymbolNotFound,
)
from tools.conformance.upstream import CheckedTransport, UpstreamSpec

TOKEN = "ABCD-100:the-access-token"
SPEC = Path(__file__).resolve().parents[3] / "contracts" / "upstream" / "fyers.yaml"


def _client(answer) -> FyersClient:
    return FyersClient(transport=httpx.MockTransport(answer))


async def test_every_request_carries_app_id_and_access_token():
    seen = []

    def answer(request):
        seen.append(request)
        return httpx.Response(200, json=http_fixture("orders_list_ok"))

    assert len(await _client(answer).orders(TOKEN)) == 4
    assert seen[0].headers["Authorization"] == "ABCD-100:the-access-token"
    assert seen[0].url.path == "/api/v3/orders"


async def test_a_read_is_retried_after_a_connection_failure():
    attempts = []

    def answer(request):
        attempts.append(request)
        if len(attempts) < 2:
            raise httpx.ConnectError("refused", request=request)
        return httpx.Response(200, json=http_fixture("funds_ok"))

    assert len(await _client(answer).funds(TOKEN)) == 10
    assert len(attempts) == 2


async def test_an_order_is_never_sent_twice_when_its_answer_is_lost():
    attempts = []

    def answer(request):
        attempts.append(request)
        raise httpx.ReadError("connection reset", request=request)

    with pytest.raises(BrokerUnavailable):
        await _client(answer).place_order(TOKEN, {"symbol": "NSE:SBIN-EQ"})
    assert len(attempts) == 1


async def test_http_429_is_rate_limited_with_the_brokers_retry_after():
    def answer(request):
        return httpx.Response(429, json=http_fixture("orders_list_throttled"), headers={"Retry-After": "7"})

    with pytest.raises(RateLimited) as raised:
        await _client(answer).orders(TOKEN)
    assert raised.value.context["retry_after"] == 7


async def test_an_expired_token_is_broker_session_expired():
    def answer(request):
        return httpx.Response(401, json=http_fixture("orders_list_token_expired"))

    with pytest.raises(BrokerSessionExpired):
        await _client(answer).orders(TOKEN)


async def test_no_token_at_all_is_an_ended_session_without_a_request():
    with pytest.raises(BrokerSessionExpired):
        await _client(lambda request: pytest.fail("no request expected")).orders("ABCD-100:")


async def test_a_refused_order_carries_fyers_words():
    def answer(request):
        return httpx.Response(400, json=http_fixture("orders_place_rejected"))

    with pytest.raises(OrderRejected) as raised:
        await _client(answer).place_order(TOKEN, {"symbol": "NSE:SBIN-EQ"})
    assert raised.value.context["reason"].startswith("RMS:Margin Exceeds")


async def test_placing_answers_the_order_id():
    body = await _client(lambda request: httpx.Response(200, json=http_fixture("orders_place_ok"))).place_order(
        TOKEN, {}
    )
    assert body["id"] == "808058117761"


# Against the simulator, through the description of Fyers' API


@pytest.fixture
async def checked(simulator: FyersSimulator):
    transport = CheckedTransport(httpx.ASGITransport(app=simulator.app), UpstreamSpec.load(SPEC))
    yield simulator.plugin(transport=transport), transport


async def test_the_plugins_requests_match_fyers_description(simulator, checked):
    plugin, transport = checked
    account = simulator.issue_session()
    ltp = simulator.market.quote("NSE", "SBIN").ltp
    placed = await plugin.place_order(
        account, PlaceOrderRequest(strategy="t", exchange="NSE", symbol="SBIN", action="BUY", quantity=1,
                                   pricetype="LIMIT", product="CNC", price=round(ltp * 0.8, 1)),
    )  # fmt: skip
    assert (await plugin.order_status(account, OrderRef(orderid=placed.orderid))).order_status == "open"
    await plugin.cancel_order(account, OrderRef(orderid=placed.orderid))
    await plugin.quote(account, InstrumentRef(exchange="NSE", symbol="SBIN"))
    await plugin.depth(account, InstrumentRef(exchange="NSE", symbol="SBIN"))
    today = datetime.now(UTC).date()
    await plugin.history(
        account,
        HistoryRequest(
            symbol="SBIN", exchange="NSE", interval="5m", start_date=today - timedelta(days=2), end_date=today
        ),
    )
    await plugin.margin(account, MarginRequest(positions=[{"symbol": "SBIN", "exchange": "NSE", "action": "BUY", "quantity": 1,
                                                           "product": "CNC", "pricetype": "MARKET"}]))  # fmt: skip
    await plugin.funds(account)
    assert transport.violations == []
    assert transport.checked > 8


async def test_an_unknown_symbol_is_symbol_not_found(simulator, checked):
    plugin, _ = checked
    with pytest.raises(SymbolNotFound):
        await plugin.quote(simulator.issue_session(), InstrumentRef(exchange="NSE", symbol="NOSUCHSYMBOL"))


async def test_the_redirect_login_round_trips_state_and_ends_within_a_day(simulator, checked):
    plugin, transport = checked
    anonymous = Account(user_id=simulator.user_id, broker="fyers", credentials=simulator.credentials)
    redirect = await plugin.login_url(anonymous, LoginStart(redirect_url=simulator.redirect_url, state="abc123"))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=simulator.app)) as browser:
        answer = await browser.get(redirect.url)
    params = dict(httpx.URL(answer.headers["location"]).params)
    assert params["state"] == "abc123" and params["s"] == "ok"
    grant = await plugin.complete_login(
        anonymous, LoginCallback(params={k: v for k, v in params.items() if k != "state"})
    )
    now = datetime.now(UTC)
    assert now < grant.valid_until <= now + timedelta(hours=24)
    account = anonymous.model_copy(update={"token": grant.token})
    await plugin.order_book(account)
    simulator.expire_sessions()
    with pytest.raises(BrokerSessionExpired):
        await plugin.order_book(account)
    assert transport.violations == []


async def test_every_class_draws_on_fyers_shared_budget():
    shared = [RateLimit.model_validate({"class": "all", "limit": 1, "window": "1m"})]
    client = FyersClient(
        transport=httpx.MockTransport(lambda request: httpx.Response(200, json=http_fixture("orders_list_ok"))),
        rate_limits=shared,
    )
    await client.orders(TOKEN)  # class other
    with pytest.raises(RateLimited) as raised:
        await client.quotes(TOKEN, ["NSE:SBIN-EQ"])  # class quotes, same app: the shared minute is used up
    assert raised.value.context["retry_after"] > 5
