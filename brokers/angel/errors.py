"""SmartAPI's error codes and what each becomes in brokergate's taxonomy.

SmartAPI answers a failure as `{"status": false, "message": ..., "errorcode": "AB1007", "data": null}`
(https://smartapi.angelbroking.com/docs, "Response structure"); its gateway answers a bad or expired
token as `{"success": false, "message": "Invalid Token", "errorCode": "AG8001", "data": ""}`. The codes
are listed at https://smartapi.angelbroking.com/docs/Exceptions. `client.py` applies this table once,
around every request; nothing else in the plugin looks at `errorcode`.
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
    RateLimited,
    SymbolNotFound,
    ValidationFailed,
)

BROKER = "angel"

# The GTT input codes: Invalid Parameters, Method Not Allowed, Client ID, Status Array Size, Order
# Quantity, Disclosed Quantity, Price, Trigger Price, Exchange Segment, Symbol Token, Trading Symbol,
# Order Side, Product Type, Time Period, Page Value, Count Value.
GTT_INPUT_CODES = [f"AB90{n:02d}" for n in (1, 2, 3, 4, 6, 7, 8, 9, 10, 11, 12, 14, 15, 16, 17, 18)]

ERROR_CODES: dict[str, type[BrokergateError]] = {
    "AG8001": BrokerSessionExpired,  # Invalid Token
    "AG8002": BrokerSessionExpired,  # Token Expired
    "AG8003": BrokerSessionExpired,  # Token missing
    "AB8050": BrokerSessionExpired,  # Invalid Refresh Token
    "AB8051": BrokerSessionExpired,  # Refresh Token Expired
    "AB1010": BrokerSessionExpired,  # AMX Session Expired
    "AB1011": BrokerSessionExpired,  # Client not login
    "AB1000": ValidationFailed,  # Invalid Email Or Password
    "AB1001": ValidationFailed,  # Invalid Email
    "AB1002": ValidationFailed,  # Invalid Password Length
    "AB1005": ValidationFailed,  # User Type Must Be USER
    "AB1008": ValidationFailed,  # Invalid Order Variety
    "AB1012": ValidationFailed,  # Invalid Product Type
    "AB4008": ValidationFailed,  # ordertag length should be less than 20 characters
    "AB1006": Forbidden,  # Client is block for trading
    "AB1007": OrderRejected,  # AMX Error: the order system's refusal, in its words
    "AB1009": SymbolNotFound,  # Symbol Not Found
    "AB4006": SymbolNotFound,  # Invalid symboltoken
    "AB1013": OrderNotFound,  # Order not found
    "AB1004": BrokerUnavailable,  # Something Went Wrong, Please Try After Sometime
    "AB1019": BrokerUnavailable,  # Error not specified
    "AB2000": BrokerUnavailable,  # Error not specified
    "AB2001": BrokerUnavailable,  # Internal Error, Please try after sometime
    # GTT rules (https://smartapi.angelbroking.com/docs/Gtt, "GTT Error Codes")
    "AB9000": BrokerUnavailable,  # Internal Server Error
    "AB9005": BrokerSessionExpired,  # Invalid Session ID
    "AB9013": OrderNotFound,  # Invalid Rule ID
    **dict.fromkeys(GTT_INPUT_CODES, ValidationFailed),
}

# Angel's gateway words a throttled request this way (HTTP 403), besides answering HTTP 429.
THROTTLE_WORDS = "exceeding access rate"
# On an order endpoint these are the order's refusal, with Angel's words as the reason: the RMS answers
# there with input and permission codes too, and the reason is what the user needs to see.
ORDER_REFUSALS = (OrderRejected, ValidationFailed, Forbidden)


def error_from_upstream(
    code: str | None, message: str, *, is_order: bool = False, is_login: bool = False
) -> BrokergateError:
    """The brokergate error for one SmartAPI error body; an unknown code is a bad response, except on an
    order (a refusal with Angel's words) or the login (the user's input was refused, in Angel's words)."""
    if THROTTLE_WORDS in message.lower():
        return RateLimited(f"angel throttled the request: {message}", broker=BROKER, retry_after=1)
    cls = ERROR_CODES.get(code or "")
    if cls is None:
        if is_order and message:
            return OrderRejected(f"angel rejected the order: {message}", broker=BROKER, reason=message)
        if is_login and message:
            return ValidationFailed(f"angel refused the login: {message}", broker=BROKER)
        return BrokerBadResponse(
            f"angel answered with errorcode {code!r}, which is not in the error table: {message}", broker=BROKER
        )
    # AB1004 on an order stays BrokerUnavailable: the order may have been placed, so the service
    # reconciles against the order book before it answers, and never sends it again.
    if cls is OrderRejected or (is_order and cls in ORDER_REFUSALS):
        return OrderRejected(f"angel rejected the order: {message}", broker=BROKER, reason=message)
    if cls is BrokerSessionExpired:
        return cls(f"the angel session has ended ({message}); log in to the broker again", broker=BROKER)
    return cls(f"angel: {message}", broker=BROKER)
