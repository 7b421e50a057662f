"""Fyers' error codes become brokergate's classes; refusals keep Fyers' words."""

from __future__ import annotations

import pytest

from brokers.fyers.errors import ERROR_CODES, error_from_upstream
from generated.errors import (
    BrokerBadResponse,
    BrokerSessionExpired,
    BrokerUnavailable,
    OrderNotFound,
    OrderRejected,
    RateLimited,
    SymbolNotFound,
    ValidationFailed,
)


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        (-8, BrokerSessionExpired),
        (-15, BrokerSessionExpired),
        (-16, BrokerSessionExpired),
        (-17, BrokerSessionExpired),
        (-50, ValidationFailed),
        (-51, OrderNotFound),
        (-53, ValidationFailed),
        (-99, OrderRejected),
        (-300, SymbolNotFound),
        (-352, ValidationFailed),
        (-429, RateLimited),
    ],
)
def test_the_table(code, expected):
    assert ERROR_CODES[code] is expected
    assert type(error_from_upstream(code, "words")) is expected


def test_a_refusal_carries_the_brokers_words_as_reason():
    error = error_from_upstream(-99, "RMS:Margin Exceeds")
    assert isinstance(error, OrderRejected)
    assert error.context["reason"] == "RMS:Margin Exceeds"


def test_codes_arrive_as_text_too():
    assert isinstance(error_from_upstream("-300", "Invalid symbol"), SymbolNotFound)


@pytest.mark.parametrize(
    ("status", "is_order", "expected"),
    [
        (401, False, BrokerSessionExpired),
        (503, False, BrokerUnavailable),
        (400, True, OrderRejected),
        (400, False, BrokerBadResponse),
    ],
)
def test_an_unknown_code_is_read_by_what_else_is_known(status, is_order, expected):
    error = error_from_upstream(-9999, "something new", http_status=status, is_order=is_order)
    assert type(error) is expected
    if expected is OrderRejected:
        assert error.context["reason"] == "something new"


def test_a_throttled_body_says_when_to_come_back():
    assert error_from_upstream(-429, "request limit reached").context["retry_after"] == 1
