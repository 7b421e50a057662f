"""The latency and traffic monitors (administrators only), read from the traffic log, with CSV export."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from starlette.responses import Response

from gateway.console.web import Call, Console
from gateway.observability import monitor
from generated.errors import ValidationFailed


def routes(console: Console) -> list[tuple[str, str, object, list[str]]]:
    def refusal(call: Call) -> Response | None:
        if not console.identity.user_by_id(call.session.user_id).is_admin:
            return console.refuse(call, "Only an administrator can see the monitors.")
        return None

    async def summary(call: Call, compute):
        await console.traffic.flush()  # the last second's calls too
        return await asyncio.to_thread(compute, console.traffic.engine, call.request.query_params.get("window"))

    async def latency(call: Call) -> Response:
        if refused := refusal(call):
            return refused
        try:
            figures = await summary(call, monitor.latency)
        except ValidationFailed as e:
            return console.refuse(call, e.message, status=400)
        return console.render(call, "latency.html", figures=figures, windows=list(monitor.WINDOWS))

    async def latency_csv(call: Call) -> Response:
        if refused := refusal(call):
            return refused
        try:
            figures = await summary(call, monitor.latency)
        except ValidationFailed as e:
            return console.refuse(call, e.message, status=400)
        stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M")
        return Response(
            monitor.latency_csv(figures),
            media_type="text/csv",
            headers={
                "Content-Disposition": f'attachment; filename="latency-{figures["window"]}-{stamp}.csv"',
                "Cache-Control": "no-store",
            },
        )

    async def traffic(call: Call) -> Response:
        if refused := refusal(call):
            return refused
        try:
            figures = await summary(call, monitor.traffic)
        except ValidationFailed as e:
            return console.refuse(call, e.message, status=400)
        for row in figures["slowest_calls"]:
            row["at"] = datetime.fromtimestamp(row["at"], UTC).strftime("%m-%d %H:%M:%S")
        return console.render(call, "traffic.html", figures=figures, windows=list(monitor.WINDOWS))

    guard = console.route
    return [
        ("/monitor/latency", "monitor_latency", guard("monitor_latency", latency), ["GET"]),
        ("/monitor/latency.csv", "monitor_latency_csv", guard("monitor_latency_csv", latency_csv), ["GET"]),
        ("/monitor/traffic", "monitor_traffic", guard("monitor_traffic", traffic), ["GET"]),
    ]
