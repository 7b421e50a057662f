"""Broker sessions: a user's encrypted broker token and when it stops working."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from cachetools import TTLCache
from sqlalchemy import Engine
from sqlmodel import select

from gateway.security import Vault
from storage import BrokerSession, session_scope, utcnow


@dataclass(frozen=True, slots=True)
class LiveSession:
    broker: str
    token: str
    valid_until: datetime

    @property
    def is_expired(self) -> bool:
        return self.valid_until <= utcnow()


class BrokerSessions:
    def __init__(self, engine: Engine, *, app_key: str) -> None:
        self._engine = engine
        self._vault = Vault(app_key, "broker-token")
        # Read on every request to route it; cleared by this process's own writes.
        self._latest: TTLCache[int, LiveSession | None] = TTLCache(maxsize=10_000, ttl=2.0)

    def store(self, user_id: int, broker: str, token: str, valid_until: datetime) -> None:
        """Record a new login, revoking the user's earlier sessions."""
        with session_scope(self._engine) as session:
            for old in session.exec(
                select(BrokerSession).where(BrokerSession.user_id == user_id, BrokerSession.status == "active")
            ):
                old.status = "revoked"
                session.add(old)
            session.add(
                BrokerSession(
                    user_id=user_id, broker=broker, token_encrypted=self._vault.encrypt(token), valid_until=valid_until
                )
            )
        self._latest.pop(user_id, None)

    def latest(self, user_id: int) -> LiveSession | None:
        """The user's current (not logged-out) session, expired or not."""
        if user_id in self._latest:
            return self._latest[user_id]
        self._latest[user_id] = session = self._read_latest(user_id)
        return session

    def _read_latest(self, user_id: int) -> LiveSession | None:
        with session_scope(self._engine) as session:
            row = session.exec(
                select(BrokerSession)
                .where(BrokerSession.user_id == user_id, BrokerSession.status == "active")
                .order_by(BrokerSession.id.desc())
            ).first()
        if row is None:
            return None
        return LiveSession(row.broker, self._vault.decrypt(row.token_encrypted), row.valid_until)

    def live_users(self) -> list[int]:
        """The users whose current broker session has not expired."""
        now = utcnow()
        with session_scope(self._engine) as session:
            rows = session.exec(
                select(BrokerSession.user_id, BrokerSession.valid_until).where(BrokerSession.status == "active")
            ).all()
        return sorted({user_id for user_id, valid_until in rows if valid_until > now})

    def counts(self) -> dict[str, int]:
        """How many logged-in broker sessions are still valid and how many have expired."""
        now = utcnow()
        with session_scope(self._engine) as session:
            rows = session.exec(select(BrokerSession.valid_until).where(BrokerSession.status == "active")).all()
        expired = sum(1 for valid_until in rows if valid_until <= now)
        return {"valid": len(rows) - expired, "expired": expired}

    def revoke(self, user_id: int) -> None:
        with session_scope(self._engine) as session:
            for row in session.exec(
                select(BrokerSession).where(BrokerSession.user_id == user_id, BrokerSession.status == "active")
            ):
                row.status = "revoked"
                session.add(row)
        self._latest.pop(user_id, None)
