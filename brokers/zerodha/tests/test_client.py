"""The client's headers, retries, pacing and login, and its requests checked against Kite's description."""

from __future__ import annotations

from datetime import datetime

import httpx
import pytest

from brokers.zerodha import auth
from brokers.zerodha.client import ZerodhaClient
from brokers.zerodha.simulator import UPSTREAM_SPEC
from generated.api import HistoryRequest, MarginRequest, ModifyOrderRequest, PlaceOrderRequest
from generated.contract import InstrumentRef, OrderRef
from generated.errors import BrokerTimeout, BrokerUnavailable
from tools.conformance.upstream import CheckedTransport, UpstreamSpec

TOKEN = "the-key:the-access-token"


async def test_every_request_carries_kites_version_and_token_headers():
    seen = []
    client = ZerodhaClient(transport=httpx.MockTransport(lambda r: seen.append(r) or httpx.Response(200, json={"status": "success", "data": []})))

    await client.orders(TOKEN)

    assert seen[0].headers["X-Kite-Version"] == "3"
    assert seen[0].headers["Authorization"] == "token the-key:the-access-token"


async def test_a_read_is_retried_after_a_connection_failure():
    attempts = []

    def answer(request):
        attempts.append(request)
        if len(attempts) < 3:
            raise httpx.ConnectError("refused", request=request)
        return httpx.Response(200, json={"status": "success", "data": []})

    assert await ZerodhaClient(transport=httpx.MockTransport(answer)).orders(TOKEN) == []
    assert len(attempts) == 3


async def test_an_order_is_never_sent_twice_when_its_answer_is_lost():
    attempts = []

    def answer(request):
        attempts.append(request)
        raise httpx.ReadError("connection reset", request=request)

    with pytest.raises(BrokerUnavailable):
        await ZerodhaClient(transport=httpx.MockTransport(answer)).place_order(TOKEN, "regular", {"tradingsymbol": "SBIN"})

    assert len(attempts) == 1


async def test_a_timeout_raises_broker_timeout():
    def answer(request):
        raise httpx.ReadTimeout("slow", request=request)

    with pytest.raises(BrokerTimeout):
        await ZerodhaClient(transport=httpx.MockTransport(answer)).place_order(TOKEN, "regular", {})


def test_the_login_url_carries_state_through_redirect_params():
    url = auth.login_url("the-key", "abc123")

    assert url == "https://kite.zerodha.com/connect/login?v=3&api_key=the-key&redirect_params=state%3Dabc123"


@pytest.mark.parametrize(
    ("logged_in", "expires"),
    [("2024-12-02 09:15", "2024-12-03 06:00"), ("2024-12-02 05:00", "2024-12-02 06:00"), ("2024-12-02 06:00", "2024-12-03 06:00")],
)
def test_a_session_ends_at_the_next_six_in_the_morning_ist(logged_in, expires):
    moment = datetime.strptime(logged_in, "%Y-%m-%d %H:%M").replace(tzinfo=auth.IST)

    assert auth.session_expiry(moment) == datetime.strptime(expires, "%Y-%m-%d %H:%M").replace(tzinfo=auth.IST)


def test_the_checksum_is_sha256_of_key_then_token_then_secret():
    # SHA-256("abc") is the FIPS 180-2 test vector, so this also pins the order of the three parts.
    assert auth.checksum("a", "b", "c") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"


async def test_the_plugins_requests_match_kites_description(simulator):
    transport = CheckedTransport(httpx.ASGITransport(app=simulator.app), UpstreamSpec.load(UPSTREAM_SPEC))
    plugin, account = simulator.plugin(transport=transport), simulator.issue_session()
    sbin = InstrumentRef(exchange="NSE", symbol="SBIN")
    price = round(simulator.market.quote("NSE", "SBIN").ltp * 0.8, 1)

    placed = await plugin.place_order(account, PlaceOrderRequest(strategy="t", exchange="NSE", symbol="SBIN", action="BUY",
                                                                 quantity=1, pricetype="LIMIT", price=price, product="CNC"))  # fmt: skip
    await plugin.modify_order(account, ModifyOrderRequest(strategy="t", orderid=placed.orderid, exchange="NSE", symbol="SBIN",
                                                          action="BUY", product="CNC", pricetype="LIMIT", price=price, quantity=2))  # fmt: skip
    await plugin.cancel_order(account, OrderRef(orderid=placed.orderid))
    await plugin.depth(account, sbin)
    await plugin.history(account, HistoryRequest(symbol="SBIN", exchange="NSE", interval="5m", start_date="2024-12-02", end_date="2024-12-03"))
    await plugin.margin(account, MarginRequest(positions=[{"symbol": "SBIN", "exchange": "NSE", "action": "BUY", "quantity": 1,
                                                           "product": "MIS", "pricetype": "MARKET"}]))  # fmt: skip

    assert transport.checked >= 7
    assert transport.violations == []


def test_the_description_catches_a_field_kite_does_not_take():
    spec = UpstreamSpec.load(UPSTREAM_SPEC)
    request = httpx.Request("POST", "https://api.kite.trade/orders/regular", data={"tradingsymbol": "SBIN", "colour": "red"},
                            headers={"Authorization": "token a:b"})  # fmt: skip

    problems = spec.check(request)

    assert any("'colour' was unexpected" in problem for problem in problems)
    assert any("'exchange' is a required property" in problem for problem in problems)
