"""Dhan's login for individual traders: client id, PIN and a TOTP code for a 24-hour access token.

https://dhanhq.co/docs/v2/authentication/ ("Access Token" with TOTP): once the user has enabled TOTP
under "Access DhanHQ APIs" on web.dhan.co, `POST https://auth.dhan.co/app/generateAccessToken` with the
query parameters `dhanClientId`, `pin` and `totp` answers the access token and its `expiryTime` (IST).
The token is valid for 24 hours from generation. The PIN and the TOTP are typed at every login and
never stored; only the client id is kept as the user's credential. The answer, trimmed:

    {"dhanClientId": "1000000401", "dhanClientName": "JOHN DOE", "accessToken": "eyJ...",
     "expiryTime": "2025-09-23T12:37:23.000"}
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta, timezone

from generated.errors import ValidationFailed

IST = timezone(timedelta(hours=5, minutes=30), "IST")
AUTH_URL = "https://auth.dhan.co"
TOKEN_PATH = "/app/generateAccessToken"
SESSION_LENGTH = timedelta(hours=24)
# What the token request needs: the stored client id (or one typed in the form), the PIN and the TOTP.
REQUIRED_FIELDS = ("client_id", "pin", "totp")


def login_fields(params: Mapping[str, str], credentials: Mapping[str, str] | None) -> tuple[str, str, str]:
    """Client id, PIN and TOTP from the login form, the client id falling back to the stored credential."""
    values = {"client_id": (credentials or {}).get("client_id", "")} | {k: v for k, v in params.items() if v}
    missing = [name for name in REQUIRED_FIELDS if not str(values.get(name) or "").strip()]
    if missing:
        raise ValidationFailed(
            f"the dhan login needs {', '.join(missing)} (see brokers/dhan/README.md)",
            field="credentials" if missing == ["client_id"] else missing[0],
            broker="dhan",
        )
    return str(values["client_id"]).strip(), str(values["pin"]).strip(), str(values["totp"]).strip()


def session_expiry(expiry_time: str | None, issued_at: datetime) -> datetime:
    """When the token stops working: Dhan's `expiryTime` ("2025-09-23T12:37:23.000", IST), never later than
    24 hours after `issued_at`, and `issued_at` + 24 h when the answer carries no readable time."""
    latest = issued_at + SESSION_LENGTH
    try:
        stated = datetime.fromisoformat((expiry_time or "").strip()).replace(tzinfo=IST)
    except ValueError:
        return latest
    return min(stated, latest)


def session_token(client_id: str, access_token: str) -> str:
    """The stored broker token: the client id the data APIs want beside the access token."""
    return f"{client_id}:{access_token}"


def split_session_token(token: str) -> tuple[str, str]:
    client_id, _, access_token = token.partition(":")
    return client_id, access_token
