"""Persistent state: SQLModel tables, the database engine, and alembic migrations."""

from storage.admin_tables import FreezeQuantity, MarketHoliday, SessionTiming
from storage.console_tables import ConsoleSession, IpBan, UserTotp
from storage.db import make_engine, session_scope, upgrade
from storage.flow_tables import FlowRunRecord, FlowStepRecord, FlowWorkflowRecord
from storage.gateway_tables import ChartPreference, QueuedOrder
from storage.models import ApiKey, BrokerCredential, BrokerSession, OrderAudit, User, UserSettings, utcnow
from storage.operations_tables import TelegramBot, TelegramLink, TelegramMessage, TelegramPreference
from storage.pystrategy_tables import PythonStrategy
from storage.strategy_tables import Strategy, StrategySymbol, WebhookAlert
from storage.stream_tables import OrderUpdateRecord
from storage.worker_tables import LeaderLease, OrderIntent, SandboxGeneration

__all__ = [
    "ApiKey",
    "BrokerCredential",
    "BrokerSession",
    "ChartPreference",
    "ConsoleSession",
    "FlowRunRecord",
    "FlowStepRecord",
    "FlowWorkflowRecord",
    "FreezeQuantity",
    "IpBan",
    "LeaderLease",
    "MarketHoliday",
    "OrderAudit",
    "OrderIntent",
    "OrderUpdateRecord",
    "PythonStrategy",
    "QueuedOrder",
    "SandboxGeneration",
    "SessionTiming",
    "Strategy",
    "StrategySymbol",
    "TelegramBot",
    "TelegramLink",
    "TelegramMessage",
    "TelegramPreference",
    "User",
    "UserSettings",
    "UserTotp",
    "WebhookAlert",
    "make_engine",
    "session_scope",
    "upgrade",
    "utcnow",
]
