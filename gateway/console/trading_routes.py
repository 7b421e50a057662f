"""The dashboard: orders, trades, positions, holdings and funds, refreshed live, with cancel and close.

Order changes arrive as server-sent events from `/console/events` (fed by the gateway's order events,
the same ones the WebSocket feed relays), and each one refreshes the books at once; a slow poll
remains as the fallback. The browser never holds an API key, so it asks `/console/api/<operation>` and the console makes the
same `/api/v1` call in-process with the user's newest active key. Every API rule (validation, rate
limits, the order audit, analyzer routing) therefore applies to the console exactly as to a script,
and an operation the API does not offer yet simply reports itself unavailable.
"""

from __future__ import annotations

import asyncio
import json

import httpx
from starlette.responses import JSONResponse, Response, StreamingResponse

from gateway.console.web import Call, Console

READS = ("orderbook", "tradebook", "positionbook", "holdings", "funds")
ACTIONS = ("cancelorder", "cancelallorder", "closeposition")
STRATEGY = "console"
EVENT_BACKLOG = 256
HEARTBEAT_SECONDS = 15.0


def routes(console: Console) -> list[tuple[str, str, object, list[str]]]:
    services = console.services

    def _active_key(user_id: int) -> str | None:
        username = console.identity.user_by_id(user_id).username
        return next((record.api_key for record in services.accounts.api_keys(username) if not record.revoked_at), None)

    async def _call_api(api_key: str, operation: str, fields: dict) -> Response:
        transport = httpx.ASGITransport(app=console.api_app)
        async with httpx.AsyncClient(transport=transport, base_url="http://console.internal") as client:
            answer = await client.post(f"/api/v1/{operation}", json={"apikey": api_key, **fields})
        if answer.status_code == 404 and answer.json().get("code") == "NOT_FOUND":
            body = {"status": "error", "code": "NOT_AVAILABLE", "message": f"{operation} is not offered by the API yet"}
            return JSONResponse(body, status_code=404)
        return Response(answer.content, status_code=answer.status_code, media_type="application/json")

    async def dashboard(call: Call) -> Response:
        user_id = call.session.user_id
        route_mode = "analyze" if services.accounts.settings(user_id).analyze_mode else "live"
        return console.render(
            call,
            "dashboard.html",
            mode=route_mode,
            broker_session=services.sessions.latest(user_id),
            has_key=_active_key(user_id) is not None,
        )

    async def api_proxy(call: Call) -> Response:
        operation = call.request.path_params["operation"]
        is_read = call.request.method == "GET"
        if operation not in (READS if is_read else ACTIONS):
            return JSONResponse(
                {"status": "error", "message": f"{operation} is not a console operation"}, status_code=404
            )
        api_key = _active_key(call.session.user_id)
        if api_key is None:
            return JSONResponse(
                {"status": "error", "code": "NO_API_KEY", "message": "Create an API key on the Keys page first"},
                status_code=409,
            )
        fields: dict = {}
        if not is_read:
            try:
                sent = json.loads(call.form.get("payload", "{}")) if call.form is not None else {}
            except json.JSONDecodeError:
                sent = {}
            fields = {"strategy": STRATEGY}
            if operation == "cancelorder":
                fields["orderid"] = str(sent.get("orderid", ""))
        return await _call_api(api_key, operation, fields)

    async def order_events(call: Call) -> Response:
        """Server-sent events: one `order` event for each change of this user's orders, as it happens."""
        user_id = call.session.user_id
        queue: asyncio.Queue[dict] = asyncio.Queue(maxsize=EVENT_BACKLOG)

        def listen(owner: int, order: dict) -> None:
            if owner == user_id and not queue.full():  # a page that stops reading loses events, not memory
                queue.put_nowait(order)

        async def stream():
            services.events.subscribe(listen)
            try:
                yield "retry: 3000\n\n"
                while True:
                    try:
                        order = await asyncio.wait_for(queue.get(), timeout=HEARTBEAT_SECONDS)
                    except TimeoutError:
                        yield ": still here\n\n"  # keeps proxies from closing an idle stream
                        continue
                    yield f"event: order\ndata: {json.dumps(order)}\n\n"
            finally:
                services.events.unsubscribe(listen)

        return StreamingResponse(stream(), media_type="text/event-stream", headers={"Cache-Control": "no-store"})

    guard = console.route
    return [
        ("/", "dashboard", guard("dashboard", dashboard), ["GET"]),
        ("/console/events", "console_events", guard("console_events", order_events, is_json=True), ["GET"]),
        ("/console/api/{operation}", "console_api", guard("console_api", api_proxy, is_json=True), ["GET", "POST"]),
    ]
