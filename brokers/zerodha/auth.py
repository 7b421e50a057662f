"""Kite Connect's login: the login URL carrying `state`, the token exchange and when a session ends.

https://kite.trade/docs/connect/v3/user/#login-flow: the user signs in at kite.zerodha.com, which
redirects to the app's registered URL with a one-time `request_token` (valid a few minutes). POST
/session/token exchanges it, with checksum = SHA-256(api_key + request_token + api_secret), for an
`access_token`. By regulation the access token stops working at 06:00 IST the next morning.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, time, timedelta, timezone
from urllib.parse import urlencode

from generated.errors import ValidationFailed

IST = timezone(timedelta(hours=5, minutes=30), "IST")
LOGIN_URL = "https://kite.zerodha.com/connect/login"
SESSION_ENDS_AT = time(6, 0)  # IST, every day


@dataclass(frozen=True, slots=True)
class Credentials:
    """What a user registers with Kite Connect: the app's key and secret."""

    api_key: str
    api_secret: str


def login_url(api_key: str, state: str, base: str = LOGIN_URL) -> str:
    """The Kite login page; `redirect_params` comes back verbatim on the redirect, carrying our state."""
    return f"{base}?{urlencode({'v': '3', 'api_key': api_key, 'redirect_params': urlencode({'state': state})})}"


def checksum(api_key: str, request_token: str, api_secret: str) -> str:
    return hashlib.sha256(f"{api_key}{request_token}{api_secret}".encode()).hexdigest()


def request_token_from(params: dict[str, str]) -> str:
    """The request token of a successful login redirect; anything else is refused with the reason."""
    if params.get("status", "success") != "success":
        raise ValidationFailed(f"the zerodha login did not succeed (status {params.get('status')!r})")
    token = params.get("request_token", "")
    if not token:
        raise ValidationFailed("the zerodha login redirect carried no request_token", field="request_token")
    return token


def session_expiry(logged_in_at: datetime) -> datetime:
    """The first 06:00 IST after the login: a login at 05:00 lasts an hour, one at 09:00 until tomorrow."""
    moment = logged_in_at.astimezone(IST)
    ends = datetime.combine(moment.date(), SESSION_ENDS_AT, IST)
    return ends if moment < ends else ends + timedelta(days=1)


def login_time(text: str | None, fallback: datetime) -> datetime:
    """Kite's `login_time` ("2021-06-08 15:13:51", IST), or `fallback` when absent or unreadable."""
    try:
        return datetime.strptime(text or "", "%Y-%m-%d %H:%M:%S").replace(tzinfo=IST)
    except ValueError:
        return fallback


def session_token(api_key: str, access_token: str) -> str:
    """The stored broker token: exactly what follows `token ` in Kite's Authorization header."""
    return f"{api_key}:{access_token}"


def split_session_token(token: str) -> tuple[str, str]:
    api_key, _, access_token = token.partition(":")
    return api_key, access_token
