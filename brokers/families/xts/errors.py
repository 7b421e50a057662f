"""XTS error codes and what each becomes in brokergate's taxonomy.

XTS answers a failure as `{"type": "error", "code": "e-session-0002", "description": ...}`; the
part between the dashes names the area, which decides the class. `client.py` applies this once.
"""

from __future__ import annotations

from generated.errors import (
    BrokerBadResponse,
    BrokergateError,
    BrokerSessionExpired,
    BrokerUnavailable,
    Forbidden,
    OrderNotFound,
    OrderRejected,
    ValidationFailed,
)

# e-<area>-NNNN -> class; a rejected order's description is the broker's reason.
AREAS: dict[str, type[BrokergateError]] = {
    "session": BrokerSessionExpired,
    "tokenvalidation": BrokerSessionExpired,
    "apiauth": Forbidden,
    "user": Forbidden,
    "orders": OrderRejected,
    "rms": OrderRejected,
    "ordernotfound": OrderNotFound,
    "instrument": ValidationFailed,
    "portfolio": ValidationFailed,
    "validation": ValidationFailed,
    "response": BrokerUnavailable,
}


def area(code: str | None) -> str:
    return (code or "").split("-")[1] if (code or "").count("-") >= 2 else ""


def error_from_upstream(code: str | None, description: str, broker: str, status: int) -> BrokergateError:
    """The brokergate error for one XTS error body; an unknown code is a bad response (a 5xx, unavailable)."""
    cls = AREAS.get(area(code))
    if cls is None:
        if status >= 500:
            return BrokerUnavailable(f"{broker} answered HTTP {status}: {description}", broker=broker)
        return BrokerBadResponse(
            f"{broker} answered with code {code!r}, which is not in the error table: {description}", broker=broker
        )
    if cls is OrderRejected:
        return OrderRejected(f"{broker} rejected the order: {description}", broker=broker, reason=description)
    return cls(f"{broker}: {description}", broker=broker)
