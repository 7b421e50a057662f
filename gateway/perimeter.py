"""Everything at the gateway's edge, built once per app: client addresses, bans, rate limits, browser
headers, the traffic log and metrics, plus the routes that live beside `/api/v1` (the console,
`/health`, `/metrics`, broker postbacks).

`create_app` asks for the middleware in the order it must run and for the extra routes; the rest of
the gateway only meets these pieces through `app.perimeter` (to register health checks and metrics).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from functools import partial

from sqlalchemy import text

from gateway.bans import BanGuard, BanList
from gateway.browser import BrowserSecurity
from gateway.clientip import ClientAddresses
from gateway.console import Console, register
from gateway.observability import Health, Metrics, Observe, TrafficLog, health_route, logs_database_url, metrics_route
from gateway.postbacks import postback_route
from gateway.ratelimit import ClientRateLimit, KeyRateLimit, RateLimits
from gateway.services import Services
from gateway.settings import Settings


@dataclass
class Perimeter:
    settings: Settings
    services: Services
    addresses: ClientAddresses
    limits: RateLimits
    bans: BanList
    metrics: Metrics
    health: Health
    traffic: TrafficLog

    @classmethod
    def build(cls, settings: Settings, services: Services) -> Perimeter:
        traffic = TrafficLog(
            logs_database_url(settings.database_url, settings.logs_database_url),
            retention_days=settings.traffic_log_retention_days,
        )
        perimeter = cls(
            settings,
            services,
            ClientAddresses(settings.trusted_proxies),
            RateLimits(settings),
            BanList(services.engine, settings),
            Metrics(),
            Health(),
            traffic,
        )
        perimeter.health.register("database", perimeter._database_check)
        perimeter.metrics.register(
            "brokergate_traffic_log_dropped_total",
            "Traffic-log rows dropped because the writer fell behind.",
            lambda: traffic.dropped,
            kind="counter",
        )
        return perimeter

    # Outside connexion's exception middleware: they must see (and decorate) error responses too.
    def outer_middlewares(self) -> list:
        return [
            partial(Observe, metrics=self.metrics, traffic=self.traffic, addresses=self.addresses),
            partial(
                BrowserSecurity,
                allowed_origins=self.settings.cors_allowed_origins,
                is_tls_site=self.settings.host_server.startswith("https://"),
            ),
        ]

    def ban_middleware(self):
        return partial(BanGuard, bans=self.bans, addresses=self.addresses)

    def client_limit_middleware(self):
        return partial(ClientRateLimit, limits=self.limits)

    def key_limit_middleware(self):
        return partial(KeyRateLimit, limits=self.limits)

    def add_routes(self, app) -> None:
        app.add_url_rule("/health", "health", health_route(self.health), methods=["GET"])
        app.add_url_rule("/metrics", "metrics", metrics_route(self.metrics), methods=["GET"])
        app.add_url_rule(
            "/postback/{broker}",
            "postback",
            postback_route(self.services.registry, self.limits, self.settings.postback_secret),
            methods=["POST"],
        )
        console = Console(
            settings=self.settings,
            services=self.services,
            limits=self.limits,
            bans=self.bans,
            traffic=self.traffic,
            health=self.health,
            api_app=app,
        )
        register(app, console)

    async def close(self) -> None:
        await self.traffic.close()

    async def _database_check(self) -> dict:
        def probe() -> None:
            with self.services.engine.connect() as connection:
                connection.execute(text("SELECT 1"))

        await asyncio.to_thread(probe)
        return {"dialect": self.services.engine.dialect.name}
