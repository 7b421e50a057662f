"""The client's headers, retries and error reading, the login, and the plugin's requests checked against Upstox's description."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from brokers.upstox import auth
from brokers.upstox.client import UpstoxClient
from brokers.upstox.simulator import UPSTREAM_SPEC
from brokers.upstox.tests.conftest import http_fixture
from generated.api import HistoryRequest, MarginRequest, ModifyOrderRequest, PlaceOrderRequest
from generated.contract import Account, InstrumentRef, LoginCallback, LoginStart, OrderRef
from generated.errors import BrokerSessionExpired, BrokerUnavailable, OrderRejected, RateLimited, ValidationFailed
from tools.conformance.upstream import CheckedTransport, UpstreamSpec

TOKEN = "the-access-token"
ORDER = {"quantity": 1, "product": "D", "validity": "DAY", "price": 0, "instrument_token": "NSE_EQ|INE062A01020",
         "order_type": "MARKET", "transaction_type": "BUY", "disclosed_quantity": 0, "trigger_price": 0, "is_amo": False}  # fmt: skip


def _client(answer) -> UpstoxClient:
    return UpstoxClient(transport=httpx.MockTransport(answer))


async def test_every_request_carries_the_bearer_token_and_accepts_json():
    seen = []

    def answer(request):
        seen.append(request)
        return httpx.Response(200, json=http_fixture("orders_list_ok"))

    await _client(answer).orders(TOKEN)

    assert seen[0].headers["Authorization"] == "Bearer the-access-token"
    assert seen[0].headers["Accept"] == "application/json"
    assert str(seen[0].url) == "https://api.upstox.com/v2/order/retrieve-all"


async def test_orders_go_to_the_low_latency_host():
    seen = []

    def answer(request):
        seen.append(request)
        return httpx.Response(200, json=http_fixture("orders_place_ok"))

    assert await _client(answer).place_order(TOKEN, ORDER) == {"order_id": "1644490272000"}
    assert str(seen[0].url) == "https://api-hft.upstox.com/v2/order/place"


async def test_an_instrument_key_is_escaped_into_its_one_path_segment():
    seen = []

    def answer(request):
        seen.append(request)
        return httpx.Response(200, json=http_fixture("historical_ok"))

    await _client(answer).candles(TOKEN, "NSE_INDEX|Nifty 50", "day", "2024-12-03", "2024-12-02")

    assert seen[0].url.raw_path == b"/v2/historical-candle/NSE_INDEX%7CNifty%2050/day/2024-12-03/2024-12-02"


async def test_the_instruments_file_is_fetched_without_a_token_and_unzipped():
    seen = []

    def answer(request):
        seen.append(request)
        return httpx.Response(200, content=gzip.compress(json.dumps(http_fixture("instruments_ok")).encode()))

    rows = await _client(answer).instruments()

    assert str(seen[0].url) == "https://assets.upstox.com/market-quote/instruments/exchange/complete.json.gz"
    assert "Authorization" not in seen[0].headers
    assert rows[0]["instrument_key"] == "NSE_EQ|INE062A01020"


async def test_a_read_is_retried_after_a_connection_failure():
    attempts = []

    def answer(request):
        attempts.append(request)
        if len(attempts) < 3:
            raise httpx.ConnectError("refused", request=request)
        return httpx.Response(200, json={"status": "success", "data": []})

    assert await _client(answer).orders(TOKEN) == []
    assert len(attempts) == 3


async def test_an_order_is_never_sent_twice_when_its_answer_is_lost():
    attempts = []

    def answer(request):
        attempts.append(request)
        raise httpx.ReadError("connection reset", request=request)

    with pytest.raises(BrokerUnavailable):
        await _client(answer).place_order(TOKEN, ORDER)
    assert len(attempts) == 1


async def test_a_429_is_rate_limited_with_the_brokers_retry_after():
    def answer(request):
        return httpx.Response(429, json=http_fixture("throttled"), headers={"Retry-After": "7"})

    with pytest.raises(RateLimited) as raised:
        await _client(answer).funds(TOKEN)
    assert raised.value.context["retry_after"] == 7


async def test_an_expired_token_is_a_session_expiry():
    def answer(request):
        return httpx.Response(401, json=http_fixture("token_expired"))

    with pytest.raises(BrokerSessionExpired):
        await _client(answer).positions(TOKEN)


async def test_a_refused_order_is_order_rejected_with_upstoxs_words():
    def answer(request):
        return httpx.Response(400, json=http_fixture("orders_place_rejected"))

    with pytest.raises(OrderRejected) as raised:
        await _client(answer).place_order(TOKEN, ORDER)
    assert raised.value.context["reason"] == "Order quantity exceeds the freeze limit"


async def test_no_token_is_a_session_expiry_before_anything_is_sent():
    with pytest.raises(BrokerSessionExpired):
        await _client(lambda request: pytest.fail("nothing should be sent")).orders("")


def test_the_login_url_carries_state_and_the_redirect():
    url = auth.login_url("the-key", "http://127.0.0.1:5000/upstox/callback", "abc123")

    parts = urlsplit(url)
    assert (parts.netloc, parts.path) == ("api.upstox.com", "/v2/login/authorization/dialog")
    assert parse_qs(parts.query) == {
        "response_type": ["code"], "client_id": ["the-key"],
        "redirect_uri": ["http://127.0.0.1:5000/upstox/callback"], "state": ["abc123"],
    }  # fmt: skip


@pytest.mark.parametrize(
    ("issued", "expires"),
    [("2024-12-02 09:15", "2024-12-03 03:30"), ("2024-12-02 02:00", "2024-12-02 03:30"), ("2024-12-02 03:30", "2024-12-03 03:30"),
     ("2024-12-02 23:59", "2024-12-03 03:30")],
)  # fmt: skip
def test_a_session_ends_at_the_next_half_past_three_ist(issued, expires):
    moment = datetime.strptime(issued, "%Y-%m-%d %H:%M").replace(tzinfo=auth.IST)

    assert auth.session_expiry(moment) == datetime.strptime(expires, "%Y-%m-%d %H:%M").replace(tzinfo=auth.IST)


async def test_login_without_stored_credentials_names_them(simulator):
    with pytest.raises(ValidationFailed, match="api_secret") as raised:
        await simulator.plugin().login_url(
            Account(user_id=1, broker="upstox", credentials={"api_key": "k"}), LoginStart(redirect_url="x", state="s")
        )
    assert raised.value.context["field"] == "credentials"


async def test_the_redirect_login_round_trips_state_and_ends_at_half_past_three(simulator):
    noon_ist = datetime(2024, 12, 2, 6, 30, tzinfo=UTC)
    plugin = simulator.plugin(clock=lambda: noon_ist)
    account = Account(user_id=1, broker="upstox", credentials=simulator.credentials)

    redirect = await plugin.login_url(account, LoginStart(redirect_url=simulator.redirect_url, state="xyz"))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=simulator.app)) as browser:
        answer = await browser.get(redirect.url)
    params = {key: values[0] for key, values in parse_qs(urlsplit(answer.headers["location"]).query).items()}
    grant = await plugin.complete_login(
        account, LoginCallback(params={"code": params["code"]}, redirect_url=simulator.redirect_url)
    )

    assert params["state"] == "xyz"
    assert grant.valid_until == datetime(2024, 12, 2, 22, 0, tzinfo=UTC)  # 03:30 IST on the 3rd
    assert (await plugin.funds(account.model_copy(update={"token": grant.token}))).availablecash > 0
    with pytest.raises(ValidationFailed):  # a code works once
        await plugin.complete_login(account, LoginCallback(params={"code": params["code"]}))


async def test_the_plugins_requests_match_upstoxs_description(simulator):
    transport = CheckedTransport(httpx.ASGITransport(app=simulator.app), UpstreamSpec.load(UPSTREAM_SPEC))
    plugin, account = simulator.plugin(transport=transport), simulator.issue_session()
    price = round(simulator.market.quote("NSE", "SBIN").ltp * 0.8, 1)

    placed = await plugin.place_order(account, PlaceOrderRequest(strategy="t", exchange="NSE", symbol="SBIN", action="BUY",
                                                                 quantity=1, pricetype="LIMIT", price=price, product="CNC"))  # fmt: skip
    await plugin.modify_order(account, ModifyOrderRequest(strategy="t", orderid=placed.orderid, exchange="NSE", symbol="SBIN",
                                                          action="BUY", product="CNC", pricetype="LIMIT", price=price, quantity=2))  # fmt: skip
    assert (await plugin.order_status(account, OrderRef(orderid=placed.orderid))).quantity == 2
    await plugin.cancel_order(account, OrderRef(orderid=placed.orderid))
    await plugin.depth(account, InstrumentRef(exchange="NSE_INDEX", symbol="NIFTY"))
    await plugin.history(
        account,
        HistoryRequest(
            symbol="NIFTY", exchange="NSE_INDEX", interval="1m", start_date="2024-12-02", end_date="2024-12-03"
        ),
    )
    await plugin.margin(account, MarginRequest(positions=[{"symbol": "SBIN", "exchange": "NSE", "action": "BUY", "quantity": 1,
                                                           "product": "MIS", "pricetype": "MARKET"}]))  # fmt: skip

    assert transport.checked >= 8
    assert transport.violations == []


def test_the_description_catches_a_field_upstox_does_not_take():
    spec = UpstreamSpec.load(UPSTREAM_SPEC)
    request = httpx.Request("POST", "https://api-hft.upstox.com/v2/order/place", json=ORDER | {"colour": "red", "product": "CNC"},
                            headers={"Authorization": "Bearer x"})  # fmt: skip

    problems = spec.check(request)

    assert any("'colour' was unexpected" in problem for problem in problems)
    assert any("'CNC' is not one of" in problem for problem in problems)
