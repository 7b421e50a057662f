"""The WebSocket feed of the gateway: the streaming service wired to accounts, routing and order events.

Ticks come from a live broker's own feed while a user is connected to one (analyzer off), else from
the offline market (`streaming.adapters.routed`).

The market clock owns the offline market's time, so the feed reads the market through a view whose
`advance` does nothing: ticks and fills then come from the same prices.
"""

from __future__ import annotations

import asyncio
from functools import partial
from typing import Any

from gateway.accounts import Principal
from gateway.services import Services
from generated.errors import ApiKeyRevoked, BrokergateError, InvalidApiKey
from streaming import OrderJournal, StreamingService
from streaming.adapters.routed import FeedSource, RoutedAdapter


class _ClockedMarket:
    """The offline market as the feed sees it: quotes and ticks, with time moved by the market clock."""

    def __init__(self, market) -> None:
        self._market = market

    def advance(self, seconds: float) -> None:
        return None

    def tick(self, exchange: str, symbol: str):
        return self._market.tick(exchange, symbol)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._market, name)


def build_feed(services: Services) -> StreamingService:
    async def authenticate(api_key: str) -> int | None:
        try:
            return services.accounts.authenticate(api_key).user_id
        except (InvalidApiKey, ApiKeyRevoked):
            return None

    async def broker_info(user_id: int) -> dict:
        try:
            route = services.router.route(Principal(user_id=user_id, username=""))
        except BrokergateError as e:
            return {"broker": None, "status": e.code}
        return {"broker": route.broker, "mode": route.mode}

    async def supported_brokers() -> list[str]:
        return services.registry.ids()

    async def source() -> FeedSource | None:
        """The live broker to stream from: the first user with a live session, analyzer off, whose plugin streams."""
        for user_id in await asyncio.to_thread(services.sessions.live_users):
            try:
                route = services.router.route(Principal(user_id=user_id, username=""))
            except BrokergateError:
                continue
            if route.is_analyze or not hasattr(route.plugin, "stream"):
                continue
            account = route.account(user_id)
            return FeedSource((user_id, route.broker, route.token), route.broker, partial(route.plugin.stream, account))
        return None

    settings = services.settings
    market = _ClockedMarket(services.market)
    return StreamingService(
        authenticate=authenticate,
        broker_info=broker_info,
        supported_brokers=supported_brokers,
        adapter_factory=lambda publisher: RoutedAdapter(publisher, market, source=source),
        host=settings.websocket_host,
        port=settings.websocket_port,
        bus_address=settings.zmq_address,
        journal=OrderJournal(services.engine),  # durable order_update sequences, replayed on `since`
    )


def observe(feed: StreamingService, clock, perimeter, sessions, background=None) -> None:
    """Report the feed, the market clock and broker sessions on /health and /metrics."""

    async def bus() -> dict:
        if background is not None and not background.leads:
            return {"leader": 0}  # a follower among workers: the leader serves the feed
        if feed.server is None:
            raise RuntimeError("the streaming service is not running")
        figures = feed.stats()
        return {key: figures[key] for key in sorted(figures) if key.startswith("bus_") and _is_number(figures[key])}

    async def market() -> dict:
        if not clock.is_running:
            raise RuntimeError("the market clock is not running")
        return {"beats": clock.beats}

    async def broker_sessions() -> dict:
        return await asyncio.to_thread(sessions.counts)

    perimeter.health.register("bus", bus)
    perimeter.health.register("broker_sessions", broker_sessions)
    perimeter.health.register("feed", market)

    def figure(name: str):
        return lambda: feed.stats().get(name, 0) if feed.server is not None else 0

    for name in (
        "bus_received",
        "bus_gaps",
        "bus_published",
        "ticks_in",
        "frames_out",
        "frames_dropped",
        "clients",
        "slow_disconnects",
    ):
        perimeter.metrics.register(f"brokergate_stream_{name}", f"Streaming figure {name}.", figure(name))
    perimeter.metrics.register(
        "brokergate_market_beats", "Beats of the offline market clock.", lambda: clock.beats, kind="counter"
    )


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
