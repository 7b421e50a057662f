"""Upstox's error codes and what each becomes in brokergate's taxonomy.

Every failure is `{"status": "error", "errors": [{"errorCode": "UDAPI100050", "message": ...,
"propertyPath": null, "invalidValue": null}]}` with an HTTP status; newer answers carry the same
fields in snake case too (`error_code`), which is read first
(https://upstox.com/developer/api-documentation/error-codes). `client.py` applies this table once,
around every request; nothing else in the plugin reads an error body.
"""

from __future__ import annotations

from generated.errors import (
    BrokerBadResponse,
    BrokergateError,
    BrokerSessionExpired,
    BrokerUnavailable,
    OrderNotFound,
    OrderRejected,
    RateLimited,
    SymbolNotFound,
    ValidationFailed,
)

BROKER = "upstox"

# The codes whose meaning does not depend on the request they answer.
ERROR_CODES: dict[str, type[BrokergateError]] = {
    "UDAPI100050": BrokerSessionExpired,  # Invalid token used to access API
    "UDAPI100016": ValidationFailed,  # Invalid credentials (the token exchange)
    "UDAPI100057": ValidationFailed,  # Invalid auth code: the login's code was used or has expired
    "UDAPI100011": ValidationFailed,  # Invalid input
    "UDAPI100036": SymbolNotFound,  # Invalid instrument key
    "UDAPI100010": OrderNotFound,  # Order not found
    "UDAPI10005": RateLimited,  # Too many requests sent
    "UDAPI100074": BrokerUnavailable,  # The API is open 05:30 to 00:00 IST only
    "UDAPI100500": BrokerUnavailable,  # Something went wrong
}

# By HTTP status, for a code the table does not know.
STATUSES: dict[int, type[BrokergateError]] = {
    401: BrokerSessionExpired,
    404: BrokerBadResponse,
    429: RateLimited,
    500: BrokerUnavailable,
    502: BrokerUnavailable,
    503: BrokerUnavailable,
    504: BrokerUnavailable,
}


def error_from_upstream(
    status: int, code: str | None, message: str, *, is_order_write: bool = False
) -> BrokergateError:
    """The brokergate error for one Upstox error body.

    An order write (place, modify, cancel) refused with a 4xx whose code is not a session, symbol,
    order-id or throttling problem is a refusal: the caller gets ORDER_REJECTED with Upstox's words.
    """
    cls = ERROR_CODES.get(code or "")
    if cls is None and is_order_write and 400 <= status < 500 and status not in (401, 429):
        cls = OrderRejected
    if cls is None:
        cls = STATUSES.get(status)
    if cls is None:
        cls = ValidationFailed if 400 <= status < 500 else BrokerBadResponse
    label = f"{code}: {message}" if code else message
    if cls is OrderRejected:
        return OrderRejected(f"upstox rejected the order: {label}", broker=BROKER, reason=message)
    if cls is RateLimited:
        return RateLimited(f"upstox throttled the request: {label}", broker=BROKER, retry_after=1)
    return cls(f"upstox: {label}", broker=BROKER)


def first_error(body: object) -> tuple[str | None, str]:
    """The first entry's code and message of an error body, read leniently (either spelling)."""
    errors = body.get("errors") if isinstance(body, dict) else None
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        entry = errors[0]
        code = entry.get("error_code") or entry.get("errorCode")
        return (str(code) if code else None), str(entry.get("message") or "no message")
    if isinstance(body, dict) and body.get("message"):
        return None, str(body["message"])
    return None, "no error detail in the answer"
