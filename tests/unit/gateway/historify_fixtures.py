"""A Historify on a pinned clock, fed by the sandbox plugin over an offline market pinned to the same time."""

from __future__ import annotations

from datetime import datetime

from brokers.sandbox import SandboxPlugin
from gateway.historify import Historify
from gateway.routing import SANDBOX, Route
from gateway.scheduler import Scheduler
from sandbox.market import IST, OfflineMarket
from storage import make_engine, upgrade
from storage.history import HistoryStore

NOW = datetime(2026, 11, 27, 18, 0, tzinfo=IST)  # a Friday evening, after the close


class FixedRouter:
    """Routes every user to one plugin, counting the calls."""

    def __init__(self, plugin) -> None:
        self.plugin = plugin
        self.calls = 0

    def route(self, user) -> Route:
        self.calls += 1
        return Route(SANDBOX, self.plugin, is_analyze=True)


class FailingPlugin:
    """A broker whose history fails for one symbol."""

    def __init__(self, inner, failing: str) -> None:
        self._inner = inner
        self.failing = failing

    async def history(self, account, request):
        from generated.errors import BrokerUnavailable

        if request.symbol == self.failing:
            raise BrokerUnavailable("the broker could not be reached")
        return await self._inner.history(account, request)


def pinned_market() -> OfflineMarket:
    return OfflineMarket(7, start=NOW)


def build_historify(tmp_path, plugin=None, *, market: OfflineMarket | None = None) -> tuple[Historify, FixedRouter]:
    engine = make_engine(f"sqlite:///{tmp_path / 'gateway.db'}")
    upgrade(engine)
    router = FixedRouter(plugin or SandboxPlugin(None, market or pinned_market()))
    historify = Historify(HistoryStore(tmp_path / "history.duckdb"), router, Scheduler(engine), clock=lambda: NOW)
    return historify, router
