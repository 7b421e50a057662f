"""The gateway's services, built once from the settings and shared by every request."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine

from brokers import Registry
from brokers.sandbox import SandboxPlugin
from gateway.accounts import Accounts
from gateway.admindata import AdminData
from gateway.credentials import BrokerCredentials
from gateway.events import OrderEvents
from gateway.flow import FlowService
from gateway.historify import Historify
from gateway.optionsanalytics import SnapshotCache
from gateway.orders import OrderDesk
from gateway.pystrategies import PythonStrategies
from gateway.routing import SANDBOX, BrokerRouter
from gateway.scheduler import Scheduler
from gateway.sessions import BrokerSessions
from gateway.settings import Settings
from gateway.simulated import attach_simulators, simulated_brokers
from gateway.strategies import StrategyService
from gateway.telegram import TelegramService, TelegramStore
from sandbox.engine import SandboxConfig, SandboxEngine
from sandbox.engine.shared import SharedBooks
from sandbox.engine.timekeeping import Clock, system_clock
from sandbox.market import OfflineMarket
from storage import make_engine, upgrade
from storage.checkpoints import Checkpointer
from storage.history import HistoryStore


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
    historify: Historify
    simulators: dict[str, Any] = field(default_factory=dict)  # broker id -> its offline simulator (BROKER_SIMULATORS)
    telegram: TelegramService | None = None  # the bot and its outbox; built last, since its commands use the rest
    admin: AdminData | None = None  # holidays, session timings and freeze quantities from the database
    # Options analytics (issue 13): chain snapshots kept a second, so open pages share one chain read.
    analytics_cache: SnapshotCache = field(default_factory=SnapshotCache)
    # Python strategies (issue 11): users' scripts, supervised as processes of their own.
    pystrategies: PythonStrategies | None = None
    strategies: StrategyService | None = None  # webhook strategies (issue 11)
    flow: FlowService | None = None  # flow workflows (issue 17)
    checkpoints: Checkpointer | None = None  # SQLite's WAL checkpoints off the commits, while the server runs

    @classmethod
    def build(cls, settings: Settings, *, migrate: bool = True, clock: Clock = system_clock) -> Services:
        """Wire everything; `clock` is the sandbox's (tests pin it to a day of their choosing)."""
        engine = make_engine(settings.database_url)
        if migrate:
            upgrade(engine)
        accounts = Accounts(engine, app_key=settings.app_key, api_key_pepper=settings.api_key_pepper)
        sessions = BrokerSessions(engine, app_key=settings.app_key)
        credentials = BrokerCredentials(engine, app_key=settings.app_key)
        market = OfflineMarket(settings.market_seed, start=settings.market_start)
        admin = AdminData(engine, market.calendar)
        if migrate:
            admin.start()  # the calendar answers from the database from here on
        events = OrderEvents()
        # The offline market trades around the clock, so there is no square-off time to honour.
        closure = market.calendar.closure if settings.sandbox_closed_on_holidays else None
        sandbox = SandboxEngine(
            engine,
            market,
            SandboxConfig(
                square_off_enabled=False, is_trading_day=market.calendar.is_trading_day, closure_reason=closure
            ),
            clock=clock,
            on_order_event=events,
            shared=SharedBooks() if settings.workers > 1 else None,  # several workers: take turns through the database
        )
        registry = Registry.discover()
        registry.provide(SANDBOX, SandboxPlugin(sandbox, market))
        registry.offer(settings.valid_brokers)  # VALID_BROKERS: what this deployment offers
        simulated = simulated_brokers(settings.broker_simulators, registry)
        simulators = attach_simulators(registry, simulated, settings.host_server)
        router = BrokerRouter(registry, accounts, sessions, credentials)
        orders = OrderDesk(engine, router, market, admin=admin)
        scheduler = Scheduler(engine)
        historify = Historify(HistoryStore(settings.history_database), router, scheduler)
        services = cls(
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
            historify,
            simulators,
            admin=admin,
        )
        services.telegram = TelegramService(
            TelegramStore(engine, app_key=settings.app_key),
            services,
            api_base=settings.telegram_api_base,
            poll_seconds=settings.telegram_poll_seconds,
        )
        services.pystrategies = PythonStrategies(engine, accounts, settings, market.calendar, scheduler)
        # A refused webhook alert or its failed orders: the strategy's owner hears of it on Telegram.
        services.strategies = StrategyService.build(services, clock, on_refused=services.telegram.on_strategy_refused)
        services.flow = FlowService.build(services, clock)  # visual workflows (issue 17)
        services.checkpoints = Checkpointer(engine)
        return services
