"""CSRF protection for the console: tokens bound to the browser's own cookie, and an origin check.

A token is an HMAC of the session cookie's value (or, before login, of a random pre-session cookie)
under a key derived from APP_KEY. A page from another site can neither read the cookie nor compute the
token, and nothing has to be stored. State-changing requests must also come from our own origin when
the browser says where they come from (`Origin`, `Sec-Fetch-Site`).
"""

from __future__ import annotations

import hashlib
import hmac

from starlette.requests import Request

TOKEN_FIELD = "csrf_token"
TOKEN_HEADER = "x-csrf-token"
_SAFE_FETCH_SITES = ("same-origin", "none")


class CsrfTokens:
    def __init__(self, app_key: str) -> None:
        self._key = hmac.new(app_key.encode(), b"brokergate/csrf", hashlib.sha256).digest()

    def token(self, binding: str) -> str:
        return hmac.new(self._key, binding.encode(), hashlib.sha256).hexdigest()

    def is_valid(self, binding: str | None, presented: str | None) -> bool:
        if not binding or not presented:
            return False
        return hmac.compare_digest(self.token(binding), presented)


def is_same_origin(request: Request, public_origin: str) -> bool:
    """False when the browser reports a cross-site request; absent headers (old clients, curl) pass."""
    fetch_site = request.headers.get("sec-fetch-site")
    if fetch_site is not None and fetch_site not in _SAFE_FETCH_SITES:
        return False
    origin = request.headers.get("origin")
    if origin is None:
        return True
    own = f"{request.url.scheme}://{request.headers.get('host', '')}"
    return origin.rstrip("/") in (own, public_origin.rstrip("/"))
