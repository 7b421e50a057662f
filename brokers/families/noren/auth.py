"""Noren's QuickAuth login, the session token brokergate keeps, and when a session ends.

QuickAuth (https://shoonya.com/api-documentation, "Login"): the client sends

    jData={"apkversion": "1.0.0", "uid": "FA12345", "pwd": sha256(password), "factor2": "123456",
           "vc": "FA12345_U", "appkey": sha256("FA12345|<api key>"), "imei": "brokergate", "source": "API"}

and Noren answers `{"stat": "Ok", "susertoken": "...", "actid": "FA12345", "uname": ...}`. The user
stores the user id, the vendor code and the API key once; the password and the authenticator's TOTP
are typed at each login and never stored. Noren ends every session at its daily rollover; brokergate
promises a session until the next 05:00 IST.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta, timezone
from typing import Any, Protocol

from generated.errors import BrokerBadResponse, BrokerSessionExpired, ValidationFailed

IST = timezone(timedelta(hours=5, minutes=30), "IST")
ROLLOVER = time(5, 0)
APK_VERSION = "1.0.0"
IMEI = "brokergate"


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class Session:
    """Everything a Noren call needs: the user id, the account id and the session key (`jKey`)."""

    uid: str
    actid: str
    key: str

    def encode(self) -> str:
        # Noren user ids, account ids and session keys are letters and digits, so a colon separates them.
        return ":".join((self.uid, self.actid, self.key))


def decode_session(token: str | None, broker: str) -> Session:
    parts = (token or "").split(":")
    if len(parts) != 3 or not all(parts):
        raise BrokerSessionExpired(f"no {broker} session; log in to the broker again", broker=broker)
    return Session(*parts)


def session_expiry(logged_in_at: datetime) -> datetime:
    """The next 05:00 IST after the login: Noren's daily rollover ends every session."""
    local = logged_in_at.astimezone(IST)
    rollover = datetime.combine(local.date(), ROLLOVER, IST)
    return (rollover if rollover > local else rollover + timedelta(days=1)).astimezone(UTC)


def typed(params: dict[str, str], *names: str) -> str:
    """The first of `names` the user filled in, stripped."""
    return next((params[name].strip() for name in names if (params.get(name) or "").strip()), "")


def needed(broker: str, **values: str) -> None:
    missing = [name for name, value in values.items() if not value]
    if missing:
        raise ValidationFailed(f"the {broker} login needs {', '.join(missing)}", field=missing[0], broker=broker)


class Caller(Protocol):
    async def login(self, endpoint: str, data: dict[str, Any]) -> dict[str, Any]: ...


class QuickAuth:
    """The NorenWClient form login: user id, password (sent as its SHA-256), TOTP, vendor code, app key."""

    kind = "form_totp"

    async def log_in(self, broker: str, client: Caller, credentials: dict[str, str], params: dict[str, str]) -> Session:
        uid = typed(params, "user_id", "uid") or (credentials.get("user_id") or "").strip()
        password, totp = typed(params, "password", "pwd"), typed(params, "totp", "factor2")
        api_key, vendor = (credentials.get("api_key") or "").strip(), (credentials.get("vendor_code") or "").strip()
        needed(broker, user_id=uid, password=password, totp=totp, api_key=api_key, vendor_code=vendor)
        if not totp.isdigit() or len(totp) != 6:
            raise ValidationFailed(
                f"the {broker} TOTP is the 6-digit code from the authenticator app", field="totp", broker=broker
            )
        answer = await client.login(
            "QuickAuth",
            {"apkversion": APK_VERSION, "uid": uid, "pwd": sha256(password), "factor2": totp, "vc": vendor,
             "appkey": sha256(f"{uid}|{api_key}"), "imei": IMEI, "source": "API"},
        )  # fmt: skip
        return session_from_answer(broker, answer, uid)


def session_from_answer(broker: str, answer: dict[str, Any], uid: str) -> Session:
    key = str(answer.get("susertoken") or answer.get("token") or "")
    if not key:
        raise BrokerBadResponse(f"{broker} answered the login without a session key", broker=broker)
    return Session(uid, str(answer.get("actid") or uid), key)
