"""Kite's error_type table, and the client applying it to whole HTTP answers."""

from __future__ import annotations

import httpx
import pytest

from brokers.zerodha.client import ZerodhaClient
from brokers.zerodha.errors import ERROR_TYPES, error_from_upstream
from brokers.zerodha.tests.conftest import http_fixture
from generated.errors import (
    BrokerBadResponse,
    BrokerSessionExpired,
    BrokerUnavailable,
    OrderRejected,
    RateLimited,
    ValidationFailed,
)

TOKEN = "key:secret-token"


@pytest.mark.parametrize(
    ("error_type", "expected"),
    [("TokenException", BrokerSessionExpired), ("OrderException", OrderRejected), ("MarginException", OrderRejected),
     ("InputException", ValidationFailed), ("NetworkException", BrokerUnavailable), ("DataException", BrokerBadResponse)],
)  # fmt: skip
def test_each_error_type_becomes_its_brokergate_class(error_type, expected):
    assert ERROR_TYPES[error_type] is expected
    assert isinstance(error_from_upstream(error_type, "words"), expected)


def test_a_refusal_carries_the_brokers_words_as_reason():
    error = error_from_upstream("OrderException", "Markets are closed right now.")

    assert error.code == "ORDER_REJECTED" and error.context["reason"] == "Markets are closed right now."


def test_an_unknown_error_type_is_a_bad_response_that_names_it():
    error = error_from_upstream("WeirdException", "?")

    assert isinstance(error, BrokerBadResponse) and "'WeirdException'" in error.message


def _client_answering(status: int, body: dict, headers: dict | None = None) -> ZerodhaClient:
    return ZerodhaClient(transport=httpx.MockTransport(lambda request: httpx.Response(status, json=body, headers=headers)))


async def test_a_margin_refusal_while_placing_raises_order_rejected_with_reason():
    client = _client_answering(400, http_fixture("orders_place_rejected_margin"))

    with pytest.raises(OrderRejected) as raised:
        await client.place_order(TOKEN, "regular", {"tradingsymbol": "SBIN"})

    assert raised.value.context["reason"].startswith("Insufficient funds")


async def test_an_expired_token_raises_session_expired():
    client = _client_answering(403, http_fixture("orders_list_token_expired"))

    with pytest.raises(BrokerSessionExpired):
        await client.orders(TOKEN)


async def test_http_429_raises_rate_limited_with_retry_after():
    client = _client_answering(429, http_fixture("orders_list_throttled"), {"Retry-After": "3"})

    with pytest.raises(RateLimited) as raised:
        await client.orders(TOKEN)

    assert raised.value.context["retry_after"] == 3
