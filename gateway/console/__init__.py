"""The web console: server-rendered pages with local assets, no build step and no CDN."""

from __future__ import annotations

from gateway.console import (
    admin_routes,
    admindata_routes,
    analytics_routes,
    auth_routes,
    broker_routes,
    flow_routes,
    historify_routes,
    key_routes,
    monitor_routes,
    operations_routes,
    portfolio_routes,
    pystrategy_routes,
    strategy_routes,
    trading_routes,
)
from gateway.console.assets import Assets
from gateway.console.web import Console

__all__ = ["Console", "register"]


def register(app, console: Console) -> None:
    """Add every console route, and the local assets, to the connexion app."""
    for module in (
        trading_routes,
        auth_routes,
        key_routes,
        broker_routes,
        admin_routes,
        operations_routes,
        historify_routes,
        admindata_routes,
        monitor_routes,
        analytics_routes,
        pystrategy_routes,
        portfolio_routes,
        strategy_routes,
        flow_routes,
    ):
        for path, name, endpoint, methods in module.routes(console):
            app.add_url_rule(path, name, endpoint, methods=methods)
    app.add_url_rule("/static/{name}", "static", Assets().serve, methods=["GET"])
