"""DhanHQ's error codes and what each becomes in brokergate's taxonomy.

Trading APIs answer a failure as `{"errorType": ..., "errorCode": "DH-9xx", "errorMessage": ...}` with an
HTTP status (https://dhanhq.co/docs/v2/annexure/#trading-api-error). The data APIs (market quote, the
live feed) use three-digit codes instead (https://dhanhq.co/docs/v2/annexure/#data-api-error), sent as
`{"status": "failed", "data": {"805": "..."}}`. `client.py` applies this table once, around every
request; nothing else in the plugin looks at an error code.
"""

from __future__ import annotations

from generated.errors import (
    BrokerBadResponse,
    BrokergateError,
    BrokerSessionExpired,
    BrokerUnavailable,
    Forbidden,
    OrderRejected,
    RateLimited,
    SymbolNotFound,
    ValidationFailed,
)

BROKER = "dhan"

ERROR_CODES: dict[str, type[BrokergateError]] = {
    # Trading APIs
    "DH-901": BrokerSessionExpired,  # Invalid_Authentication: client id or access token invalid or expired
    "DH-902": Forbidden,  # Invalid_Access: no access to this API (Data APIs not subscribed, ...)
    "DH-903": Forbidden,  # User_Account: the account cannot do this (segment not activated, ...)
    "DH-904": RateLimited,  # Rate_Limit: too many requests
    "DH-905": ValidationFailed,  # Input_Exception: missing or wrong fields
    "DH-906": OrderRejected,  # Order_Error: the order cannot be processed
    "DH-907": ValidationFailed,  # Data_Error: wrong parameters, or no data for them
    "DH-908": BrokerUnavailable,  # Internal_Server_Error
    "DH-909": BrokerUnavailable,  # Network_Error
    "DH-910": BrokerUnavailable,  # Others
    # Data APIs
    "800": BrokerUnavailable,  # Internal Server Error
    "804": ValidationFailed,  # more instruments than one request may carry
    "805": RateLimited,  # too many requests or connections
    "806": Forbidden,  # Data APIs not subscribed
    "807": BrokerSessionExpired,  # access token expired
    "808": BrokerSessionExpired,  # authentication failed: client id or access token invalid
    "809": BrokerSessionExpired,  # access token invalid
    "810": BrokerSessionExpired,  # client id invalid
    "811": ValidationFailed,  # invalid expiry date
    "812": ValidationFailed,  # invalid date format
    "813": SymbolNotFound,  # invalid security id
    "814": ValidationFailed,  # invalid request
}

# Holdings answers this "error" when the demat account is simply empty; it is an empty list, not a failure.
NO_HOLDINGS = "DH-1111"

# When Dhan throttles without saying for how long, try again after this many seconds.
DEFAULT_RETRY_AFTER = 1


def error_from_upstream(code: str | None, message: str) -> BrokergateError:
    """The brokergate error for one Dhan error body; an unknown code is a bad response."""
    cls = ERROR_CODES.get(str(code or ""))
    if cls is None:
        return BrokerBadResponse(
            f"dhan answered with error code {code!r}, which is not in the error table: {message}", broker=BROKER
        )
    if cls is OrderRejected:
        return OrderRejected(f"dhan rejected the order: {message}", broker=BROKER, reason=message)
    if cls is RateLimited:
        return RateLimited(f"dhan throttled the request: {message}", broker=BROKER, retry_after=DEFAULT_RETRY_AFTER)
    return cls(f"dhan ({code}): {message}", broker=BROKER)
