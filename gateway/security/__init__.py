"""Secrets at rest: password hashing, API-key digests and the Fernet keys derived from APP_KEY."""

from gateway.security.crypto import Vault
from gateway.security.keys import digest_api_key, new_api_key
from gateway.security.passwords import hash_password, verify_password

__all__ = ["Vault", "digest_api_key", "hash_password", "new_api_key", "verify_password"]
