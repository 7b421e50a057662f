"""Upstox's error codes and HTTP statuses, and the brokergate error each becomes."""

from __future__ import annotations

import pytest

from brokers.upstox.errors import error_from_upstream, first_error
from brokers.upstox.tests.conftest import http_fixture


@pytest.mark.parametrize(
    ("status", "code", "is_order_write", "expected"),
    [
        (401, "UDAPI100050", False, "BROKER_SESSION_EXPIRED"),
        (401, None, False, "BROKER_SESSION_EXPIRED"),
        (400, "UDAPI100036", False, "SYMBOL_NOT_FOUND"),
        (400, "UDAPI100010", True, "ORDER_NOT_FOUND"),
        (400, "UDAPI100011", False, "VALIDATION_FAILED"),
        (401, "UDAPI100016", False, "VALIDATION_FAILED"),
        (429, "UDAPI10005", False, "RATE_LIMITED"),
        (423, "UDAPI100074", False, "BROKER_UNAVAILABLE"),
        (500, "UDAPI100500", True, "BROKER_UNAVAILABLE"),
        (503, None, False, "BROKER_UNAVAILABLE"),
        (400, "UDAPI100060", True, "ORDER_REJECTED"),
        (400, "UDAPI100060", False, "VALIDATION_FAILED"),
        (200, "UDAPI999999", False, "BROKER_BAD_RESPONSE"),
    ],
)
def test_the_error_table(status, code, is_order_write, expected):
    assert error_from_upstream(status, code, "words", is_order_write=is_order_write).code == expected


def test_a_refused_order_carries_upstoxs_words_as_reason():
    code, message = first_error(http_fixture("orders_place_rejected"))

    error = error_from_upstream(400, code, message, is_order_write=True)

    assert error.code == "ORDER_REJECTED"
    assert error.context["reason"] == "Order quantity exceeds the freeze limit"


def test_throttling_by_error_code_carries_a_retry_after():
    assert error_from_upstream(429, "UDAPI10005", "Too Many Request Sent").context["retry_after"] == 1


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            {"status": "error", "errors": [{"error_code": "UDAPI100050", "message": "Invalid token"}]},
            ("UDAPI100050", "Invalid token"),
        ),
        (
            {"status": "error", "errors": [{"errorCode": "UDAPI100036", "message": "Invalid key"}]},
            ("UDAPI100036", "Invalid key"),
        ),
        ({"status": "error", "message": "bare"}, (None, "bare")),
        ("not json object", (None, "no error detail in the answer")),
    ],
)
def test_the_first_error_is_read_in_either_spelling(body, expected):
    assert first_error(body) == expected
