"""Handlers of the `data` tag: quotes, depth and candles from the broker that serves the caller.

`history` with `source: db` is the exception: it reads the local history store instead.
"""

from gateway.context import routed, services
from generated.api import HistoryRequest, InstrumentRequest, MultiQuotesRequest
from generated.contract import InstrumentRef


def _instrument(body: dict) -> InstrumentRef:
    request = InstrumentRequest.model_validate(body)
    return InstrumentRef(symbol=request.symbol, exchange=request.exchange)


async def quotes(body: dict) -> tuple[dict, int]:
    route, account = routed()
    return {"status": "success", "data": (await route.plugin.quote(account, _instrument(body))).model_dump()}, 200


async def multiquotes(body: dict) -> tuple[dict, int]:
    request = MultiQuotesRequest.model_validate(body)
    route, account = routed()
    wanted = [InstrumentRef(symbol=item.symbol, exchange=item.exchange) for item in request.symbols]
    results = await route.plugin.multi_quotes(account, wanted)
    return {"status": "success", "results": [result.model_dump(exclude_none=True) for result in results]}, 200


async def depth(body: dict) -> tuple[dict, int]:
    route, account = routed()
    return {"status": "success", "data": (await route.plugin.depth(account, _instrument(body))).model_dump()}, 200


async def history(body: dict) -> tuple[dict, int]:
    request = HistoryRequest.model_validate(body)
    if request.source == "db":
        return {"status": "success", "data": await services().historify.history(request)}, 200
    route, account = routed()
    candles = await route.plugin.history(account, request)
    return {"status": "success", "data": [candle.model_dump() for candle in candles]}, 200


async def intervals(body: dict) -> tuple[dict, int]:
    route, account = routed()
    return {"status": "success", "data": (await route.plugin.intervals(account)).model_dump()}, 200
