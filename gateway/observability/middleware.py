"""The outermost brokergate middleware: time every request, count it, and queue its traffic-log row.

It sits outside connexion's exception middleware so it sees the status of error envelopes too. Inner
layers report what they learn (the caller, a console route's name, later the broker round trip) in a
small dict placed in the scope, because connexion and `RequestShape` hand copies of the scope inward.
"""

from __future__ import annotations

import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway import brokertime
from gateway.clientip import ClientAddresses
from gateway.observability.metrics import Metrics
from gateway.observability.traffic import TrafficLog
from gateway.webhooks.tokens import masked_path

OBSERVATION = "brokergate.observation"
# Monitoring scrapes and local assets would drown the calls worth reading in the log.
_UNLOGGED_PREFIXES = ("/static/", "/health", "/metrics", "/favicon.ico")


def note(scope: Scope, **facts) -> None:
    """Tell the traffic log something about the request (`route`, `user_id`, `broker_ms`)."""
    if (observation := scope.get(OBSERVATION)) is not None:
        observation.update(facts)


class Observe:
    def __init__(self, app: ASGIApp, metrics: Metrics, traffic: TrafficLog, addresses: ClientAddresses) -> None:
        self.app = app
        self.metrics = metrics
        self.traffic = traffic
        self.addresses = addresses

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        started = time.perf_counter()
        address = self.addresses.resolve(scope)
        observation: dict = {}
        scope[OBSERVATION] = observation
        # Shared by the shallow copies made further in, so connexion's routing result is visible here.
        extensions = scope.setdefault("extensions", {})
        status = 500
        stopwatch, timing = brokertime.start()

        async def watch(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, watch)
        finally:
            total_ms = (time.perf_counter() - started) * 1000
            brokertime.stop(timing)
            operation = extensions.get("connexion_routing", {}).get("operation_id")
            if operation:
                route = operation.rsplit(".", 1)[-1]
            else:
                route = observation.get("route") or ("unmatched" if status == 404 else "other")
            self.metrics.observe(route, scope["method"], status, total_ms / 1000)
            path = masked_path(scope["path"])  # a webhook's token is a secret in its path
            if not path.startswith(_UNLOGGED_PREFIXES):
                self.traffic.record(
                    address,
                    scope["method"],
                    path,
                    route,
                    status,
                    round(total_ms, 3),
                    observation.get("broker_ms", stopwatch.milliseconds),
                    observation.get("user_id"),
                    broker=stopwatch.broker,
                )
