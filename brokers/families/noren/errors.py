"""Noren's failure texts and what each becomes in brokergate's taxonomy.

Noren answers a failure as `{"stat": "Not_Ok", "emsg": "Session Expired :  Invalid Session Key"}`: no
code, only the text, whose prefix names the kind (https://shoonya.com/api-documentation, "Error
responses"). `client.py` applies this table once, around every request.
"""

from __future__ import annotations

from generated.errors import (
    BrokerBadResponse,
    BrokergateError,
    BrokerSessionExpired,
    BrokerUnavailable,
    OrderNotFound,
    OrderRejected,
    SymbolNotFound,
    ValidationFailed,
)

# The start of `emsg` (lower case) -> our class; the first that matches wins.
ERROR_PREFIXES: tuple[tuple[str, type[BrokergateError]], ...] = (
    ("session expired", BrokerSessionExpired),
    ("invalid session", BrokerSessionExpired),
    ("not_logged_in", BrokerSessionExpired),
    ("invalid jkey", BrokerSessionExpired),
    ("invalid input : wrong password", ValidationFailed),
    ("invalid input : invalid otp", ValidationFailed),
    ("invalid input : invalid user", ValidationFailed),
    ("invalid input : invalid app key", ValidationFailed),
    ("rms:", OrderRejected),
    ("order rejected", OrderRejected),
    ("invalid order", OrderNotFound),
    ("order not found", OrderNotFound),
    ("invalid symbol", SymbolNotFound),
    ("invalid token", SymbolNotFound),
    ("server error", BrokerUnavailable),
    ("service unavailable", BrokerUnavailable),
)
# A book with nothing in it is answered as a failure with this text.
NO_DATA = "no data"


def error_from_upstream(
    broker: str, message: str, *, is_order: bool = False, is_login: bool = False
) -> BrokergateError:
    """The brokergate error for one Not_Ok answer; an unknown text is a refusal on an order or a login,
    and a bad response anywhere else."""
    text = message.strip().lower()
    cls = next((cls for prefix, cls in ERROR_PREFIXES if text.startswith(prefix)), None)
    if cls is BrokerSessionExpired:
        return cls(f"the {broker} session has ended ({message}); log in to the broker again", broker=broker)
    if is_order and cls in (None, OrderRejected, ValidationFailed):
        return OrderRejected(f"{broker} rejected the order: {message}", broker=broker, reason=message)
    if is_login and cls in (None, ValidationFailed):
        return ValidationFailed(f"{broker} refused the login: {message}", broker=broker)
    if cls is None:
        return BrokerBadResponse(f"{broker} answered {message!r}, which is not in the error table", broker=broker)
    return cls(f"{broker}: {message}", broker=broker)
