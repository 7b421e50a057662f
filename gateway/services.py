"""The gateway's services, built once from the settings and shared by every request."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine

from brokers import Registry
from gateway.accounts import Accounts
from gateway.routing import BrokerRouter
from gateway.sessions import BrokerSessions
from gateway.settings import Settings
from storage import make_engine, upgrade


@dataclass
class Services:
    settings: Settings
    engine: Engine
    accounts: Accounts
    sessions: BrokerSessions
    registry: Registry
    router: BrokerRouter

    @classmethod
    def build(cls, settings: Settings, *, migrate: bool = True) -> Services:
        engine = make_engine(settings.database_url)
        if migrate:
            upgrade(engine)
        accounts = Accounts(engine, app_key=settings.app_key, api_key_pepper=settings.api_key_pepper)
        sessions = BrokerSessions(engine, app_key=settings.app_key)
        registry = Registry.discover()
        return cls(settings, engine, accounts, sessions, registry, BrokerRouter(registry, accounts, sessions))
