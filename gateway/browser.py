"""Browser-facing protections on every response: security headers, HSTS on TLS, and CORS by allow-list.

The console's pages load only their own scripts and styles, so its policy has no `unsafe-inline`; the
Swagger UI page, which ships an inline start-up script, gets a looser policy of its own. CORS is off
unless CORS_ALLOWED_ORIGINS lists origins, applies only to `/api/v1`, never allows credentials, and
answers an origin that is not listed with no CORS headers at all (OpenAlgo's "disabled" allowed all).
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.clientip import IS_TLS

_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self' ws: wss:; font-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
_DOCS_POLICY = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
)
_COMMON = (
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), payment=(), usb=()"),
    (b"cross-origin-opener-policy", b"same-origin"),
)
_HSTS = (b"strict-transport-security", b"max-age=63072000; includeSubDomains")
_DOCS_PREFIX = "/api/v1/docs"
_API_PREFIX = "/api/v1/"
_CORS_METHODS = b"GET, POST"
_CORS_HEADERS = b"Content-Type, X-API-KEY"


def parse_origins(text: str) -> frozenset[bytes]:
    return frozenset(origin.strip().rstrip("/").encode() for origin in text.split(",") if origin.strip())


class BrowserSecurity:
    def __init__(self, app: ASGIApp, *, allowed_origins: str, is_tls_site: bool) -> None:
        self.app = app
        self.origins = parse_origins(allowed_origins)
        self.is_tls_site = is_tls_site
        self._headers = (*_COMMON, (b"content-security-policy", _POLICY.encode()))
        self._docs_headers = (*_COMMON, (b"content-security-policy", _DOCS_POLICY.encode()))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        path = scope["path"]
        extra = list(self._docs_headers if path.startswith(_DOCS_PREFIX) else self._headers)
        if self.is_tls_site or scope.get(IS_TLS):
            extra.append(_HSTS)
        if self.origins and path.startswith(_API_PREFIX):
            origin = next((value for name, value in scope["headers"] if name == b"origin"), None)
            if origin is not None and origin in self.origins:
                if scope["method"] == "OPTIONS":
                    return await self._preflight(origin, extra, send)
                extra += [(b"access-control-allow-origin", origin), (b"vary", b"Origin")]

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", ())}
                message["headers"] = [
                    *message.get("headers", ()),
                    *(header for header in extra if header[0] not in present),
                ]
            await send(message)

        await self.app(scope, receive, with_headers)

    async def _preflight(self, origin: bytes, extra: list, send: Send) -> None:
        headers = [
            *extra,
            (b"access-control-allow-origin", origin),
            (b"access-control-allow-methods", _CORS_METHODS),
            (b"access-control-allow-headers", _CORS_HEADERS),
            (b"access-control-max-age", b"600"),
            (b"vary", b"Origin"),
            (b"content-length", b"0"),
        ]
        await send({"type": "http.response.start", "status": 204, "headers": headers})
        await send({"type": "http.response.body", "body": b""})
