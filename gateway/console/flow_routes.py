"""The Flow page: list, build, import/export, activate, run and inspect the user's workflows.

The browser never holds an API key: the page's script posts to `/console/flow/api/<operation>` and
the console makes the same `/api/v1/flow/...` call in-process with the user's newest active key, as
the dashboard does, so the API's validation (the workflow document's schema, cycles, unknown kinds),
rate limits and typed errors apply to the page exactly as to a script. The editor's per-kind forms
come from the spec's node schemas (`gateway/console/flowkinds.py`), so the page cannot drift from it.
"""

from __future__ import annotations

import json
from functools import cache

import httpx
from starlette.responses import JSONResponse, Response

from gateway.console.flowkinds import node_kinds
from gateway.console.web import Call, Console
from gateway.flow.document import DATA, KINDS, ORDERS

# The page's operation -> the API path under /api/v1/flow; nothing else is passed through.
OPERATIONS = {
    "workflows": "workflows",
    "get": "get",
    "create": "create",
    "update": "update",
    "delete": "delete",
    "activate": "activate",
    "run": "run",
    "runs": "runs",
    "run_detail": "runs/get",
    "rotate": "rotate",
}
_TIMEOUT_SECONDS = 60.0  # a run-now answers when the run ends; a delay node may hold it a while


def routes(console: Console) -> list[tuple[str, str, object, list[str]]]:
    services = console.services

    def _active_key(user_id: int) -> str | None:
        username = console.identity.user_by_id(user_id).username
        return next((record.api_key for record in services.accounts.api_keys(username) if not record.revoked_at), None)

    async def page(call: Call) -> Response:
        return console.render(call, "flow.html", has_key=_active_key(call.session.user_id) is not None)

    async def kinds(call: Call) -> Response:
        return JSONResponse({"status": "success", "data": _kinds()})

    async def api(call: Call) -> Response:
        operation = call.request.path_params["operation"]
        if operation not in OPERATIONS:
            body = {"status": "error", "code": "NOT_FOUND", "message": f"{operation[:32]} is not a Flow operation"}
            return JSONResponse(body, status_code=404)
        api_key = _active_key(call.session.user_id)
        if api_key is None:
            body = {"status": "error", "code": "NO_API_KEY", "message": "Create an API key on the Keys page first"}
            return JSONResponse(body, status_code=409)
        raw = call.form.get("payload", "{}") if call.form is not None else "{}"
        try:
            sent = json.loads(raw) if isinstance(raw, str) else None  # a file under that name is no payload
        except json.JSONDecodeError as e:
            body = {"status": "error", "code": "MALFORMED_JSON", "message": f"The payload is not valid JSON: {e}"}
            return JSONResponse(body, status_code=400)
        if not isinstance(sent, dict):
            body = {"status": "error", "code": "VALIDATION_FAILED", "message": "The payload must be a JSON object"}
            return JSONResponse(body, status_code=400)
        transport = httpx.ASGITransport(app=console.api_app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://console.internal", timeout=_TIMEOUT_SECONDS
        ) as client:
            answer = await client.post(f"/api/v1/flow/{OPERATIONS[operation]}", json={**sent, "apikey": api_key})
        return Response(answer.content, status_code=answer.status_code, media_type="application/json")

    guard = console.route
    return [
        ("/flow", "flow_page", guard("flow_page", page), ["GET"]),
        ("/console/flow/kinds", "flow_kinds", guard("flow_kinds", kinds, is_json=True), ["GET"]),
        ("/console/flow/api/{operation}", "flow_api", guard("flow_api", api, is_json=True), ["POST"]),
    ]


@cache
def _kinds() -> list[dict]:
    """The engine's node kinds with their forms; order and data nodes also name an `output` variable."""
    return node_kinds(KINDS, {kind: kind in DATA for kind in (*ORDERS, *DATA)})
