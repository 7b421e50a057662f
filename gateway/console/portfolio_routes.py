"""The Portfolio page: a backtest form, its figures and an equity curve on the vendored lightweight-charts.

The page's data call makes the `/api/v1/portfolio/backtest` request in-process with the user's newest
active key, as the analytics pages do, so validation and the portfolio rate limit apply to it as to a script.
"""

from __future__ import annotations

import httpx
from starlette.responses import JSONResponse, Response

from gateway.console.web import Call, Console
from gateway.portfolio import benchmarks

_PASSED_ON = ("start_date", "end_date", "benchmark", "rebalance", "source", "initial_capital")


def _holdings(text: str) -> list[dict]:
    """`SBIN:60, INFY:40` -> the API's holdings; a malformed entry goes on as it is, for the API to refuse."""
    holdings = []
    for entry in filter(None, (part.strip() for part in text.split(","))):
        symbol, _, weight = entry.partition(":")
        exchange = "NSE"
        if "." in symbol:
            symbol, _, exchange = symbol.partition(".")
        holdings.append(
            {"symbol": symbol.strip().upper(), "exchange": exchange.strip().upper(), "weight": weight.strip() or "1"}
        )
    return holdings


def routes(console: Console) -> list[tuple[str, str, object, list[str]]]:
    services = console.services

    def _active_key(user_id: int) -> str | None:
        username = console.identity.user_by_id(user_id).username
        return next((record.api_key for record in services.accounts.api_keys(username) if not record.revoked_at), None)

    async def page(call: Call) -> Response:
        return console.render(
            call,
            "portfolio.html",
            benchmarks=benchmarks(),
            has_key=_active_key(call.session.user_id) is not None,
            today=services.historify.today().isoformat(),
        )

    async def data(call: Call) -> Response:
        api_key = _active_key(call.session.user_id)
        if api_key is None:
            body = {"status": "error", "code": "NO_API_KEY", "message": "Create an API key on the Keys page first"}
            return JSONResponse(body, status_code=409)
        query = call.request.query_params
        fields = {name: query[name] for name in _PASSED_ON if query.get(name)}
        if "benchmark" in fields:
            fields["benchmark_exchange"] = next(
                (row["exchange"] for row in benchmarks() if row["symbol"] == fields["benchmark"]), "NSE_INDEX"
            )
        transport = httpx.ASGITransport(app=console.api_app)
        async with httpx.AsyncClient(transport=transport, base_url="http://console.internal", timeout=120) as client:
            answer = await client.post(
                "/api/v1/portfolio/backtest",
                json={"apikey": api_key, "holdings": _holdings(query.get("holdings", "")), **fields},
            )
        return Response(answer.content, status_code=answer.status_code, media_type="application/json")

    guard = console.route
    return [
        ("/portfolio", "portfolio_page", guard("portfolio_page", page), ["GET"]),
        ("/console/portfolio/backtest", "portfolio_data", guard("portfolio_data", data, is_json=True), ["GET"]),
    ]
