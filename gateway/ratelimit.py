"""Rate limits on every route: moving windows from `limits`, per client address and per API key owner.

Each operation falls into a class named after OpenAlgo's variables (API_RATE_LIMIT, ORDER_RATE_LIMIT,
SMART_ORDER_RATE_LIMIT, GREEKS_RATE_LIMIT); a class may have several windows ("10 per second;200 per
minute") and a request must fit all of them. The class comes from the spec's operationId, so a new
endpoint is limited (as `api`) the moment it exists. Counters live in memory: a check costs a few
microseconds and no I/O.
"""

from __future__ import annotations

import time

from limits import RateLimitItem, parse_many
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter
from starlette.types import ASGIApp, Receive, Scope, Send

from gateway.clientip import client_ip
from gateway.context import USER
from gateway.observability import note
from gateway.settings import Settings
from generated.errors import RateLimited

API, ORDERS, SMART_ORDERS, GREEKS, WEBHOOK, LOGIN = "api", "orders", "smart_orders", "greeks", "webhook", "login"
_CLASS_OF_OPERATION = {
    **dict.fromkeys(
        (
            "placeorder",
            "modifyorder",
            "cancelorder",
            "optionsorder",
            "optionsmultiorder",
            "placegttorder",
            "modifygttorder",
            "cancelgttorder",
        ),
        ORDERS,
    ),
    "placesmartorder": SMART_ORDERS,
    "optiongreeks": GREEKS,
}
# Local assets cost nothing to serve and a page loads several at once.
_UNLIMITED_PREFIXES = ("/static/",)


def limit_class(operation_id: str | None) -> str:
    """The class of an operationId such as `handlers.orders.placeorder`; unknown ones are `api`."""
    if not operation_id:
        return API
    return _CLASS_OF_OPERATION.get(operation_id.rsplit(".", 1)[-1], API)


def operation_of(scope: Scope) -> str | None:
    return scope.get("extensions", {}).get("connexion_routing", {}).get("operation_id")


class RateLimits:
    """The configured windows of every class and the in-memory counters behind them."""

    def __init__(self, settings: Settings) -> None:
        self._windows: dict[str, list[RateLimitItem]] = {
            API: parse_many(settings.api_rate_limit),
            ORDERS: parse_many(settings.order_rate_limit),
            SMART_ORDERS: parse_many(settings.smart_order_rate_limit),
            GREEKS: parse_many(settings.greeks_rate_limit),
            WEBHOOK: parse_many(settings.webhook_rate_limit),
            LOGIN: parse_many(settings.login_rate_limit),
        }
        self._limiter = MovingWindowRateLimiter(MemoryStorage())

    def windows(self, name: str) -> list[RateLimitItem]:
        return self._windows[name]

    def hit(self, name: str, identity: str) -> None:
        """Count one request of `identity` in class `name`; raise RateLimited when a window is full."""
        for window in self._windows[name]:
            if not self._limiter.hit(window, name, identity):
                stats = self._limiter.get_window_stats(window, name, identity)
                retry_after = max(stats.reset_time - time.time(), 0.001)
                raise RateLimited(
                    f"Rate limit exceeded: {window.amount} per {window.multiples} {window.GRANULARITY.name} "
                    f"for {name.replace('_', ' ')} requests; retry in {retry_after:.1f} s",
                    retry_after=round(retry_after, 3),
                )

    def reset(self) -> None:
        self._limiter.storage.reset()


class ClientRateLimit:
    """Limit by client address, after routing (the class needs the operation) and before the API key."""

    def __init__(self, app: ASGIApp, limits: RateLimits) -> None:
        self.app = app
        self.limits = limits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not scope["path"].startswith(_UNLIMITED_PREFIXES):
            self.limits.hit(limit_class(operation_of(scope)), "ip:" + client_ip(scope))
        await self.app(scope, receive, send)


class KeyRateLimit:
    """Limit by the API key's owner, so one key spread over many addresses shares one budget."""

    def __init__(self, app: ASGIApp, limits: RateLimits) -> None:
        self.app = app
        self.limits = limits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and (user := scope.get(USER)) is not None:
            note(scope, user_id=user.user_id)
            self.limits.hit(limit_class(operation_of(scope)), f"user:{user.user_id}")
        await self.app(scope, receive, send)
