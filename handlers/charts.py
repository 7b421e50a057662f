"""Handlers of the `charts` tag: ticker candles, per-symbol P&L and saved chart preferences."""

from gateway.charting import symbol_pnl, ticker_lines, ticker_request
from gateway.context import current_user, routed, services
from gateway.preferences import ChartPreferences


async def ticker(symbol: str, **query):
    request = ticker_request(symbol, query.get("interval"), query.get("from"), query.get("to"))
    route, account = routed()
    candles = await route.plugin.history(account, request)
    if query.get("format") == "txt":
        return ticker_lines(request, candles), 200, {"Content-Type": "text/plain"}
    body = {"status": "success", "data": [candle.model_dump() for candle in candles]}
    return body, 200, {"Content-Type": "application/json"}


async def pnl_symbols(body: dict) -> tuple[dict, int]:
    route, account = routed()
    return await symbol_pnl(route, account), 200


async def get_chart(apikey: str | None = None) -> tuple[dict, int]:
    return {"status": "success", "data": ChartPreferences(services().engine).read(current_user())}, 200


async def save_chart(body: dict) -> tuple[dict, int]:
    preferences = {key: value for key, value in body.items() if key != "apikey"}
    ChartPreferences(services().engine).save(current_user(), preferences)
    return {"status": "success", "message": "Preferences updated successfully"}, 200
