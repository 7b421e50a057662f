"""SmartAPI's login: the form fields, the session token brokergate keeps, and when a session ends.

https://smartapi.angelbroking.com/docs/User: the user types their client code, trading PIN and the
current TOTP from their authenticator; POST /rest/auth/angelbroking/user/v1/loginByPassword with
`{"clientcode", "password", "totp"}` and the app's key in `X-PrivateKey` answers a `jwtToken` (the
REST bearer token), a `refreshToken` and a `feedToken` (SmartStream). There is no redirect URL.

Angel's notice "Changes in JWT Token Validity" (https://smartapi.angelbroking.com/topic/4137) says a
fresh token lasts 24-28 hours; the token's own `exp` claim says exactly when. The contract asks for an
end within a day, so a session is promised until the earlier of `exp` and 24 hours after the login.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone

from generated.errors import BrokerSessionExpired, ValidationFailed

IST = timezone(timedelta(hours=5, minutes=30), "IST")
LONGEST_SESSION = timedelta(hours=24)
BROKER = "angel"

# What the login form may call each field (the manifest's login_fields are `pin` and `totp`; the
# client code is a stored credential, which a typed one overrides).
CLIENT_CODE_FIELDS = ("client_code", "clientcode")
PIN_FIELDS = ("pin", "password")
TOTP_FIELDS = ("totp", "totp_code")


@dataclass(frozen=True, slots=True)
class Session:
    """Everything a SmartAPI call needs, carried in brokergate's one session token."""

    api_key: str
    client_code: str
    jwt_token: str
    feed_token: str

    def encode(self) -> str:
        # A JWT has no colon in it, nor do Angel's keys and client codes, so a colon separates them.
        return ":".join((self.api_key, self.client_code, self.jwt_token, self.feed_token))


def decode_session(token: str | None) -> Session:
    """The session a token carries; a missing or foreign token means the user must log in again."""
    parts = (token or "").split(":")
    if len(parts) != 4 or not all(parts[:3]):
        raise BrokerSessionExpired("no angel session; log in to the broker again", broker=BROKER)
    return Session(*parts)


def _first(params: dict[str, str], names: tuple[str, ...]) -> str:
    return next((params[name].strip() for name in names if params.get(name, "").strip()), "")


def login_body(params: dict[str, str], credentials: dict[str, str]) -> dict[str, str]:
    """The loginByPassword body from what the user typed; the client code may come from the stored credentials."""
    body = {
        "clientcode": _first(params, CLIENT_CODE_FIELDS) or (credentials.get("client_code") or "").strip(),
        "password": _first(params, PIN_FIELDS),
        "totp": _first(params, TOTP_FIELDS),
    }
    missing = [name for name, value in body.items() if not value]
    if missing:
        raise ValidationFailed(f"the angel login needs {', '.join(missing)}", field=missing[0], broker=BROKER)
    if not body["totp"].isdigit() or len(body["totp"]) != 6:
        raise ValidationFailed(
            "the angel TOTP is the 6-digit code from the authenticator app", field="totp", broker=BROKER
        )
    return body


def token_expiry(jwt_token: str) -> datetime | None:
    """The `exp` claim of a JWT, read without checking its signature (only Angel can, and it does)."""
    try:
        payload = jwt_token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        return datetime.fromtimestamp(int(claims["exp"]), UTC)
    except (IndexError, KeyError, TypeError, ValueError):
        return None


def session_expiry(jwt_token: str, logged_in_at: datetime) -> datetime:
    """The earlier of the token's `exp` and a day after the login."""
    latest = logged_in_at.astimezone(UTC) + LONGEST_SESSION
    expiry = token_expiry(jwt_token)
    return min(expiry, latest) if expiry else latest
