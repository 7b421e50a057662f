"""Fernet encryption of secrets at rest, with one key per purpose derived from APP_KEY by HKDF.

Broker tokens and revealable API keys use different derived keys, and neither is the pepper, so
no secret serves two purposes.
"""

from __future__ import annotations

import base64
from functools import cached_property
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cryptography.fernet import Fernet

PURPOSES = ("broker-token", "broker-credentials", "api-key", "totp", "telegram-token", "webhook-token")


class Vault:
    """Encrypts and decrypts secrets for one purpose."""

    def __init__(self, app_key: str, purpose: str) -> None:
        if purpose not in PURPOSES:
            raise ValueError(f"unknown vault purpose {purpose!r}; expected one of {PURPOSES}")
        self._app_key = app_key
        self._purpose = purpose

    @cached_property
    def _fernet(self) -> Fernet:
        # The key is derived on first use: the cryptography library costs a server about 10 MB of
        # memory, and one that has stored no secret yet need not load it to start.
        from cryptography.fernet import Fernet
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.kdf.hkdf import HKDF

        derived = HKDF(
            algorithm=hashes.SHA256(), length=32, salt=b"brokergate", info=f"brokergate/{self._purpose}".encode()
        ).derive(self._app_key.encode())
        return Fernet(base64.urlsafe_b64encode(derived))

    def encrypt(self, secret: str) -> str:
        return self._fernet.encrypt(secret.encode()).decode()

    def decrypt(self, token: str) -> str:
        from cryptography.fernet import InvalidToken

        try:
            return self._fernet.decrypt(token.encode()).decode()
        except InvalidToken as e:
            raise ValueError("the stored secret cannot be decrypted with this APP_KEY") from e
