"""API keys: 64 hex characters like OpenAlgo's, found in O(1) by an HMAC-SHA256 keyed with the pepper.

A plain hash would let anyone holding the database test guesses offline; the pepper lives only in
the environment. Lookup by digest replaces OpenAlgo's try-every-argon2-hash loop.
"""

import hashlib
import hmac
import secrets


def new_api_key() -> str:
    return secrets.token_hex(32)


def digest_api_key(api_key: str, pepper: str) -> str:
    return hmac.new(pepper.encode(), api_key.encode(), hashlib.sha256).hexdigest()
