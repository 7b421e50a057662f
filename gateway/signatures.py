"""HMAC signatures for messages that arrive from outside: broker postbacks and, later, strategy webhooks.

A signed message carries `X-Brokergate-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "t.body">`.
The timestamp is inside the MAC and must be recent, so a captured message cannot be replayed later;
comparison is constant-time. Brokers with their own scheme (a checksum over order id and secret) verify
with `is_valid_mac` in their plugin and never with `==`.
"""

from __future__ import annotations

import hashlib
import hmac
import time

SIGNATURE_HEADER = "x-brokergate-signature"
TOLERANCE_SECONDS = 300


def mac(secret: str, message: bytes, *, algorithm: str = "sha256") -> str:
    return hmac.new(secret.encode(), message, getattr(hashlib, algorithm)).hexdigest()


def is_valid_mac(secret: str, message: bytes, presented: str, *, algorithm: str = "sha256") -> bool:
    if not secret or not presented:
        return False
    return hmac.compare_digest(mac(secret, message, algorithm=algorithm), presented.strip().lower())


def sign(secret: str, body: bytes, *, timestamp: int | None = None) -> str:
    """The header value for `body`, as a sender (or a test) computes it."""
    moment = int(time.time()) if timestamp is None else timestamp
    return f"t={moment},v1={mac(secret, f'{moment}.'.encode() + body)}"


def is_valid_signature(secret: str, body: bytes, header: str | None, *, now: float | None = None) -> bool:
    """True when `header` signs `body` with `secret` within the last TOLERANCE_SECONDS."""
    if not secret or not header:
        return False
    parts = dict(part.strip().split("=", 1) for part in header.split(",") if "=" in part)
    timestamp, signature = parts.get("t", ""), parts.get("v1", "")
    if not timestamp.isdigit():
        return False
    moment = time.time() if now is None else now
    if abs(moment - int(timestamp)) > TOLERANCE_SECONDS:
        return False
    return is_valid_mac(secret, f"{timestamp}.".encode() + body, signature)
