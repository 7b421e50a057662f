"""Server-side console sessions: a random id in the cookie, its SHA-256 in `console_sessions`.

A login always creates a new session (the id rotates, so a planted cookie is useless) and every
session ends at the next SESSION_EXPIRY_TIME in IST, as broker tokens do. Logging out, changing the
password or revoking from the account page marks rows revoked, which takes effect on the next request.
The OAuth `state` of a broker login is kept in the session row it was issued to, so a callback counts
only in the browser that started the login, once, and within ten minutes.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Engine
from sqlmodel import select

from storage import ConsoleSession, session_scope, utcnow

IST = ZoneInfo("Asia/Kolkata")
PENDING_SECONDS = 300  # between the password and the TOTP code
OAUTH_STATE_SECONDS = 600


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def _aware(moment: datetime | None) -> datetime | None:
    # SQLite returns naive datetimes; brokergate writes only UTC.
    return moment.replace(tzinfo=UTC) if moment is not None and moment.tzinfo is None else moment


def next_expiry(now: datetime, expiry_time: str) -> datetime:
    """The first `HH:MM` IST strictly after `now`, in UTC."""
    hours, minutes = (int(part) for part in expiry_time.split(":"))
    local = now.astimezone(IST)
    boundary = datetime.combine(local.date(), time(hours, minutes), tzinfo=IST)
    if boundary <= local:
        boundary += timedelta(days=1)
    return boundary.astimezone(UTC)


class ConsoleSessions:
    def __init__(self, engine: Engine, *, expiry_time: str) -> None:
        self._engine = engine
        self._expiry_time = expiry_time

    def create(self, user_id: int, *, is_verified: bool, client_ip: str, user_agent: str) -> tuple[str, ConsoleSession]:
        """Start a session; return the cookie value (shown to nobody else) and the row."""
        token = secrets.token_urlsafe(32)
        now = utcnow()
        expires_at = next_expiry(now, self._expiry_time)
        if not is_verified:
            expires_at = min(expires_at, now + timedelta(seconds=PENDING_SECONDS))
        row = ConsoleSession(
            token_digest=_digest(token),
            user_id=user_id,
            is_verified=is_verified,
            client_ip=client_ip[:64],
            user_agent=user_agent[:256],
            expires_at=expires_at,
        )
        with session_scope(self._engine) as session:
            session.add(row)
        return token, row

    def find(self, token: str | None) -> ConsoleSession | None:
        """The live session behind a cookie value: known, not revoked, not expired."""
        if not token:
            return None
        with session_scope(self._engine) as session:
            row = session.exec(select(ConsoleSession).where(ConsoleSession.token_digest == _digest(token))).first()
        if row is None or row.revoked_at is not None or _aware(row.expires_at) <= utcnow():
            return None
        return row

    def revoke(self, session_id: int) -> None:
        with session_scope(self._engine) as session:
            row = session.get(ConsoleSession, session_id)
            if row is not None and row.revoked_at is None:
                row.revoked_at = utcnow()
                session.add(row)

    def revoke_all(self, user_id: int, *, except_id: int | None = None) -> int:
        with session_scope(self._engine) as session:
            rows = session.exec(
                select(ConsoleSession).where(ConsoleSession.user_id == user_id, ConsoleSession.revoked_at.is_(None))
            ).all()
            revoked = 0
            for row in rows:
                if row.id != except_id:
                    row.revoked_at = utcnow()
                    session.add(row)
                    revoked += 1
        return revoked

    def active(self, user_id: int) -> list[ConsoleSession]:
        now = utcnow()
        with session_scope(self._engine) as session:
            rows = session.exec(
                select(ConsoleSession)
                .where(ConsoleSession.user_id == user_id, ConsoleSession.revoked_at.is_(None))
                .order_by(ConsoleSession.id.desc())
            ).all()
        return [row for row in rows if _aware(row.expires_at) > now and row.is_verified]

    def issue_oauth_state(self, session_id: int, broker: str) -> str:
        state = secrets.token_urlsafe(32)
        with session_scope(self._engine) as session:
            row = session.get(ConsoleSession, session_id)
            row.oauth_state_digest = _digest(state)
            row.oauth_broker = broker
            row.oauth_state_expires_at = utcnow() + timedelta(seconds=OAUTH_STATE_SECONDS)
            session.add(row)
        return state

    def consume_oauth_state(self, session_id: int, broker: str, state: str | None) -> bool:
        """True once for the state issued to this session for this broker; any attempt clears it."""
        with session_scope(self._engine) as session:
            row = session.get(ConsoleSession, session_id)
            if row is None or row.oauth_state_digest is None:
                return False
            is_valid = (
                bool(state)
                and hmac.compare_digest(row.oauth_state_digest, _digest(state))
                and row.oauth_broker == broker
                and _aware(row.oauth_state_expires_at) > utcnow()
            )
            row.oauth_state_digest = row.oauth_broker = row.oauth_state_expires_at = None
            session.add(row)
        return is_valid
