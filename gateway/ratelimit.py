"""Rate limits on every route: moving windows, per client address and per API key owner.

Each operation falls into a class named after OpenAlgo's variables (API_RATE_LIMIT, ORDER_RATE_LIMIT,
SMART_ORDER_RATE_LIMIT, GREEKS_RATE_LIMIT); a class may have several windows ("10 per second;200 per
minute") and a request must fit all of them. The class comes from the spec's operationId, so a new
endpoint is limited (as `api`) the moment it exists.

`limits` parses the settings into windows. The counting is done here, on the event loop, with one
bounded deque of hit times per key: `limits`' in-memory storage starts a timer thread every 10 ms
and inserts at the front of a list, which measurably slowed every request, while a deque makes a
check a few dict and deque operations with no lock and no thread.
"""

from __future__ import annotations

import time
from collections import deque

from limits import RateLimitItem, parse_many
from starlette.types import ASGIApp, Receive, Scope, Send

from gateway.clientip import client_ip, is_inside, parse_networks
from gateway.context import USER
from gateway.observability import note
from gateway.settings import Settings
from generated.errors import RateLimited

API, ORDERS, SMART_ORDERS, GREEKS, WEBHOOK, LOGIN = "api", "orders", "smart_orders", "greeks", "webhook", "login"
MONITORING = "monitoring"
PORTFOLIO, TEARSHEET, SIP = "portfolio", "tearsheet", "sip"
TELEGRAM, TELEGRAM_BROADCAST = "telegram", "telegram_broadcast"
TELEGRAM_BROADCAST_LIMIT = "5 per minute"  # fixed, as in OpenAlgo: a broadcast reaches every linked chat
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
    **dict.fromkeys(("portfolio.backtest", "portfolio.holdings"), PORTFOLIO),
    "portfolio.tearsheet": TEARSHEET,
    **dict.fromkeys(("portfolio.sip_frequencies", "portfolio.sip_backtest"), SIP),
    **dict.fromkeys(
        (
            "telegram.get_config",
            "telegram.set_config",
            "telegram.start",
            "telegram.stop",
            "telegram.users",
            "telegram.notify",
            "telegram.stats",
            "telegram.get_preferences",
            "telegram.set_preferences",
        ),
        TELEGRAM,
    ),
    "telegram.broadcast": TELEGRAM_BROADCAST,
    "telegram.webhook": WEBHOOK,
    "strategy_webhook": WEBHOOK,
    "chartink_webhook": WEBHOOK,
    "flow_webhook": WEBHOOK,
    "flow.run": ORDERS,  # a run may place orders: it counts as one (each order also goes through the desk)
}
# Local assets cost nothing to serve and a page loads several at once.
_UNLIMITED_PREFIXES = ("/static/",)
# A load balancer or Prometheus polling these must not be refused because the API budget of its address ran out.
_MONITORING_PATHS = frozenset(("/health", "/metrics"))


def limit_class(operation_id: str | None) -> str:
    """The class of an operationId such as `handlers.orders.placeorder`; unknown ones are `api`."""
    if not operation_id:
        return API
    module_and_name = operation_id.split(".", 1)[-1]  # handlers.portfolio.backtest -> portfolio.backtest
    return _CLASS_OF_OPERATION.get(module_and_name) or _CLASS_OF_OPERATION.get(operation_id.rsplit(".", 1)[-1], API)


def operation_of(scope: Scope) -> str | None:
    return scope.get("extensions", {}).get("connexion_routing", {}).get("operation_id")


class MovingWindows:
    """Moving-window counters: for each key, the times of its hits still inside the window, at most `amount`.

    Hits that have left the window are dropped as new ones arrive, so what a key holds follows its
    traffic over the last `seconds`, not the configured `amount` (a generous limit such as
    "100000 per minute" must not keep up to 100000 times per key)."""

    SWEEP_EVERY = 10_000  # hits between sweeps of keys that have gone quiet

    def __init__(self) -> None:
        self._hits: dict[tuple, deque[float]] = {}
        self._until_sweep = self.SWEEP_EVERY

    def hit(self, amount: int, seconds: float, key: tuple) -> float:
        """Record a hit and return 0, or return the seconds until one fits if the window is full."""
        now = time.monotonic()
        hits = self._hits.get(key)
        if hits is None:
            hits = self._hits[key] = deque(maxlen=amount)
        else:
            left = now - seconds
            while hits and hits[0] <= left:
                hits.popleft()
            if len(hits) == amount:
                return hits[0] + seconds - now
        hits.append(now)
        self._until_sweep -= 1
        if self._until_sweep <= 0:
            self._sweep(now)
        return 0.0

    def held(self) -> int:
        """How many hit times are held, over every key: the counters' memory."""
        return sum(len(hits) for hits in self._hits.values())

    def clear(self, predicate) -> None:
        for key in [key for key in self._hits if predicate(key)]:
            del self._hits[key]

    def _sweep(self, now: float) -> None:
        # Key tuples start with the window's length in seconds; a key whose newest hit is older is empty.
        self.clear(lambda key: self._hits[key][-1] <= now - key[0])
        self._until_sweep = self.SWEEP_EVERY


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
            MONITORING: parse_many(settings.monitoring_rate_limit),
            PORTFOLIO: parse_many(settings.portfolio_api_rate_limit),
            TEARSHEET: parse_many(settings.portfolio_tearsheet_rate_limit),
            SIP: parse_many(settings.sip_api_rate_limit),
            TELEGRAM: parse_many(settings.telegram_rate_limit),
            TELEGRAM_BROADCAST: parse_many(TELEGRAM_BROADCAST_LIMIT),
        }
        self._monitoring_addresses = parse_networks(settings.monitoring_addresses, setting="MONITORING_ADDRESSES")
        self._sizes = {
            name: [(window, window.amount, window.get_expiry()) for window in windows]
            for name, windows in self._windows.items()
        }
        from gateway.sharedlimits import counters  # shared across workers when RATE_LIMIT_STORAGE_URL is set

        self._counters = counters(settings.rate_limit_storage_url)

    def windows(self, name: str) -> list[RateLimitItem]:
        return self._windows[name]

    def hit(self, name: str, identity: str) -> None:
        """Count one request of `identity` in class `name`; raise RateLimited when a window is full."""
        for window, amount, seconds in self._sizes[name]:
            retry_after = self._counters.hit(amount, seconds, (seconds, amount, name, identity))
            if retry_after:
                raise RateLimited(
                    f"Rate limit exceeded: {window.amount} per {window.multiples} {window.GRANULARITY.name} "
                    f"for {name.replace('_', ' ')} requests; retry in {retry_after:.1f} s",
                    retry_after=round(max(retry_after, 0.001), 3),
                )

    def hit_monitoring(self, address: str) -> None:
        """Count a /health or /metrics request in its own class; MONITORING_ADDRESSES are never limited."""
        if not is_inside(address, self._monitoring_addresses):
            self.hit(MONITORING, "ip:" + address)

    def reset(self) -> None:
        self._counters.clear(lambda _key: True)


class ClientRateLimit:
    """Limit by client address, after routing (the class needs the operation) and before the API key."""

    def __init__(self, app: ASGIApp, limits: RateLimits) -> None:
        self.app = app
        self.limits = limits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].rstrip("/") in _MONITORING_PATHS:
            self.limits.hit_monitoring(client_ip(scope))
        elif scope["type"] == "http" and not scope["path"].startswith(_UNLIMITED_PREFIXES):
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
