"""Persistent state: SQLModel tables, the database engine, and alembic migrations."""

from storage.admin_tables import FreezeQuantity, MarketHoliday, SessionTiming
from storage.console_tables import ConsoleSession, IpBan, UserTotp
from storage.db import make_engine, session_scope, upgrade
from storage.gateway_tables import ChartPreference, QueuedOrder
from storage.models import ApiKey, BrokerCredential, BrokerSession, OrderAudit, User, UserSettings, utcnow
from storage.operations_tables import TelegramBot, TelegramLink, TelegramMessage
from storage.stream_tables import OrderUpdateRecord
from storage.worker_tables import LeaderLease, OrderIntent, SandboxGeneration

__all__ = [
    "ApiKey",
    "BrokerCredential",
    "BrokerSession",
    "ChartPreference",
    "ConsoleSession",
    "FreezeQuantity",
    "IpBan",
    "LeaderLease",
    "MarketHoliday",
    "OrderAudit",
    "OrderIntent",
    "OrderUpdateRecord",
    "QueuedOrder",
    "SandboxGeneration",
    "SessionTiming",
    "TelegramBot",
    "TelegramLink",
    "TelegramMessage",
    "User",
    "UserSettings",
    "UserTotp",
    "make_engine",
    "session_scope",
    "upgrade",
    "utcnow",
]
