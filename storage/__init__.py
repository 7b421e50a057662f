"""Persistent state: SQLModel tables, the database engine, and alembic migrations."""

from storage.console_tables import ConsoleSession, IpBan, UserTotp
from storage.db import make_engine, session_scope, upgrade
from storage.models import ApiKey, BrokerSession, OrderAudit, User, UserSettings, utcnow

__all__ = [
    "ApiKey",
    "BrokerSession",
    "ConsoleSession",
    "IpBan",
    "OrderAudit",
    "User",
    "UserSettings",
    "UserTotp",
    "make_engine",
    "session_scope",
    "upgrade",
    "utcnow",
]
