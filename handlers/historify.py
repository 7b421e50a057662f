"""Handlers of the `historify` tag: the local history store's catalogue, downloads, jobs and watchlist."""

from gateway.context import current_user, services
from generated.api import (
    HistorifyCatalogueRequest,
    HistorifyDeleteRequest,
    HistorifyDownloadRequest,
    HistorifyJobRequest,
    HistorifyWatchlistRequest,
)


def _pairs(symbols) -> list[tuple[str, str]]:
    return [(item.symbol, str(item.exchange)) for item in symbols or []]


async def catalogue(body: dict) -> tuple[dict, int]:
    request = HistorifyCatalogueRequest.model_validate(body)
    exchange = str(request.exchange) if request.exchange else None
    return {"status": "success", "data": await services().historify.catalogue(request.symbol, exchange)}, 200


async def download(body: dict) -> tuple[dict, int]:
    request = HistorifyDownloadRequest.model_validate(body)
    job = await services().historify.download(
        current_user(),
        _pairs(request.symbols),
        request.interval,
        request.start_date,
        request.end_date,
        incremental=request.incremental is not False,
    )
    return {"status": "success", "data": job}, 200


async def jobs(body: dict) -> tuple[dict, int]:
    return {"status": "success", "data": await services().historify.jobs(current_user())}, 200


async def job(body: dict) -> tuple[dict, int]:
    request = HistorifyJobRequest.model_validate(body)
    historify, user = services().historify, current_user()
    if request.action in (None, "status"):
        return {"status": "success", "data": await historify.job(request.job_id, user)}, 200
    return {"status": "success", "data": await historify.control(request.job_id, request.action, user)}, 200


async def delete(body: dict) -> tuple[dict, int]:
    request = HistorifyDeleteRequest.model_validate(body)
    deleted = await services().historify.delete(request.symbol, str(request.exchange), request.interval)
    return {"status": "success", "deleted": deleted}, 200


async def watchlist(body: dict) -> tuple[dict, int]:
    request = HistorifyWatchlistRequest.model_validate(body)
    historify = services().historify
    if request.action == "add":
        found = await historify.watch(_pairs(request.symbols))
    elif request.action == "remove":
        found = await historify.unwatch(_pairs(request.symbols))
    else:
        found = await historify.watchlist()
    return {"status": "success", "data": [{"symbol": s, "exchange": e} for s, e in found]}, 200
