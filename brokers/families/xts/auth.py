"""XTS logins: two sessions (interactive and market data) from two app-key pairs, kept as one stored token.

POST /interactive/user/session {appKey, secretKey, source} answers `result.token` and `result.userID`;
POST /apimarketdata/auth/login does the same for market data. Members whose login is `redirect` send
the user to `/interactive/thirdparty?appKey=..&returnURL=..` first; the broker's page comes back
with a one-time `session` key that the interactive login carries as `uniqueKey`. Both tokens go in
the `Authorization` header as they are. Sessions end with the broker's overnight logout; brokergate
takes 06:00 IST as the end, as for the other Indian brokers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta, timezone
from urllib.parse import urlencode

from generated.errors import BrokerSessionExpired, ValidationFailed

IST = timezone(timedelta(hours=5, minutes=30), "IST")
SESSION_ENDS_AT = time(6, 0)
CREDENTIALS = ("api_key", "api_secret", "market_api_key", "market_api_secret")
_SEPARATOR = "|"


@dataclass(frozen=True, slots=True)
class Session:
    """Both XTS tokens and the user they belong to."""

    interactive: str
    market: str
    user_id: str

    def pack(self) -> str:
        return _SEPARATOR.join((self.interactive, self.market, self.user_id))

    @classmethod
    def unpack(cls, token: str | None, broker: str) -> Session:
        parts = (token or "").split(_SEPARATOR)
        if len(parts) != 3 or not all(parts):
            raise BrokerSessionExpired(f"no {broker} session; log in to the broker again", broker=broker)
        return cls(*parts)


def app_keys(stored: dict[str, str] | None, broker: str) -> dict[str, str]:
    """The four app credentials of the user, or ValidationFailed naming those missing."""
    stored = stored or {}
    missing = [name for name in CREDENTIALS if not stored.get(name)]
    if missing:
        raise ValidationFailed(
            f"{broker} needs this user's {', '.join(missing)} (see brokers/{broker}/README.md)",
            field="credentials",
            broker=broker,
        )
    return {name: stored[name] for name in CREDENTIALS}


def thirdparty_url(base: str, app_key: str, redirect_url: str, state: str) -> str:
    """The broker's login page for a `redirect` member; our state rides on the redirect URL."""
    back = f"{redirect_url}?{urlencode({'state': state})}"
    return f"{base}/interactive/thirdparty?{urlencode({'appKey': app_key, 'returnURL': back})}"


def session_expiry(logged_in_at: datetime) -> datetime:
    """The first 06:00 IST after the login."""
    moment = logged_in_at.astimezone(IST)
    ends = datetime.combine(moment.date(), SESSION_ENDS_AT, IST)
    return ends if moment < ends else ends + timedelta(days=1)
