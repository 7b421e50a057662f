"""Fernet encryption of secrets at rest, with one key per purpose derived from APP_KEY by HKDF.

Broker tokens and revealable API keys use different derived keys, and neither is the pepper, so
no secret serves two purposes.
"""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

PURPOSES = ("broker-token", "broker-credentials", "api-key", "totp", "telegram-token", "webhook-token")


class Vault:
    """Encrypts and decrypts secrets for one purpose."""

    def __init__(self, app_key: str, purpose: str) -> None:
        if purpose not in PURPOSES:
            raise ValueError(f"unknown vault purpose {purpose!r}; expected one of {PURPOSES}")
        derived = HKDF(
            algorithm=hashes.SHA256(), length=32, salt=b"brokergate", info=f"brokergate/{purpose}".encode()
        ).derive(app_key.encode())
        self._fernet = Fernet(base64.urlsafe_b64encode(derived))

    def encrypt(self, secret: str) -> str:
        return self._fernet.encrypt(secret.encode()).decode()

    def decrypt(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode()).decode()
        except InvalidToken as e:
            raise ValueError("the stored secret cannot be decrypted with this APP_KEY") from e
