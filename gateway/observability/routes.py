"""`GET /health` and `GET /metrics`, served beside the API rather than inside `/api/v1`.

They need no API key: load balancers and Prometheus call them. Neither reveals a secret; the
gateway binds to loopback unless told otherwise.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response

from gateway.observability.health import Health
from gateway.observability.metrics import Metrics
from gateway.observability.middleware import note

PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8"


def health_route(health: Health) -> Callable[[Request], Awaitable[Response]]:
    async def health_endpoint(request: Request) -> Response:
        note(request.scope, route="health")
        body, status = await health.report()
        return JSONResponse(body, status_code=status, headers={"Cache-Control": "no-store"})

    return health_endpoint


def metrics_route(metrics: Metrics) -> Callable[[Request], Awaitable[Response]]:
    async def metrics_endpoint(request: Request) -> Response:
        note(request.scope, route="metrics")
        return PlainTextResponse(metrics.render(), media_type=PROMETHEUS_TEXT)

    return metrics_endpoint
