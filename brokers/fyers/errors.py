"""Fyers' error codes and what each becomes in brokergate's taxonomy.

Fyers answers a failure as `{"s": "error", "code": <negative int>, "message": ...}` with an HTTP
status of 400, 401, 403, 429 or 500 (https://myapi.fyers.in/docsv3#tag/Appendix, "Common API Error
Codes"). `client.py` applies this table once, around every request; nothing else reads `code`.
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

BROKER = "fyers"

# https://myapi.fyers.in/docsv3#tag/Appendix (error codes):
#   -8 token expired, -15 invalid token, -16 server could not authenticate the token, -17 token
#   invalid or expired, -50 invalid parameters, -51 invalid order id, -53 invalid position id,
#   -99 order placement rejected, -300 invalid symbol, -352 invalid app id, -429 rate limit exceeded.
ERROR_CODES: dict[int, type[BrokergateError]] = {
    -8: BrokerSessionExpired,
    -15: BrokerSessionExpired,
    -16: BrokerSessionExpired,
    -17: BrokerSessionExpired,
    -50: ValidationFailed,
    -51: OrderNotFound,
    -53: ValidationFailed,
    -99: OrderRejected,
    -300: SymbolNotFound,
    -352: ValidationFailed,
    -429: RateLimited,
}

# The classes that carry the broker's own words as `reason`.
REASON_CARRIERS = (OrderRejected,)


def error_from_upstream(
    code: object, message: str, *, http_status: int = 400, is_order: bool = False
) -> BrokergateError:
    """The brokergate error for one Fyers error body.

    A code outside the table is read by what else is known: HTTP 401 is an ended session, 5xx an
    unavailable broker, and on an order endpoint any other refusal is the order being rejected (Fyers
    gives RMS refusals their own codes, and the caller needs the words, not the number).
    """
    number = code if isinstance(code, int) else _int(code)
    cls = ERROR_CODES.get(number) if number is not None else None
    if cls is None:
        if http_status == 401:
            cls = BrokerSessionExpired
        elif http_status >= 500:
            cls = BrokerUnavailable
        elif is_order:
            cls = OrderRejected
        else:
            return BrokerBadResponse(
                f"fyers answered with error code {code!r}, which is not in the error table: {message}", broker=BROKER
            )
    if issubclass(cls, REASON_CARRIERS):
        return cls(f"fyers rejected the order: {message}", broker=BROKER, reason=message)
    if cls is RateLimited:
        return RateLimited(f"fyers throttled the request: {message}", broker=BROKER, retry_after=1)
    if cls is BrokerSessionExpired:
        return cls(f"fyers session ended ({message}); log in to the broker again", broker=BROKER)
    return cls(f"fyers: {message}", broker=BROKER)


def _int(value: object) -> int | None:
    try:
        return int(str(value))
    except ValueError:
        return None
