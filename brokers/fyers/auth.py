"""Fyers' login: the authorisation URL carrying `state`, the auth-code exchange, and when a session ends.

https://myapi.fyers.in/docsv3#tag/Authentication-and-Login-Flow-User-Apps: the user signs in at
GET /api/v3/generate-authcode (client_id = the app id such as `XXXX-100`, redirect_uri,
response_type=code, state), and Fyers redirects to the app's registered URL with
`s=ok&code=200&auth_code=<jwt>&state=<ours>`. POST /api/v3/validate-authcode with
`{"grant_type": "authorization_code", "appIdHash": sha256("app_id:app_secret"), "code": auth_code}`
answers the `access_token` (a JWT). Every later request carries `Authorization: <app_id>:<access_token>`.

The access token is good for one trading day. Fyers writes the moment it stops working into the
token itself (the JWT's `exp` claim); the plugin reads it there, and never promises more than the
daily rollover at 03:00 IST (the reset OpenAlgo's Fyers integration observes).
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta, timezone
from urllib.parse import urlencode

from generated.contract import Account
from generated.errors import ValidationFailed

BROKER = "fyers"
IST = timezone(timedelta(hours=5, minutes=30), "IST")
AUTHCODE_PATH = "/api/v3/generate-authcode"
ROLLOVER = time(3, 0)  # IST, every day
CREDENTIALS = ("api_key", "api_secret")


@dataclass(frozen=True, slots=True)
class Credentials:
    """What a user registers at myapi.fyers.in: the app id (`XXXX-100`) and the app secret."""

    api_key: str
    api_secret: str


def credentials_of(account: Account) -> Credentials:
    """The account's stored app credentials, or ValidationFailed naming the missing ones."""
    stored = account.credentials or {}
    missing = [name for name in CREDENTIALS if not stored.get(name)]
    if missing:
        raise ValidationFailed(
            f"fyers needs this user's {' and '.join(missing)} (the app id and secret from myapi.fyers.in; "
            "see brokers/fyers/README.md)",
            field="credentials",
            broker=BROKER,
        )
    return Credentials(stored["api_key"], stored["api_secret"])


def login_url(base_url: str, app_id: str, redirect_url: str, state: str) -> str:
    """The Fyers sign-in page; `state` comes back verbatim on the redirect."""
    query = {"client_id": app_id, "redirect_uri": redirect_url, "response_type": "code", "state": state}
    return f"{base_url}{AUTHCODE_PATH}?{urlencode(query)}"


def app_id_hash(app_id: str, app_secret: str) -> str:
    return hashlib.sha256(f"{app_id}:{app_secret}".encode()).hexdigest()


def auth_code_from(params: dict[str, str]) -> str:
    """The auth code of a successful redirect; a refused sign-in is refused here with Fyers' words."""
    if params.get("s", "ok") != "ok":
        reason = params.get("message") or f"s={params.get('s')!r}, code={params.get('code')!r}"
        raise ValidationFailed(f"the fyers login did not succeed: {reason}", broker=BROKER)
    code = params.get("auth_code", "")
    if not code:
        raise ValidationFailed("the fyers login redirect carried no auth_code", field="auth_code", broker=BROKER)
    return code


def token_claims(token: str) -> dict:
    """The claims of a Fyers JWT (read, not verified: the broker verifies its own tokens); {} if unreadable."""
    try:
        payload = token.split(".")[1]
        return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError):
        return {}


def next_rollover(moment: datetime) -> datetime:
    """The first 03:00 IST after `moment`."""
    local = moment.astimezone(IST)
    ends = datetime.combine(local.date(), ROLLOVER, IST)
    return ends if local < ends else ends + timedelta(days=1)


def session_expiry(access_token: str, now: datetime) -> datetime:
    """When the session ends: the token's own `exp`, but never later than the next daily rollover."""
    rollover = next_rollover(now)
    expires = token_claims(access_token).get("exp")
    if isinstance(expires, int | float) and expires > now.timestamp():
        return min(datetime.fromtimestamp(expires, UTC), rollover)
    return rollover


def session_token(app_id: str, access_token: str) -> str:
    """The stored broker token: exactly Fyers' Authorization header value."""
    return f"{app_id}:{access_token}"


def split_session_token(token: str | None) -> tuple[str, str]:
    app_id, _, access_token = (token or "").partition(":")
    return app_id, access_token
