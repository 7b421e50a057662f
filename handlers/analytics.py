"""Handlers of the `analytics` tag: GEX, IV chart, IV smile, OI profile, OI tracker, straddle chart, surface."""

from gateway import optioncharts, optionsanalytics
from gateway.context import services
from generated.api import AnalyticsChainRequest, AnalyticsSeriesRequest, OiProfileRequest, VolSurfaceRequest


def _snapshot(body: dict) -> optionsanalytics.ChainSnapshot:
    request = AnalyticsChainRequest.model_validate(body)
    found = services()
    return optionsanalytics.cached_snapshot(
        found.market, found.analytics_cache, **request.model_dump(exclude={"apikey"})
    )


async def gex(body: dict) -> tuple[dict, int]:
    return optionsanalytics.gamma_exposure(_snapshot(body)), 200


async def ivsmile(body: dict) -> tuple[dict, int]:
    return optionsanalytics.iv_smile(_snapshot(body)), 200


async def oitracker(body: dict) -> tuple[dict, int]:
    return optionsanalytics.oi_tracker(services().market, _snapshot(body)), 200


async def volsurface(body: dict) -> tuple[dict, int]:
    request = VolSurfaceRequest.model_validate(body)
    found = services()
    surface = optionsanalytics.volatility_surface(
        found.market, found.analytics_cache, **request.model_dump(exclude={"apikey"})
    )
    return surface, 200


def _fields(request) -> dict:
    fields = request.model_dump(exclude={"apikey"}, mode="json")
    return fields | {"interval": fields["interval"] or "5m", "days": fields["days"] or 1}


async def ivchart(body: dict) -> tuple[dict, int]:
    found = services()
    request = _fields(AnalyticsSeriesRequest.model_validate(body))
    return optioncharts.iv_chart(found.market, found.analytics_cache, **request), 200


async def straddle(body: dict) -> tuple[dict, int]:
    found = services()
    request = _fields(AnalyticsSeriesRequest.model_validate(body))
    request.pop("interest_rate")  # premiums and the synthetic future need no rate
    return optioncharts.straddle_chart(found.market, found.analytics_cache, **request), 200


async def oiprofile(body: dict) -> tuple[dict, int]:
    found = services()
    request = _fields(OiProfileRequest.model_validate(body))
    return optioncharts.oi_profile(found.market, found.analytics_cache, **request), 200
