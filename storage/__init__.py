"""Persistent state: SQLModel tables, the database engine, and alembic migrations."""

from storage.db import make_engine, session_scope, upgrade
from storage.models import ApiKey, BrokerSession, OrderAudit, User, UserSettings, utcnow

__all__ = [
    "ApiKey",
    "BrokerSession",
    "OrderAudit",
    "User",
    "UserSettings",
    "make_engine",
    "session_scope",
    "upgrade",
    "utcnow",
]
