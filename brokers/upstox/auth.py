"""Upstox's login: the authorization dialog carrying `state`, the code exchange, and when a session ends.

https://upstox.com/developer/api-documentation/authentication: the user is sent to
`/v2/login/authorization/dialog?client_id=..&redirect_uri=..&state=..&response_type=code`, signs
in at Upstox, and comes back to the registered redirect URL with `code` and our `state`.
POST /v2/login/authorization/token (form: code, client_id, client_secret, redirect_uri,
grant_type=authorization_code) answers the access token. The access token works until 03:30 IST
the next morning, whenever it was issued
(https://upstox.com/developer/api-documentation/get-token, "Notes").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta, timezone
from urllib.parse import urlencode

from generated.contract import Account
from generated.errors import ValidationFailed

IST = timezone(timedelta(hours=5, minutes=30), "IST")
API_URL = "https://api.upstox.com"
DIALOG_PATH = "/v2/login/authorization/dialog"
SESSION_ENDS_AT = time(3, 30)  # IST, every day
CREDENTIALS = ("api_key", "api_secret")


@dataclass(frozen=True, slots=True)
class Credentials:
    """What a user registers with Upstox: the app's API key (OAuth client_id) and secret."""

    api_key: str
    api_secret: str


def credentials_of(account: Account) -> Credentials:
    """The account's stored app credentials, or VALIDATION_FAILED naming the missing ones."""
    stored = account.credentials or {}
    missing = [name for name in CREDENTIALS if not stored.get(name)]
    if missing:
        raise ValidationFailed(
            f"upstox needs this user's {' and '.join(missing)} (see brokers/upstox/README.md)",
            field="credentials",
            broker="upstox",
        )
    return Credentials(stored["api_key"], stored["api_secret"])


def login_url(api_key: str, redirect_url: str, state: str, base: str = API_URL) -> str:
    """The authorization dialog; Upstox sends `state` back unchanged on the redirect."""
    query = {"response_type": "code", "client_id": api_key, "redirect_uri": redirect_url, "state": state}
    return f"{base}{DIALOG_PATH}?{urlencode(query)}"


def code_from(params: dict[str, str]) -> str:
    """The authorization code of a successful redirect; a refusal is reported with Upstox's words."""
    if params.get("error"):
        raise ValidationFailed(
            f"the upstox login did not succeed: {params.get('error_description') or params['error']}"
        )
    code = params.get("code", "")
    if not code:
        raise ValidationFailed("the upstox login redirect carried no code", field="code")
    return code


def token_form(credentials: Credentials, code: str, redirect_url: str) -> dict[str, str]:
    """The form body of POST /v2/login/authorization/token."""
    return {
        "code": code,
        "client_id": credentials.api_key,
        "client_secret": credentials.api_secret,
        "redirect_uri": redirect_url,
        "grant_type": "authorization_code",
    }


def session_expiry(issued_at: datetime) -> datetime:
    """The first 03:30 IST after `issued_at`: a token from 02:00 lasts 90 minutes, one from 09:00 until tomorrow."""
    moment = issued_at.astimezone(IST)
    ends = datetime.combine(moment.date(), SESSION_ENDS_AT, IST)
    return ends if moment < ends else ends + timedelta(days=1)
