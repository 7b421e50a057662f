"""The gateway's services, built once from the settings and shared by every request."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine

from brokers import Registry
from brokers.sandbox import SandboxPlugin
from gateway.accounts import Accounts
from gateway.credentials import BrokerCredentials
from gateway.events import OrderEvents
from gateway.optionsanalytics import SnapshotCache
from gateway.orders import OrderDesk
from gateway.routing import SANDBOX, BrokerRouter
from gateway.scheduler import Scheduler
from gateway.sessions import BrokerSessions
from gateway.settings import Settings
from gateway.simulated import attach_simulators, simulated_brokers
from sandbox.engine import SandboxConfig, SandboxEngine
from sandbox.market import OfflineMarket
from storage import make_engine, upgrade


@dataclass
class Services:
    settings: Settings
    engine: Engine
    accounts: Accounts
    sessions: BrokerSessions
    credentials: BrokerCredentials
    registry: Registry
    router: BrokerRouter
    market: OfflineMarket
    sandbox: SandboxEngine
    orders: OrderDesk
    events: OrderEvents
    scheduler: Scheduler
    simulators: dict[str, Any] = field(default_factory=dict)  # broker id -> its offline simulator (BROKER_SIMULATORS)
    # Options analytics (issue 13): chain snapshots kept a second, so open pages share one chain read.
    analytics_cache: SnapshotCache = field(default_factory=SnapshotCache)

    @classmethod
    def build(cls, settings: Settings, *, migrate: bool = True) -> Services:
        engine = make_engine(settings.database_url)
        if migrate:
            upgrade(engine)
        accounts = Accounts(engine, app_key=settings.app_key, api_key_pepper=settings.api_key_pepper)
        sessions = BrokerSessions(engine, app_key=settings.app_key)
        credentials = BrokerCredentials(engine, app_key=settings.app_key)
        market = OfflineMarket(settings.market_seed)
        events = OrderEvents()
        # The offline market trades around the clock, so there is no square-off time to honour.
        sandbox = SandboxEngine(
            engine,
            market,
            SandboxConfig(square_off_enabled=False, is_trading_day=market.calendar.is_trading_day),
            on_order_event=events,
        )
        registry = Registry.discover()
        registry.provide(SANDBOX, SandboxPlugin(sandbox, market))
        simulated = simulated_brokers(settings.broker_simulators, registry)
        simulators = attach_simulators(registry, simulated, settings.host_server)
        router = BrokerRouter(registry, accounts, sessions, credentials)
        orders = OrderDesk(engine, router, market)
        scheduler = Scheduler(engine)
        return cls(
            settings,
            engine,
            accounts,
            sessions,
            credentials,
            registry,
            router,
            market,
            sandbox,
            orders,
            events,
            scheduler,
            simulators,
        )
