"""Webhook URL tokens: issued unguessable, found by keyed digest, kept encrypted for their owner to see,
and masked wherever a path is written down.

The token is the only thing standing between the internet and an order, and it travels in the URL
path, so it is 256 random bits, looked up by HMAC (a stolen database does not give working URLs),
and masked in the traffic log, the access log and error messages. A platform that can sign its
requests adds `X-Brokergate-Signature` (see `gateway.signatures`) with a per-webhook secret.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

from gateway.security.crypto import Vault
from gateway.signatures import SIGNATURE_HEADER, is_valid_signature

MASK = "***"
# Every path that carries a webhook token in its last segment; a later feature adds its prefix here.
_TOKEN_PATH = re.compile(r"(/(?:strategy|chartink|flow)/webhook/)[^/\s?#\"']+")


def masked_path(path: str) -> str:
    """`path` with a webhook token replaced by `***`."""
    return _TOKEN_PATH.sub(r"\1" + MASK, path)


def masked_text(text: str) -> str:
    """Any text (a log line, an error message) with every webhook token in it masked."""
    return _TOKEN_PATH.sub(r"\1" + MASK, text)


def without_token(value, token: str | None):
    """`value` (a parsed body) with the webhook token blanked out of every string in it: a Chartink
    body echoes its own webhook URL, and a stored body must never hold the token."""
    if not token:
        return value
    if isinstance(value, str):
        return value.replace(token, "[token]")
    if isinstance(value, dict):
        return {key: without_token(item, token) for key, item in value.items()}
    if isinstance(value, list):
        return [without_token(item, token) for item in value]
    return value


class WebhookTokens:
    """Issue, find and reveal webhook tokens, and check signatures made with a webhook's secret."""

    def __init__(self, app_key: str, pepper: str) -> None:
        self._vault = Vault(app_key, "webhook-token")
        self._pepper = pepper.encode()

    def issue(self) -> tuple[str, str, str]:
        """A new token, its digest (to look it up) and its encryption (to show it again)."""
        token = secrets.token_urlsafe(32)
        return token, self.digest(token), self._vault.encrypt(token)

    def digest(self, token: str) -> str:
        return hmac.new(self._pepper, b"webhook-token:" + token.encode(), hashlib.sha256).hexdigest()

    def new_secret(self) -> tuple[str, str]:
        """A signing secret and its encryption."""
        secret = secrets.token_hex(32)
        return secret, self._vault.encrypt(secret)

    def reveal(self, encrypted: str) -> str:
        return self._vault.decrypt(encrypted)

    def is_signed(self, encrypted_secret: str | None, body: bytes, header: str | None) -> bool:
        """True when no secret is set, or `header` signs `body` with it (recently)."""
        if not encrypted_secret:
            return True
        return is_valid_signature(self.reveal(encrypted_secret), body, header)


__all__ = ["MASK", "SIGNATURE_HEADER", "WebhookTokens", "masked_path", "masked_text"]
