"""SmartAPI's error codes, and what each becomes."""

from __future__ import annotations

import pytest

from brokers.angel.errors import ERROR_CODES, error_from_upstream
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
        ("AG8001", BrokerSessionExpired),
        ("AG8002", BrokerSessionExpired),
        ("AB1010", BrokerSessionExpired),
        ("AB1007", OrderRejected),
        ("AB1009", SymbolNotFound),
        ("AB4006", SymbolNotFound),
        ("AB1013", OrderNotFound),
        ("AB1004", BrokerUnavailable),
        ("AB2001", BrokerUnavailable),
        ("AB1012", ValidationFailed),
    ],
)
def test_table(code, expected):
    assert ERROR_CODES[code] is expected
    assert isinstance(error_from_upstream(code, "words"), expected)


def test_refusals_carry_angels_words():
    error = error_from_upstream("AB1007", "RMS:Margin Exceeds")
    assert error.code == "ORDER_REJECTED"
    assert error.context["reason"] == "RMS:Margin Exceeds"


def test_on_an_order_input_errors_are_refusals_but_outages_stay_unknown():
    assert (
        error_from_upstream("AB1012", "Invalid Product Type", is_order=True).context["reason"] == "Invalid Product Type"
    )
    assert isinstance(error_from_upstream("AB1004", "Something Went Wrong", is_order=True), BrokerUnavailable)
    assert isinstance(error_from_upstream("AB9999", "new words", is_order=True), OrderRejected)


def test_unknown_code_is_a_bad_response_except_at_login():
    assert isinstance(error_from_upstream("AB9999", "new words"), BrokerBadResponse)
    assert isinstance(error_from_upstream("AB1050", "Invalid totp", is_login=True), ValidationFailed)


def test_throttle_words_are_rate_limited():
    error = error_from_upstream("", "Access denied because of exceeding access rate")
    assert isinstance(error, RateLimited)
    assert error.context["retry_after"] == 1
