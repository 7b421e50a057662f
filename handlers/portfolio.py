"""Handlers of the `portfolio` tag: portfolio and SIP backtests, their tearsheet and catalogues."""

from gateway.context import current_user, services
from gateway.portfolio import (
    FREQUENCIES,
    TEARSHEET_FILENAME,
    DailyCloses,
    PortfolioDesk,
    render_tearsheet,
)
from gateway.portfolio import (
    benchmarks as benchmark_list,
)
from generated.api import PortfolioBacktestRequest, PortfolioHoldingsRequest, SipBacktestRequest


def _desk() -> PortfolioDesk:
    found = services()
    return PortfolioDesk(DailyCloses(found.router, found.historify))


async def benchmarks(apikey: str | None = None) -> tuple[dict, int]:
    return {"status": "success", "data": benchmark_list()}, 200


async def backtest(body: dict) -> tuple[dict, int]:
    request = PortfolioBacktestRequest.model_validate(body)
    return await _desk().backtest(current_user(), request), 200


async def tearsheet(body: dict) -> tuple[str, int, dict]:
    request = PortfolioBacktestRequest.model_validate(body)
    page = render_tearsheet(await _desk().backtest(current_user(), request))
    headers = {
        "Content-Type": "text/html",  # the page declares its UTF-8 charset itself
        "Content-Disposition": f'attachment; filename="{TEARSHEET_FILENAME}"',
    }
    return page, 200, headers


async def holdings(body: dict) -> tuple[dict, int]:
    request = PortfolioHoldingsRequest.model_validate(body)
    found = services()
    today = found.historify.today()
    return await _desk().live_holdings(current_user(), request, found.router, today), 200


async def sip_frequencies() -> tuple[dict, int]:
    return {
        "status": "success",
        "data": [{"value": value, "label": label} for value, label in FREQUENCIES.items()],
    }, 200


async def sip_backtest(body: dict) -> tuple[dict, int]:
    request = SipBacktestRequest.model_validate(body)
    return await _desk().sip_backtest(current_user(), request), 200
