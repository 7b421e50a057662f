"""Dhan's error codes in brokergate's taxonomy."""

from __future__ import annotations

import pytest

from brokers.dhan.errors import ERROR_CODES, error_from_upstream
from generated.errors import (
    BrokerBadResponse,
    BrokerSessionExpired,
    BrokerUnavailable,
    Forbidden,
    OrderRejected,
    RateLimited,
    SymbolNotFound,
    ValidationFailed,
)


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("DH-901", BrokerSessionExpired),
        ("DH-902", Forbidden),
        ("DH-903", Forbidden),
        ("DH-904", RateLimited),
        ("DH-905", ValidationFailed),
        ("DH-906", OrderRejected),
        ("DH-907", ValidationFailed),
        ("DH-908", BrokerUnavailable),
        ("DH-909", BrokerUnavailable),
        ("DH-910", BrokerUnavailable),
        ("800", BrokerUnavailable),
        ("804", ValidationFailed),
        ("805", RateLimited),
        ("806", Forbidden),
        ("807", BrokerSessionExpired),
        ("808", BrokerSessionExpired),
        ("809", BrokerSessionExpired),
        ("810", BrokerSessionExpired),
        ("811", ValidationFailed),
        ("812", ValidationFailed),
        ("813", SymbolNotFound),
        ("814", ValidationFailed),
    ],
)
def test_each_code_becomes_its_class(code, expected):
    assert type(error_from_upstream(code, "what dhan said")) is expected


def test_the_table_is_what_the_test_lists():
    assert len(ERROR_CODES) == 22


def test_a_refused_order_carries_dhans_words_as_reason():
    error = error_from_upstream("DH-906", "Market is Closed! Want to place an offline order?")
    assert error.context["reason"] == "Market is Closed! Want to place an offline order?"
    assert error.context["broker"] == "dhan"


@pytest.mark.parametrize("code", ["DH-904", "805"])
def test_throttling_without_retry_after_says_one_second(code):
    assert error_from_upstream(code, "Too many requests").context["retry_after"] == 1


def test_an_unknown_code_is_a_bad_response_naming_it():
    error = error_from_upstream("DH-999", "something new")
    assert isinstance(error, BrokerBadResponse)
    assert "DH-999" in error.message and "something new" in error.message
