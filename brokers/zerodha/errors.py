"""Kite Connect's `error_type` values and what each becomes in brokergate's taxonomy.

Kite answers every failure as `{"status": "error", "error_type": ..., "message": ...}` with an HTTP
status (https://kite.trade/docs/connect/v3/exceptions/). `client.py` applies this table once, around
every request; nothing else in the plugin looks at `error_type`.
"""

from __future__ import annotations

from generated.errors import (
    BrokerBadResponse,
    BrokergateError,
    BrokerSessionExpired,
    BrokerUnavailable,
    Forbidden,
    OrderRejected,
    ValidationFailed,
)

# A NetworkException while placing an order leaves its outcome unknown (Kite's advice: check the
# order book before retrying), so BrokerUnavailable is raised and the order is never sent again.
ERROR_TYPES: dict[str, type[BrokergateError]] = {
    "TokenException": BrokerSessionExpired,
    "UserException": Forbidden,
    "PermissionException": Forbidden,
    "OrderException": OrderRejected,
    "MarginException": OrderRejected,
    "HoldingException": OrderRejected,
    "InputException": ValidationFailed,
    "NetworkException": BrokerUnavailable,
    "DataException": BrokerBadResponse,
    "GeneralException": BrokerUnavailable,
}

# The classes that carry the broker's own words as `reason`.
REASON_CARRIERS = (OrderRejected,)


def error_from_upstream(error_type: str | None, message: str) -> BrokergateError:
    """The brokergate error for one Kite error body; an unknown `error_type` is a bad response."""
    cls = ERROR_TYPES.get(error_type or "")
    if cls is None:
        return BrokerBadResponse(
            f"zerodha answered with error_type {error_type!r}, which is not in the error table: {message}",
            broker="zerodha",
        )
    if issubclass(cls, REASON_CARRIERS):
        return cls(f"zerodha rejected the order: {message}", broker="zerodha", reason=message)
    return cls(f"zerodha: {message}", broker="zerodha")
