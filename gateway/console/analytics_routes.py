"""The options analytics pages: GEX, IV chart, IV smile, OI profile, OI tracker, straddle chart, surface.

Each page draws its charts with the vendored lightweight-charts (the surface is a heat map on a
canvas) from `/console/analytics/<operation>`, which makes the `/api/v1` call in-process with the
user's newest active key, as the dashboard does: validation, rate limits and the one-second
snapshot cache apply to a page exactly as to a script.
"""

from __future__ import annotations

import httpx
from starlette.responses import JSONResponse, Response

from gateway.console.web import Call, Console

TOOLS = {
    "gex": "Gamma exposure",
    "ivchart": "IV chart",
    "ivsmile": "IV smile",
    "oiprofile": "OI profile",
    "oitracker": "OI tracker and max pain",
    "straddle": "Straddle chart",
    "volsurface": "Volatility surface",
}
# Tools charted over candles: their pages pick an interval and a number of days.
CANDLE_TOOLS = frozenset({"ivchart", "oiprofile", "straddle"})
INTERVALS = ("1m", "3m", "5m", "10m", "15m", "30m", "1h")
# The query parameters each operation passes on; numbers are sent as the strings the API accepts.
_FIELDS = {
    "gex": ("underlying", "exchange", "expiry_date", "strike_count"),
    "ivsmile": ("underlying", "exchange", "expiry_date", "strike_count"),
    "oitracker": ("underlying", "exchange", "expiry_date", "strike_count"),
    "volsurface": ("underlying", "exchange", "expiry_count", "strike_count"),
    "ivchart": ("underlying", "exchange", "expiry_date", "interval", "days"),
    "straddle": ("underlying", "exchange", "expiry_date", "interval", "days"),
    "oiprofile": ("underlying", "exchange", "expiry_date", "strike_count", "interval", "days"),
    "expiry": ("symbol", "exchange", "instrumenttype"),
}
_INTEGERS = frozenset({"strike_count", "expiry_count", "days"})
# Underlyings with listed options on the offline market: (name, exchange it is quoted on, where options list).
UNDERLYINGS = (
    ("NIFTY", "NSE_INDEX", "NFO"),
    ("BANKNIFTY", "NSE_INDEX", "NFO"),
    ("FINNIFTY", "NSE_INDEX", "NFO"),
    ("SENSEX", "BSE_INDEX", "BFO"),
    ("CRUDEOIL", "MCX", "MCX"),
    ("GOLD", "MCX", "MCX"),
    ("USDINR", "CDS", "CDS"),
)


def _field(name: str, text: str) -> str | int:
    # A number the API will range-check; anything not a number goes on as text for the API to refuse.
    return int(text) if name in _INTEGERS and text.isdigit() else text


def routes(console: Console) -> list[tuple[str, str, object, list[str]]]:
    services = console.services

    def _active_key(user_id: int) -> str | None:
        username = console.identity.user_by_id(user_id).username
        return next((record.api_key for record in services.accounts.api_keys(username) if not record.revoked_at), None)

    async def page(call: Call) -> Response:
        tool = call.request.path_params["tool"]
        if tool not in TOOLS:
            return console.render(call, "message.html", status=404, title="Not found", message="No such tool.")
        return console.render(
            call,
            "analytics.html",
            tool=tool,
            title=TOOLS[tool],
            tools=TOOLS,
            candle_tools=CANDLE_TOOLS,
            intervals=INTERVALS,
            underlyings=UNDERLYINGS,
            has_key=_active_key(call.session.user_id) is not None,
        )

    async def data(call: Call) -> Response:
        operation = call.request.path_params["operation"]
        if operation not in _FIELDS:
            return JSONResponse({"status": "error", "message": f"{operation} is not an analytics operation"}, 404)
        api_key = _active_key(call.session.user_id)
        if api_key is None:
            body = {"status": "error", "code": "NO_API_KEY", "message": "Create an API key on the Keys page first"}
            return JSONResponse(body, status_code=409)
        query = call.request.query_params
        fields = {name: _field(name, query[name]) for name in _FIELDS[operation] if query.get(name)}
        transport = httpx.ASGITransport(app=console.api_app)
        async with httpx.AsyncClient(transport=transport, base_url="http://console.internal") as client:
            answer = await client.post(f"/api/v1/{operation}", json={"apikey": api_key, **fields})
        return Response(answer.content, status_code=answer.status_code, media_type="application/json")

    guard = console.route
    return [
        ("/analytics/{tool}", "analytics_page", guard("analytics_page", page), ["GET"]),
        ("/console/analytics/{operation}", "analytics_data", guard("analytics_data", data, is_json=True), ["GET"]),
    ]
